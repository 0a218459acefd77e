import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/handlers/app.ts";
import { REVALIDATE_MS } from "../../functions/handlers/latest.ts";
import { latestDocumentSchema, LATEST_MAX } from "../../functions/core/latest.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { tempDir } from "../support/content-tree.ts";
import { NOW, ProbeStore, published } from "../support/api.ts";

async function setup() {
  const { store, content } = await published();
  const probe = new ProbeStore(store);
  let now = NOW;
  const logs: string[] = [];
  const app = createApp({ store: probe, now: () => now, log: (l) => logs.push(l) });
  return { app, probe, store, content, logs, advance: (ms: number) => (now += ms) };
}

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe("GET /latest", () => {
  it("answers the published latest document with its caching and safety headers", async () => {
    const { app } = await setup();
    const res = await app.request("/latest");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=60");
    expect(res.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const doc = latestDocumentSchema.parse(await res.json());
    expect(doc.items.map((i) => i.title)).toEqual(["Third", "Second", "First"]);
    expect(doc.item?.title).toBe("Third");
  });

  it("cuts items to ?limit and gives each limit its own ETag", async () => {
    const { app } = await setup();
    const all = await app.request("/latest");
    const one = await app.request("/latest?limit=1");
    const doc = latestDocumentSchema.parse(await one.json());
    expect(doc.items.map((i) => i.title)).toEqual(["Third"]);
    expect(doc.item?.title).toBe("Third");
    expect(one.headers.get("etag")).not.toBe(all.headers.get("etag"));
    expect((await app.request(`/latest?limit=${LATEST_MAX}`)).status).toBe(200);
  });

  it("answers a tag's latest document for ?tag=<slug>", async () => {
    const { app } = await setup();
    const res = await app.request("/latest?tag=energy-policy");
    expect(res.status).toBe(200);
    const doc = latestDocumentSchema.parse(await res.json());
    expect(doc.tag).toBe("energy-policy");
    expect(doc.items.map((i) => i.title)).toEqual(["Second"]);
  });

  it.each(["Energy%20Policy", "energy_policy", "ENERGY-POLICY", "-energy--policy-", "Energy+Policy", `energy-policy${"-".repeat(60)}`])("answers ?tag=%s, a tag as articles write it, with its slug's document", async (written) => {
    const { app } = await setup();
    const bySlug = await app.request("/latest?tag=energy-policy");
    const res = await app.request(`/latest?tag=${written}`);
    expect(res.status).toBe(200);
    expect(latestDocumentSchema.parse(await res.json()).tag).toBe("energy-policy");
    expect(res.headers.get("etag")).toBe(bySlug.headers.get("etag"));
  });

  it.each(["limit=0", "limit=51", "limit=abc", "limit=1.5", "limit=", "limit=-1", "limit=1e1", "limit=1&limit=2", "tag=", "tag=%20%20", "tag=%E0%A4%A", "tag=%FF", `tag=${"a".repeat(121)}`, `tag=${"É".repeat(121)}`, "tag=a&tag=b"])(
    "answers 400 with a JSON error for ?%s",
    async (query) => {
      const { app } = await setup();
      const res = await app.request(`/latest?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect((await errorOf(res)).code).toBe("bad_request");
    },
  );

  it("answers 404 for an unknown tag", async () => {
    const { app } = await setup();
    // A % that was sent percent-encoded is a tag's character, not an undecodable query (400).
    expect((await app.request("/latest?tag=100%25Fun")).status).toBe(404);
    const res = await app.request("/latest?tag=no-such-tag");
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({ code: "not_found", message: 'no published feed for tag "no-such-tag"' });
  });

  it("answers 404 when nothing is published", async () => {
    const app = createApp({ store: new DirectoryStore(await tempDir()) });
    const res = await app.request("/latest");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });

  it("answers 304 with no body and the RFC 9110 §15.4.5 headers when If-None-Match matches", async () => {
    const { app } = await setup();
    const etag = (await app.request("/latest")).headers.get("etag")!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const res = await app.request("/latest", { headers: { "if-none-match": header } });
      expect(res.status).toBe(304);
      expect(await res.text()).toBe("");
      expect(res.headers.get("etag")).toBe(etag);
      expect(res.headers.get("cache-control")).toBe("public, max-age=60");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect((await app.request("/latest", { headers: { "if-none-match": '"stale"' } })).status).toBe(200);
    expect((await app.request("/latest?limit=2", { headers: { "if-none-match": etag } })).status).toBe(200);
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    const { app } = await setup();
    const get = await app.request("/latest");
    const head = await app.request("/latest", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect(head.headers.get("etag")).toBe(get.headers.get("etag"));
    expect(head.headers.get("content-type")).toBe(get.headers.get("content-type"));
    expect(head.headers.get("content-length")).toBe(String((await get.arrayBuffer()).byteLength));
  });

  it("answers a CORS preflight from any origin", async () => {
    const { app } = await setup();
    const res = await app.request("/latest", {
      method: "OPTIONS",
      headers: { origin: "https://partner.example", "access-control-request-method": "GET", "access-control-request-headers": "if-none-match" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("GET");
    expect(res.headers.get("access-control-max-age")).toBe("86400");
  });

  it.each(["POST", "PUT", "DELETE", "PATCH"])("answers %s with 405 and Allow", async (method) => {
    const { app } = await setup();
    const res = await app.request("/latest", { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect((await errorOf(res)).code).toBe("method_not_allowed");
  });

  it("reads the store at most once per revalidation window, then sees a new build", async () => {
    const { app, probe, store, advance } = await setup();
    await Promise.all(Array.from({ length: 20 }, () => app.request("/latest")));
    expect(probe.gets).toBe(1);
    advance(REVALIDATE_MS - 1);
    await app.request("/latest");
    expect(probe.gets).toBe(1);
    const doc = latestDocumentSchema.parse(await (await app.request("/latest")).json());
    await store.put("latest.json", Buffer.from(JSON.stringify({ ...doc, items: doc.items.slice(1), item: doc.items[1] })), { contentType: "application/json", cacheControl: "" });
    advance(1);
    const fresh = latestDocumentSchema.parse(await (await app.request("/latest")).json());
    expect(probe.gets).toBe(2);
    expect(fresh.item?.title).toBe("Second");
  });

  it("keeps serving the document it has while the store is down", async () => {
    const { app, probe, advance } = await setup();
    const before = await (await app.request("/latest")).text();
    probe.down = true;
    advance(REVALIDATE_MS);
    const res = await app.request("/latest");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(before);
  });

  it("asks a failing store again only after the revalidation interval, not on every request", async () => {
    const { app, probe, advance } = await setup();
    await app.request("/latest");
    probe.down = true;
    advance(REVALIDATE_MS);
    const gets = probe.gets;
    for (let i = 0; i < 5; i++) expect((await app.request("/latest")).status).toBe(200);
    expect(probe.gets).toBe(gets + 1);
    advance(REVALIDATE_MS);
    probe.down = false;
    expect((await app.request("/latest")).status).toBe(200);
    expect(probe.gets).toBe(gets + 2);
  });

  it("keeps serving the document it has when the published one breaks its schema", async () => {
    const { app, store, advance } = await setup();
    const before = await (await app.request("/latest")).text();
    await store.put("latest.json", Buffer.from('{"version":99}'), { contentType: "application/json", cacheControl: "" });
    advance(REVALIDATE_MS);
    const res = await app.request("/latest");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(before);
  });

  it("answers 503 without internals when the store cannot be read and nothing is cached", async () => {
    const { app, probe } = await setup();
    probe.down = true;
    const res = await app.request("/latest", { headers: { origin: "https://partner.example" } });
    expect(res.status).toBe(503);
    // A browser script may read when to try again (Retry-After is exposed).
    expect([res.headers.get("retry-after"), res.headers.get("access-control-allow-origin"), res.headers.get("access-control-expose-headers")]).toEqual(["5", "*", "ETag,Link,Retry-After"]);
    const text = await res.text();
    expect(text).not.toContain("ECONNREFUSED");
    expect(text).not.toContain("10.1.2.3");
    expect(JSON.parse(text).error.code).toBe("unavailable");
  });

  it("answers 500 without internals for a latest.json that breaks its schema, and logs it", async () => {
    const { app, store, logs } = await setup();
    await store.put("latest.json", Buffer.from('{"version":99}'), { contentType: "application/json", cacheControl: "" });
    const res = await app.request("/latest");
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toEqual({ code: "internal", message: "internal error" });
    expect(logs.join("\n")).toContain("does not match its schema");
  });

  it("answers unknown paths with a JSON 404 and nosniff", async () => {
    const { app } = await setup();
    const res = await app.request("/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await errorOf(res)).code).toBe("not_found");
  });

  it("does not serve the published documents unless asked to (the CDN does on AWS)", async () => {
    const { app } = await setup();
    expect((await app.request("/feed.xml")).status).toBe(404);
  });
});

describe("GET /latest?tag= for tags nobody published", () => {
  it("answers 404 from the manifest, one store read for all of them, and leaves the real tags' copies alone", async () => {
    const { app, probe } = await setup();
    expect((await app.request("/latest?tag=libya")).status).toBe(200);
    const before = probe.gets;
    for (let i = 0; i < 30; i++) {
      const res = await app.request(`/latest?tag=made-up-${i}`);
      expect(res.status).toBe(404);
      expect((await errorOf(res)).message).toContain(`made-up-${i}`);
    }
    // The manifest, read once (then held like a document): no read per made-up tag.
    expect(probe.gets - before).toBeLessThanOrEqual(1);
    expect((await app.request("/latest?tag=energy-policy")).status).toBe(200);
  });

  it("reads a tag as it comes when the manifest cannot be read", async () => {
    const { app, probe } = await setup();
    probe.down = true;
    expect((await app.request("/latest?tag=libya")).status).toBe(503);
  });
});
