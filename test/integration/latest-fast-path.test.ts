/**
 * The local server's `/latest` fast path (functions/local/latest-fast.ts) against the Hono app
 * it stands in front of: two servers on 127.0.0.1 over the same store and clock, one the plain
 * app (@hono/node-server), the other wired as `syndicate serve` wires it. Each request goes to
 * both as the same raw bytes; the answers must agree in status line, every header line (name,
 * value and order; only Date, Connection and Keep-Alive are skipped) and body bytes. Each case
 * also says whether the fast path must answer it or leave it to the app, so a fast path that
 * let everything fall through would fail too. Last, what node:http answers before any app (a
 * request it cannot parse): the JSON error body with CORS, as the app's errors carry.
 */
import { connect } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { createApp } from "../../functions/handlers/app.ts";
import { LatestReader, REVALIDATE_MS } from "../../functions/handlers/latest.ts";
import type { AddressInfo } from "node:net";
import { createLocalServer, latestFastPath, type FastPath } from "../../functions/local/latest-fast.ts";
import { WEBHOOK_BODY_LIMIT } from "../../functions/handlers/webhook.ts";
import { Coalescer } from "../../functions/pipeline/coalesce.ts";
import { NOW, githubSignature, published, randomSecret, serveLocal } from "../support/api.ts";

interface Answer {
  status: string;
  headers: string[];
  body: Buffer;
}

const SKIPPED = /^(date|connection|keep-alive):/i;

/** Sends `head` as the request's bytes (then a Host line, unless `host` is false) and reads the whole answer (the request asks to close). */
function raw(base: string, head: string, host = true): Promise<Answer> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect(Number(port), "127.0.0.1", () => sock.write(`${head}${host ? "Host: 127.0.0.1\r\n" : ""}Connection: close\r\n\r\n`));
    sock.on("data", (d: Buffer) => chunks.push(d));
    sock.on("error", reject);
    sock.on("close", () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf("\r\n\r\n");
      const [status, ...headers] = all.subarray(0, end).toString("latin1").split("\r\n");
      resolve({ status: status!, headers: headers.filter((h) => !SKIPPED.test(h)), body: all.subarray(end + 4) });
    });
  });
}

/** Serves on 127.0.0.1 until the test ends; resolves with the base URL. */
async function listen(options: Parameters<typeof serveLocal>[0]): Promise<string> {
  const server = await serveLocal(options);
  onTestFinished(server.close);
  return server.base;
}

