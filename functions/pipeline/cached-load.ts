/**
 * Loading content through the build cache (functions/core/cache.ts): files whose change marker
 * or bytes are known are not parsed again, and their HTML is not converted again. A file the
 * cache knows is not even read, unless its HTML is needed and was never rendered (an archived
 * item published for the first time); then it is read when needed.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GENERATOR } from "../core/render/context.ts";
import { bodyOf, parseArticle, renderBody, type Article, type ArticleResult } from "../core/article.ts";
import { isArticlePath, loadContent, loadIssuesBeside, parseSite, PLACEHOLDER_SITE, SITE_FILE, type ContentFile, type LoadedContent } from "../core/content.ts";
import { formatIssue, type ContentIssue } from "../core/errors.ts";
import {
  entriesOf, CACHE_DELTA_KEY, CACHE_FORMAT, CACHE_KEY, cacheContext, decodeCache, cacheChunks, decodeDelta, encodeCache, entryResult, joinCache, md5, contentHash, sameEntry, toEntry,
  type CacheData, type CacheDelta, type DecodedCache, type Entries,
} from "../core/cache.ts";
import type { ContentSource } from "../adapters/content-dir.ts";
import type { ObjectStore } from "../adapters/store.ts";
import { ParsePool, type PoolOptions } from "./parse-pool.ts";
import { buildModel } from "../core/model.ts";
import { holdsAsRecorded, type PublishedState } from "./publish.ts";
import { renderOutputs, type PublishedOutput, type Reuse } from "../core/render/index.ts";
import type { Site } from "../core/schema.ts";
import { siteLabels } from "../core/labels.ts";

/** A delta holds at most this many changes, or this share of all entries, before the base is rewritten. */
const DELTA_MIN = 64;
const DELTA_SHARE = 0.05;

export interface CacheStats {
  /** used, or why not: absent, disabled, corrupt (…), stale (…). */
  state: string;
  reused: number;
  parsed: number;
  /** Files not read at all, their change marker being known. */
  unread: number;
  /** The base cache was the one this process last read (the same checksum, its bytes checked): not parsed again. */
  held?: boolean;
  /** Worker threads that parsed and converted alongside the main thread (parse-pool.ts). */
  workers?: number;
  saved?: boolean;
  /** How it was stored: whole, or only what changed since the whole (cache.ts CACHE_DELTA_KEY). */
  savedAs?: "full" | "delta";
  /** Entries the delta brought (0 when there was none, or it did not match its base). */
  delta?: number;
  /** Why the cache could not be stored (the build itself succeeded). */
  saveError?: string;
}

export interface LoadedInput {
  loaded: LoadedContent;
  issues: ContentIssue[];
  cache: CacheStats;
  /** HTML for each item (converted once; cached HTML reused; files never read re-read now). */
  renderBodies(items: Iterable<Article>): Promise<ContentIssue[]>;
  /** Stops the parse workers, if any, and lets the files' kept bytes go (after renderBodies). */
  close(): Promise<void>;
  /** Store what this build knows of published articles for the next one; false when nothing
   * changed. Drafts and future-dated articles are never stored: the cache sits beside public
   * outputs, and they are parsed again each build (they are few). */
  save(store: ObjectStore, published: (a: Article) => boolean, outputs: readonly PublishedOutput[], keepHtml?: (a: Article) => boolean): Promise<boolean>;
  /** What lets the build keep documents an earlier build rendered from the same input
   * (render/index.ts Reuse); undefined when the cache is not in use. */
  reuse(state: PublishedState): Reuse | undefined;
}

