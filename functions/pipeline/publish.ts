/**
 * Publishing: write only the objects whose bytes changed since the last manifest, then the
 * manifest, then delete what the new manifest no longer lists. Nothing is deleted before the
 * new manifest is in place, so a failure at any point leaves every served object a complete
 * document of the old or the new build, and the next build converges.
 *
 * Archive pages are written before the documents that link them (a main feed's prev-archive
 * never points at a page not yet there). And before the first object is changed, a journal
 * (JOURNAL_KEY) names every key the publish may change; it is removed once the manifest is in
 * place and the outdated objects are gone. A build that finds it (a publish that failed or was
 * killed midway) trusts neither the old manifest nor the build cache for those keys: their
 * bytes may be a newer build's, so they are written again, even when this build's content is
 * what the old manifest describes (a bad edit that failed to publish, then reverted).
 */
import { MANIFEST_KEY, manifestOutput, parseManifest, STORAGE_VERSION, type Manifest } from "../core/manifest.ts";
import { CACHE, type Output, type PublishedOutput } from "../core/render/index.ts";
import { IncompleteReadError, mapLimit, PRIVATE_JSON, type ObjectMeta, type ObjectStore } from "../adapters/store.ts";
import { PublishError } from "../core/errors.ts";

/** The publish journal (see above): `{"keys": [...]}`, in the store's private folder. */
export const JOURNAL_KEY = ".syndicate/publishing.json";

/**
 * A document of an archive page: a full one (`archive/3/feed.xml`) or the filling one, whose key
 * names its item count (`archive/3-2/feed.xml`).
 */
const ARCHIVE_PAGE = /^archive\/[1-9]\d*(?:-[1-9]\d*)?\//;

/**
 * How long an archive page no longer published is kept after the last manifest was written: the main
 * feeds that link it are cached for CACHE.current's max-age (5 minutes) by the CDN, and a reader
 * may hold a copy it got from the CDN at the end of those for as long again.
 */
export const SUPERSEDED_KEPT_MS = 2 * Number(/max-age=(\d+)/.exec(CACHE.current)![1]) * 1000;

/** Keys of the documents this tool writes: no other key is ever deleted from a store (see wroteEarlier). */
export const OWNED_KEY = /^(?:(?:tags\/[a-z0-9-]+|archive\/[1-9]\d*(?:-[1-9]\d*)?)\/)?(?:feed\.xml|atom\.xml|feed\.json|latest\.json)$/;

export interface PublishResult {
  written: string[];
  unchanged: number;
  deleted: string[];
}

export interface PublishOptions {
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Called before the manifest is written and before deleting; throws to stop there (a lapsed build lease). */
  beforeCommit?: () => void;
}

/**
 * A store that can put a batch all-or-nothing, in order (a directory can: see
 * DirectoryStore.putAll). S3 cannot, so it gets the one-by-one path with the manifest last.
 */
interface BatchStore extends ObjectStore {
  putAll(objects: { key: string; body: Buffer; meta: ObjectMeta }[], options: PublishOptions): Promise<void>;
}

const isBatchStore = (store: ObjectStore): store is BatchStore => typeof (store as Partial<BatchStore>).putAll === "function";

/** What the store holds before a build publishes: its manifest (if readable) and every key. */
export interface PublishedState {
  previous?: Manifest;
  existing: Set<string>;
  /** When the last manifest was written (S3's Last-Modified, the file's mtime), where the store tells it. */
  previousWrittenAt?: number;
  /** Each key's size, where the store's listing tells it (S3): an object cut or damaged since is written again. */
  sizes?: Map<string, number>;
  /** Keys an interrupted publish may have changed (its journal), or "all" when the journal cannot be read. */
  untrusted?: ReadonlySet<string> | "all";
}

/** Whether the store holds `key` with the bytes the last manifest records for it, stored as this version stores objects (as far as can be known). */
export function holdsAsRecorded(state: PublishedState, key: string): boolean {
  const size = state.sizes?.get(key);
  return (
    state.existing.has(key) && state.untrusted !== "all" && !state.untrusted?.has(key) && state.previous?.storage === STORAGE_VERSION &&
    (size === undefined || size === state.previous.outputs[key]?.bytes)
  );
}

/** The journal's keys; undefined when it cannot be read or does not parse. */
function journalKeys(bytes: Uint8Array | undefined): Set<string> | undefined {
  try {
    const j = JSON.parse(Buffer.from(bytes ?? []).toString("utf8")) as { keys?: unknown };
    return Array.isArray(j.keys) && j.keys.every((k) => typeof k === "string") ? new Set(j.keys as string[]) : undefined;
  } catch {
    return undefined;
  }
}

