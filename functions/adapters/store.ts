/** Where published outputs live: a directory (`--out`) or an S3 bucket (`--bucket`). */
export interface ObjectMeta {
  contentType: string;
  cacheControl: string;
}

/** An object of the store's private folder (`.syndicate/`) written as JSON: never cached. */
export const PRIVATE_JSON: ObjectMeta = { contentType: "application/json", cacheControl: "no-store" };

export interface StoredObject {
  body: Buffer;
  contentType?: string;
  cacheControl?: string;
  etag?: string;
  /** When the object was last written (S3's Last-Modified, a file's mtime), where the store tells it. */
  lastModified?: Date;
}

/** Requests a store has sent, by kind (S3: HTTP requests, retries included). */
export interface RequestStats {
  get: number;
  put: number;
  delete: number;
  list: number;
  head: number;
}

/** `1 GET, 0 HEAD, 1 LIST, 0 PUT, 0 DELETE` */
export function formatRequests(r: RequestStats): string {
  return `${r.get} GET, ${r.head} HEAD, ${r.list} LIST, ${r.put} PUT, ${r.delete} DELETE`;
}

export interface ObjectStore {
  /** For messages: `directory dist` or `s3://bucket`. */
  readonly description: string;
  /** Running request counts, where the store keeps them (S3); the build report shows them. */
  readonly stats?: RequestStats;
  /** True when objects are files on this machine: nothing travels, so nothing is worth compressing. */
  readonly local?: boolean;
  get(key: string): Promise<StoredObject | undefined>;
  put(key: string, body: Buffer, meta: ObjectMeta): Promise<void>;
  /** The same for bytes made a chunk at a time (the build cache), written as they come so they
   * are never whole in memory; where a store has no such way, callers join them and `put`.
   * A chunk may reuse the memory of the one before: write it before taking the next. */
  putChunks?(key: string, chunks: Iterable<Uint8Array>, meta: ObjectMeta): Promise<void>;
  delete(keys: string[]): Promise<void>;
  /** Every key under a prefix, in any order. */
  list(prefix?: string): Promise<string[]>;
  /** The same with each object's size, where the listing tells it at no cost (S3's does). */
  listEntries?(prefix?: string): Promise<{ key: string; size: number }[]>;
}

/** A read whose bytes kept arriving incomplete (cut or shortened in transit): not the object. */
export class IncompleteReadError extends Error {
  override readonly name = "IncompleteReadError";
}

/** Keys are relative, "/"-separated, with no empty, "." or ".." segments. */
export function assertSafeKey(key: string): void {
  if (key === "" || key.startsWith("/") || key.split("/").some((s) => s === "" || s === "." || s === "..") || key.includes("\\") || key.includes("\0")) {
    throw new Error(`unsafe object key ${JSON.stringify(key)}`);
  }
}

/**
 * Run `fn` over `items` with at most `limit` in flight. After the first failure no new item is
 * started, and the promise rejects with that failure once those in flight have settled, so no
 * write lands after the caller has reported the error.
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        failure ??= { err };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw failure.err;
  return results;
}

/** Resolves `work`, or rejects after `ms`; the timer never outlives the race (S3 bodies, the API's store reads). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref?.(); // a read that never settles does not keep the process alive
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
