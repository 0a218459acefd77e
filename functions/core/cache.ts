/**
 * The build cache (issue 6): what a build learned about each article — its parsed front matter
 * (the Article), its issues (warnings) and its rendered HTML — keyed by the file's content hash
 * (MD5: S3's ETag for a simple upload is the same hash, so a content bucket's listing tells
 * what changed without reading a byte). It is stored beside the outputs (`.syndicate/` in the
 * directory or bucket), so a cold Lambda reuses it.
 *
 * Never trusted: the file carries a SHA-256 of its payload, a format number, and a context key
 * (this code's version and the bytes of site.yaml, which every article's URL, id, default
 * authors and dates depend on). A corrupt, truncated, foreign or stale cache is ignored whole.
 * Item fragments are not cached: re-rendering one costs ~30 µs per format, and caching them
 * would triple the cache's size for nothing.
 */
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync, constants } from "node:zlib";
import * as z from "zod";
import type { Article, ArticleIdentity, ArticleResult } from "./article.ts";
import type { ContentIssue } from "./errors.ts";

/** The base cache. Gzip'd for a remote store (S3: fewer bytes to move), plain for a local one
 * (a directory: compressing ~10 MB at 10,000 articles cost ~0.1 s of every full build). */
export const CACHE_KEY = ".syndicate/build-cache";
/** Bump when parsing, Markdown conversion or the Article shape change. */
export const CACHE_FORMAT = 3;

export const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");

export interface CacheEntry {
  /** The source's cheap change marker (a directory's stat, a bucket's ETag): read nothing when equal. */
  fingerprint?: string;
  /** MD5 of the file's bytes: reuse the result when equal, however the marker changed. */
  md5: string;
  /** The parse result without the Markdown (re-read from the file when its HTML is needed and
   * absent) and without what the entry's key and the article itself tell (file, identity). */
  article?: Omit<Article, "markdown" | "contentHtml" | "bodyLine" | "file">;
  /** Only for a file that gave no article (its identity still joins the duplicate checks). */
  identity?: ArticleIdentity;
  issues: ContentIssue[];
  html?: string;
  bodyLine?: number;
}

export interface CacheData {
  format: number;
  context: string;
  entries: Record<string, CacheEntry>;
  /** Each published document's input (render/index.ts documentInput) and the sha256 of the bytes it gave. */
  documents?: Record<string, { input: string; sha256: string }>;
}

const documentsSchema = z.record(z.string(), z.object({ input: z.string(), sha256: z.string() })).optional();
const MD5_HEX = /^[0-9a-f]{32}$/;

/**
 * Each entry's shape, checked by hand: a zod record over 10,000 entries took ~90 ms of every
 * incremental build, and the checksum already vouches for the bytes; this only tells a cache of
 * another shape (which the format number should have told already).
 */
const entries = (nullable: boolean) =>
  z.custom<unknown>((value) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
    for (const e of Object.values(value as Record<string, unknown>)) {
      if (e === null && nullable) continue;
      if (e === null || typeof e !== "object") return false;
      const { md5: m, issues } = e as { md5?: unknown; issues?: unknown };
      if (typeof m !== "string" || !MD5_HEX.test(m) || !Array.isArray(issues)) return false;
    }
    return true;
  });

const envelope = z.object({
  format: z.literal(CACHE_FORMAT),
  context: z.string(),
  entries: entries(false),
  documents: documentsSchema,
});

/**
 * What changed since the base cache (CACHE_KEY), stored alone when little did: an edit then
 * writes a few kilobytes instead of re-encoding every entry. `base` is the sha256 of the base
 * payload it applies to; a delta that does not match its base is ignored (the base alone is then
 * used, and what the delta held is parsed again). null removes an entry.
 */
export const CACHE_DELTA_KEY = ".syndicate/build-cache-delta";

export interface CacheDelta {
  format: number;
  context: string;
  base: string;
  entries: Record<string, CacheEntry | null>;
  documents?: CacheData["documents"];
}

const deltaEnvelope = z.object({
  format: z.literal(CACHE_FORMAT),
  context: z.string(),
  base: z.string().regex(/^[0-9a-f]{64}$/),
  entries: entries(true),
  documents: documentsSchema,
});

/** What the cache depends on besides each file: code version and site settings. */
export function cacheContext(codeVersion: string, siteBytes: Uint8Array | undefined): string {
  return createHash("sha256").update(`${CACHE_FORMAT}\u0000${codeVersion}\u0000`).update(siteBytes ?? new Uint8Array()).digest("hex");
}

/** A cache file: a header line with the payload's sha256, then the JSON payload; gzip'd when `compress`. */
export function encodeCache(data: CacheData | CacheDelta, compress = true): Buffer {
  return encodeCacheFile(data, compress).bytes;
}

