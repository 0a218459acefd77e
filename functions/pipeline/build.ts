/**
 * build = load → validate → model → render bodies → render documents → check → publish.
 * Nothing is written unless every step before publishing succeeded.
 */
import type { ContentSource } from "../adapters/content-dir.ts";
import { PRIVATE_JSON, type ObjectStore, type RequestStats } from "../adapters/store.ts";
import { loadContent, loadIssuesBeside, hasErrors, isArticlePath, isSourcePath, PLACEHOLDER_SITE } from "../core/content.ts";
import { ContentError, formatIssue, PublishError, type ContentIssue } from "../core/errors.ts";
import { buildModel } from "../core/model.ts";
import { archivePagesOf, oversizedDocument, planDocuments, type FeedDocumentSpec } from "../core/documents.ts";
import { renderOutputs, reusable, specKeys, wasRendered, type Output, type PublishedOutput } from "../core/render/index.ts";
import { buildManifest, MANIFEST_KEY } from "../core/manifest.ts";
import { checkBody, frontMatterKeyLine, renderBody, type Article } from "../core/article.ts";
import { rfc3339 } from "../core/dates.ts";
import { siteLabels } from "../core/labels.ts";
import { alreadyPublished, OWNED_KEY, publish, readPublished, type PublishedState } from "./publish.ts";
import { ChangedDuringBuild, loadThroughCache, type CacheStats, type LoadedInput } from "./cached-load.ts";
import { ARCHIVE_PAGES_KEY, encodeArchivePages, readArchivePages } from "./archive-pages.ts";
import { withLease, type Lease, type LeaseOptions } from "./lease.ts";

export interface ValidateResult {
  ok: boolean;
  files: number;
  articles: number;
  issues: ContentIssue[];
}

/** Every problem in every file, bodies included (also of drafts, scheduled articles and files whose front matter failed). */
export async function validate(source: ContentSource): Promise<ValidateResult> {
  const { files, issues: readIssues, unreadable } = await source.read();
  if (unreadable) return { ok: false, files: 0, articles: 0, issues: readIssues };
  const loaded = loadContent(files);
  const issues = [...readIssues, ...loadIssuesBeside(readIssues, loaded.issues)];
  const labels = siteLabels(loaded.site ?? PLACEHOLDER_SITE);
  for (const a of loaded.articles) issues.push(...renderBody(a, labels));
  const parsed = new Set(loaded.articles.map((a) => a.file));
  for (const f of files) {
    if (!isArticlePath(f.path) || parsed.has(f.path)) continue;
    issues.push(...checkBody(f.path, f.bytes, loaded.site?.site_url ?? PLACEHOLDER_SITE.site_url));
  }
  sortIssues(issues);
  return { ok: !hasErrors(issues), files: files.length, articles: loaded.articles.length, issues };
}

export function sortIssues(issues: ContentIssue[]): void {
  issues.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
}

export interface BuildOptions {
  source: ContentSource;
  store: ObjectStore;
  /** The clock, as a parameter: what counts as published (future-dated items wait). */
  now: number;
  concurrency?: number;
  onPhase?: (phase: string) => void;
  /**
   * When (Date.now() ms) the build must have begun publishing: past it, the build stops at its
   * next phase before publishing, with a BuildDeadlineError, writing nothing (the build Lambda:
   * its invocation's time limit, less what publishing and recording the outcome need).
   */
  deadline?: number;
  /**
   * Once aborted, the build stops at its next phase before publishing, with a BuildStoppedError,
   * writing nothing (the local stack stopping); a publish begun is finished.
   */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Use and update the build cache (default true); false rebuilds everything from the sources. */
  cache?: boolean;
  /** Worker threads for parsing and Markdown (parse-pool.ts); default: SYNDICATE_WORKERS (at most cores − 1), else none. */
  workers?: number;
  /** Fewest files to parse for workers to be used (default parse-pool.ts PARALLEL_MIN). */
  parallelMin?: number;
  /** Most bytes of files kept for converting bodies later (default parse-pool.ts KEEP_BYTES). */
  keepBytes?: number;
  /** false: the workers parse every file, however slowly they start (parse-pool.ts; tests: they must take part). */
  mainThread?: boolean;
  /** Most items of archive pages whose HTML is held at once (default ARCHIVE_GROUP_ITEMS). */
  archiveGroupItems?: number;
  /** The build lease's timings (lease.ts); the defaults suit CLI, serve and Lambda. */
  lease?: LeaseOptions;
  /**
   * Publish even when the content has no article at all while the store's feeds hold items
   * (`build --allow-empty`). Without it that build is refused (emptyContentIssue): an unmounted
   * volume, a checkout gone wrong or a wrong content prefix would empty every feed.
   */
  allowEmpty?: boolean;
}

