/**
 * SignedS3Client (adapters/s3-fetch.ts) against a stand-in S3 on 127.0.0.1: what it sends (a
 * SigV4 GET, path-style, If-None-Match; a PUT with If-None-Match: * or If-Match) and how it reads each answer. The signature is checked
 * against the AWS SDK's own SigV4 signer (s3rver checks only the access key id); reads from the
 * real s3rver: test/integration/s3-fetch.test.ts.
 */
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterEach, describe, expect, it } from "vitest";
import { S3FetchError, SignedS3Client } from "../../functions/adapters/s3-fetch.ts";

type Reply = { status: number; headers?: Record<string, string>; body?: string } | "hang";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** Answers each request with the next reply (the last one repeats); records what it got. */
async function fakeS3(...replies: Reply[]) {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer(async (req, res) => {
    const entry = { method: req.method!, url: req.url!, headers: req.headers, body: "" };
    seen.push(entry);
    const reply = replies[Math.min(seen.length - 1, replies.length - 1)]!;
    for await (const chunk of req) entry.body += String(chunk);
    if (reply === "hang") return; // never answers: the reader's timeout must end the request
    res.writeHead(reply.status, reply.headers ?? {});
    res.end(reply.body ?? "");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  close = () => {
    server.closeAllConnections();
    return new Promise((ok) => server.close(() => ok()));
  };
  return { seen, endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-secret" };
const reader = (endpoint: string, extra: Partial<ConstructorParameters<typeof SignedS3Client>[0]> = {}) =>
  new SignedS3Client({ bucket: "feeds", endpoint, region: "eu-west-1", credentials, ...extra });

/** SHA-256 and its HMAC from node:crypto, in the shape the SDK's signer takes. */
class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", typeof secret === "string" ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: string | Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

/** The Authorization header the AWS SDK's signer computes for the request the stand-in received. */
async function sdkAuthorization(seen: { method: string; url: string; headers: IncomingHttpHeaders }, region: string): Promise<string> {
  const auth = String(seen.headers.authorization);
  const signed = /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(";");
  const headers = Object.fromEntries(signed.map((h) => [h, String(seen.headers[h])]));
  const date = String(seen.headers["x-amz-date"]).replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z");
  const url = new URL(seen.url, `http://${headers.host}`);
  // S3 signs the path as sent (each segment encoded once): uriEscapePath off, as the SDK's S3 client does.
  const signer = new SignatureV4({ service: "s3", region, credentials, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const request = await signer.sign(
    { method: seen.method, protocol: "http:", hostname: url.hostname, port: Number(url.port), path: url.pathname, headers, query: {} },
    // What the client signed: the SDK leaves some headers out by default (Cache-Control), and S3 checks the list the request names.
    { signingDate: new Date(date), signableHeaders: new Set(signed) },
  );
  return String(request.headers.authorization);
}

describe("SignedS3Client", () => {
  it("sends a SigV4-signed path-style GET and returns the body with its headers", async () => {
    const { seen, endpoint } = await fakeS3({ status: 200, headers: { "content-type": "application/json", "cache-control": "public, max-age=60", etag: '"abc"' }, body: '{"v":1}' });
    const obj = await reader(endpoint).get("tags/energy-policy/latest.json");
    expect(obj).toEqual({ body: Buffer.from('{"v":1}'), contentType: "application/json", cacheControl: "public, max-age=60", etag: '"abc"' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("GET");
    expect(seen[0]!.url).toBe("/feeds/tags/energy-policy/latest.json");
    expect(seen[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
    expect(seen[0]!.headers["x-amz-content-sha256"]).toMatch(/^(?:UNSIGNED-PAYLOAD|[0-9a-f]{64})$/);
    expect(seen[0]!.headers["if-none-match"]).toBeUndefined();
    expect(seen[0]!.headers.authorization).toBe(await sdkAuthorization(seen[0]!, "eu-west-1"));
  });

  it("revalidates with If-None-Match: 304 is not-modified, 200 a new object, 404 gone", async () => {
    const { seen, endpoint } = await fakeS3({ status: 304, headers: { etag: '"abc"' } }, { status: 200, headers: { etag: '"def"' }, body: "new" }, { status: 404, body: "<Error><Code>NoSuchKey</Code></Error>" });
    const r = reader(endpoint);
    expect(await r.getIfNoneMatch("latest.json", '"abc"')).toBe("not-modified");
    expect(seen[0]!.headers["if-none-match"]).toBe('"abc"');
    expect(seen[0]!.headers.authorization).toBe(await sdkAuthorization(seen[0]!, "eu-west-1"));
    expect(await r.getIfNoneMatch("latest.json", '"abc"')).toMatchObject({ body: Buffer.from("new"), etag: '"def"' });
    expect(await r.getIfNoneMatch("latest.json", '"def"')).toBeUndefined();
    expect(await r.get("latest.json")).toBeUndefined();
    expect(r.stats.get).toBe(4);
  });

  it("percent-encodes each key segment under a prefix, and refuses unsafe keys before sending", async () => {
    const { seen, endpoint } = await fakeS3({ status: 404 });
    const r = reader(endpoint, { prefix: "site a/" });
    expect(r.url("x+y/é.json")).toBe(`${endpoint}/feeds/site%20a/x%2By/%C3%A9.json`);
    await r.get("x+y/é.json");
    expect(seen[0]!.url).toBe("/feeds/site%20a/x%2By/%C3%A9.json");
    expect(seen[0]!.headers.authorization).toBe(await sdkAuthorization(seen[0]!, "eu-west-1"));
    for (const key of ["../secret", "/abs", "a//b", ""]) await expect(r.get(key)).rejects.toThrow(/unsafe object key/);
    expect(seen).toHaveLength(1);
  });

  it("retries a 5xx as many times as told, then fails with the status and S3's error code", async () => {
    const { seen, endpoint } = await fakeS3({ status: 503, body: "<Error><Code>SlowDown</Code></Error>" });
    const err = await reader(endpoint, { retries: 2 }).get("latest.json").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3FetchError);
    expect((err as S3FetchError).status).toBe(503);
    expect((err as Error).message).toBe("GET s3://feeds/latest.json failed: HTTP 503 SlowDown");
    expect(seen).toHaveLength(3);
  });

  it("does not retry a 403, and recovers from a 500 when the next attempt succeeds", async () => {
    const denied = await fakeS3({ status: 403, body: "<Error><Code>AccessDenied</Code></Error>" });
    await expect(reader(denied.endpoint).get("status.json")).rejects.toThrow("HTTP 403 AccessDenied");
    expect(denied.seen).toHaveLength(1);
    await close!();
    const flaky = await fakeS3({ status: 500 }, { status: 200, body: "ok" });
    expect((await reader(flaky.endpoint).get("status.json"))?.body.toString()).toBe("ok");
    expect(flaky.seen).toHaveLength(2);
  });

  it("gives up on a server that does not answer, and on a closed port", async () => {
    const { endpoint } = await fakeS3("hang");
    await expect(reader(endpoint, { timeoutMs: 200 }).get("latest.json")).rejects.toThrow("GET s3://feeds/latest.json failed: no answer within 200 ms");
    await close!();
    close = undefined;
    const err = await reader(endpoint).get("latest.json").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3FetchError);
    expect((err as S3FetchError).status).toBeUndefined();
  });

  it("writes with a signed PUT only where no object is (If-None-Match: *): 200 written, with its ETag, 412 and 409 there already", async () => {
    const { seen, endpoint } = await fakeS3({ status: 200, headers: { etag: '"e1"' } }, { status: 412, body: "<Error><Code>PreconditionFailed</Code></Error>" }, { status: 409, body: "<Error><Code>ConditionalRequestConflict</Code></Error>" });
    const r = reader(endpoint);
    const meta = { contentType: "application/json", cacheControl: "no-cache, max-age=0" };
    expect(await r.putIfAbsent("builds/req-1.json", Buffer.from('{"id":"req-1"}'), meta)).toEqual({ written: true, etag: '"e1"' });
    expect(seen[0]).toMatchObject({ method: "PUT", url: "/feeds/builds/req-1.json", body: '{"id":"req-1"}' });
    expect(seen[0]!.headers).toMatchObject({ "if-none-match": "*", "content-type": "application/json", "cache-control": "no-cache, max-age=0" });
    expect(seen[0]!.headers.authorization).toBe(await sdkAuthorization(seen[0]!, "eu-west-1"));
    expect(await r.putIfAbsent("builds/req-1.json", Buffer.from("{}"), meta)).toEqual({ written: false });
    expect(await r.putIfAbsent("builds/req-1.json", Buffer.from("{}"), meta)).toEqual({ written: false });
    expect(r.stats).toEqual({ get: 0, put: 3 });
  });

  it("writes over an object only while its ETag is the one read (If-Match): 412, 409 and 404 NoSuchKey not written, 404 NoSuchBucket a failure", async () => {
    const { seen, endpoint } = await fakeS3(
      { status: 200, headers: { etag: '"e2"' } },
      { status: 412, body: "<Error><Code>PreconditionFailed</Code></Error>" },
      { status: 409, body: "<Error><Code>ConditionalRequestConflict</Code></Error>" },
      { status: 404, body: "<Error><Code>NoSuchKey</Code></Error>" },
      { status: 404, body: "<Error><Code>NoSuchBucket</Code></Error>" },
    );
    const r = reader(endpoint);
    const meta = { contentType: "application/json", cacheControl: "no-cache, max-age=0" };
    expect(await r.putIfMatch("builds/req-1.json", Buffer.from('{"id":"req-1"}'), meta, '"e1"')).toEqual({ written: true, etag: '"e2"' });
    expect(seen[0]!.headers).toMatchObject({ "if-match": '"e1"', "content-type": "application/json" });
    expect(seen[0]!.headers["if-none-match"]).toBeUndefined();
    expect(seen[0]!.headers.authorization).toBe(await sdkAuthorization(seen[0]!, "eu-west-1"));
    for (let i = 0; i < 3; i++) expect(await r.putIfMatch("builds/req-1.json", Buffer.from("{}"), meta, '"e1"')).toEqual({ written: false });
    await expect(r.putIfMatch("builds/req-1.json", Buffer.from("{}"), meta, '"e1"')).rejects.toThrow("PUT s3://feeds/builds/req-1.json failed: HTTP 404 NoSuchBucket");
  });

  it("sends a conditional write once, whatever the retries: a retry of a write S3 made would be refused by its own object", async () => {
    const { seen, endpoint } = await fakeS3({ status: 503, body: "<Error><Code>SlowDown</Code></Error>" });
    const r = reader(endpoint, { retries: 2 });
    const meta = { contentType: "application/json", cacheControl: "no-cache, max-age=0" };
    await expect(r.putIfAbsent("builds/req-1.json", Buffer.from("{}"), meta)).rejects.toThrow("PUT s3://feeds/builds/req-1.json failed: HTTP 503 SlowDown");
    await expect(r.putIfMatch("builds/req-1.json", Buffer.from("{}"), meta, '"e1"')).rejects.toThrow("PUT s3://feeds/builds/req-1.json failed: HTTP 503 SlowDown");
    expect(seen.map((x) => x.method)).toEqual(["PUT", "PUT"]);
    // A read is still retried.
    await expect(r.get("status.json")).rejects.toThrow("HTTP 503 SlowDown");
    expect(seen).toHaveLength(5);
  });

  it("addresses AWS virtual-hosted style in the configured region", () => {
    expect(new SignedS3Client({ bucket: "app-feeds-1", region: "eu-central-1" }).url("tags/a/latest.json")).toBe("https://app-feeds-1.s3.eu-central-1.amazonaws.com/tags/a/latest.json");
  });
});
