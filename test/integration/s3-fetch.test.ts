/**
 * The API Lambda's S3 requests (SignedS3Client: aws4fetch, no SDK) against the real s3rver:
 * objects written by the SDK store read back byte for byte with the same ETag, conditional GET,
 * a write only where no object is (If-None-Match: *) or over the object read (If-Match), an unknown access key refused; then the Lambda handler end to end over a build published to
 * the bucket. (s3rver checks the access key id but not SigV4 signatures; test/unit/s3-fetch.test.ts
 * checks the signature against the AWS SDK's signer.)
 */
import { describe, expect, it } from "vitest";
import { SignedS3Client } from "../../functions/adapters/s3-fetch.ts";
import type { S3Store } from "../../functions/adapters/s3-store.ts";
import { createHandler } from "../../functions/handlers/api.ts";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { STATUS_CACHE_CONTROL, STATUS_KEY, nextStatus, statusBody } from "../../functions/core/status.ts";
import { useTestS3 } from "../support/s3.ts";
import { invokeGet } from "../support/lambda.ts";
import { tempDir, tree, writeTree } from "../support/content-tree.ts";
import { ARTICLES, NOW } from "../support/api.ts";

const ctx = useTestS3();

const META = { contentType: "application/json", cacheControl: "public, max-age=60" };
const readerOf = (store: S3Store, extra: Partial<ConstructorParameters<typeof SignedS3Client>[0]> = {}) =>
  new SignedS3Client({ bucket: store.bucket, endpoint: ctx.s3.endpoint, ...extra });