export interface BuildReport {
  /** What the build cache saved this build (cached-load.ts). */
  cache: CacheStats;
  build_id: string;
  items: number;
  drafts: number;
  scheduled: number;
  next_publication: string | null;
  /** rendered: documents rendered (and checked) this build; the others were kept as an earlier build made them. */
  documents: { total: number; rendered: number; written: number; unchanged: number; deleted: number };
  written: string[];
  deleted: string[];
  warnings: ContentIssue[];
  duration_ms: number;
  /** Requests this build sent to the store, where it counts them (S3). */
  requests?: RequestStats;
}

/** A build that ran past its deadline (BuildOptions.deadline) before publishing: nothing was written. */
export class BuildDeadlineError extends Error {
  override readonly name = "BuildDeadlineError";
}

/** A build stopped on purpose before publishing (BuildOptions.signal: serve stopping): nothing was written. */
export class BuildStoppedError extends Error {
  override readonly name = "BuildStoppedError";
}

/** Announces a phase up to publishing, first stopping the build if it was asked to stop or is past its deadline. */
function phase(options: BuildOptions, name: string): void {
  if (options.signal?.aborted) throw new BuildStoppedError(`stopped before ${name}: nothing of this build was published`);
  if (options.deadline !== undefined && Date.now() > options.deadline) {
    throw new BuildDeadlineError(`ran out of time before ${name}: the time limit was near, so nothing was published; a retry starts afresh`);
  }
  options.onPhase?.(name);
}

/**
 * One build at a time per store (lease.ts), held from reading the content to the last write:
 * two builds never interleave their writes, and a build that had to wait reads the content as
 * it is when it starts, so an older build can never publish over a newer one.
 */
export async function build(options: BuildOptions): Promise<BuildReport> {
  const started = performance.now();
  return withLease(options.store, (lease) => buildHolding(options, lease, started), options.lease);
}

/** Times a build reads the content when files change under it (ChangedDuringBuild) before it gives up. */
export const READS_WHILE_CHANGING = 3;

async function buildHolding(options: BuildOptions, lease: Lease, started: number): Promise<BuildReport> {
  const statsBefore = options.store.stats && { ...options.store.stats };
  const restarted = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    phase(options, "reading content");
    const input = await loadThroughCache(options.source, options.store, options.cache !== false, { workers: options.workers, parallelMin: options.parallelMin, keepBytes: options.keepBytes, mainThread: options.mainThread }, options.now);
    try {
      const report = await buildFrom(input, options, lease, started, statsBefore);
      for (const file of restarted) report.warnings.push({ file, field: "file", severity: "warning", message: "changed while the build ran: the content was read again" });
      return report;
    } catch (err) {
      if (!(err instanceof ChangedDuringBuild)) throw err;
      // Saved again each time (an editor saving every few seconds on a large site): told, as before.
      if (attempt >= READS_WHILE_CHANGING) {
        throw new ContentError(err.files.map((file) => ({ file, field: "file", severity: "error", message: `changed or was removed while the build ran, ${attempt} times in a row: build again` })));
      }
      for (const file of err.files) restarted.add(file);
    } finally {
      await input.close();
    }
  }
}