// The probe: an article and a site with every optional setting, parsed, converted and rendered
// into every document kind and header branch. Its result stands for the code where the code's
// own files cannot be read (codeKey).
const PROBE_SITE = `title: Probe\ndescription: Probe\nsite_url: https://probe.invalid/\nfeed_url: https://probe.invalid/f/\nlanguage: tr\ntimezone: Europe/Istanbul\n`;
const PROBE = `---\ntitle: "Probe & <b>"\ndate: 2020-06-19T18:00:00\nupdated: 2020-06-20\ntags: [Türkiye, ığdır]\nimage: {url: "https://probe.invalid/a.jpg", alt: Alt, caption: Cap, credit: Cr}\nrelated: [{title: R, url: "https://probe.invalid/r"}]\nsource: S\nauthors: [{name: Ayşe, email: a@probe.invalid}]\n---\n# H\n\n> q *e* **s** [l](/rel "t") ![i](i.png)\n\n1. a\n   - b\n\n<script>x</script><a href="javascript:y" onclick="z">k</a><iframe></iframe><table><tr><td>c</td></tr></table>\n\n\`\`\`js\ncode\n\`\`\`\n`;
const PROBE_FULL_SITE = `${PROBE_SITE}items_per_feed: 1\ncopyright: "© Probe"\nicon: https://probe.invalid/icon.png\nfavicon: https://probe.invalid/favicon.ico\nwebsub_hub: https://probe.invalid/hub\nauthors: [{name: Desk, url: "https://probe.invalid/desk"}]\nlabels: {read_more: "Devamı & <", source: "Kaynak: {source}", archive: "{title} (arşiv {page})", tag: "{title} – {tag}"}\n`;
// The first article is converted in the default labels, the second in the full site's.
const PROBE_MORE = [`---\ntitle: Second\ndate: 2020-06-18T10:00:00Z\nsummary: S\nlanguage: en\nsource: "{page} S"\nrelated: [{title: R, url: "https://probe.invalid/r"}]\n---\nBody *two*.\n`];

export function probeKey(): string {
  const site = parseSite(Buffer.from(PROBE_SITE)).site!;
  const r = parseArticle("articles/probe.md", Buffer.from(PROBE), site, { fastPath: false });
  if (r.article) renderBody(r.article, siteLabels(site));
  const fullSite = parseSite(Buffer.from(PROBE_FULL_SITE)).site!;
  const articles = [r.article, ...PROBE_MORE.map((text, i) => parseArticle(`articles/probe-${i}.md`, Buffer.from(text), fullSite).article)].filter(
    (a): a is Article => a !== undefined,
  );
  for (const a of articles) renderBody(a, siteLabels(fullSite));
  const documents = renderOutputs(buildModel(fullSite, articles, Date.UTC(2030, 0, 1))).map((o) => `${o.key} ${o.sha256} ${o.contentType} ${o.cacheControl}`);
  return md5(Buffer.from(JSON.stringify([r, documents])));
}

/** What counts as code under functions/ or beside a bundle (not editor swap files, notes, maps). */
const CODE_FILE = /^[^.#~][^/\\]*\.(?:ts|mts|js|mjs|cjs|json)$/;

/**
 * The files this process runs the build from: run from source, the code files under functions/
 * and package-lock.json (which pins every dependency); bundled (the CLI, the bench, a Lambda), the
 * bundle's script files beside this module. Undefined when they cannot be listed.
 */
export function codeFiles(moduleUrl = import.meta.url): string[] | undefined {
  try {
    const here = fileURLToPath(moduleUrl);
    if (here.endsWith(".ts")) {
      const functions = resolve(dirname(here), "..");
      const lock = resolve(functions, "..", "package-lock.json");
      if (!existsSync(lock)) return undefined;
      const sources = readdirSync(functions, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile() && CODE_FILE.test(d.name))
        .map((d) => join(d.parentPath ?? d.path, d.name));
      return [...sources, lock].sort();
    }
    const dir = dirname(here);
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile() && /\.(?:mjs|cjs|js)$/.test(d.name))
      .map((d) => join(dir, d.name))
      .sort();
  } catch {
    return undefined;
  }
}

/**
 * The code, for the cache's context: a change of a renderer, the Markdown options, the sanitiser
 * or the Article shape must invalidate every entry and every kept document (render/index.ts Reuse)
 * even without a version bump. It is the bytes of the files the build runs from (codeFiles, a few
 * milliseconds to read), with the runtime's Unicode and time-zone data (dates without a zone are
 * converted with it). Worked out when this module is loaded, so that it is the code this process
 * runs, not a later edit on disk. The probe it replaces cost ~100 ms of every build (cold code:
 * the sanitiser and every renderer, which an edit rebuild otherwise barely runs); it still
 * decides, when first asked, where the files cannot be listed or read.
 */
