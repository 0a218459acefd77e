/**
 * The API through a real HTTP server (@hono/node-server on 127.0.0.1) over the real local S3
 * server: conditional reads against s3rver, and what only a socket shows (early 413, bad requests).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { serve, type ServerType } from "@hono/node-server";
import { createApp } from "../../functions/handlers/app.ts";
import { REVALIDATE_MS } from "../../functions/handlers/latest.ts";
import type { S3Store } from "../../functions/adapters/s3-store.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { build } from "../../functions/pipeline/build.ts";
import { Coalescer } from "../../functions/pipeline/coalesce.ts";
import { tempDir, tree, writeTree } from "../support/content-tree.ts";
import { ARTICLES, NOW, githubSignature, randomSecret, startHub } from "../support/api.ts";
import { runCli, startTestS3, type TestS3 } from "../support/s3.ts";

let s3: TestS3;
let store: S3Store;
let server: ServerType;
let base: string;
let now = NOW;
let builds = 0;
let dir = "";
const secret = randomSecret();

beforeAll(async () => {
  s3 = await startTestS3();
  store = await s3.bucket("api");
  dir = await mkdtemp(join(tmpdir(), "syn-api-http-"));
  await writeTree(join(dir, "content"), tree(ARTICLES));
  await build({ source: new DirectoryContent(join(dir, "content")), store, now: NOW });
  const coalescer = new Coalescer<void>({ run: async () => void builds++ });
  const app = createApp({ store, webhookSecret: secret, triggerBuild: coalescer.trigger, now: () => now, log: () => undefined });
  server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((r) => server.once("listening", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  await s3?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("the API over HTTP", () => {
  it("serves /latest with ETag and answers If-None-Match with 304 and no body", async () => {
    const res = await fetch(`${base}/latest?limit=2`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const body = await res.text();
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(body)));
    const etag = res.headers.get("etag")!;
    const again = await fetch(`${base}/latest?limit=2`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.headers.get("cache-control")).toBe("public, max-age=60");
    expect(await again.text()).toBe("");
  });

  it("revalidates with the store by a conditional GET that s3rver answers 304", async () => {
    const first = await (await fetch(`${base}/latest`)).text();
    const gets = store.stats.get;
    now += REVALIDATE_MS;
    expect(await (await fetch(`${base}/latest`)).text()).toBe(first);
    expect(store.stats.get).toBe(gets + 1);
    // A new latest.json is seen on the next revalidation.
    const doc = JSON.parse(first);
    await store.put("latest.json", Buffer.from(JSON.stringify({ ...doc, title: "Renamed" })), { contentType: "application/json", cacheControl: "public, max-age=60" });
    now += REVALIDATE_MS;
    expect(JSON.parse(await (await fetch(`${base}/latest`)).text()).title).toBe("Renamed");
    await store.put("latest.json", Buffer.from(first), { contentType: "application/json", cacheControl: "public, max-age=60" });
  });

  it("answers HEAD and a CORS preflight", async () => {
    const head = await fetch(`${base}/latest`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const pre = await fetch(`${base}/latest`, { method: "OPTIONS", headers: { origin: "https://partner.example", "access-control-request-method": "GET" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answers 400, 404 and 405 as JSON", async () => {
    expect((await fetch(`${base}/latest?limit=99`)).status).toBe(400);
    expect((await fetch(`${base}/latest?tag=%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${base}/latest?tag=unknown`)).status).toBe(404);
    const r = await fetch(`${base}/health`, { method: "DELETE" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });

  it("accepts a signed webhook: 202 and a build", async () => {
    const body = '{"ref":"main"}';
    const res = await fetch(`${base}/webhooks/rebuild`, { method: "POST", headers: { "x-hub-signature-256": githubSignature(secret, body), "content-type": "application/json" }, body });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { build_id: string }).build_id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
  });

  it("answers a 10 MB chunked upload with 413 before it has all been sent", async () => {
    const total = 10 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 120);
    const { status, sent } = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      let done = false;
      const req = httpRequest(`${base}/webhooks/rebuild`, { method: "POST", headers: { "x-hub-signature-256": githubSignature(secret, "x"), "transfer-encoding": "chunked" } }, (res) => {
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
    const { port } = new URL(base);
    const reply = await new Promise<string>((resolve) => {
      const sock = connect(Number(port), "127.0.0.1", () => sock.write("GET /latest HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"));
      let data = "";
      sock.on("data", (d) => (data += d));
      sock.on("close", () => resolve(data));
      sock.on("error", () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});

describe("build --bucket --ping", () => {
  it("pings the hub for the feeds the build wrote", async () => {
    const hub = await startHub();
    const target = await s3.bucket("ping");
    const content = await writeTree(join(await tempDir(), "content"), tree(ARTICLES, { websub_hub: hub.url }));
    const run = await runCli(["build", "--content", content, "--bucket", target.bucket, "--endpoint", s3.endpoint, "--ping", "--now", new Date(NOW).toISOString()]);
    expect(run.code).toBe(0);
    expect(hub.pings.map((p) => p.url)).toContain("https://news.example.com/feeds/feed.xml");
    expect(hub.pings).toHaveLength(9);
    const plain = await runCli(["build", "--content", content, "--bucket", (await s3.bucket("noping")).bucket, "--endpoint", s3.endpoint]);
    expect(plain.code).toBe(0);
    expect(hub.pings).toHaveLength(9);
  });
});
