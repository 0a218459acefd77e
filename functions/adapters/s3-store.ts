/**
 * S3 as an object store and as a content source, through @aws-sdk/client-s3 v3. The same code
 * talks to AWS and to the local s3rver; what differs is the client (createS3Client), whose local
 * settings follow ../../../shared/notes/local-s3.md. See docs/s3.md.
 */
import { createHash } from "node:crypto";
import {
  CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListObjectsV2Command, PutObjectCommand, S3Client, type GetObjectCommandOutput, type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { assertSafeKey, IncompleteReadError, mapLimit, within, type ObjectMeta, type ObjectStore, type RequestStats, type StoredObject } from "./store.ts";
import { defaultRegion, localCredentials } from "./s3-local.ts";
import { fileIssue, isContentPath, misplacedArticle, sizeLimit, sizeProblem, type ContentRead, type ContentSource, type ReadOptions } from "./content-dir.ts";
import { SITE_FILE, type ContentFile } from "../core/content.ts";
import { SERVED_TYPE_META, storedType } from "./cdn-types.ts";
import type { ContentIssue } from "../core/errors.ts";

export interface S3ClientOptions {
  /** A custom endpoint (s3rver, MinIO…); omitted for AWS. */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** Attempts per request, the first included (standard retry mode). Default 5. */
  maxAttempts?: number;
  /** Time for a whole request and response. Default 30 s. */
  requestTimeoutMs?: number;
}

export function createS3Client(opts: S3ClientOptions = {}): S3Client {
  // engines allows Node 20 locally (Lambda runs 22+); the SDK's notice about its releases after
  // January 2027 would otherwise print on every command. An explicit setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const config: S3ClientConfig = {
    region: opts.region ?? defaultRegion(),
    // Standard mode: exponential backoff with jitter on throttling, 5xx, timeouts and refused
    // or reset connections, bounded by a retry quota so an outage does not multiply traffic.
    retryMode: "standard",
    maxAttempts: opts.maxAttempts ?? 5,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: opts.requestTimeoutMs ?? 30_000, throwOnRequestTimeout: true },
  };
  if (opts.forcePathStyle !== undefined) config.forcePathStyle = opts.forcePathStyle;
  if (opts.endpoint) {
    config.endpoint = opts.endpoint;
    // `bucket.127.0.0.1` / `bucket.localhost` do not resolve: path-style for any custom endpoint.
    config.forcePathStyle = opts.forcePathStyle ?? true;
    // s3rver stores the aws-chunked framing of flexible checksums inside the object.
    config.requestChecksumCalculation = "WHEN_REQUIRED";
    config.responseChecksumValidation = "WHEN_REQUIRED";
    // The SDK's default chain would also find keys or a profile in the environment.
    const local = localCredentials(opts.endpoint, Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE));
    if (local) config.credentials = local;
  }
  return new S3Client(config);
}

/** A failed S3 request, after the SDK's retries: says what, where, how often, and why. */
export class S3RequestError extends Error {
  override readonly name = "S3RequestError";
  readonly status: number | undefined;
  readonly code: string;
  constructor(operation: string, target: string, readonly attempts: number, cause: unknown) {
    const e = cause as { name?: string; code?: string; message?: string; errors?: Error[]; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const code = e.code ?? e.name ?? "Error";
    const why = e.message || e.errors?.[0]?.message || (status ? `HTTP ${status}` : code);
    super(`${operation} ${target} failed${attempts > 1 ? ` after ${attempts} attempts` : ""}: ${code === "Error" || why.includes(code) ? why : `${code}: ${why}`}`, { cause });
    this.status = status;
    this.code = code;
  }
}

export interface S3Entry {
  /** Relative to the store's prefix. */
  key: string;
  size: number;
  /** Unquoted; for a single-part upload, the hex MD5 of the bytes. */
  etag: string;
}

export function md5(body: Uint8Array, encoding: "hex" | "base64"): string {
  return createHash("md5").update(body).digest(encoding);
}

export class S3Store implements ObjectStore {
  readonly description: string;
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly stats: RequestStats = { get: 0, put: 0, delete: 0, list: 0, head: 0 };
  /** How long a GET's body may take once its headers came (the client's timeout ends there), plus 1 ms a KB. */
  readonly bodyTimeoutMs: number;

