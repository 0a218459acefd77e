/**
 * The build cache (issue 6): what a build learned about each article — its parsed front matter
 * (the Article), its issues (warnings) and its rendered HTML — keyed by the SHA-256 of the file's
 * bytes (`contentHash`), with the source's cheap change marker beside it (a directory file's stat,
 * a bucket object's ETag) so that a known file is not read at all. It is stored beside the outputs
 * (`.syndicate/` in the directory or bucket), so a cold Lambda reuses it.
 *
 * Never trusted: the file ends with a SHA-256 of its payload, and carries a format number, and a context key
 * (this code's version and the bytes of site.yaml, which every article's URL, id, default
 * authors and dates depend on). A corrupt, truncated, foreign or stale cache is ignored whole.
 * Item fragments are not cached: re-rendering one costs ~30 µs per format, and caching them
 * would triple the cache's size for nothing.
 */
import * as crypto from "node:crypto";
import { gunzipSync, gzipSync, constants } from "node:zlib";
import * as z from "zod";
import { articleUrl, slugFromFile, type Article, type ArticleIdentity, type ArticleResult } from "./article.ts";
import type { ContentIssue } from "./errors.ts";
import type { FeedSafeHtml } from "./html.ts";

/** The base cache. Gzip'd for a remote store (S3: fewer bytes to move), plain for a local one
 * (a directory: compressing ~10 MB at 10,000 articles cost ~0.1 s of every full build). */
export const CACHE_KEY = ".syndicate/build-cache";
/** Bump when parsing, Markdown conversion or the Article shape change. */
export const CACHE_FORMAT = 17;

export const md5 = (bytes: Uint8Array) => crypto.createHash("md5").update(bytes).digest("hex");

// One-shot hashing (node >= 20.12): a content file is hashed once per full build, and for files
// of a few kilobytes a hash object's set-up costs as much as the hashing.
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: "hex") => string }).hash;
/**
 * A content file's hash, the cache's key for its parse result: SHA-256, which with the CPU's SHA
 * instructions is about twice as fast as MD5 here (10,000 files of ~4 KB: ~20 against ~45 ms).
 */
export const contentHash = (bytes: Uint8Array): string => (oneShot ? oneShot("sha256", bytes, "hex") : crypto.createHash("sha256").update(bytes).digest("hex"));

/**
 * An Article as an entry stores it: without the Markdown (re-read from the file when its HTML is
 * needed and absent), without what the entry's key tells (file), and without what is derived the
 * same way on reading (format 6): the slug its file name gives, the id and URL derived from the
 * slug, empty lines, related links and issues, `draft: false`, a modification time equal to the
 * publication time. A third fewer bytes to encode, hash, write, read and parse (~750 → ~520 bytes
 * an entry in the generated corpus).
 */
export type StoredArticle = Omit<Article, "markdown" | "contentHtml" | "bodyLine" | "file" | "slug" | "id" | "url" | "lines" | "modified" | "related" | "draft"> &
  Partial<Pick<Article, "slug" | "id" | "url" | "lines" | "modified" | "related" | "draft">>;

export interface CacheEntry {
  /** The source's cheap change marker (a directory's stat, a bucket's ETag): read nothing when equal. */
  fingerprint?: string;
  /** The file's bytes' contentHash: reuse the result when equal, however the marker changed. */
  sha256: string;
  /** The parse result, as StoredArticle tells. */
  article?: StoredArticle;
  /** Only for a file that gave no article (its identity still joins the duplicate checks). */
  identity?: ArticleIdentity;
  /** Absent: none. */
  issues?: ContentIssue[];
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
const SHA256_HEX = /^[0-9a-f]{64}$/;

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
      const { sha256: h, issues } = e as { sha256?: unknown; issues?: unknown };
      if (typeof h !== "string" || !SHA256_HEX.test(h) || (issues !== undefined && !Array.isArray(issues))) return false;
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
  return crypto.createHash("sha256").update(`${CACHE_FORMAT}\u0000${codeVersion}\u0000`).update(siteBytes ?? new Uint8Array()).digest("hex");
}

/**
 * A cache file: the JSON payload, then a trailer line `syndicate-cache <sha256 of the payload>`
 * (last, so that the file can be written as it is encoded: format 4; format 3 had it first).
 * Gzip'd when `compress`.
 */
export function encodeCache(data: CacheData | CacheDelta, compress = true): Buffer {
  const { entries, ...head } = data;
  return joinCache(cacheChunks(head, Object.keys(entries), (k) => entries[k]!), compress);
}

/**
 * A cache file's chunks joined; when `compress`, each chunk is gzip'd as it is made, one gzip
 * member after another (a valid gzip file, read back whole by gunzip), so that the plain file is
 * never all in memory: ~50 MB at 50,000 articles, where only ~8 MB is kept.
 */
export function joinCache(file: CacheChunks, compress: boolean): Buffer {
  const parts: Buffer[] = [];
  // Each chunk is a view of memory the next one reuses: gzipSync and Buffer.from copy it out.
  for (const chunk of file.chunks) parts.push(compress ? gzipSync(chunk, { level: constants.Z_BEST_SPEED }) : Buffer.from(chunk));
  return Buffer.concat(parts);
}

