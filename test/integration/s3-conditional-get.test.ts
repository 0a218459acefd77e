/**
 * S3Store.getIfNoneMatch (the conditional GET `GET /latest` revalidates with) against the real
 * s3rver: 304 → "not-modified", 200 → the object, gone → undefined, each request counted; and,
 * through test/support/fault-proxy.ts, a 200 body cut short in transit is read again or rejected
 * exactly as S3Store.get does it, never passed off as the object.
 */
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { IncompleteReadError } from "../../functions/adapters/store.ts";
import { createS3Client, S3Store } from "../../functions/adapters/s3-store.ts";
import { useTestS3 } from "../support/s3.ts";

const ctx = useTestS3({ faultProxy: { seed: 7 } });

const META = { contentType: "application/json", cacheControl: "public, max-age=60" };

describe("S3Store.getIfNoneMatch against s3rver", () => {
  it("answers not-modified for the current ETag, the object once it changed, undefined once it is gone; one GET each", async () => {
    const store = await ctx.s3.bucket("cond");
    const v1 = Buffer.from('{"version":1,"items":[]}');
    await store.put("latest.json", v1, META);
    const first = (await store.get("latest.json"))!;
    const before = store.stats.get;

    expect(await store.getIfNoneMatch("latest.json", first.etag!)).toBe("not-modified");
    expect(store.stats.get - before).toBe(1);

    const v2 = Buffer.from('{"version":1,"items":[{}]}');
    await store.put("latest.json", v2, META);
    const changed = await store.getIfNoneMatch("latest.json", first.etag!);
    expect(changed).not.toBe("not-modified");
    expect(changed).toMatchObject({ contentType: META.contentType, cacheControl: META.cacheControl });
    expect((changed as { body: Buffer }).body.equals(v2)).toBe(true);
    expect((changed as { etag: string }).etag).not.toBe(first.etag);
    expect(store.stats.get - before).toBe(2);

    await store.delete(["latest.json"]);
    expect(await store.getIfNoneMatch("latest.json", first.etag!)).toBeUndefined();
    expect(store.stats.get - before).toBe(3);
    // get itself never answers "not-modified".
    expect(await store.get("latest.json")).toBeUndefined();
  });
});

describe("S3Store.getIfNoneMatch with the body cut short in transit", () => {
  async function throughProxy(label: string) {
    const direct = await ctx.s3.bucket(label);
    const body = Buffer.from(JSON.stringify({ version: 1, items: [randomBytes(2_000).toString("hex")] }));
    await direct.put("latest.json", body, META);
    const client = createS3Client({ endpoint: ctx.proxy.endpoint, maxAttempts: 3, requestTimeoutMs: 1_000 });
    const faulty = new S3Store({ client, bucket: direct.bucket });
    return { body, faulty, done: () => client.destroy() };
  }

  it("reads a body cut short (matching or original Content-Length) again and returns the whole object", async () => {
    for (const fault of ["truncate-response-short", "truncate-response"] as const) {
      const { body, faulty, done } = await throughProxy(`cond-cut-${fault}`);
      try {
        ctx.proxy.rules = [{ op: "GET", key: /^latest\.json$/, nth: [1], fault }];
        const got = await faulty.getIfNoneMatch("latest.json", '"0123456789abcdef0123456789abcdef"');
        expect(got).not.toBe("not-modified");
        expect((got as { body: Buffer }).body.equals(body)).toBe(true);
        expect(faulty.stats.get).toBe(2);
      } finally {
        ctx.proxy.rules = [];
        done();
      }
    }
  });

  it("rejects a body cut short on every attempt with IncompleteReadError, as get does", async () => {
    const { faulty, done } = await throughProxy("cond-cut-always");
    try {
      ctx.proxy.rules = [{ op: "GET", key: /^latest\.json$/, fault: "truncate-response-short" }];
      await expect(faulty.getIfNoneMatch("latest.json", '"0123456789abcdef0123456789abcdef"')).rejects.toThrow(IncompleteReadError);
      await expect(faulty.get("latest.json")).rejects.toThrow(IncompleteReadError);
      expect(faulty.stats.get).toBe(6);
    } finally {
      ctx.proxy.rules = [];
      done();
    }
  });
});