  constructor(opts: { client: S3Client; bucket: string; prefix?: string; bodyTimeoutMs?: number }) {
    this.client = opts.client;
    this.bucket = opts.bucket;
    this.bodyTimeoutMs = opts.bodyTimeoutMs ?? BODY_TIMEOUT_MS;
    // `--prefix /` (or `//`) is no prefix, not keys starting with "/" that nothing reads.
    const trimmed = opts.prefix?.replace(/^\/+|\/+$/g, "");
    this.prefix = trimmed ? `${trimmed}/` : "";
    this.description = `s3://${this.bucket}/${this.prefix}`;
  }

  /** The same bucket and client with its own request counts (the build lease's requests are not the build's). */
  sibling(): S3Store {
    return new S3Store({ client: this.client, bucket: this.bucket, prefix: this.prefix, bodyTimeoutMs: this.bodyTimeoutMs });
  }

  /** Sends one command, counting every HTTP attempt; failures become S3RequestError. */
  private async call<T extends { $metadata: { attempts?: number } }>(kind: keyof RequestStats, op: string, key: string, send: () => Promise<T>): Promise<T> {
    try {
      const out = await send();
      this.stats[kind] += out.$metadata.attempts ?? 1;
      return out;
    } catch (err) {
      const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
      this.stats[kind] += attempts;
      throw new S3RequestError(op, `${this.description}${key}`, attempts, err);
    }
  }

  private fullKey(key: string): string {
    assertSafeKey(key);
    return this.prefix + key;
  }

  /**
   * The SDK retries a request until its response headers arrive, not the body read after them:
   * a connection cut mid-body rejected here unretried ("aborted"), and a body cut short under a
   * matching Content-Length came back as a valid-looking part (test/integration/s3-fault-injection).
   * So the body is checked against Content-Length and, where the ETag is the MD5 of the bytes
   * (single-part objects without SSE-KMS/SSE-C), against it, and read again when either fails;
   * after BODY_ATTEMPTS it is an IncompleteReadError, never a part passed off as the object.
   */
  async get(key: string): Promise<StoredObject | undefined> {
    const got = await this.read(key);
    return got === "not-modified" ? undefined : got;
  }

  /**
   * At most `maxBytes` of the object (a Range request for one byte more): the object whole when
   * it is no larger, else `{ tooLarge: size }` without the rest of it ever being sent. A content
   * file named by a build (ReadOptions.only) has no listed size to check first, and may have
   * been replaced by a huge object since the listing.
   */
  async getUpTo(key: string, maxBytes: number): Promise<StoredObject | { tooLarge: number } | undefined> {
    const got = await this.read(key, undefined, maxBytes);
    return got === "not-modified" ? undefined : got;
  }

  /**
   * Conditional GET (`If-None-Match: <etag>`): "not-modified" when the object's ETag is still
   * `etag` (S3 and s3rver answer 304, no body: a request but no transfer), the object when it
   * changed (its body checked and re-read as get's is), undefined when it is gone.
   * `GET /latest` revalidates its in-memory copy this way (handlers/latest.ts RevalidatingStore).
   */
  getIfNoneMatch(key: string, etag: string): Promise<StoredObject | "not-modified" | undefined> {
    return this.read(key, etag);
  }