export function codeKey(): string {
  return (codeKeyMemo ??= codeKeyOf(undefined));
}

/** The key of these code files (undefined, or a file that cannot be read: the probe's), with this runtime's data. */
export function codeKeyOf(files: readonly string[] | undefined): string {
  return keyOf((files && filesHash(files)) ?? `probe ${probeKey()}`);
}

function filesHash(files: readonly string[]): string | undefined {
  try {
    const hash = createHash("md5");
    for (const f of files) hash.update(`${basename(f)}\u0000`).update(readFileSync(f)).update("\u0000");
    return `files ${hash.digest("hex")}`;
  } catch {
    return undefined;
  }
}

function keyOf(code: string): string {
  const runtime = `${process.versions.node} ${process.versions.icu} ${process.versions.tz} ${process.versions.unicode}`;
  return `${GENERATOR.version} ${md5(Buffer.from(`${runtime}\u0000${code}`))}`;
}

// The files' key when this module is loaded; the probe's only if they cannot be read then.
const filesAtLoad = codeFiles();
const hashAtLoad = filesAtLoad && filesHash(filesAtLoad);
let codeKeyMemo: string | undefined = hashAtLoad && keyOf(hashAtLoad);

/**
 * The base cache this process last read, by its payload's sha256. A warm process (the local
 * stack's rebuilds, a warm build Lambda) whose store gives back a cache that checks out with that
 * very checksum does not parse it again (~50 ms of a rebuild at 10,000 articles): the bytes are
 * still checked whole, as on a cold start. A stored cache is not held (its entries are made only
 * while encoded, so as not to hold them all at the build's peak): the build after a full store
 * parses it, and holds it for the rebuilds after, which store deltas beside it, unless the
 * process read it back once the build was over (holdStoredCache). The data is only read by
 * builds (entryResult copies what an Article gets), never changed.
 */
let held: { sum: string; data: CacheData } | undefined;

/**
 * Reads back and holds the cache a build stored whole, for a process that waits for the next
 * change between builds (the local stack): its next build then finds the cache held, as every
 * build after it does, instead of parsing it (at 10,000 articles its first edit took 285–303
 * instead of 305–383 ms; README "Build cache"). Called after the build, never during one, so
 * that build's peak is what it was; what is held is what the rebuilds after the first edit held
 * already (the warm process's peak measured 374–388 against 366–373 MiB). A cache that cannot be
 * read or does not check out is not held (the next build reads it again, and decides). Not for
 * the build Lambda: work after its handler returns does not run, and before it the invocation
 * would pay for it.
 */
export async function holdStoredCache(store: ObjectStore): Promise<boolean> {
  const bytes = (await store.get(CACHE_KEY).catch(() => undefined))?.body;
  const decoded = decodeCache(bytes, held);
  if (!decoded.ok) return false;
  held = { sum: decoded.sum, data: decoded.data };
  return true;
}

/**
 * Files saved (or removed) between their parse and the second read of their bodies: a build
 * from a folder lets go of the bytes of files it can read again (their bodies are read when
 * rendered), and an editor may save one in between. The build starts over (build.ts), reading
 * the content as it is then; nothing was published.
 */
export class ChangedDuringBuild extends Error {
  override readonly name = "ChangedDuringBuild";
  constructor(readonly files: readonly string[]) {
    super(`${files.join(", ")} changed or ${files.length === 1 ? "was" : "were"} removed while the build ran`);
  }
}

