/**
 * Small content trees for unit and end-to-end tests: a valid site.yaml and articles written from
 * plain field maps, in memory (ContentFile[]) or in a fresh temporary directory per test.
 * Front matter is written one field per line (values as JSON, which YAML reads as flow), so a
 * field's line is its position + 2.
 */
import { mkdtemp, mkdir, writeFile, rm, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { onTestFinished } from "vitest";
import type { ContentFile } from "../../functions/core/content.ts";
import { siteSchema, type Site } from "../../functions/core/schema.ts";

export type Fields = Record<string, unknown>;
/** Paths relative to the content root → text or raw bytes. */
export type Tree = Record<string, string | Uint8Array>;

export const SITE_FIELDS: Fields = {
  title: "Test Wire",
  description: "A feed for tests.",
  site_url: "https://news.example.com/",
  feed_url: "https://news.example.com/feeds/",
  language: "en",
};

export const TEST_SITE: Site = siteSchema.parse(SITE_FIELDS);

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One `key: value` line per defined field. */
export function yamlFields(fields: Fields): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`)
    .join("");
}

/** site.yaml: the test site, with fields added or replaced (undefined removes one). */
export function siteYaml(fields: Fields = {}): string {
  return yamlFields({ ...SITE_FIELDS, ...fields });
}

/** An article file: title and date filled in unless given (undefined removes one). */
export function articleText(fields: Fields = {}, body = "Body text."): string {
  return `---\n${yamlFields({ title: "A title", date: "2020-06-19T10:00:00Z", ...fields })}---\n${body}\n`;
}

/** A tree with the test site.yaml and the given articles (`slug` → fields or the whole file). */
export function tree(articles: Record<string, Fields | string>, site: Fields = {}): Tree {
  const t: Tree = { "site.yaml": siteYaml(site) };
  for (const [slug, a] of Object.entries(articles)) t[`articles/${slug}.md`] = typeof a === "string" ? a : articleText(a);
  return t;
}

export function contentFiles(t: Tree): ContentFile[] {
  return Object.entries(t).map(([path, v]) => ({ path, bytes: typeof v === "string" ? bytes(v) : v }));
}

/** A fresh temporary directory, removed when the current test ends. */
export async function tempDir(prefix = "syndicate-test-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a tree under `root` (created if needed) and returns `root`. */
export async function writeTree(root: string, t: Tree): Promise<string> {
  for (const [path, v] of Object.entries(t)) {
    const full = join(root, ...path.split("/"));
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, v);
  }
  return root;
}

/** Every file under `dir` with its bytes (as text) and mtime: compare before/after a build. */
export async function snapshot(dir: string): Promise<Record<string, { bytes: string; mtimeMs: number }>> {
  const out: Record<string, { bytes: string; mtimeMs: number }> = {};
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    out[relative(dir, full).split(sep).join("/")] = { bytes: (await readFile(full)).toString("base64"), mtimeMs: (await stat(full)).mtimeMs };
  }
  return out;
}