  /** get, getUpTo and getIfNoneMatch: one GET per body attempt, each counted in stats.get (SDK retries too). */
  private async read(key: string, ifNoneMatch?: string): Promise<StoredObject | "not-modified" | undefined>;
  private async read(key: string, ifNoneMatch: undefined, maxBytes: number): Promise<StoredObject | { tooLarge: number } | "not-modified" | undefined>;
  private async read(key: string, ifNoneMatch?: string, maxBytes?: number): Promise<StoredObject | { tooLarge: number } | "not-modified" | undefined> {
    const Key = this.fullKey(key);
    const Range = maxBytes === undefined ? undefined : `bytes=0-${maxBytes}`;
    for (let attempt = 1; ; attempt++) {
      let out: GetObjectCommandOutput;
      try {
        out = await this.call("get", "GET", key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, IfNoneMatch: ifNoneMatch, Range })));
      } catch (err) {
        // The SDK reports a 304 as an error whose status is 304 (../../../shared/notes/local-s3.md).
        if (ifNoneMatch !== undefined && err instanceof S3RequestError && err.status === 304) return "not-modified";
        if (isMissingKey(err)) return undefined;
        // `bytes=0-N` is unsatisfiable only for an empty object (RFC 9110 §14.1.2): S3 answers
        // 416 InvalidRange. It is read as the empty object it is (not again without the Range:
        // replaced meanwhile, it would be read whole, past the limit).
        if (Range !== undefined && err instanceof S3RequestError && err.status === 416) return { body: Buffer.alloc(0) };
        throw err;
      }
      // A ranged answer names the whole object's size ("bytes 0-N/TOTAL"): past the limit, the
      // part is not read, and not checked against the whole object's ETag.
      const total = Number(/\/(\d+)$/.exec(out.ContentRange ?? "")?.[1] ?? NaN);
      if (maxBytes !== undefined && total > maxBytes) {
        await out.Body?.transformToByteArray().catch(() => undefined);
        return { tooLarge: total };
      }
      let problem: string | undefined;
      try {
        // The SDK's request timeout ends with the response's headers, and a body that stops
        // arriving never ends nor fails (aws-sdk-js-v3 #8098; s3rver's answer to a Range on an
        // empty object promises a byte it never sends): bounded here, then read again.
        // The time grows with the size (at least 1 MB/s after the first bodyTimeoutMs): a large
        // body that is still arriving (the build cache) is not cut off.
        const allowed = Math.round(this.bodyTimeoutMs + (out.ContentLength ?? 0) / 1000);
        const body = Buffer.from(
          await within(out.Body!.transformToByteArray(), allowed).catch((err: unknown) => {
            (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
            throw err;
          }),
        );
        problem = bodyProblem(body, out);
        if (!problem) return { body, contentType: out.Metadata?.[SERVED_TYPE_META] ?? out.ContentType, cacheControl: out.CacheControl, etag: out.ETag, lastModified: out.LastModified };
      } catch (err) {
        problem = (err as Error).message;
      }
      if (attempt >= BODY_ATTEMPTS) throw new IncompleteReadError(`GET ${this.description}${key}: the body arrived incomplete ${attempt} times (${problem})`);
      // A moment before reading again, so that an object being written (s3rver) can be finished.
      await new Promise((r) => setTimeout(r, BODY_RETRY_PAUSE_MS * attempt));
    }
  }

  async head(key: string): Promise<Omit<StoredObject, "body"> & { size: number } | undefined> {
    const Key = this.fullKey(key);
    try {
      const out = await this.call("head", "HEAD", key, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key })));
      return { size: out.ContentLength ?? 0, contentType: out.Metadata?.[SERVED_TYPE_META] ?? out.ContentType, cacheControl: out.CacheControl, etag: out.ETag };
    } catch (err) {
      if (isMissingKey(err)) return undefined;
      throw err;
    }
  }

  async put(key: string, body: Buffer, meta: ObjectMeta): Promise<void> {
    const Key = this.fullKey(key);
    // Content-MD5: S3 rejects the write (BadDigest) if the bytes arrive altered. Atom and JSON
    // Feed are stored as the generic type the CDN compresses, their own kept in the metadata
    // (cdn-types.ts).
    const type = storedType(meta.contentType);
    const command = new PutObjectCommand({
      Bucket: this.bucket, Key, Body: body, ContentLength: body.byteLength, ContentMD5: md5(body, "base64"),
      ContentType: type.contentType, CacheControl: meta.cacheControl,
      ...(type.servedType && { Metadata: { [SERVED_TYPE_META]: type.servedType } }),
    });
    // BadDigest / IncompleteBody: the bytes were altered or cut in transit and S3 stored nothing;
    // the SDK does not retry a 400, but sending the same bytes again is what fixes it.
    let attempts = 0;
    for (let round = 1; ; round++) {
      try {
        await this.call("put", "PUT", key, () => this.client.send(command));
        return;
      } catch (err) {
        const e = err as S3RequestError;
        attempts += e.attempts;
        if (e.code !== "BadDigest" && e.code !== "IncompleteBody") throw err;
        if (round >= BODY_ATTEMPTS) throw new S3RequestError("PUT", `${this.description}${key}`, attempts, e.cause);
      }
    }
  }

  /** DeleteObjects takes at most 1,000 keys per request. */
  async delete(keys: string[]): Promise<void> {
    // One key: a plain DeleteObject, whose request names the key (proxies, access logs and
    // CloudTrail see what was deleted; the build lease deletes its claim this way).
    if (keys.length === 1) {
      const Key = this.fullKey(keys[0]!);
      await this.call("delete", "DELETE", keys[0]!, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })));
      return;
    }
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000).map((k) => ({ Key: this.fullKey(k) }));
      const out = await this.call("delete", `DELETE (${batch.length} keys)`, "", () =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch, Quiet: true } })),
      );
      const failed = out.Errors ?? [];
      if (failed.length) {
        const why = new Error(failed.map((e) => `${e.Key}: ${e.Code} ${e.Message ?? ""}`).join("; "));
        throw new S3RequestError(`DELETE (${failed.length} of ${batch.length} keys)`, this.description, 1, why);
      }
    }
  }

  async list(prefix = ""): Promise<string[]> {
    return (await this.listEntries(prefix)).map((e) => e.key);
  }

  /** ListObjectsV2, page by page (1,000 keys each), with sizes and ETags. */
  async listEntries(prefix = ""): Promise<S3Entry[]> {
    const entries: S3Entry[] = [];
    let token: string | undefined;
    do {
      const out = await this.call("list", "LIST", prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token })),
      );
      for (const o of out.Contents ?? []) {
        if (o.Key?.startsWith(this.prefix)) entries.push({ key: o.Key.slice(this.prefix.length), size: o.Size ?? 0, etag: (o.ETag ?? "").replaceAll('"', "") });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return entries;
  }
}