export async function readPublished(store: ObjectStore): Promise<PublishedState> {
  let previous: Manifest | undefined;
  let existing: Set<string>;
  let sizes: Map<string, number> | undefined;
  let previousWrittenAt: number | undefined;
  try {
    // Two independent reads: over S3, one round trip instead of two. Both settle before a
    // failure is reported, so nothing of a failed build is still retrying behind it.
    const listing = store.listEntries ? store.listEntries().then((entries) => (sizes = new Map(entries.map((e) => [e.key, e.size]))).keys()) : store.list();
    const [manifestRead, listRead] = await Promise.allSettled([store.get(MANIFEST_KEY), listing]);
    // A manifest whose bytes keep arriving cut counts as absent, like one that does not parse:
    // every output is then rewritten. Deleting never goes by it: only by the full listing.
    if (manifestRead.status === "rejected" && !(manifestRead.reason instanceof IncompleteReadError)) throw manifestRead.reason;
    if (listRead.status === "rejected") throw listRead.reason;
    previous = manifestRead.status === "fulfilled" ? parseManifest(manifestRead.value?.body) : undefined;
    previousWrittenAt = previous && manifestRead.status === "fulfilled" ? manifestRead.value?.lastModified?.getTime() : undefined;
    existing = new Set(listRead.value);
  } catch (err) {
    throw new PublishError(`could not read ${store.description}: ${(err as Error).message}`, { cause: err });
  }
  // Read only when the listing has it: a publish that ended normally left none (no extra request).
  if (!existing.has(JOURNAL_KEY)) return { previous, previousWrittenAt, existing, sizes };
  let journal: Set<string> | undefined;
  try {
    const read = await store.get(JOURNAL_KEY);
    // Listed, then gone before it was read: the publish it was for has ended since.
    if (!read) return { previous, previousWrittenAt, existing, sizes };
    journal = journalKeys(read.body);
  } catch (err) {
    // A read that failed says nothing of the journal: the build stops (a retry reads it), rather
    // than guess. Bytes that keep arriving cut are a journal that cannot be read (below).
    if (!(err instanceof IncompleteReadError)) throw new PublishError(`could not read the publish journal ${JOURNAL_KEY} in ${store.description}: ${(err as Error).message}`, { cause: err });
  }
  return { previous, previousWrittenAt, existing, sizes, untrusted: journal ?? "all" };
}

/**
 * Whether an earlier build of this tool may have written `key`, so that a build may delete it
 * once no output has it: the last manifest lists it, or an interrupted publish's journal names
 * it, or it is an archive page a build kept for readers (stillLinked below: no manifest lists
 * it then). A key the store held before any build (a first build into a
 * folder or bucket that holds files of another tool, named as ours are) is left alone. Only a
 * manifest that is there but cannot be read makes every document-named key one of ours.
 */
function wroteEarlier(state: PublishedState, key: string): boolean {
  // A journal that cannot be read makes every object's bytes unsure (all written again), not
  // every key one of ours: what the interrupted publish added beside the manifest may stay.
  if (state.untrusted !== "all" && state.untrusted?.has(key)) return true;
  return state.previous ? state.previous.outputs[key] !== undefined || ARCHIVE_PAGE.test(key) : state.existing.has(MANIFEST_KEY);
}

/** Whether the store already holds exactly this object, by the last manifest and the listing. */
export function alreadyPublished(state: PublishedState, o: { key: string; sha256: string; contentType: string; cacheControl: string }): boolean {
  const before = state.previous?.outputs[o.key];
  return holdsAsRecorded(state, o.key) && before !== undefined && before.sha256 === o.sha256 && before.content_type === o.contentType && before.cache_control === o.cacheControl;
}

/**
 * `state`: what readPublished found, when the build read it before rendering (to reuse
 * documents); read here otherwise. A reused output (no body) must be one the store holds.
 */
