/**
 * A store that puts object by object (no putAll, as S3Store), recording the order of its puts,
 * and failing on a chosen key (a write, or a read): for tests of the publish order and of failures midway.
 */
import type { ObjectMeta, ObjectStore } from "../../functions/adapters/store.ts";

export class RecordingStore implements ObjectStore {
  readonly puts: string[] = [];
  /** A key whose reads fail (as a network error would), until cleared. */
  failGet?: string;
  readonly description: string;
  constructor(
    private readonly inner: ObjectStore,
    public failOn?: string,
  ) {
    this.description = inner.description;
  }
  get(key: string) {
    if (key === this.failGet) return Promise.reject(new Error(`injected failure reading ${key}`));
    return this.inner.get(key);
  }
  list(prefix?: string) {
    return this.inner.list(prefix);
  }
  delete(keys: string[]) {
    return this.inner.delete(keys);
  }
  async put(key: string, body: Buffer, meta: ObjectMeta) {
    if (key === this.failOn) throw new Error(`injected failure writing ${key}`);
    await this.inner.put(key, body, meta);
    this.puts.push(key);
  }
}