export async function loadThroughCache(source: ContentSource, store: ObjectStore, useCache = true, poolOptions?: PoolOptions, now = Date.now()): Promise<LoadedInput> {
  // The base cache and its delta (cache.ts CACHE_DELTA_KEY), read together.
  const [prevBytes, deltaBytes] = useCache
    ? await Promise.all([CACHE_KEY, CACHE_DELTA_KEY].map(async (key) => (await store.get(key).catch(() => undefined))?.body))
    : [];
  const decoded: DecodedCache & { held?: true } = useCache ? decodeCache(prevBytes, held) : { ok: false, reason: "disabled" };
  if (decoded.ok) held = { sum: decoded.sum, data: decoded.data };
  const base: CacheData | undefined = decoded.ok ? decoded.data : undefined;
  const delta = base ? decodeDelta(deltaBytes) : undefined;
  const deltaFits = delta?.ok === true && decoded.ok && delta.data.base === decoded.sum && delta.data.context === base!.context;
  // The previous build's entries and documents: the base's, with the delta's changes over them.
  const entries = base && entriesOf(base, deltaFits ? delta.data : undefined);
  const prevDocuments = base && ((deltaFits && delta.data.documents) || base.documents);
  const fingerprints = new Map<string, string | undefined>();
  const hashes = new Map<string, string>();
  const results = new Map<string, ArticleResult>();
  const unread = new Set<Article>();
  let site: Site | undefined;
  let siteFile: ContentFile | undefined;
  let usable = false;
  // The cache's context: this code and site.yaml's bytes (set when site.yaml is read).
  let context = cacheContext(codeKey(), undefined);
  let pool: ParsePool | undefined;
  let reused = 0;
  // Articles are taken over as the source reads them (ReadOptions.onFile): reused from the
  // cache or handed to the parse pool, so their bytes are never all in memory at once. The
  // sources read site.yaml first; an article met before it waits.
  const early: ContentFile[] = [];
  const article = (f: ContentFile) => {
    const hash = contentHash(f.bytes);
    fingerprints.set(f.path, f.fingerprint);
    hashes.set(f.path, hash);
    const e = usable ? entries!.get(f.path) : undefined;
    // Known bytes (a new change marker, e.g. after a checkout): reuse. An entry without HTML (an
    // item in no current document) is read again only if a document it is in must be rendered.
    if (e && e.sha256 === hash) {
      const r = entryResult(f.path, e, site!.site_url);
      results.set(f.path, r);
      if (r.article && r.article.contentHtml === undefined) unread.add(r.article);
      reused++;
    } else pool!.add(f.path, f.bytes);
  };
  const onFile = (f: ContentFile): boolean => {
    if (f.path === SITE_FILE) {
      siteFile = f;
      site = parseSite(f.bytes).site;
      context = cacheContext(codeKey(), f.bytes);
      usable = base !== undefined && site !== undefined && base.context === context;
      if (site) {
        // Without archives only the newest items' bodies are converted (~1,300 of 10,000 articles
        // in the bench's corpus): reading those again from a directory (renderBodies) costs less
        // than holding every file's bytes, memory touched for the first time (README
        // "Performance"). With archives every body is converted, and from a bucket each read
        // again is a request: bytes are kept up to the pool's limit.
        const keepNone = source.local === true && !site.archives;
        pool = new ParsePool(site, f.bytes, { ...poolOptions, keepBytes: poolOptions?.keepBytes ?? (keepNone ? 0 : undefined) });
        for (const e of early.splice(0)) article(e);
      }
      return false;
    }
    if (!isArticlePath(f.path) || (siteFile && !site)) return false;
    if (!site) early.push(f);
    else article(f);
    return true;
  };
  const first = await source.read({
    onFile,
    // An article is read straight into the parse pool's shared buffer (once site.yaml made the
    // pool). Each one onFile is given is either added to the pool or, when the cache knows its
    // bytes, let go: the room is then given out again.
    into: (path, size) => (pool && isArticlePath(path) ? pool.space(size) : undefined),
    ...(entries && { skip: (path: string, fp: string) => path !== SITE_FILE && isArticlePath(path) && entries.get(path)?.fingerprint === fp }),
  });
  // Without valid settings nothing is parsed here: loadContent reports every file's problems.
  let files = [...first.files, ...early.splice(0)];
  const issues = [...first.issues];
  const stats: CacheStats = {
    ...(deltaFits && { delta: Object.keys(delta.data.entries).length }),
    ...(decoded.held && { held: true }),
    state: usable ? "used" : decoded.ok ? "stale (site.yaml or code changed)" : decoded.reason,
    reused: 0,
    parsed: 0,
    unread: usable ? first.unchanged.length : 0,
  };
  if (!usable && first.unchanged.length) {
    const second = await source.read({ only: new Set(first.unchanged.map((u) => u.path)), onFile });
    files = [...files, ...second.files, ...early.splice(0)];
    issues.push(...second.issues);
  }
  if (usable) {
    for (const u of first.unchanged) {
      const e = entries!.get(u.path)!;
      const r = entryResult(u.path, e, site!.site_url);
      results.set(u.path, r);
      fingerprints.set(u.path, u.fingerprint);
      hashes.set(u.path, e.sha256);
      if (r.article && r.article.contentHtml === undefined) unread.add(r.article);
      reused++;
    }
  }
  stats.reused = reused;
  const settings = site;
  // The placeholder's without a valid site.yaml, as the articles are then parsed against it.
  const labels = siteLabels(settings ?? PLACEHOLDER_SITE);
  // On every core when there are many (parse-pool.ts).
  const parsed = await pool?.finish();
  for (const { path, result } of parsed?.results ?? []) results.set(path, result);
  // Bodies whose bytes were not kept are read again when rendered, like those the cache held.
  for (const a of parsed?.unkept ?? []) unread.add(a);
  stats.parsed = parsed?.results.length ?? 0;
  if (parsed?.workers) stats.workers = parsed.workers;
  const loaded = first.unreadable ? { articles: [], issues: [] } : settings ? loadContent(files.filter((f) => !isArticlePath(f.path)), results, now) : loadContent(files, undefined, now);
  issues.push(...loadIssuesBeside(issues, loaded.issues));
  if (usable) issues.push(...renamedWarnings(entries!, results, loaded.articles, site!.site_url));

  return {
    loaded,
    issues,
    cache: stats,
    async renderBodies(items) {
      const wanted = [...items];
      const out: ContentIssue[] = [];
      const reread = wanted.filter((a) => unread.has(a));
      if (reread.length && settings) {
        const again = await source.read({ only: new Set(reread.map((a) => a.file)) });
        out.push(...again.issues);
        const byPath = new Map(again.files.map((f) => [f.path, f]));
        // The bytes must be those the article was parsed from: its metadata is in the model.
        const bodies = new Map<Article, NonNullable<ReturnType<typeof bodyOf>>>();
        const changed = reread.filter((a) => {
          const f = byPath.get(a.file);
          const body = f && contentHash(f.bytes) === hashes.get(a.file) ? bodyOf(f.bytes) : undefined;
          if (body) bodies.set(a, body);
          return !body;
        });
        if (changed.length) throw new ChangedDuringBuild(changed.map((a) => a.file));
        for (const [a, body] of bodies) {
          a.markdown = body.markdown;
          a.bodyLine = body.bodyLine;
          unread.delete(a);
        }
      }
      const ready = wanted.filter((x) => !unread.has(x));
      if (parsed) out.push(...(await parsed.renderBodies(ready)));
      else for (const a of ready) out.push(...renderBody(a, labels));
      // A body's warnings (raw HTML removed) go with its parse result, so that the cache keeps
      // them and later builds, which reuse the HTML instead of converting the body, report them
      // like the front matter's (build.ts leaves out a repeat of one already reported).
      for (const w of out) {
        const r = w.severity === "warning" ? results.get(w.file) : undefined;
        if (r && !r.issues.some((i) => formatIssue(i) === formatIssue(w))) r.issues.push(w);
      }
      return out;
    },
    close: async () => parsed?.close(),
    reuse(state) {
      // Inputs are worked out whenever the cache is in use, so that the next build can keep
      // what this one renders; earlier renderings count only from a usable cache.
      if (!useCache || !settings) return undefined;
      const documents = (usable && prevDocuments) || {};
      return {
        context,
        // The file's path too: a renamed file keeps its bytes but not its slug, URL or id.
        itemKey: (a) => {
          const h = hashes.get(a.file);
          return h === undefined ? undefined : `${a.file}\u0000${h}`;
        },
        previous(key, input) {
          const d = documents[key];
          const m = state.previous?.outputs[key];
          // The same input gave these bytes, and the store holds them: keep them.
          if (!d || d.input !== input || !m || m.sha256 !== d.sha256 || !holdsAsRecorded(state, key)) return undefined;
          return { bytes: m.bytes, sha256: m.sha256, contentType: m.content_type, cacheControl: m.cache_control };
        },
      };
    },
    async save(target, published, outputs, keepHtml = () => true) {
      if (!useCache || !settings) return false;
      const documents: NonNullable<CacheData["documents"]> = {};
      for (const o of outputs) if (o.input) documents[o.key] = { input: o.input, sha256: o.sha256 };
      const keys: string[] = [];
      for (const [path, r] of results) if (r.article !== undefined && published(r.article)) keys.push(path);
      // What each entry will tell (cache.ts sameEntry), without making it: entries are made only
      // as they are encoded (cache.ts cacheChunks), so they are never all in memory.
      const html = (a: Article) => (keepHtml(a) ? a.contentHtml : undefined);
      const marker = (path: string) => ({ sha256: hashes.get(path)!, fingerprint: fingerprints.get(path), html: html(results.get(path)!.article!) });
      const entryAt = (path: string) => toEntry(fingerprints.get(path), hashes.get(path)!, results.get(path)!, keepHtml(results.get(path)!.article!), settings.site_url);
      const same =
        usable && entries!.size === keys.length && JSON.stringify(prevDocuments) === JSON.stringify(documents) && keys.every((p) => sameEntry(entries!.get(p), marker(p)));
      if (same) return (stats.saved = false);
      // Compressed only where it travels (cache.ts CACHE_KEY).
      const compress = !target.local;
      const meta = { contentType: compress ? "application/gzip" : "application/octet-stream", cacheControl: "no-store" };
      // Little changed since the base: store only that (a delta of every change since the base).
      if (usable && decoded.ok) { // usable: the base was read and is of this context
        const changes: CacheDelta["entries"] = {};
        for (const path of keys) if (!sameEntry(base!.entries[path], marker(path))) changes[path] = entryAt(path);
        const now = new Set(keys);
        for (const path of Object.keys(base!.entries)) if (!now.has(path)) changes[path] = null;
        if (Object.keys(changes).length <= Math.max(DELTA_MIN, DELTA_SHARE * keys.length)) {
          await target.put(CACHE_DELTA_KEY, encodeCache({ format: CACHE_FORMAT, context, base: decoded.sum, entries: changes, documents }, compress), meta);
          stats.savedAs = "delta";
          return (stats.saved = true);
        }
      }
      // Written as it is encoded where the store can (a directory): never whole in memory.
      const file = cacheChunks({ format: CACHE_FORMAT, context, documents }, keys, entryAt);
      if (target.putChunks && !compress) await target.putChunks(CACHE_KEY, file.chunks, meta);
      else await target.put(CACHE_KEY, joinCache(file, compress), meta);
      // An old delta no longer matches the new base (it would be ignored); remove it all the same.
      if (deltaBytes) await target.delete([CACHE_DELTA_KEY]).catch(() => undefined);
      stats.savedAs = "full";
      return (stats.saved = true);
    },
  };
}