export async function publish(store: ObjectStore, outputs: PublishedOutput[], manifest: Manifest, options: PublishOptions & { state?: PublishedState } = {}): Promise<PublishResult> {
  const concurrency = options.concurrency ?? 8;
  const state = options.state ?? (await readPublished(store));
  const { previous, existing } = state;
  const changed = outputs.filter((o) => !alreadyPublished(state, o)).map((o): Output => {
    if (!o.body) throw new PublishError(`${o.key} was to be kept as published, but ${store.description} no longer holds it: build again`);
    return o;
  });
  // Archive pages first: the documents written after them link them.
  changed.sort((a, b) => Number(!a.key.startsWith("archive/")) - Number(!b.key.startsWith("archive/")));
  const archivePages = changed.filter((o) => o.key.startsWith("archive/")).length;
  const m = manifestOutput(manifest);
  const oldManifestSame = previous && existing.has(MANIFEST_KEY) && JSON.stringify(previous) === JSON.stringify(manifest);
  const batch = [...changed, ...(oldManifestSame ? [] : [m])].map((o) => ({ key: o.key, body: o.body, meta: { contentType: o.contentType, cacheControl: o.cacheControl } }));
  const keep = new Set(outputs.map((o) => o.key));
  // An archive page no longer published (the filling page a new item superseded: its key names
  // its count; the newest full pages once their items are all gone; every page with archives
  // turned off) stays while the main feeds readers may hold still link it: the build that
  // supersedes it, and any build while the last manifest is younger than SUPERSEDED_KEPT_MS (a
  // page is superseded at the latest when that manifest was written). A later build deletes it.
  const manifestRecent = state.previousWrittenAt !== undefined && Date.now() - state.previousWrittenAt < SUPERSEDED_KEPT_MS;
  const stillLinked = (k: string) => ARCHIVE_PAGE.test(k) && (previous?.outputs[k] !== undefined || manifestRecent);
  const stale = [...existing].filter((k) => !keep.has(k) && OWNED_KEY.test(k) && wroteEarlier(state, k) && !stillLinked(k)).sort();
  // The journal: what this publish may change (writes and deletions: a key to delete that a
  // failure leaves behind is then still known as one of ours, though the new manifest no longer
  // lists it), with what an earlier one left unsure.
  const journaled = changed.length > 0 || stale.length > 0 || state.untrusted !== undefined;
  if (journaled) {
    // Not every key when the journal could not be read: that would make every key, another
    // tool's too, one this tool wrote, should this publish fail (wroteEarlier).
    const keys = new Set([...changed.map((o) => o.key), ...stale, ...(state.untrusted === "all" ? [] : (state.untrusted ?? []))]);
    keys.delete(JOURNAL_KEY);
    options.beforeCommit?.();
    try {
      await store.put(JOURNAL_KEY, Buffer.from(`${JSON.stringify({ keys: [...keys].sort() })}\n`, "utf8"), PRIVATE_JSON);
    } catch (err) {
      throw new PublishError(`publishing to ${store.description} failed before anything was changed there: ${(err as Error).message}`, { cause: err });
    }
  }
  if (isBatchStore(store)) {
    options.beforeCommit?.();
    try {
      await store.putAll(batch, { concurrency, onProgress: options.onProgress });
    } catch (err) {
      // putAll put everything back as it was: so is the journal (unless an earlier one was kept).
      if (journaled && state.untrusted === undefined) await store.delete([JOURNAL_KEY]).catch(() => undefined);
      throw new PublishError(`publishing to ${store.description} failed; nothing was changed there: ${(err as Error).message}`, { cause: err });
    }
  } else {
    let done = 0;
    const put = async (o: (typeof batch)[number]) => {
      await store.put(o.key, o.body, o.meta);
      // Not inside `onProgress?.(…)`: without a callback the increment would be skipped and a
      // failure reported "after 0 of N objects" whatever had been written.
      done++;
      options.onProgress?.(done, changed.length);
    };
    try {
      await mapLimit(batch.slice(0, archivePages), concurrency, put);
      await mapLimit(batch.slice(archivePages, changed.length), concurrency, put);
    } catch (err) {
      throw new PublishError(
        `publishing to ${store.description} failed after ${done} of ${changed.length} objects; the previous manifest is still served, ` +
          `and the next build writes again whatever this one may have changed: ${(err as Error).message}`,
        { cause: err },
      );
    }
    options.beforeCommit?.();
    if (!oldManifestSame) {
      try {
        await store.put(MANIFEST_KEY, m.body, { contentType: m.contentType, cacheControl: m.cacheControl });
      } catch (err) {
        throw new PublishError(`writing ${MANIFEST_KEY} to ${store.description} failed: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  const written = batch.map((o) => o.key);
  if (stale.length) {
    options.beforeCommit?.();
    try {
      await store.delete(stale);
    } catch (err) {
      throw new PublishError(`the new build is published, but deleting ${stale.length} outdated objects failed (the next build retries): ${(err as Error).message}`, { cause: err, committed: manifest.build_id });
    }
  }
  // Everything is as the new manifest says: the journal goes (if this fails, the next build
  // only writes those objects again).
  if (journaled) await store.delete([JOURNAL_KEY]).catch(() => undefined);
  return { written, unchanged: outputs.length - changed.length, deleted: stale };
}
