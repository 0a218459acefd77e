/**
 * The API Lambda's S3 requests, a SigV4-signed `fetch` (aws4fetch through `sst/aws/client`, as
 * handlers/queue.ts does for SQS) instead of the AWS SDK, which would add ~430 KB and ~85 ms of
 * cold import to the API Lambda (docs/deploy.md "Bundles"). Reads: GET, and GET with
 * `If-None-Match` for revalidation (S3 answers 304 with no body). Writes, for the build requests'
 * records, are conditional only: a PUT where no object is (`If-None-Match: *`), or over the object
 * as it was read (`If-Match: <ETag>`), S3's conditional writes.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 * The build and the local stack keep the SDK-based S3Store (s3-store.ts), whose getIfNoneMatch is the same.
 */
import { client as awsClient } from "sst/aws/client";
import type { ObjectMeta, StoredObject } from "./store.ts";
import { assertSafeKey } from "./store.ts";
import { SERVED_TYPE_META } from "./cdn-types.ts";
import { defaultRegion, localCredentials } from "./s3-local.ts";

export interface SignedS3ClientOptions {
  bucket: string;
  /** Key prefix inside the bucket. Default: none. */
  prefix?: string;
  /** An S3-compatible endpoint (s3rver, MinIO…), addressed path-style. Default: AWS, virtual-hosted. */
  endpoint?: string;
  /** Default: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1 (s3-local.ts defaultRegion). */
  region?: string;
  /** Explicit credentials; default: the Lambda environment's (s3rver's key pair on a loopback endpoint without any). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Retries of a read after a 5xx or 429, with aws4fetch's jittered backoff (from 50 ms). Default 2. Conditional writes are sent once (putIf). */
  retries?: number;
  /** Time for a request, retries and body included. Default 3 s: `/latest` serves its copy meanwhile. */
  timeoutMs?: number;
}

/** A failed request: what, where, and the HTTP status (or the network error as `cause`). */
export class S3FetchError extends Error {
  override readonly name = "S3FetchError";
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
  }
}

/** What a conditional write did: written (S3's ETag of the new object), or not, its condition not holding. */
export type ConditionalPut = { written: true; etag: string | undefined } | { written: false };

export class SignedS3Client {
  readonly description: string;
  /** Requests sent (retries not counted), as the SDK store counts them. */
  readonly stats = { get: 0, put: 0 };
  private readonly base: string;
  private readonly region: string;

  constructor(readonly options: SignedS3ClientOptions) {
    const { bucket, endpoint } = options;
    this.region = options.region ?? defaultRegion();
    this.base = endpoint ? `${endpoint.replace(/\/+$/, "")}/${encodeURIComponent(bucket)}/` : `https://${bucket}.s3.${this.region}.amazonaws.com/`;
    this.description = `s3://${bucket}/${options.prefix ?? ""}`;
  }

  /** The object, or undefined when there is none. */
  async get(key: string): Promise<StoredObject | undefined> {
    const r = await this.request(key);
    return r === "not-modified" ? undefined : r;
  }

  /** The object if its ETag is no longer `etag`, "not-modified" if it is, undefined if it is gone. */
  getIfNoneMatch(key: string, etag: string): Promise<StoredObject | "not-modified" | undefined> {
    return this.request(key, etag);
  }

  /** The URL of `key`: each path segment percent-encoded (SigV4 signs S3 paths encoded once). */
  url(key: string): string {
    assertSafeKey(key);
    return this.base + `${this.options.prefix ?? ""}${key}`.split("/").map(encodeURIComponent).join("/");
  }

  private async signer(retries = this.options.retries ?? 2) {
    // aws4fetch (sst/aws/client) takes keys from the environment, never a profile.
    const explicit = this.options.credentials ?? localCredentials(this.options.endpoint, Boolean(process.env.AWS_ACCESS_KEY_ID));
    const signer = await awsClient(explicit && { ...explicit, service: "s3", region: this.region });
    signer.retries = retries;
    return signer;
  }