/** The app served as `syndicate serve` serves it (createLocalServer), `fast` in front, until the test ends. */
async function listenLocal(fetch: (request: Request) => Response | Promise<Response>, fast: FastPath): Promise<string> {
  const server = createLocalServer(fetch, fast);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => {
    const closed = new Promise<void>((r) => server.close(() => r()));
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    return closed;
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function setup() {
  const { store } = await published();
  let now = NOW;
  const clock = () => now;
  const log = () => undefined;
  const reference = createApp({ store, now: clock, log, documents: {} });
  const latest = new LatestReader(store, clock);
  const app = createApp({ store, now: clock, log, documents: {}, latest });
  const fast = latestFastPath(latest);
  let fastAnswers = 0;
  const counted: FastPath = (req, res) => {
    const answered = fast(req, res);
    if (answered) fastAnswers++;
    return answered;
  };
  // The reference: the app served the same way, with no fast path in front of it.
  const appBase = await listenLocal(reference.fetch, () => false);
  const fastBase = await listenLocal(app.fetch, counted);
  /** Sends `head` to both servers; expects the same answer, and says whether the fast path gave it. */
  const both = async (head: string): Promise<{ answer: Answer; fast: boolean }> => {
    const before = fastAnswers;
    const viaFast = await raw(fastBase, head);
    const fastAnswered = fastAnswers > before;
    const viaApp = await raw(appBase, head);
    expect({ status: viaFast.status, headers: viaFast.headers }, head).toEqual({ status: viaApp.status, headers: viaApp.headers });
    expect(viaFast.body.equals(viaApp.body), `body of ${head}`).toBe(true);
    return { answer: viaApp, fast: fastAnswered };
  };
  /** The ETag of a GET of `path` (which also makes both servers hold the document). */
  const etagOf = async (path: string) => {
    const { answer } = await both(`GET ${path} HTTP/1.1\r\n`);
    return answer.headers.find((h) => /^etag:/i.test(h))?.replace(/^etag: /i, "") ?? '"none"';
  };
  return { store, both, etagOf, advance: (ms: number) => (now += ms) };
}

interface Case {
  method: string;
  path: string;
  /** Request header lines, given the ETag the path answers a plain GET with. */
  headers?: (etag: string) => string;
  fast: boolean;
  status: number;
}

const CASES: Case[] = [
  { method: "GET", path: "/latest", fast: true, status: 200 },
  { method: "HEAD", path: "/latest", fast: true, status: 200 },
  { method: "GET", path: "/latest?limit=1", fast: true, status: 200 },
  { method: "GET", path: "/latest?limit=50", fast: true, status: 200 },
  { method: "GET", path: "/latest?tag=energy-policy", fast: true, status: 200 },
  { method: "GET", path: "/latest?tag=libya&limit=1", fast: true, status: 200 },
  { method: "GET", path: "/latest?limit=2&tag=libya", fast: true, status: 200 },
  { method: "HEAD", path: "/latest?tag=libya", fast: true, status: 200 },
  { method: "GET", path: "/latest", headers: (e) => `If-None-Match: ${e}\r\n`, fast: true, status: 304 },
  { method: "HEAD", path: "/latest", headers: (e) => `If-None-Match: ${e}\r\n`, fast: true, status: 304 },
  { method: "GET", path: "/latest?limit=3", headers: (e) => `If-None-Match: W/${e}\r\n`, fast: true, status: 304 },
  { method: "GET", path: "/latest?tag=libya", headers: (e) => `If-None-Match: "nope", W/${e}\r\n`, fast: true, status: 304 },
  { method: "GET", path: "/latest", headers: () => `If-None-Match: *\r\n`, fast: true, status: 304 },
  { method: "GET", path: "/latest", headers: (e) => `If-None-Match: "nope"\r\nIf-None-Match: ${e}\r\n`, fast: true, status: 304 },
  { method: "GET", path: "/latest", headers: () => `If-None-Match: "nope", W/"other"\r\n`, fast: true, status: 200 },
  { method: "GET", path: "/latest?limit=1", headers: (e) => `If-None-Match: ${e.slice(0, -2)}"\r\n`, fast: true, status: 200 },
  { method: "GET", path: "/latest", headers: () => `If-Match: "nope"\r\n`, fast: false, status: 412 },
  { method: "GET", path: "/latest?limit=3", headers: (e) => `If-Match: "nope", ${e}\r\n`, fast: false, status: 200 },
  { method: "GET", path: "/latest", headers: (e) => `If-Match: W/${e}\r\n`, fast: false, status: 412 },
  { method: "GET", path: "/latest", headers: () => `If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n`, fast: false, status: 200 },
  { method: "GET", path: "/latest?limit=0", fast: false, status: 400 },
  { method: "GET", path: "/latest?limit=51", fast: false, status: 400 },
  { method: "GET", path: "/latest?limit=05", fast: false, status: 400 },
  { method: "GET", path: "/latest?limit=abc", fast: false, status: 400 },
  { method: "GET", path: "/latest?limit=", fast: false, status: 400 },
  { method: "GET", path: "/latest?limit=1&limit=2", fast: false, status: 400 },
  { method: "GET", path: "/latest?tag=Libya", fast: false, status: 200 },
  { method: "GET", path: "/latest?tag=a_b", fast: false, status: 404 },
  { method: "GET", path: "/latest?tag=%20", fast: false, status: 400 },
  { method: "GET", path: "/latest?tag=libya&tag=libya", fast: false, status: 400 },
  { method: "GET", path: "/latest?tag=unknown", fast: false, status: 404 },
  { method: "HEAD", path: "/latest?tag=unknown", fast: false, status: 404 },
  { method: "GET", path: "/latest?tag=%6cibya", fast: false, status: 200 },
  { method: "GET", path: "/latest?limit=1&utm_source=x", fast: false, status: 200 },
  { method: "GET", path: "/latest?", fast: false, status: 200 },
  { method: "GET", path: "/latest/", fast: false, status: 404 },
  { method: "GET", path: "/latest.json", fast: false, status: 200 },
  { method: "POST", path: "/latest", fast: false, status: 405 },
  { method: "OPTIONS", path: "/latest", headers: () => "Origin: https://partner.example\r\nAccess-Control-Request-Method: GET\r\n", fast: false, status: 204 },
  { method: "GET", path: "/health", fast: false, status: 200 },
  // A Host that is no host name (RFC 9112 §3.2: 400), as the app answers it on every other path.
  { method: "GET", path: "/latest", headers: () => "Host: a/b\r\n", fast: false, status: 400 },
  { method: "GET", path: "/latest?limit=1", headers: () => "Host: exa mple\r\n", fast: false, status: 400 },
  // Every port a URL can hold keeps the fast path (an ephemeral port may be 60000–60999), and one it cannot is the app's 400.
  { method: "GET", path: "/latest", headers: () => "Host: 127.0.0.1:60500\r\n", fast: true, status: 200 },
  { method: "GET", path: "/latest", headers: () => "Host: localhost:80\r\n", fast: true, status: 200 },
  { method: "GET", path: "/latest", headers: () => "Host: localhost:65535\r\n", fast: true, status: 200 },
  { method: "GET", path: "/latest", headers: () => "Host: localhost:65536\r\n", fast: false, status: 400 },
];

describe("the /latest fast path of the local server", () => {
  it.each(CASES)("answers $method $path like the app ($status, fast: $fast)", async ({ method, path, headers, fast, status }) => {
    const { both, etagOf } = await setup();
    // Both servers hold every document, so a fast path that took a request it should leave shows.
    for (const held of ["/latest", "/latest?tag=libya", "/latest?tag=energy-policy"]) await both(`GET ${held} HTTP/1.1\r\n`);
    const etag = await etagOf(path);
    const { answer, fast: answeredFast } = await both(`${method} ${path} HTTP/1.1\r\n${headers?.(etag) ?? ""}`);
    expect(answer.status).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answeredFast).toBe(fast);
  });

  it("answers every limit from 1 to 50, for the main feed and a tag, like the app", async () => {
    const { both } = await setup();
    for (const tag of ["", "tag=libya&"]) {
      for (let limit = 1; limit <= 50; limit++) {
        await both(`GET /latest?${tag}limit=${limit} HTTP/1.1\r\n`);
        expect((await both(`GET /latest?${tag}limit=${limit} HTTP/1.1\r\n`)).fast).toBe(true);
      }
    }
  });

  it("leaves a document due for revalidation to the app, then serves the new one", async () => {
    const { store, both, etagOf, advance } = await setup();
    const oldEtag = await etagOf("/latest");
    const first = await both("GET /latest HTTP/1.1\r\n");
    expect(first.fast).toBe(true);
    const doc = JSON.parse(first.answer.body.toString("utf8")) as { title: string };
    await store.put("latest.json", Buffer.from(JSON.stringify({ ...doc, title: "Renamed" })), { contentType: "application/json", cacheControl: "public, max-age=60" });
    // Still fresh: both serve the copy they hold.
    expect((await both("GET /latest HTTP/1.1\r\n")).answer.body.equals(first.answer.body)).toBe(true);
    advance(REVALIDATE_MS);
    const stale = await both(`GET /latest HTTP/1.1\r\nIf-None-Match: ${oldEtag}\r\n`);
    expect(stale.fast).toBe(false);
    expect(stale.answer.status).toMatch(/ 200 /);
    expect(JSON.parse(stale.answer.body.toString("utf8")).title).toBe("Renamed");
    const renamed = await both(`GET /latest HTTP/1.1\r\nIf-None-Match: ${oldEtag}\r\n`);
    expect(renamed.fast).toBe(true);
    expect(renamed.answer.body.equals(stale.answer.body)).toBe(true);
    const newEtag = await etagOf("/latest");
    expect(newEtag).not.toBe(oldEtag);
    expect((await both(`GET /latest HTTP/1.1\r\nIf-None-Match: ${newEtag}\r\n`)).answer.status).toMatch(/ 304 /);
  });
});

describe("requests node:http cannot parse, on the local server", () => {
  /** The local server as `syndicate serve` wires it, and the plain app's server beside it. */
  async function servers() {
    const { store } = await published();
    const app = createApp({ store, now: () => NOW, log: () => undefined, documents: {} });
    return { local: await listenLocal(app.fetch, () => false), plain: await listen({ fetch: app.fetch }) };
  }

  it.each([
    { what: "headers past node's size limit", head: `GET /latest HTTP/1.1\r\nX-Big: ${"a".repeat(20_000)}\r\n`, status: 431, code: "headers_too_large", message: /headers are larger than this server takes \(\d+ bytes\)/ },
    // The same limit, reached by the request's target alone: 414, as nginx or CloudFront answer a URL that long.
    { what: "a query string past node's size limit", head: `GET /latest?tag=${"a".repeat(20_000)} HTTP/1.1\r\n`, status: 414, bareStatus: 431, code: "uri_too_long", message: /request's target \(its path and query\) is longer than this server takes \(\d+ bytes\)/ },
    { what: "a malformed request line", head: "GET /latest HTTP/9\r\n", status: 400, code: "bad_request", message: /not valid HTTP\/1\.1/ },
    { what: "a header line without a colon", head: "GET /latest HTTP/1.1\r\nno colon here\r\n", status: 400, code: "bad_request", message: /not valid HTTP\/1\.1/ },
    // node:http answers an HTTP/1.1 request without Host (RFC 9112 §3.2) before any listener.
    { what: "an HTTP/1.1 request without Host", head: "GET /health HTTP/1.1\r\n", host: false, status: 400, code: "bad_request", message: /Host header/ },
    // What @hono/node-server cannot make a URL of, it answers bare before the app.
    { what: "a request target that is no path (OPTIONS *)", head: "OPTIONS * HTTP/1.1\r\n", status: 400, code: "bad_request", message: /not valid HTTP\/1\.1: invalid url/ },
    { what: "a backslash in the path", head: "GET /tags\\libya/feed.xml HTTP/1.1\r\n", status: 400, code: "bad_request", message: /not valid HTTP\/1\.1: backslash in request path/ },
    { what: "a Host that is no host name", head: "GET /health HTTP/1.1\r\nHost: a/b\r\n", status: 400, code: "bad_request", message: /not valid HTTP\/1\.1: invalid host header/ },
    { what: "an absolute URL that is not one", head: "GET http://[::1/health HTTP/1.1\r\n", status: 400, code: "bad_request", message: /not valid HTTP\/1\.1: invalid absolute url/ },
  ])("answers $what with the JSON error, no-store and CORS (node alone answers bare)", async ({ head, host, status, bareStatus, code, message }) => {
    const { local, plain } = await servers();
    const answer = await raw(local, head, host);
    expect(answer.status).toBe(`HTTP/1.1 ${status} ${({ 414: "URI Too Long", 431: "Request Header Fields Too Large" } as Record<number, string>)[status] ?? "Bad Request"}`);
    expect(answer.headers).toEqual(
      expect.arrayContaining(["access-control-allow-origin: *", "access-control-expose-headers: ETag,Link,Retry-After", "x-content-type-options: nosniff", "cache-control: no-store", "content-type: application/json; charset=utf-8", `content-length: ${answer.body.length}`]),
    );
    expect(JSON.parse(answer.body.toString("utf8"))).toEqual({ error: { code, message: expect.stringMatching(message) } });
    // What this replaces: node's own answer, the same status with no body and no CORS header.
    const bare = await raw(plain, head, host);
    // (An empty body, framed as one empty chunk where @hono/node-server answers.)
    const bareBody = bare.body.toString("latin1").replace(/^0\r\n\r\n$/, "");
    expect([bare.status.split(" ")[1], bareBody, bare.headers.some((h) => /^access-control/i.test(h))]).toEqual([String(bareStatus ?? status), "", false]);
  });

  it("still serves the next connection after answering one it could not parse", async () => {
    const { local } = await servers();
    await raw(local, "BROKEN\r\n");
    expect((await raw(local, "GET /latest HTTP/1.1\r\n")).status).toBe("HTTP/1.1 200 OK");
  });
});

describe("a request that expects 100-continue, on the local server", () => {
  /** Sends `head` with `Expect: 100-continue`; sends `body` only once the server answers 100; reads everything until close. */
  function expecting(base: string, head: string, body: string): Promise<{ statuses: string[]; sentBody: boolean; last: string }> {
    const { port } = new URL(base);
    return new Promise((resolve) => {
      let data = "";
      let sentBody = false;
      const sock = connect(Number(port), "127.0.0.1", () => sock.write(`${head}Host: 127.0.0.1\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`));
      sock.on("data", (d: Buffer) => {
        data += d.toString("latin1");
        if (!sentBody && /^HTTP\/1\.1 100 [^\r]*\r\n\r\n/.test(data)) {
          sentBody = true;
          sock.write(body);
        }
      });
      // The server may close before reading a body it refused: what it answered is what counts.
      const done = () => resolve({ statuses: [...data.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1]!), sentBody, last: data.slice(data.lastIndexOf("\r\n\r\n") + 4) });
      sock.on("close", done);
      sock.on("error", done);
    });
  }

  async function local() {
    const { store } = await published();
    const secret = randomSecret();
    let builds = 0;
    const coalescer = new Coalescer<void>({ run: async () => void builds++ });
    const app = createApp({ store, now: () => NOW, log: () => undefined, documents: {}, webhookSecret: secret, triggerBuild: coalescer.trigger });
    return { base: await listenLocal(app.fetch, () => false), secret };
  }

  it("refuses a webhook body declared over the limit with 413 without asking for it (no 100 Continue)", async () => {
    const { base, secret } = await local();
    const { statuses, sentBody, last } = await expecting(base, `POST /webhooks/rebuild HTTP/1.1\r\nX-Hub-Signature-256: ${githubSignature(secret, "x")}\r\nContent-Length: ${WEBHOOK_BODY_LIMIT + 1}\r\n`, "x");
    expect(statuses).toEqual(["413"]);
    expect(sentBody).toBe(false);
    expect(JSON.parse(last)).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("asks for a webhook body within the limit (100 Continue), then accepts it", async () => {
    const { base, secret } = await local();
    const body = '{"ref":"main"}';
    const { statuses, sentBody } = await expecting(base, `POST /webhooks/rebuild HTTP/1.1\r\nX-Hub-Signature-256: ${githubSignature(secret, body)}\r\nContent-Length: ${body.length}\r\n`, body);
    expect(sentBody).toBe(true);
    expect(statuses).toEqual(["100", "202"]);
  });

  it("answers a route that reads no body with its final status, not 100 Continue", async () => {
    const { base } = await local();
    expect((await expecting(base, "POST /latest HTTP/1.1\r\nContent-Length: 10\r\n", "0123456789")).statuses).toEqual(["405"]);
    expect((await expecting(base, "POST /feed.xml HTTP/1.1\r\nContent-Length: 10\r\n", "0123456789")).statuses).toEqual(["405"]);
  });
});
