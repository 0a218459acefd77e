/** Where published outputs live: a directory (`--out`) or an S3 bucket (`--bucket`). */
export interface ObjectMeta {
  contentType: string;
  cacheControl: string;
}

export interface StoredObject {
  body: Buffer;
  contentType?: string;
  cacheControl?: string;
  etag?: string;
}

export interface ObjectStore {
  /** For messages: `directory dist` or `s3://bucket`. */
  readonly description: string;
  get(key: string): Promise<StoredObject | undefined>;
  put(key: string, body: Buffer, meta: ObjectMeta): Promise<void>;
  delete(keys: string[]): Promise<void>;
  /** Every key under a prefix, in any order. */
  list(prefix?: string): Promise<string[]>;
}

/** Keys are relative, "/"-separated, with no empty, "." or ".." segments. */
export function assertSafeKey(key: string): void {
  if (key === "" || key.startsWith("/") || key.split("/").some((s) => s === "" || s === "." || s === "..") || key.includes("\\") || key.includes("\0")) {
    throw new Error(`unsafe object key ${JSON.stringify(key)}`);
  }
}

/** Run `fn` over `items` with at most `limit` in flight; the first failure rejects. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}