  /**
   * Writes `key` unless an object is there: not written when one was (412), or was being written
   * at the same moment (409 ConditionalRequestConflict: the other write wins).
   */
  putIfAbsent(key: string, body: Buffer, meta: ObjectMeta): Promise<ConditionalPut> {
    return this.putIf(key, body, meta, { "if-none-match": "*" });
  }

  /**
   * Writes `key` over the object whose ETag is `etag`: not written when the object is another by
   * now (412), is being written (409), or is gone (404 NoSuchKey).
   */
  putIfMatch(key: string, body: Buffer, meta: ObjectMeta, etag: string): Promise<ConditionalPut> {
    return this.putIf(key, body, meta, { "if-match": etag });
  }

  /**
   * A conditional write is sent once, never retried: S3 may have carried out a write whose answer
   * was lost (a 5xx, a reset), and a retry of it would be refused by its own object, the writer
   * told its write was not made when it was. Its failure is the caller's to handle.
   */
  private putIf(key: string, body: Buffer, meta: ObjectMeta, condition: Record<string, string>): Promise<ConditionalPut> {
    const headers = { "content-type": meta.contentType, "cache-control": meta.cacheControl, ...condition };
    return this.send<ConditionalPut>("PUT", key, headers, body, async (res) => {
      if (res.ok) {
        await res.body?.cancel();
        return { value: { written: true, etag: res.headers.get("etag") ?? undefined } };
      }
      // 404 is a condition that does not hold for If-Match on a key that is gone; a bucket gone is a failure.
      const notHeld = res.status === 412 || res.status === 409 || (res.status === 404 && "if-match" in condition && /<Code>NoSuchKey<\/Code>/.test(await res.clone().text()));
      if (!notHeld) return undefined;
      await res.body?.cancel();
      return { value: { written: false } };
    }, 0);
  }

  private request(key: string, etag?: string): Promise<StoredObject | "not-modified" | undefined> {
    return this.send<StoredObject | "not-modified" | undefined>("GET", key, etag ? { "if-none-match": etag } : {}, undefined, async (res) => {
      if (res.status === 304 || res.status === 404) {
        await res.body?.cancel();
        return { value: res.status === 304 ? ("not-modified" as const) : undefined };
      }
      if (!res.ok) return undefined;
      const body = Buffer.from(await res.arrayBuffer());
      const header = (name: string) => res.headers.get(name) ?? undefined;
      return { value: { body, contentType: header(`x-amz-meta-${SERVED_TYPE_META}`) ?? header("content-type"), cacheControl: header("cache-control"), etag: header("etag") } };
    });
  }

  /**
   * One signed request, within the timeout. `read` makes the answer of a response, or undefined
   * of one that is a failure: the S3FetchError then names the status and S3's error code.
   */
  private async send<T>(method: "GET" | "PUT", key: string, headers: Record<string, string>, body: Buffer | undefined, read: (res: Response) => Promise<{ value: T } | undefined>, retries?: number): Promise<T> {
    const url = this.url(key);
    const target = `${this.description}${key}`;
    this.stats[method === "GET" ? "get" : "put"]++;
    const signer = await this.signer(retries);
    const timeoutMs = this.options.timeoutMs ?? 3_000;
    try {
      const res = await signer.fetch(url, { method, headers, body, aws: { service: "s3", region: this.region }, signal: AbortSignal.timeout(timeoutMs) });
      const answer = await read(res);
      if (answer) return answer.value;
      const text = (await res.text()).slice(0, 300);
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
      throw new S3FetchError(`${method} ${target} failed: HTTP ${res.status}${code ? ` ${code}` : ""}`, res.status);
    } catch (err) {
      if (err instanceof S3FetchError) throw err;
      const e = err as Error;
      const why = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : e.message;
      throw new S3FetchError(`${method} ${target} failed: ${why}`, undefined, { cause: err });
    }
  }
}
