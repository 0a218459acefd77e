/**
 * Builds a content tree into a fresh temporary directory with the real pipeline and lists what
 * it published, for the conformance tests. Each test file builds its own trees.
 */
import { mkdtemp, readdir, readFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build, type BuildReport } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { writeCorpus } from "./corpus.ts";

/** A fixed clock: every dated article in content/ and the corpus is in its past. */
export const NOW = Date.UTC(2030, 0, 1);
export const CONTENT_DIR = resolve(import.meta.dirname, "../../content");
export const CORPUS_ARTICLES = 520;
export const CORPUS_ITEMS_PER_FEED = 50;
export const CORPUS_HUB = "https://hub.example.com/";

export interface BuiltTree {
  name: string;
  out: string;
  report: BuildReport;
  /** Document prefixes ("", "archive/1/", "tags/x/"), one per main, archive and tag feed. */
  prefixes: string[];
  path(key: string): string;
  text(key: string): Promise<string>;
}

export async function buildTree(name: string, content: string, out: string): Promise<BuiltTree> {
  const report = await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: NOW });
  const keys = (await readdir(out, { recursive: true })).map((k) => k.split("\\").join("/"));
  const prefixes = keys.filter((k) => k.endsWith("feed.xml")).map((k) => k.slice(0, -"feed.xml".length)).sort();
  return {
    name,
    out,
    report,
    prefixes,
    path: (key) => join(out, key),
    text: (key) => readFile(join(out, key), "utf8"),
  };
}

export async function buildContent(): Promise<BuiltTree> {
  const dir = await mkdtemp(join(tmpdir(), "syn-conf-content-"));
  return buildTree("content/", CONTENT_DIR, join(dir, "out"));
}

/** A generated corpus with archives, tag feeds and a WebSub hub. */
export async function buildCorpus(): Promise<BuiltTree> {
  const dir = await mkdtemp(join(tmpdir(), "syn-conf-corpus-"));
  const content = await writeCorpus(join(dir, "content"), { articles: CORPUS_ARTICLES, itemsPerFeed: CORPUS_ITEMS_PER_FEED, paragraphs: 3 });
  await appendFile(join(content, "site.yaml"), `websub_hub: ${CORPUS_HUB}\n`);
  return buildTree(`corpus of ${CORPUS_ARTICLES}`, content, join(dir, "out"));
}

export const FORMAT_FILES = ["feed.xml", "atom.xml", "feed.json"] as const;

/** The trees every conformance test reads: the project's content and the generated corpus. */
export const TREES = [
  ["content/", buildContent],
  ["the generated corpus", buildCorpus],
] as const;

/** Paths of every RSS and Atom document of a tree. */
export const xmlPaths = (tree: BuiltTree) => tree.prefixes.flatMap((p) => [tree.path(`${p}feed.xml`), tree.path(`${p}atom.xml`)]);