/** The same, with the payload's sha256 (what `Decoded.sum` of these bytes is). */
export function encodeCacheFile(data: CacheData | CacheDelta, compress = true): { bytes: Buffer; sum: string } {
  // The entries a thousand at a time, each slice turned into bytes at once: the whole payload
  // is never one string (at 50,000 articles a ~40 MB two-byte string, and the largest
  // allocation of the build). The same JSON as JSON.stringify(data), with `entries` last.
  const { entries, ...rest } = data;
  const head = JSON.stringify(rest);
  const parts = [Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? "," : ""}"entries":{`, "utf8")];
  const keys = Object.keys(entries);
  for (let i = 0; i < keys.length; i += 1000) {
    const slice = keys.slice(i, i + 1000).map((k) => `${JSON.stringify(k)}:${JSON.stringify(entries[k])}`);
    parts.push(Buffer.from(`${i ? "," : ""}${slice.join(",")}`, "utf8"));
  }
  parts.push(Buffer.from("}}", "utf8"));
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  const sum = hash.digest("hex");
  const file = Buffer.concat([Buffer.from(`syndicate-cache ${sum}\n`, "utf8"), ...parts]);
  return { bytes: compress ? gzipSync(file, { level: constants.Z_BEST_SPEED }) : file, sum };
}

export type Decoded<T> = { ok: true; data: T; sum: string } | { ok: false; reason: string };
export type DecodedCache = Decoded<CacheData>;

/** The cache file's data, checked whole; whether it fits this build is `context`'s question. */
export function decodeCache(bytes: Uint8Array | undefined): DecodedCache {
  return decodeFile(bytes, envelope) as DecodedCache;
}

export function decodeDelta(bytes: Uint8Array | undefined): Decoded<CacheDelta> {
  return decodeFile(bytes, deltaEnvelope) as Decoded<CacheDelta>;
}

function decodeFile(bytes: Uint8Array | undefined, schema: z.ZodType): Decoded<unknown> {
  if (!bytes) return { ok: false, reason: "absent" };
  let raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(bytes);
    } catch {
      return { ok: false, reason: "corrupt (not gzip)" };
    }
  }
  const nl = raw.indexOf(10);
  const header = raw.subarray(0, Math.max(nl, 0)).toString("utf8");
  const m = /^syndicate-cache ([0-9a-f]{64})$/.exec(header);
  if (!m) return { ok: false, reason: "corrupt (no header)" };
  const payload = raw.subarray(nl + 1);
  if (createHash("sha256").update(payload).digest("hex") !== m[1]) return { ok: false, reason: "corrupt (checksum mismatch)" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString("utf8"));
  } catch {
    return { ok: false, reason: "corrupt (not JSON)" };
  }
  const r = schema.safeParse(parsed);
  if (!r.success) return { ok: false, reason: "stale (another format)" };
  return { ok: true, data: parsed, sum: m[1]! };
}

/** The base with a matching delta applied (a new object; the base's entries are not changed). */
export function applyDelta(base: CacheData, delta: CacheDelta): CacheData {
  const entries = { ...base.entries };
  for (const [path, e] of Object.entries(delta.entries)) {
    if (e === null) delete entries[path];
    else entries[path] = e;
  }
  return { ...base, entries, documents: delta.documents ?? base.documents };
}

/** Whether two entries tell the same (same bytes, same marker, HTML kept or not alike). */
export function sameEntry(a: CacheEntry | undefined, b: CacheEntry | undefined): boolean {
  return a !== undefined && b !== undefined && a.md5 === b.md5 && a.fingerprint === b.fingerprint && (a.html === undefined) === (b.html === undefined);
}

/** A cached entry as a parse result; the Markdown is absent (empty) until re-read. */
export function entryResult(path: string, e: CacheEntry): ArticleResult {
  const a = e.article;
  // Field by field, in parseArticle's order: the same object shape as a parsed article (a
  // spread over a parsed JSON object costs several times more, 10,000 times an incremental build).
  const article: Article | undefined = a && {
    file: path,
    slug: a.slug,
    id: a.id,
    lines: a.lines,
    url: a.url,
    title: a.title,
    summary: a.summary,
    markdown: "",
    bodyLine: e.bodyLine ?? 1,
    published: a.published,
    modified: a.modified,
    authors: a.authors,
    tags: a.tags,
    image: a.image,
    language: a.language,
    source: a.source,
    related: a.related,
    draft: a.draft,
    contentHtml: e.html,
  };
  return { identity: a ? { file: path, slug: a.slug, id: a.id, lines: a.lines } : e.identity, issues: e.issues, article };
}

export function toEntry(fingerprint: string | undefined, hash: string, r: ArticleResult): CacheEntry {
  const a = r.article;
  if (!a) return { fingerprint, md5: hash, identity: r.identity, issues: r.issues };
  const { markdown: _m, contentHtml, bodyLine, file: _f, ...rest } = a;
  return { fingerprint, md5: hash, article: rest, issues: r.issues, html: contentHtml, bodyLine };
}