/** A GET body's time once its headers came: the time the client gives a whole request (createS3Client). */
const BODY_TIMEOUT_MS = 30_000;
/** Reads (GET bodies) and writes (a body altered in transit) tried this many times. */
const BODY_ATTEMPTS = 3;
/** The pause before a GET whose body could not be checked is made again: 50, then 100 ms. */
const BODY_RETRY_PAUSE_MS = 50;

/** Why a GET body is not the object's bytes, when it can tell. */
function bodyProblem(body: Buffer, out: GetObjectCommandOutput): string | undefined {
  if (out.ContentLength !== undefined && body.byteLength !== out.ContentLength) return `${body.byteLength} of ${out.ContentLength} bytes`;
  const etag = (out.ETag ?? "").replaceAll('"', "").toLowerCase();
  // S3 gives every object an ETag. s3rver, which writes an object's file in place, answers a GET
  // during the write with the part written so far, the length of that part, and ETag "" (its
  // metadata not yet written): with nothing to check the bytes against, they were taken whole,
  // and the local stack served a cut feed.json. A read again gets the finished object.
  if (etag === "") return `${body.byteLength} bytes with no ETag (an object still being written)`;
  const md5Etag = /^[0-9a-f]{32}$/.test(etag) && !out.SSECustomerAlgorithm && !String(out.ServerSideEncryption ?? "").startsWith("aws:kms");
  if (md5Etag && md5(body, "hex") !== etag) return `${body.byteLength} bytes whose MD5 is not the ETag ${etag}`;
  return undefined;
}

function isMissingKey(err: unknown): boolean {
  return err instanceof S3RequestError && (err.code === "NoSuchKey" || err.code === "NotFound" || (err.status === 404 && err.code !== "NoSuchBucket"));
}

export function storeForBucket(bucket: string, endpoint?: string, region?: string): S3Store {
  return new S3Store({ client: createS3Client({ endpoint, region }), bucket });
}

