/**
 * Conditional GET for an S3Store: `If-None-Match: <etag>` answered 304 costs a request but no
 * body and no parse. `GET /latest` uses it to revalidate its in-memory copy every few seconds.
 * (s3rver and S3 answer 304 as an error whose status is 304: ../../../shared/notes/local-s3.md.)
 * The local stack's store; the API Lambda reads with a signed fetch instead (s3-fetch.ts).
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { ObjectStore, StoredObject } from "./store.ts";
import { S3RequestError, type S3Store } from "./s3-store.ts";
import type { RevalidatingStore } from "../handlers/latest.ts";

export function revalidating(store: S3Store): RevalidatingStore & ObjectStore {
  const getIfNoneMatch = async (key: string, etag: string): Promise<StoredObject | "not-modified" | undefined> => {
    store.stats.get++;
    try {
      const out = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: store.prefix + key, IfNoneMatch: etag }));
      const body = Buffer.from(await out.Body!.transformToByteArray());
      return { body, contentType: out.ContentType, cacheControl: out.CacheControl, etag: out.ETag };
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      if (status === 304) return "not-modified";
      if (status === 404 || e.name === "NoSuchKey") return undefined;
      throw new S3RequestError("GET", `${store.description}${key}`, 1, err);
    }
  };
  return {
    description: store.description,
    stats: store.stats,
    get: (key) => store.get(key),
    put: (key, body, meta) => store.put(key, body, meta),
    delete: (keys) => store.delete(keys),
    list: (prefix) => store.list(prefix),
    getIfNoneMatch,
  };
}