describe("SignedS3Client against s3rver", () => {
  it("reads what the SDK store wrote, with the same ETag, and revalidates with If-None-Match", async () => {
    const store = await ctx.s3.bucket("fetch");
    const body = Buffer.from(JSON.stringify({ version: 1, title: "é ✓", items: [] }));
    await store.put("tags/energy-policy/latest.json", body, META);
    const reader = readerOf(store);
    const obj = (await reader.get("tags/energy-policy/latest.json"))!;
    const viaSdk = (await store.get("tags/energy-policy/latest.json"))!;
    expect(obj.body.equals(body)).toBe(true);
    expect(obj).toMatchObject({ contentType: META.contentType, cacheControl: META.cacheControl, etag: viaSdk.etag });
    expect(await reader.getIfNoneMatch("tags/energy-policy/latest.json", obj.etag!)).toBe("not-modified");
    const changed = Buffer.from('{"version":1,"items":[1]}');
    await store.put("tags/energy-policy/latest.json", changed, META);
    const fresh = await reader.getIfNoneMatch("tags/energy-policy/latest.json", obj.etag!);
    expect(fresh).not.toBe("not-modified");
    expect((fresh as { body: Buffer }).body.equals(changed)).toBe(true);
    expect(await reader.get("no/such.json")).toBeUndefined();
    await store.delete(["tags/energy-policy/latest.json"]);
    expect(await reader.getIfNoneMatch("tags/energy-policy/latest.json", obj.etag!)).toBeUndefined();
  });

  it("writes an object only where there is none (If-None-Match: *): an existing one is kept, and 412 is no failure", async () => {
    const store = await ctx.s3.bucket("fetch-create");
    const client = readerOf(store);
    const written = await client.putIfAbsent("builds/a.json", Buffer.from('{"first":true}'), META);
    const first = (await store.get("builds/a.json"))!;
    expect(written).toEqual({ written: true, etag: first.etag });
    expect(first).toMatchObject({ contentType: META.contentType, cacheControl: META.cacheControl });
    expect(first.body.toString()).toBe('{"first":true}');
    // A second write, and one over what the SDK store wrote, leave the object as it is.
    expect(await client.putIfAbsent("builds/a.json", Buffer.from('{"second":true}'), META)).toEqual({ written: false });
    await store.put("builds/b.json", Buffer.from('{"build":true}'), META);
    expect(await client.putIfAbsent("builds/b.json", Buffer.from('{"api":true}'), META)).toEqual({ written: false });
    expect((await store.get("builds/a.json"))!.body.toString()).toBe('{"first":true}');
    expect((await store.get("builds/b.json"))!.body.toString()).toBe('{"build":true}');
    expect(client.stats).toEqual({ get: 0, put: 3 });
    // A failure is one: the bucket gone.
    const gone = new SignedS3Client({ bucket: "no-such-bucket", endpoint: ctx.s3.endpoint, retries: 0 });
    await expect(gone.putIfAbsent("builds/c.json", Buffer.from("{}"), META)).rejects.toThrow(/PUT s3:\/\/no-such-bucket\/builds\/c\.json failed: HTTP 404 NoSuchBucket/);
  });

  it("writes over an object only while it is the one read (If-Match its ETag), and of concurrent writes over it one only", async () => {
    const store = await ctx.s3.bucket("fetch-replace");
    const client = readerOf(store);
    await store.put("builds/a.json", Buffer.from('{"v":1}'), META);
    const v1 = (await client.get("builds/a.json"))!.etag!;
    const v2 = await client.putIfMatch("builds/a.json", Buffer.from('{"v":2}'), META, v1);
    expect(v2).toEqual({ written: true, etag: (await store.get("builds/a.json"))!.etag });
    // The ETag read before is no longer the object's; unquoted, the current one is.
    expect(await client.putIfMatch("builds/a.json", Buffer.from('{"v":3}'), META, v1)).toEqual({ written: false });
    expect((await client.putIfMatch("builds/a.json", Buffer.from('{"v":3}'), META, (v2 as { etag: string }).etag.replace(/"/g, ""))).written).toBe(true);
    expect((await store.get("builds/a.json"))!.body.toString()).toBe('{"v":3}');
    // No object: nothing to match (S3's 404 NoSuchKey), and nothing written.
    expect(await client.putIfMatch("builds/none.json", Buffer.from("{}"), META, v1)).toEqual({ written: false });
    expect(await store.get("builds/none.json")).toBeUndefined();
    // Twenty writers over the same object at once, five times: one wins, the others find it
    // changed (s3rver, unpatched, wrote them all, or failed with 500s: functions/local/s3rver-main.mjs).
    for (let round = 0; round < 5; round++) {
      const current = (await client.get("builds/a.json"))!.etag!;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.putIfMatch("builds/a.json", Buffer.from(`{"round":${round},"writer":${i}}`), META, current)));
      const winners = results.flatMap((r, i) => (r.written ? [i] : []));
      expect(winners).toHaveLength(1);
      expect((await store.get("builds/a.json"))!.body.toString()).toBe(`{"round":${round},"writer":${winners[0]}}`);
    }
  });

  it("sends its credentials: an unknown access key is refused with S3's error code", async () => {
    const store = await ctx.s3.bucket("fetch-denied");
    await store.put("latest.json", Buffer.from("{}"), META);
    const wrong = readerOf(store, { credentials: { accessKeyId: "NOT-S3RVER", secretAccessKey: "S3RVER" }, retries: 0 });
    await expect(wrong.get("latest.json")).rejects.toThrow(/HTTP 403 InvalidAccessKeyId/);
  });
});

describe("the API Lambda over s3rver", () => {
  it("serves /latest and reports status.json on /health from the bucket a build published to", async () => {
    const store = await ctx.s3.bucket("lambda");
    const content = await writeTree(await tempDir("syn-lambda-"), tree(ARTICLES));
    const report = await build({ source: new DirectoryContent(content), store, now: NOW });
    const failure = nextStatus(undefined, { trigger: "queue", messages: 1, now: NOW, duration_ms: 10, error: { name: "Error", message: "boom", retryable: true }, dead_lettered: true });
    await store.put(STATUS_KEY, statusBody(failure), { contentType: "application/json", cacheControl: STATUS_CACHE_CONTROL });

    const handler = createHandler({ config: { feedsBucket: store.bucket, endpoint: ctx.s3.endpoint } });
    const call = (path: string, query = "") => invokeGet(handler, path, query);

    const latest = await call("/latest", "limit=2");
    expect(latest.statusCode).toBe(200);
    expect(latest.headers["cache-control"]).toBe("public, max-age=60");
    const published = JSON.parse((await store.get("latest.json"))!.body.toString()) as { items: unknown[] };
    expect(latest.json).toEqual({ ...published, items: published.items.slice(0, 2) });
    expect((await call("/latest", "tag=energy-policy")).json.tag).toBe("energy-policy");
    expect((await call("/latest", "tag=no-such-tag")).statusCode).toBe(404);

    const health = await call("/health");
    expect(health.statusCode).toBe(200);
    expect(health.json).toMatchObject({
      status: "degraded",
      store: { reachable: true },
      published: { build_id: report.build_id, items: report.items },
      last_build: { state: "failed", error: { name: "Error", message: "boom" }, dead_lettered: true, retryable: true },
    });
    expect((await call("/openapi.json")).json.openapi).toBe("3.1.0");
  });
});