/** Creates the bucket unless it exists (local stack and tests; in the cloud, infra creates it). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw new S3RequestError("HEAD", `s3://${bucket}`, 1, err);
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if ((err as Error).name !== "BucketAlreadyOwnedByYou") throw new S3RequestError("CREATE", `s3://${bucket}`, 1, err);
  }
}

/** A content tree (site.yaml, articles/*.md) under a prefix of a private bucket. */
export class S3Content implements ContentSource {
  readonly description: string;
  readonly store: S3Store;
  constructor(opts: { client: S3Client; bucket: string; prefix?: string }) {
    this.store = new S3Store(opts);
    this.description = this.store.description;
  }

  async read(options: ReadOptions = {}): Promise<ContentRead> {
    const issues: ContentIssue[] = [];
    const unchanged: ContentRead["unchanged"] = [];
    let entries: S3Entry[];
    try {
      // Just these keys (bodies read again, a group of archive pages at a time): each fetched by
      // its name, not found in a listing of the whole tree (50 LIST requests at 50,000 articles).
      // Their size and ETag come with the GET.
      entries = options.only ? [...options.only].filter(isContentPath).map((key) => ({ key, size: 0, etag: "" })) : await this.store.listEntries();
    } catch (err) {
      if (!(err instanceof S3RequestError && err.code === "NoSuchBucket")) throw err;
      return { files: [], issues: [fileIssue(".", `content bucket ${this.store.bucket} does not exist`)], unchanged };
    }
    const wanted = entries
      .filter((e) => isContentPath(e.key) && (!options.only || options.only.has(e.key)))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    // Markdown put beside site.yaml or in a folder inside articles/ is read by no one: told, as a
    // directory tells it (a CMS writing to the bucket, or an upload by hand).
    if (!options.only) {
      for (const e of entries.map((x) => x.key).filter((k) => !isContentPath(k)).sort()) {
        const why = misplacedArticle(e);
        if (why) issues.push({ file: e, field: "file", severity: "warning", message: why });
      }
    }
    const read = async (e: S3Entry): Promise<ContentFile | undefined> => {
      const tooBig = sizeProblem(e.key, e.size);
      if (tooBig) {
        issues.push(fileIssue(e.key, tooBig));
        return undefined;
      }
      // The ETag of a simple upload is the MD5 of its bytes: a known one needs no GET.
      const listed = !options.only; // a key asked for by name has its ETag from the GET
      if (listed && options.skip?.(e.key, `etag:${e.etag}`)) {
        unchanged.push({ path: e.key, fingerprint: `etag:${e.etag}` });
        return undefined;
      }
      // An empty file (a new article saved before anything was typed in it) is read as empty,
      // and reported by the parse like any file: no ranged GET, which S3 refuses for an empty
      // object (416) and s3rver never answers.
      if (listed && e.size === 0) {
        const file = { path: e.key, bytes: Buffer.alloc(0), fingerprint: `etag:${e.etag}` };
        return options.onFile?.(file) ? undefined : file;
      }
      // At most the limit and one byte more is read: a key named by the build has no listed
      // size, and any key may have been replaced since the listing.
      const upTo = await this.store.getUpTo(e.key, sizeLimit(e.key));
      // A server that ignores the Range sends the whole object: its size is checked all the same.
      const got = upTo && "tooLarge" in upTo ? undefined : upTo;
      const grown = upTo && sizeProblem(e.key, got ? got.body.byteLength : (upTo as { tooLarge: number }).tooLarge);
      if (grown) issues.push(fileIssue(e.key, grown));
      const fingerprint = `etag:${listed ? e.etag : (got?.etag ?? "").replaceAll('"', "")}`;
      const file = got && !grown ? { path: e.key, bytes: got.body, fingerprint } : undefined;
      return file && options.onFile?.(file) ? undefined : file;
    };
    // site.yaml first (ReadOptions.onFile), then the rest eight at a time.
    const site = wanted.filter((e) => e.key === SITE_FILE);
    const files = [...(await mapLimit(site, 1, read)), ...(await mapLimit(wanted.filter((e) => e.key !== SITE_FILE), 8, read))];
    return { files: files.filter((f): f is ContentFile => f !== undefined), issues, unchanged };
  }
}