async function buildFrom(input: LoadedInput, options: BuildOptions, lease: Lease, started: number, statsBefore: RequestStats | undefined): Promise<BuildReport> {
  phase(options, "validating");
  const { loaded } = input;
  const issues = [...input.issues];
  if (hasErrors(issues) || !loaded.site) {
    sortIssues(issues);
    throw new ContentError(issues);
  }
  const model = buildModel(loaded.site, loaded.articles, options.now);
  // A modification in the future would be the feed's own `updated`/`lastBuildDate` (RFC 4287
  // §4.2.15: "the most recent instant" it changed), and a real correction made before that time
  // would then look older than the feed: told, as a warning.
  const future = model.items.filter((a) => a.modified > options.now);
  for (const a of future) issues.push({ file: a.file, field: "updated", severity: "warning", message: `is later than the time of this build (${rfc3339(options.now)}): readers would see the article, and the feed, modified in the future; write the time the correction was made` });
  await clockWarningLines(options.source, issues);
  // What the store holds now: documents an earlier build rendered from the same input are kept
  // as they are, neither rendered nor checked again (render/index.ts Reuse), and the bodies of
  // items that appear only in those are not converted. And the full archive pages it published,
  // which keep their items (documents.ts planDocuments).
  const [state, archived] = await Promise.all([readPublished(options.store), model.site.archives ? readArchivePages(options.store) : undefined]);
  const specs = planDocuments(model, archived?.pages);
  const archivedNow = archived && encodeArchivePages(archivePagesOf(specs, model.site, archived.pages));
  // Content where the feeds would go (a content bucket given as the feeds bucket): the build would
  // publish beside the sources, and a CDN serving it would serve them, drafts included.
  const sources = [...state.existing].filter(isSourcePath);
  if (sources.length) {
    throw new PublishError(`${options.store.description} holds content (${sources.slice(0, 3).join(", ")}${sources.length > 3 ? ", …" : ""}): it is where content is kept, not where feeds are published; publish to the feeds bucket or folder (or remove those files from it)`);
  }
  const empty = options.allowEmpty ? undefined : emptyContentIssue(loaded.articles.length, publishedItems(state));
  if (empty) throw new ContentError([empty]);
  const reuse = input.reuse(state);
  const toRender = (spec: FeedDocumentSpec) => specKeys(spec).some((key) => !reusable(reuse, key, spec).before);
  // HTML is kept for the items of current documents (main and tag feeds), which any new or edited
  // article renders again; an item only in archive pages (which seldom change) is converted again
  // if its page ever is. With archives on at 50,000 articles, keeping every item's HTML made the
  // cache ~250 MB larger, to be parsed by every later build.
  const published = new Set(model.items);
  const currentSpecs = specs.filter((s) => s.kind !== "archive");
  const current = new Set(currentSpecs.flatMap((s) => s.items));
  // Only the bodies the store does not hold already are kept until publishing (renderOutputs `held`).
  const held = (o: Output) => !alreadyPublished(state, o);
  // The current documents first, their bodies converted once (each in one or more of them); then
  // the archive pages a group at a time, each group's HTML let go once its pages are rendered:
  // an item is in one archive page only, and a full build with archives on would otherwise hold
  // every body's HTML at once (~480 MB at 50,000 articles). Every body is converted even after
  // one fails, so that every problem is reported in one run; nothing is rendered after a failure.
  const outputs: PublishedOutput[] = [];
  const groups = [currentSpecs, ...archiveGroups(specs.filter((s) => s.kind === "archive"), options.archiveGroupItems ?? ARCHIVE_GROUP_ITEMS)];
  // The warnings told so far, made once (not once per archive group): a body's warning may have
  // come from the cache already (cached-load.ts renderBodies), and is told once.
  let told: Set<string> | undefined;
  for (const [n, group] of groups.entries()) {
    phase(options, "converting Markdown");
    const bodies = new Set<Article>();
    for (const spec of group) if (toRender(spec)) for (const item of spec.items) bodies.add(item);
    // Drafts and scheduled articles are converted too (they are few, and parsed again every
    // build), so that a body which cannot be published fails the build now, as `validate`
    // reports it, not the first build after its publication time (or after `draft: false`),
    // when nobody is watching. Their HTML is let go below, with the archive-only items'.
    if (n === 0) for (const a of loaded.articles) if (!published.has(a)) bodies.add(a);
    for (const i of await input.renderBodies(bodies)) {
      if (i.severity === "warning") {
        told ??= new Set(issues.filter((w) => w.severity === "warning").map(formatIssue));
        const key = formatIssue(i);
        if (told.has(key)) continue;
        told.add(key);
      }
      issues.push(i);
    }
    for (const spec of group) {
      const issue = toRender(spec) ? oversizedDocument(spec, model.site.items_per_feed, loaded.siteLines?.items_per_feed) : undefined;
      if (issue) issues.push(issue);
    }
    if (n === groups.length - 1) await input.close(); // every body converted: the files' kept bytes and any workers can go
    if (hasErrors(issues)) continue;
    phase(options, "rendering");
    outputs.push(...renderOutputs(model, group, reuse, held));
    for (const item of bodies) if (!current.has(item)) item.contentHtml = undefined;
  }
  if (hasErrors(issues)) {
    sortIssues(issues);
    throw new ContentError(issues);
  }
  const manifest = buildManifest(outputs, model.items.length, model.nextPublication);
  phase(options, "publishing");
  const result = await publish(options.store, outputs, manifest, { concurrency: options.concurrency, onProgress: options.onProgress, beforeCommit: lease.assertHeld, state });
  // The full archive pages, for the next build (archive-pages.ts), once they are published. Not
  // an output; a failed write only loses that: the next build writes it again (it differs).
  if (archivedNow && !archived.bytes?.equals(archivedNow)) {
    try {
      // Not over a newer build's record, should this build's lease have lapsed.
      lease.assertHeld();
      await options.store.put(ARCHIVE_PAGES_KEY, archivedNow, PRIVATE_JSON);
    } catch {
      // Published all the same; the next build writes the record (it will differ).
    }
  }
  // The cache is an optimisation, stored only after a successful publish (a failed build leaves
  // the output exactly as it was); failing to store it never fails a published build. It is not
  // an output: manifest.json stays the last output written.
  options.onPhase?.("storing the cache");
  let saveError: string | undefined;
  const cacheSaved = await input.save(options.store, (a) => published.has(a), outputs, (a) => current.has(a)).catch((err: unknown) => {
    saveError = (err as Error).message;
    return false;
  });
  return {
    cache: { ...input.cache, saved: cacheSaved, ...(saveError && { saveError }) },
    build_id: manifest.build_id,
    items: model.items.length,
    drafts: model.drafts,
    scheduled: model.scheduled,
    next_publication: model.nextPublication === undefined ? null : rfc3339(model.nextPublication),
    documents: { total: outputs.length + 1, rendered: outputs.filter(wasRendered).length, written: result.written.length, unchanged: outputs.length + 1 - result.written.length, deleted: result.deleted.length },
    written: result.written,
    deleted: result.deleted,
    warnings: issues.filter((i) => i.severity === "warning"),
    duration_ms: Math.round(performance.now() - started),
    ...(statsBefore && { requests: requestsSince(statsBefore, options.store.stats!) }),
  };
}