export interface CacheChunks {
  /** Each chunk is valid until the next is asked for (its memory is then reused): write or copy it first. */
  chunks: Iterable<Buffer>;
  /** The payload's sha256 (what `Decoded.sum` of these bytes is), once the chunks were consumed. */
  sum(): string;
}

/**
 * The plain cache file as chunks made while they are consumed: the entries a hundred at a time,
 * each made (`entry`) and turned into JSON only then, its bytes encoded into one buffer that is
 * reused from chunk to chunk and hashed there, so that neither the entries, the payload string
 * nor its bytes are ever all in memory (at 50,000 articles that was ~45 MB of bytes twice and
 * ~25 MB of entries, at the build's peak). The same JSON as JSON.stringify of the data, with
 * `entries` last.
 *
 * Why one reused buffer and small slices: memory a process touches for the first time costs a
 * page fault per 4 KiB, ~10 µs each on the machines measured (README "Performance"). A new
 * Buffer per chunk, and JSON strings large enough for V8's large-object space, were fresh
 * memory every time: at 50,000 articles, storing the cache faulted in ~128 MB for ~25 MB of file.
 */
export function cacheChunks(
  head: Omit<CacheData, "entries"> | Omit<CacheDelta, "entries">,
  keys: readonly string[],
  entry: (key: string) => CacheEntry | null,
  chunkBytes = CHUNK_BYTES,
): CacheChunks {
  let sum: string | undefined;
  function* chunks(): Generator<Buffer> {
    const hash = crypto.createHash("sha256");
    let buffer = Buffer.allocUnsafe(4 * chunkBytes);
    let used = 0;
    const flush = () => {
      const view = buffer.subarray(0, used);
      hash.update(view);
      used = 0;
      return view;
    };
    // Room for the worst case (3 bytes per UTF-16 unit) is made before writing, so nothing is cut.
    function* put(text: string): Generator<Buffer> {
      if (used + 3 * text.length > buffer.length) {
        if (used) yield flush();
        if (3 * text.length > buffer.length) buffer = Buffer.allocUnsafe(3 * text.length);
      }
      used += buffer.write(text, used);
      if (used >= chunkBytes) yield flush();
    }
    const top = JSON.stringify(head);
    yield* put(`${top.slice(0, -1)}${top.length > 2 ? "," : ""}"entries":{`);
    for (let i = 0; i < keys.length; i += SLICE) {
      // One JSON.stringify of a slice of entries, not one per key and entry joined after: ~20%
      // less time encoding (keys are content paths, never array indices, so their order stays).
      const slice: Record<string, CacheEntry | null> = Object.create(null);
      for (let j = i; j < keys.length && j < i + SLICE; j++) slice[keys[j]!] = entry(keys[j]!);
      const text = JSON.stringify(slice);
      if (i) yield* put(",");
      yield* put(text.slice(1, -1));
    }
    yield* put("}}");
    if (used) yield flush();
    sum = hash.digest("hex");
    yield Buffer.from(`\n${TRAILER}${sum}\n`, "utf8");
  }
  return {
    chunks: { [Symbol.iterator]: chunks },
    sum() {
      if (sum === undefined) throw new Error("cacheChunks: sum() before the chunks were consumed");
      return sum;
    },
  };
}

/** Entries per JSON.stringify: a slice's string stays small enough for V8's young generation. */
const SLICE = 100;
/** A chunk is handed over once this many bytes are encoded. */
const CHUNK_BYTES = 1 << 20;

const TRAILER = "syndicate-cache ";

export type Decoded<T> = { ok: true; data: T; sum: string } | { ok: false; reason: string };
export type DecodedCache = Decoded<CacheData>;

/**
 * The cache file's data, checked whole; whether it fits this build is `context`'s question.
 * `known`: data this process decoded or stored before, with its payload's sha256: when the bytes
 * check out with that checksum, it is given back (`held`) instead of parsing the payload again.
 */
export function decodeCache(bytes: Uint8Array | undefined, known?: { sum: string; data: CacheData }): DecodedCache & { held?: true } {
  return decodeFile(bytes, envelope, known) as DecodedCache & { held?: true };
}

export function decodeDelta(bytes: Uint8Array | undefined): Decoded<CacheDelta> {
  return decodeFile(bytes, deltaEnvelope) as Decoded<CacheDelta>;
}

