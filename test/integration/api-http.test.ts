/**
 * The API through a real HTTP server (@hono/node-server on 127.0.0.1) over the real local S3
 * server: conditional reads against s3rver, and what only a socket shows (early 413, bad requests).
 */
import { describe, expect, it, vi } from "vitest";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { REVALIDATE_MS } from "../../functions/handlers/latest.ts";
import { Coalescer } from "../../functions/pipeline/coalesce.ts";
import { tempDir, tree, writeTree } from "../support/content-tree.ts";
import { ARTICLES, NOW, githubSignature, randomSecret, startHub } from "../support/api.ts";
import { runCli, useServedBucket } from "../support/s3.ts";

let now = NOW;
let builds = 0;
const secret = randomSecret();
const coalescer = new Coalescer<void>({ run: async () => void builds++ });
const ctx = useServedBucket({ bucket: "api", articles: ARTICLES, workPrefix: "syn-api-http-", app: { webhookSecret: secret, triggerBuild: coalescer.trigger, now: () => now } });

describe("the API over HTTP", () => {
  it("serves /latest with ETag and answers If-None-Match with 304 and no body", async () => {
    const res = await fetch(`${ctx.base}/latest?limit=2`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const body = await res.text();
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(body)));
    const etag = res.headers.get("etag")!;
    const again = await fetch(`${ctx.base}/latest?limit=2`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.headers.get("cache-control")).toBe("public, max-age=60");
    expect(await again.text()).toBe("");
  });

  it("revalidates with the store by a conditional GET that s3rver answers 304", async () => {
    const first = await (await fetch(`${ctx.base}/latest`)).text();
    const gets = ctx.store.stats.get;
    const conditional = vi.spyOn(ctx.store, "getIfNoneMatch");
    now += REVALIDATE_MS;
    expect(await (await fetch(`${ctx.base}/latest`)).text()).toBe(first);
    expect(ctx.store.stats.get).toBe(gets + 1);
    // That one GET was conditional, on the copy's ETag, and s3rver answered it 304.
    expect(conditional.mock.calls.map(([key]) => key)).toEqual(["latest.json"]);
    expect(conditional.mock.calls[0]![1]).toMatch(/^"[^"]+"$/);
    expect(await conditional.mock.results[0]!.value).toBe("not-modified");
    conditional.mockRestore();
    // A new latest.json is seen on the next revalidation.
    const doc = JSON.parse(first);
    await ctx.store.put("latest.json", Buffer.from(JSON.stringify({ ...doc, title: "Renamed" })), { contentType: "application/json", cacheControl: "public, max-age=60" });
    now += REVALIDATE_MS;
    expect(JSON.parse(await (await fetch(`${ctx.base}/latest`)).text()).title).toBe("Renamed");
    await ctx.store.put("latest.json", Buffer.from(first), { contentType: "application/json", cacheControl: "public, max-age=60" });
  });

  it("answers HEAD and a CORS preflight", async () => {
    const head = await fetch(`${ctx.base}/latest`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    // Over real HTTP: HEAD carries GET's Content-Length.
    expect(head.headers.get("content-length")).toBe(String((await (await fetch(`${ctx.base}/latest`)).arrayBuffer()).byteLength));
    const pre = await fetch(`${ctx.base}/latest`, { method: "OPTIONS", headers: { origin: "https://partner.example", "access-control-request-method": "GET" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answers 400, 404 and 405 as JSON", async () => {
    expect((await fetch(`${ctx.base}/latest?limit=99`)).status).toBe(400);
    expect((await fetch(`${ctx.base}/latest?tag=%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${ctx.base}/latest?tag=unknown`)).status).toBe(404);
    const r = await fetch(`${ctx.base}/health`, { method: "DELETE" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });

  it("accepts a signed webhook: 202 and a build", async () => {
    const body = '{"ref":"main"}';
    const res = await fetch(`${ctx.base}/webhooks/rebuild`, { method: "POST", headers: { "x-hub-signature-256": githubSignature(secret, body), "content-type": "application/json" }, body });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { build_id: string }).build_id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
  });

  it("says what is malformed in a signature header, rather than that the signature does not match", async () => {
    const body = '{"ref":"main"}';
    const refused = async (headers: Record<string, string>) => {
      const res = await fetch(`${ctx.base}/webhooks/rebuild`, { method: "POST", headers, body });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("X-Hub-Signature-256");
      return ((await res.json()) as { error: { code: string; message: string } }).error;
    };
    const hex = githubSignature(secret, body).slice("sha256=".length);
    // The hex alone, and the prefix in capitals: a hand-written sender's mistakes, not a wrong secret.
    for (const header of [hex, `SHA256=${hex}`, `sha256=${hex.slice(1)}`]) {
      expect(await refused({ "x-hub-signature-256": header })).toEqual({ code: "unauthorized", message: expect.stringMatching(/^X-Hub-Signature-256 must be sha256= and .*64 hex digits/) });
    }
    expect((await refused({ "x-hub-signature-256": `sha256=${"0".repeat(64)}` })).message).toBe("the signature does not match the body");
    // Standard Webhooks: a timestamp in milliseconds or as a date is not Unix seconds; a signature without its `v1,`.
    const sw = (timestamp: string, signature: string) => ({ "webhook-id": "msg_1", "webhook-timestamp": timestamp, "webhook-signature": signature });
    const seconds = String(Math.floor(now / 1000));
    for (const timestamp of [String(now), new Date(now).toISOString(), "1.5e9", ""]) {
      expect((await refused(sw(timestamp, "v1,AAAA"))).message).toMatch(timestamp === "" ? /needs webhook-id and webhook-timestamp/ : /^webhook-timestamp must be Unix seconds/);
    }
    expect((await refused(sw(String(Math.floor(now / 1000) - 600), "v1,AAAA"))).message).toMatch(/^webhook-timestamp is not within 300 seconds of now/);
    expect((await refused(sw(seconds, "AAAA"))).message).toMatch(/^webhook-signature has no v1 signature/);
    expect((await refused(sw(seconds, "v1,AAAA"))).message).toBe("the signature does not match the body");
  });

  it("answers a 10 MB chunked upload with 413 before it has all been sent", async () => {
    const total = 10 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 120);
    const { status, sent } = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      let done = false;
      const req = httpRequest(`${ctx.base}/webhooks/rebuild`, { method: "POST", headers: { "x-hub-signature-256": githubSignature(secret, "x"), "transfer-encoding": "chunked" } }, (res) => {
        done = true;
        res.resume();
        resolve({ status: res.statusCode!, sent });
        req.destroy();
      });
      req.on("error", (err) => (done ? undefined : reject(err)));
      const pump = () => {
        while (!done && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        if (!done) req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(sent).toBeLessThan(total);
  });

  it("answers a malformed HTTP request with 400 and keeps serving", async () => {
    const { port } = new URL(ctx.base);
    const reply = await new Promise<string>((resolve) => {
      const sock = connect(Number(port), "127.0.0.1", () => sock.write("GET /latest HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"));
      let data = "";
      sock.on("data", (d) => (data += d));
      sock.on("close", () => resolve(data));
      sock.on("error", () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(`${ctx.base}/health`)).status).toBe(200);
  });
});

describe("build --bucket --ping", () => {
  it("pings the hub for the feeds the build wrote", async () => {
    const hub = await startHub();
    const target = await ctx.s3.bucket("ping");
    const content = await writeTree(join(await tempDir(), "content"), tree(ARTICLES, { websub_hub: hub.url }));
    const run = await runCli(["build", "--content", content, "--bucket", target.bucket, "--endpoint", ctx.s3.endpoint, "--ping", "--now", new Date(NOW).toISOString()]);
    expect(run.code).toBe(0);
    expect(hub.pings.map((p) => p.url)).toContain("https://news.example.com/feeds/feed.xml");
    expect(hub.pings).toHaveLength(9);
    const plain = await runCli(["build", "--content", content, "--bucket", (await ctx.s3.bucket("noping")).bucket, "--endpoint", ctx.s3.endpoint]);
    expect(plain.code).toBe(0);
    expect(hub.pings).toHaveLength(9);
  });
});
