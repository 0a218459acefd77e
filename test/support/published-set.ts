/**
 * What a clean build of a content tree publishes (keys → sha256), and the checks the fault,
 * crash, lease and load tests make of a bucket or directory after them: every object is a whole
 * document of one of the known builds, nothing an earlier build published is missing, and after
 * a converging build the set is exactly a clean build's.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import type { ObjectStore } from "../../functions/adapters/store.ts";
import { MANIFEST_KEY, parseManifest } from "../../functions/core/manifest.ts";
import { build } from "../../functions/pipeline/build.ts";
import { writeCorpus, type CorpusOptions } from "./corpus.ts";
import { sha256 } from "./s3.ts";

export const NOW = Date.UTC(2030, 0, 1);

export interface CleanBuild {
  content: string;
  build_id: string;
  /** Every published key (manifest.json included) → sha256 of its bytes. */
  set: Record<string, string>;
}

/** A corpus whose site title is `title`, so two versions differ in every document. */
export async function corpusVersion(dir: string, o: CorpusOptions & { title: string }): Promise<string> {
  await writeCorpus(dir, o);
  const site = join(dir, "site.yaml");
  await writeFile(site, (await readFile(site, "utf8")).replace("title: Generated corpus", `title: ${o.title}`));
  return dir;
}

/** Builds `content` into a fresh directory: the reference a converged store must equal. */
export async function cleanBuild(content: string, scratch: string): Promise<CleanBuild> {
  const out = await mkdtemp(join(scratch, "clean-"));
  const report = await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: NOW });
  const manifest = (await readFile(join(out, MANIFEST_KEY)))!;
  const set: Record<string, string> = { [MANIFEST_KEY]: sha256(manifest) };
  for (const [key, o] of Object.entries(parseManifest(manifest)!.outputs)) set[key] = o.sha256;
  return { content, build_id: report.build_id, set };
}

/** The keys this tool publishes (lease claims and other objects left out). */
const published = (key: string) => !key.startsWith(".syndicate/");

/** Every published object of a store, key → sha256, read directly (no faults). */
export async function publishedSet(store: ObjectStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of (await store.list()).filter(published).sort()) {
    const got = await store.get(key);
    if (got) out[key] = sha256(got.body);
  }
  return out;
}

export interface Completeness {
  objects: number;
  /** Objects whose bytes are no known build's version of that key. */
  incomplete: string[];
  /** Keys of `mustKeep` missing from the store. */
  lost: string[];
}

/**
 * Reads every object back: each must parse (XML well-formed, JSON valid) and its sha256 must be
 * that key's in one of `builds`; every key of `mustKeep` (what was published before) must still
 * be there.
 */
export async function completeness(store: ObjectStore, builds: CleanBuild[], mustKeep?: CleanBuild): Promise<Completeness> {
  const keys = (await store.list()).filter(published).sort();
  const incomplete: string[] = [];
  for (const key of keys) {
    const got = await store.get(key);
    if (!got) continue; // deleted since the listing
    const text = got.body.toString("utf8");
    const parses = key.endsWith(".xml") ? XMLValidator.validate(text) === true : tryJson(text);
    const known = builds.some((b) => b.set[key] === sha256(got.body));
    if (!parses || !known) incomplete.push(`${key} (${got.body.length} bytes${parses ? "" : ", does not parse"})`);
  }
  const lost = mustKeep ? Object.keys(mustKeep.set).filter((k) => !keys.includes(k)) : [];
  return { objects: keys.length, incomplete, lost };
}

function tryJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The two content versions the fault, crash and lease tests switch between. A: 3 topic tags;
 * B: another site title (every document changes) and 2 topic tags (A's third tag's feeds go).
 */
export async function twoVersions(work: string, articles = 30): Promise<[CleanBuild, CleanBuild]> {
  const a = await cleanBuild(await corpusVersion(join(work, "a"), { articles, itemsPerFeed: 10, tags: 3, title: "Version A" }), work);
  const b = await cleanBuild(await corpusVersion(join(work, "b"), { articles, itemsPerFeed: 10, tags: 2, title: "Version B" }), work);
  return [a, b];
}