function decodeFile(bytes: Uint8Array | undefined, schema: z.ZodType, known?: { sum: string; data: unknown }): Decoded<unknown> & { held?: true } {
  if (!bytes) return { ok: false, reason: "absent" };
  let raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(bytes);
    } catch {
      return { ok: false, reason: "corrupt (not gzip)" };
    }
  }
  // Format 3 and before had the checksum line first.
  if (raw.subarray(0, TRAILER.length).toString("latin1") === TRAILER) return { ok: false, reason: "stale (another format)" };
  const nl = raw.length > 1 && raw[raw.length - 1] === 10 ? raw.lastIndexOf(10, raw.length - 2) : -1;
  const m = nl < 0 ? null : /^syndicate-cache ([0-9a-f]{64})$/.exec(raw.subarray(nl + 1, raw.length - 1).toString("latin1"));
  if (!m) return { ok: false, reason: "corrupt (no checksum line)" };
  const payload = raw.subarray(0, nl);
  if (crypto.createHash("sha256").update(payload).digest("hex") !== m[1]) return { ok: false, reason: "corrupt (checksum mismatch)" };
  if (known?.sum === m[1]) return { ok: true, data: known.data, sum: m[1], held: true };
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

/** The entries of a cache: looked up by path, and counted. */
export interface Entries {
  get(path: string): CacheEntry | undefined;
  readonly size: number;
  /** Every path with an entry. */
  paths(): Iterable<string>;
}

/**
 * The entries of a base with a matching delta applied, without copying the base: a warm process
 * holds the base and reads a new delta at every rebuild, and copying 50,000 entries into a new
 * object cost ~40 ms of each. Neither is changed.
 */
export function entriesOf(base: CacheData, delta?: CacheDelta): Entries {
  const b = base.entries;
  const d = delta?.entries ?? {};
  const own = (o: object, k: string) => Object.hasOwn(o, k);
  const get = (path: string) => (own(d, path) ? (d[path] ?? undefined) : own(b, path) ? b[path] : undefined);
  let size: number | undefined;
  return {
    get,
    *paths() {
      for (const path of Object.keys(b)) if (!own(d, path) || d[path]) yield path;
      for (const [path, e] of Object.entries(d)) if (e && !own(b, path)) yield path;
    },
    get size() {
      if (size === undefined) {
        size = Object.keys(b).length;
        for (const [path, e] of Object.entries(d)) size += (e === null ? 0 : 1) - (own(b, path) ? 1 : 0);
      }
      return size;
    },
  };
}

/** Whether two entries tell the same (same bytes, same marker, HTML kept or not alike). */
export function sameEntry(a: CacheEntry | undefined, b: Pick<CacheEntry, "sha256" | "fingerprint" | "html"> | undefined): boolean {
  return a !== undefined && b !== undefined && a.sha256 === b.sha256 && a.fingerprint === b.fingerprint && (a.html === undefined) === (b.html === undefined);
}

/** A cached entry as a parse result; the Markdown is absent (empty) until re-read. `siteUrl`:
 * the site's, which the cache's context ties it to (derived ids and URLs are made from it). */
export function entryResult(path: string, e: CacheEntry, siteUrl: string): ArticleResult {
  const a = e.article;
  const issues = e.issues ?? [];
  if (!a) return { identity: e.identity, issues };
  const slug = a.slug ?? slugFromFile(path);
  const derived = a.id === undefined || a.url === undefined ? articleUrl(siteUrl, slug) : "";
  const lines = a.lines ?? {};
  // Field by field, in parseArticle's order: the same object shape as a parsed article (a
  // spread over a parsed JSON object costs several times more, 10,000 times an incremental build).
  const article: Article = {
    file: path,
    slug,
    id: a.id ?? derived,
    lines,
    url: a.url ?? derived,
    title: a.title,
    summary: a.summary,
    markdown: "",
    bodyLine: e.bodyLine ?? 1,
    published: a.published,
    modified: a.modified ?? a.published,
    authors: a.authors,
    tags: a.tags,
    image: a.image,
    language: a.language,
    source: a.source,
    related: a.related ?? [],
    draft: a.draft ?? false,
    // What renderBody made with this very code (the cache is keyed on it, and checksummed).
    contentHtml: e.html as FeedSafeHtml | undefined,
  };
  return { identity: { file: path, slug, id: article.id, lines }, issues, article };
}

/** `keepHtml` false: the entry leaves the rendered HTML out (converted again when needed).
 * What entryResult derives the same way is left out (StoredArticle). */
export function toEntry(fingerprint: string | undefined, hash: string, r: ArticleResult, keepHtml: boolean, siteUrl: string): CacheEntry {
  const a = r.article;
  const issues = r.issues.length ? r.issues : undefined;
  if (!a) return { fingerprint, sha256: hash, identity: r.identity, issues };
  const derived = articleUrl(siteUrl, a.slug);
  const article: StoredArticle = {
    slug: a.slug === slugFromFile(a.file) ? undefined : a.slug,
    id: a.id === derived ? undefined : a.id,
    lines: a.lines.id === undefined && a.lines.slug === undefined ? undefined : a.lines,
    url: a.url === derived ? undefined : a.url,
    title: a.title,
    summary: a.summary,
    published: a.published,
    modified: a.modified === a.published ? undefined : a.modified,
    authors: a.authors,
    tags: a.tags,
    image: a.image,
    language: a.language,
    source: a.source,
    related: a.related.length ? a.related : undefined,
    draft: a.draft || undefined,
  };
  return { fingerprint, sha256: hash, article, issues, html: keepHtml ? a.contentHtml : undefined, bodyLine: a.bodyLine };
}
