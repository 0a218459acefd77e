/**
 * Publishing: write only the objects whose bytes changed since the last manifest, then the
 * manifest, then delete what the new manifest no longer lists. Nothing is deleted before the
 * new manifest is in place, so a failure at any point leaves every served object a complete
 * document of the old or the new build, and the next build converges.
 */
import { MANIFEST_KEY, manifestOutput, parseManifest, type Manifest } from "../core/manifest.ts";
import type { Output, PublishedOutput } from "../core/render/index.ts";
import { IncompleteReadError, mapLimit, type ObjectMeta, type ObjectStore } from "../adapters/store.ts";
import { PublishError } from "../core/errors.ts";

/** Keys this tool owns: only these are ever deleted from a store. */
export const OWNED_KEY = /^(?:(?:tags\/[a-z0-9-]+|archive\/[1-9]\d*)\/)?(?:feed\.xml|atom\.xml|feed\.json|latest\.json)$/;

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
}

export async function readPublished(store: ObjectStore): Promise<PublishedState> {
  let previous: Manifest | undefined;
  let existing: Set<string>;
  try {
    // Two independent reads: over S3, one round trip instead of two. Both settle before a
    // failure is reported, so nothing of a failed build is still retrying behind it.
    const [manifestRead, listRead] = await Promise.allSettled([store.get(MANIFEST_KEY), store.list()]);
    // A manifest whose bytes keep arriving cut counts as absent, like one that does not parse:
    // every output is then rewritten. Deleting never goes by it: only by the full listing.
    if (manifestRead.status === "rejected" && !(manifestRead.reason instanceof IncompleteReadError)) throw manifestRead.reason;
    if (listRead.status === "rejected") throw listRead.reason;
    previous = manifestRead.status === "fulfilled" ? parseManifest(manifestRead.value?.body) : undefined;
    existing = new Set(listRead.value);
  } catch (err) {
    throw new PublishError(`could not read ${store.description}: ${(err as Error).message}`, { cause: err });
  }
  return { previous, existing };
}

/** Whether the store already holds exactly this object, by the last manifest and the listing. */
export function alreadyPublished(state: PublishedState, o: { key: string; sha256: string; contentType: string; cacheControl: string }): boolean {
  const before = state.previous?.outputs[o.key];
  return state.existing.has(o.key) && before !== undefined && before.sha256 === o.sha256 && before.content_type === o.contentType && before.cache_control === o.cacheControl;
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
  const m = manifestOutput(manifest);
  const oldManifestSame = previous && existing.has(MANIFEST_KEY) && JSON.stringify(previous) === JSON.stringify(manifest);
  const batch = [...changed, ...(oldManifestSame ? [] : [m])].map((o) => ({ key: o.key, body: o.body, meta: { contentType: o.contentType, cacheControl: o.cacheControl } }));
  if (isBatchStore(store)) {
    options.beforeCommit?.();
    try {
      await store.putAll(batch, { concurrency, onProgress: options.onProgress });
    } catch (err) {
      throw new PublishError(`publishing to ${store.description} failed; nothing was changed there: ${(err as Error).message}`, { cause: err });
    }
  } else {
    let done = 0;
    try {
      await mapLimit(batch.slice(0, changed.length), concurrency, async (o) => {
        await store.put(o.key, o.body, o.meta);
        // Not inside `onProgress?.(…)`: without a callback the increment would be skipped and a
        // failure reported "after 0 of N objects" whatever had been written.
        done++;
        options.onProgress?.(done, changed.length);
      });
    } catch (err) {
      throw new PublishError(`publishing to ${store.description} failed after ${done} of ${changed.length} objects; the previous manifest and documents are still served: ${(err as Error).message}`, { cause: err });
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
  const keep = new Set(outputs.map((o) => o.key));
  const stale = [...existing].filter((k) => !keep.has(k) && OWNED_KEY.test(k)).sort();
  if (stale.length) {
    options.beforeCommit?.();
    try {
      await store.delete(stale);
    } catch (err) {
      throw new PublishError(`the new build is published, but deleting ${stale.length} outdated objects failed (the next build retries): ${(err as Error).message}`, { cause: err });
    }
  }
  return { written, unchanged: outputs.length - changed.length, deleted: stale };
}