/**
 * How many items the published feeds hold, by the last manifest; when it cannot be read (cut,
 * damaged, of another version), "some" if the store holds feed documents at all ("no manifest"
 * when there is none): the guard below must not fall silent because the manifest did.
 */
function publishedItems(state: PublishedState): number | "some" | "no manifest" {
  if (state.previous) return state.previous.items;
  for (const key of state.existing) if (OWNED_KEY.test(key)) return state.existing.has(MANIFEST_KEY) ? "some" : "no manifest";
  return 0;
}

/**
 * The content has no article while the published feeds hold items: refused, naming the way to
 * do it on purpose. (An article that failed to parse has stopped the build before this; a hidden
 * `._x.md` an unmounted volume leaves behind is no article.)
 */
function emptyContentIssue(articles: number, published: number | "some" | "no manifest"): ContentIssue | undefined {
  if (articles > 0 || published === 0) return undefined;
  const held =
    published === "some" ? "the store holds published feeds (its manifest could not be read)"
    : published === "no manifest" ? "the store holds feed documents (and no manifest)"
    : `the published feeds hold ${published} item${published === 1 ? "" : "s"}`;
  return {
    file: "articles/",
    field: "file",
    severity: "error",
    message: `no articles, while ${held}: this build would empty them (a content folder not mounted, a checkout gone wrong, a wrong content prefix?). To empty the feeds on purpose, run syndicate build --allow-empty`,
  };
}

/** The fields of the warnings that depend on the build's clock (a date far ahead, an `updated` in the future). */
const CLOCK_FIELDS = new Set(["date", "updated"]);

/**
 * The lines of the warnings checked against the clock, where they have none: an article the
 * build cache gave back was not read, and a clock-dependent warning cannot be cached with it.
 * Those files are read again (few: a line looked up for every article would cost each build);
 * one that cannot be read now keeps its warning without a line.
 */
async function clockWarningLines(source: ContentSource, issues: ContentIssue[]): Promise<void> {
  const lineless = (i: ContentIssue) => i.line === undefined && CLOCK_FIELDS.has(i.field) && isArticlePath(i.file);
  const files = new Set(issues.filter(lineless).map((i) => i.file));
  if (!files.size) return;
  const read = await source.read({ only: files }).catch(() => undefined);
  const bytes = new Map(read?.files.map((f) => [f.path, f.bytes]));
  // Replaced, not changed: an issue may be the one a cached parse result holds.
  issues.forEach((issue, n) => {
    const b = lineless(issue) ? bytes.get(issue.file) : undefined;
    if (b) issues[n] = { ...issue, line: frontMatterKeyLine(b, issue.field) };
  });
}

function requestsSince(before: RequestStats, now: RequestStats): RequestStats {
  return { get: now.get - before.get, head: now.head - before.head, list: now.list - before.list, put: now.put - before.put, delete: now.delete - before.delete };
}

/**
 * Archive pages in groups of at most ARCHIVE_GROUP_ITEMS items, in order: the HTML converted for a
 * group is let go once its pages are rendered. Large enough that the bodies to read again (those
 * whose bytes were not kept: parse-pool.ts KEEP_BYTES) are read in few batches.
 */
export const ARCHIVE_GROUP_ITEMS = 2_000;

function archiveGroups(archives: FeedDocumentSpec[], most: number): FeedDocumentSpec[][] {
  const groups: FeedDocumentSpec[][] = [];
  let items = Infinity;
  for (const spec of archives) {
    if (items + spec.items.length > most) {
      groups.push([]);
      items = 0;
    }
    groups[groups.length - 1]!.push(spec);
    items += spec.items.length;
  }
  return groups;
}
