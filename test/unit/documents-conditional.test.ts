/**
 * Served documents revalidate both ways feed readers do (issue 3: "the headers a CDN would
 * give"): ETag / If-None-Match, and Last-Modified / If-Modified-Since, which some readers send
 * alone. If-None-Match takes precedence when both are sent (RFC 9110 §13.2.2). Also what else
 * the local stack serves as the CDN does: the manifest, and a 503 when the store cannot be read.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { utimes } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { createApp } from "../../functions/handlers/app.ts";
import { linkHeader } from "../../functions/handlers/documents.ts";
import { ProbeStore, published } from "../support/api.ts";
import { settlesAt, watch, withFakeTimers } from "../support/clock.ts";

async function served() {
  const { dir, store } = await published();
  // A whole second, far enough back that "now" is after it.
  const when = new Date(Date.UTC(2024, 4, 1, 12, 0, 0));
  await utimes(join(dir, "out", "feed.xml"), when, when);
  const app = createApp({ store, documents: {}, now: () => Date.now(), log: () => undefined });
  return { app, when, dir };
}

describe("document revalidation", () => {
  it("sends Last-Modified: the stored object's modification time", async () => {
    const { app, when } = await served();
    const res = await app.request("/feed.xml");
    expect([res.status, res.headers.get("last-modified")]).toEqual([200, when.toUTCString()]);
  });

  it("answers HEAD with GET's headers, Content-Length included, and no body", async () => {
    const { app } = await served();
    const get = await app.request("/feed.xml");
    const head = await app.request("/feed.xml", { method: "HEAD" });
    expect([head.status, head.headers.get("content-length"), head.headers.get("etag"), await head.text()]).toEqual([200, String((await get.arrayBuffer()).byteLength), get.headers.get("etag"), ""]);
  });

  it("answers If-Modified-Since at or after it with 304, before it with 200", async () => {
    const { app, when } = await served();
    const at = (ms: number) => app.request("/feed.xml", { headers: { "if-modified-since": new Date(ms).toUTCString() } });
    const [same, later, earlier] = await Promise.all([at(when.getTime()), at(when.getTime() + 60_000), at(when.getTime() - 1000)]);
    expect([same.status, later.status, earlier.status]).toEqual([304, 304, 200]);
    expect(same.headers.get("etag")).toBeTruthy();
    expect(await same.text()).toBe("");
  });

  it("ignores If-Modified-Since when If-None-Match is sent, and an invalid date", async () => {
    const { app, when } = await served();
    const ims = new Date(when.getTime() + 60_000).toUTCString();
    const stale = await app.request("/feed.xml", { headers: { "if-none-match": '"not-this"', "if-modified-since": ims } });
    expect(stale.status).toBe(200);
    const etag = stale.headers.get("etag")!;
    expect((await app.request("/feed.xml", { headers: { "if-none-match": etag, "if-modified-since": "Thu, 01 Jan 1970 00:00:00 GMT" } })).status).toBe(304);
    expect((await app.request("/feed.xml", { headers: { "if-modified-since": "yesterday-ish" } })).status).toBe(200);
  });
});

describe("document serving", () => {
  it("serves manifest.json (an output of the contract's layout), JSON with CORS", async () => {
    const { store } = await published();
    const app = createApp({ store, documents: {}, now: () => Date.now(), log: () => undefined });
    const res = await app.request("/manifest.json", { headers: { origin: "https://partner.example" } });
    expect([res.status, res.headers.get("content-type"), res.headers.get("access-control-allow-origin")]).toEqual([200, "application/json", "*"]);
    expect(((await res.json()) as { outputs: Record<string, unknown> }).outputs["feed.xml"]).toBeDefined();
    expect((await app.request("/status.json")).status).toBe(404);
  });

  it("answers 503 with Retry-After, naming nothing internal, when the store cannot be read", async () => {
    const { store } = await published();
    const probe = new ProbeStore(store);
    const logs: string[] = [];
    const app = createApp({ store: probe, documents: {}, now: () => Date.now(), log: (l) => logs.push(l) });
    probe.down = true;
    const res = await app.request("/feed.xml");
    expect([res.status, res.headers.get("retry-after"), res.headers.get("cache-control")]).toEqual([503, "5", "no-store"]);
    expect(await res.text()).not.toContain("10.1.2.3");
  });

  it("answers 503 within the read timeout when the store stalls, instead of hanging on the S3 client's retries", async () => {
    const { store } = await published();
    const stalled = Object.assign(Object.create(store) as typeof store, { get: () => new Promise<never>(() => undefined) });
    const app = createApp({ store: stalled, documents: { readTimeoutMs: 200 }, now: () => Date.now(), log: () => undefined });
    await withFakeTimers(async () => {
      // At the read timeout (200 ms of fake time), not later.
      const answer = watch(Promise.resolve(app.request("/feed.json")));
      await settlesAt(answer, 200);
      const res = await answer.promise;
      expect([res.status, res.headers.get("retry-after")]).toEqual([503, "5"]);
    });
  });
});

describe("unknown paths on the local stack", () => {
  it("answer the API's JSON 404 with CORS, as the Lambda's do, for any method", async () => {
    const { app } = await served();
    for (const [path, method] of [["/nope", "GET"], ["/tags/x/feed.xml.bak", "GET"], ["/nope", "POST"], ["/tags/gone/feed.json", "GET"]] as const) {
      const res = await app.request(path, { method, headers: { origin: "https://partner.example" } });
      expect([path, method, res.status, res.headers.get("access-control-allow-origin"), res.headers.get("content-type")]).toEqual([path, method, 404, "*", "application/json; charset=utf-8"]);
    }
  });
});

describe("compression, as the CDN gives it", () => {
  const gzip = { "accept-encoding": "gzip, deflate, br" };

  it("gzips a document for a reader that asks, with a weak ETag and Vary, and the same bytes inside", async () => {
    const { app } = await served();
    const plain = await app.request("/feed.xml");
    const zipped = await app.request("/feed.xml", { headers: gzip });
    const bytes = Buffer.from(await zipped.arrayBuffer());
    expect([zipped.status, zipped.headers.get("content-encoding"), zipped.headers.get("vary"), zipped.headers.get("content-length")]).toEqual([200, "gzip", "Accept-Encoding", String(bytes.byteLength)]);
    expect(zipped.headers.get("etag")).toBe(`W/${plain.headers.get("etag")}`);
    expect(gunzipSync(bytes).equals(Buffer.from(await plain.arrayBuffer()))).toBe(true);
    expect(bytes.byteLength).toBeLessThan(Number(plain.headers.get("content-length")) / 2);
    // The plain answer says it varies too, so a cache never hands it to a gzip reader or back.
    expect([plain.headers.get("content-encoding"), plain.headers.get("vary")]).toEqual([null, "Accept-Encoding"]);
  });

  it("revalidates either ETag (weak comparison), and the 304 keeps Vary and the ETag the 200 had", async () => {
    const { app } = await served();
    const zipped = await app.request("/feed.xml", { headers: gzip });
    const weak = zipped.headers.get("etag")!;
    expect(weak).toMatch(/^W\/"/);
    const again = await app.request("/feed.xml", { headers: { ...gzip, "if-none-match": weak } });
    expect([again.status, again.headers.get("etag"), again.headers.get("vary"), again.headers.get("content-encoding")]).toEqual([304, weak, "Accept-Encoding", null]);
    const plain = await app.request("/feed.xml", { headers: { "if-none-match": weak } });
    expect([plain.status, plain.headers.get("etag")]).toEqual([304, weak.slice(2)]);
  });

  it("sends identity when gzip is refused or not named, for HEAD as for GET, and below 1,000 bytes", async () => {
    const { app } = await served();
    for (const ae of ["gzip;q=0", "br", "identity", "*;q=0.5"]) {
      const res = await app.request("/atom.xml", { headers: { "accept-encoding": ae } });
      expect([ae, res.headers.get("content-encoding")]).toEqual([ae, null]);
    }
    const get = await app.request("/atom.xml", { headers: gzip });
    const head = await app.request("/atom.xml", { method: "HEAD", headers: gzip });
    expect([head.headers.get("content-encoding"), head.headers.get("content-length"), head.headers.get("etag")]).toEqual(["gzip", String((await get.arrayBuffer()).byteLength), get.headers.get("etag")]);
    // A document of 999 bytes, as CloudFront leaves it.
    const { store } = await published();
    const feed = (await store.get("feed.xml"))!;
    expect(feed.body.byteLength).toBeGreaterThan(999);
    const tiny = Object.assign(Object.create(store) as typeof store, { get: async () => ({ ...feed, body: feed.body.subarray(0, 999), etag: undefined }) });
    const small = createApp({ store: tiny, documents: {}, now: () => Date.now(), log: () => undefined });
    const res = await small.request("/feed.xml", { headers: gzip });
    expect([res.status, res.headers.get("content-encoding"), res.headers.get("content-length")]).toEqual([200, null, "999"]);
    expect(res.headers.get("vary")).toBe("Accept-Encoding");
  });
});

describe("WebSub Link headers", () => {
  it("name the hub on the main and tag feeds, not on archive pages (which are never pinged), and self on all", () => {
    const links = { hub: "http://127.0.0.1:9/hub", base: "https://news.example.com/feeds/" };
    expect(linkHeader("feed.xml", links)).toBe('<http://127.0.0.1:9/hub>; rel="hub", <https://news.example.com/feeds/feed.xml>; rel="self"');
    expect(linkHeader("tags/libya/feed.json", links)).toContain('rel="hub"');
    expect(linkHeader("archive/1/atom.xml", links)).toBe('<https://news.example.com/feeds/archive/1/atom.xml>; rel="self"');
    expect(linkHeader("latest.json", links)).toBeUndefined();
  });
});
