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

  it("ignores an If-Modified-Since that is not an HTTP-date, however far ahead (RFC 9110 §13.1.3)", async () => {
    const { app } = await served();
    for (const ims of ["garbage 2099", "2099", "2099-01-01T00:00:00Z", "Sat, 01 Jan 2099 00:00:00 +0000", "Sat, 31 Feb 2099 00:00:00 GMT", "Sat, 01 Jan 2099 24:00:00 GMT"]) {
      expect([ims, (await app.request("/feed.xml", { headers: { "if-modified-since": ims } })).status]).toEqual([ims, 200]);
    }
    // The three forms a recipient must accept (§5.6.7): IMF-fixdate, RFC 850's, asctime's.
    for (const ims of ["Thu, 01 Jan 2099 00:00:00 GMT", "Wednesday, 01-Jan-70 00:00:00 GMT", "Thu Jan  1 00:00:00 2099"]) {
      expect([ims, (await app.request("/feed.xml", { headers: { "if-modified-since": ims } })).status]).toEqual([ims, 304]);
    }
    // A two-digit year more than 50 years ahead is of the century before: 1999, before the feed.
    expect((await app.request("/feed.xml", { headers: { "if-modified-since": "Friday, 01-Jan-99 00:00:00 GMT" } })).status).toBe(200);
  });

  it("answers a failed If-Match or If-Unmodified-Since with 412, before If-None-Match (RFC 9110 §13.2.2)", async () => {
    const { app, when } = await served();
    const etag = (await app.request("/feed.xml")).headers.get("etag")!;
    const status = async (headers: Record<string, string>) => (await app.request("/feed.xml", { headers })).status;
    expect(await status({ "if-match": '"nomatch"' })).toBe(412);
    expect(await status({ "if-match": '"nomatch"', "if-none-match": etag })).toBe(412);
    // Strong comparison: the weak form of the current ETag does not match.
    expect(await status({ "if-match": `W/${etag}` })).toBe(412);
    expect(await status({ "if-match": `"x", ${etag}` })).toBe(200);
    expect(await status({ "if-match": "*" })).toBe(200);
    expect(await status({ "if-match": etag, "if-none-match": etag })).toBe(304);
    expect(await status({ "if-unmodified-since": new Date(when.getTime() - 1000).toUTCString() })).toBe(412);
    expect(await status({ "if-unmodified-since": when.toUTCString() })).toBe(200);
    // If-Match present: If-Unmodified-Since is not evaluated.
    expect(await status({ "if-match": etag, "if-unmodified-since": new Date(when.getTime() - 1000).toUTCString() })).toBe(200);
    const res = await app.request("/feed.xml", { headers: { "if-match": '"nomatch"' } });
    expect([res.headers.get("content-type"), res.headers.get("etag"), ((await res.json()) as { error: { code: string } }).error.code]).toEqual(["application/json; charset=utf-8", etag, "precondition_failed"]);
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

  it("answer a CORS preflight 204, so that the browser goes on to read the 404 (a preflight that is not a 2xx fails the request)", async () => {
    const { app } = await served();
    const preflight = { origin: "https://partner.example", "access-control-request-method": "GET", "access-control-request-headers": "if-none-match" };
    for (const path of ["/latest/", "/nope"]) {
      const res = await app.request(path, { method: "OPTIONS", headers: preflight });
      expect([path, res.status, res.headers.get("access-control-allow-origin"), res.headers.get("access-control-allow-headers")]).toEqual([path, 204, "*", "if-none-match"]);
    }
    // An OPTIONS that is not a preflight still has no route.
    expect((await app.request("/nope", { method: "OPTIONS" })).status).toBe(404);
  });

  it("answer HEAD with the Content-Length GET's answer has, errors and /health included", async () => {
    const { app } = await served();
    for (const path of ["/nope", "/latest?limit=0", "/health"]) {
      const get = await app.request(path);
      const head = await app.request(path, { method: "HEAD" });
      expect([path, head.status, head.headers.get("content-length")]).toEqual([path, get.status, String((await get.arrayBuffer()).byteLength)]);
    }
  });

  it("list OPTIONS in a document's Allow, which answers a preflight", async () => {
    const { app } = await served();
    expect((await app.request("/feed.json", { method: "PUT" })).headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect((await app.request("/feed.xml", { method: "PUT" })).headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    const preflight = await app.request("/tags/libya/atom.xml", { method: "OPTIONS", headers: { origin: "https://reader.example", "access-control-request-method": "GET", "access-control-request-headers": "if-none-match" } });
    expect([preflight.status, preflight.headers.get("access-control-allow-origin")]).toEqual([204, "*"]);
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
    for (const ae of ["gzip;q=0", "br", "identity", "*;q=0.5", "gzip;q=0.1, identity;q=1", "gzip;q=0.5, *;q=0.9", "gzip;q=2", "gzip;q=abc", "*, gzip;q=0"]) {
      const res = await app.request("/atom.xml", { headers: { "accept-encoding": ae } });
      expect([ae, res.headers.get("content-encoding")]).toEqual([ae, null]);
    }
    // x-gzip is gzip (RFC 9110 §8.4.1.3); a tie with identity goes to gzip.
    for (const ae of ["x-gzip", "gzip;q=0.5, identity;q=0.5", "identity;q=0, gzip;q=0.2", "GZIP;Q=1"]) {
      const res = await app.request("/atom.xml", { headers: { "accept-encoding": ae } });
      expect([ae, res.headers.get("content-encoding")]).toEqual([ae, "gzip"]);
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