/**
 * A new file whose article has the title of one the last build had and this one has not: most
 * likely that file renamed, and an id derived from the file name changes with it, so readers
 * see a new item (and the old one gone: README "Ids"). Told, with the id to write to keep it.
 * Only from a usable cache (the last build's own view); nothing is read for it.
 */
function renamedWarnings(entries: Entries, current: ReadonlyMap<string, unknown>, articles: readonly Article[], siteUrl: string): ContentIssue[] {
  // Nothing new, or nothing gone (every entry's file still read): no rename, and no entry looked at.
  const added = articles.filter((a) => !entries.get(a.file));
  let kept = 0;
  for (const path of current.keys()) if (entries.get(path)) kept++;
  if (!added.length || kept === entries.size) return [];
  const gone = new Map<string, Article>();
  for (const path of entries.paths()) {
    const e = entries.get(path)!;
    if (current.has(path) || !e.article || !isArticlePath(path)) continue;
    const a = entryResult(path, e, siteUrl).article;
    if (a) gone.set(a.title, a);
  }
  const told: ContentIssue[] = [];
  for (const a of added) {
    const before = gone.get(a.title);
    if (!before || before.id === a.id) continue;
    told.push({
      file: a.file,
      field: "id",
      severity: "warning",
      message: `has the title of ${before.file}, which is gone: if this is that article renamed, readers see it as a new item, since its id changed from ${before.id} to ${a.id}; to keep the old one, write id: ${before.id} in its front matter`,
    });
  }
  return told;
}
