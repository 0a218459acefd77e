/**
 * The claims of SECURITY.md about the HTTP surface, through `app.request` (no server): nosniff on
 * every answer, errors as JSON, documents never served as HTML, CORS on read routes only, the
 * webhook's replay window and constant-time comparison, and the secret in no answer or log line.
 */
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../functions/handlers/app.ts";
import { createApiApp } from "../../functions/handlers/routes.ts";
import { OWNED_KEY } from "../../functions/pipeline/publish.ts";
import { TIMESTAMP_TOLERANCE_S, deliveryRequestId } from "../../functions/handlers/webhook.ts";
import type { BuildRequest } from "../../functions/pipeline/coalesce.ts";
import { loadContent } from "../../functions/core/content.ts";
import { formatIssue } from "../../functions/core/errors.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { githubSignature, published, randomSecret, standardHeaders } from "../support/api.ts";
import { siteYaml } from "../support/content-tree.ts";

// Spied on, not replaced: the webhook must compare signatures with timingSafeEqual.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
const { timingSafeEqual } = await import("node:crypto");

const ORIGIN = "https://partner.example";
const BODY = JSON.stringify({ ref: "refs/heads/main" });

interface Setup {
  app: ReturnType<typeof createApp>;
  secret: string;
  logs: string[];
  keys: string[];
  now: number;
}

/** The local stack's app (API + documents) over a published build; its trigger fails for one body. */
async function setup(): Promise<Setup> {
  const { store } = await published();
  const secret = randomSecret();
  const logs: string[] = [];
  const now = Date.now();
  const app = createApp({
    store,
    webhookSecret: secret,
    triggerBuild: async (r) => {
      if (r.delivery_id === "explode") throw new Error("queue down: internal detail");
      return { id: "build-1" };
    },
    documents: {},
    now: () => now,
    log: (line) => logs.push(line),
  });
  // Every key the build published and a reader may ask for (manifest.json is the build's own).
  const keys = (await store.list()).filter((k) => OWNED_KEY.test(k));
  return { app, secret, logs, keys, now };
}

/** One request of every kind the app answers, each with the status it must get. */
function requests(t: Setup): [string, string, RequestInit, number][] {
  const signed = (extra: Record<string, string> = {}) => ({ method: "POST", body: BODY, headers: { "x-hub-signature-256": githubSignature(t.secret, BODY), ...extra } });
  return [
    ["GET /latest", "/latest", {}, 200],
    ["HEAD /latest", "/latest", { method: "HEAD" }, 200],
    ["preflight /latest", "/latest", { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "GET" } }, 204],
    ["bad limit", "/latest?limit=0", {}, 400],
    ["unknown tag", "/latest?tag=nothing-here", {}, 404],
    ["DELETE /latest", "/latest", { method: "DELETE" }, 405],
    ["GET /health", "/health", {}, 200],
    ["GET /openapi.json", "/openapi.json", {}, 200],
    ["unknown path", "/wp-admin/index.php", {}, 404],
    ["unsigned webhook", "/webhooks/rebuild", { method: "POST", body: BODY }, 401],
    ["badly signed webhook", "/webhooks/rebuild", { method: "POST", body: BODY, headers: { "x-hub-signature-256": githubSignature(randomSecret(), BODY) } }, 401],
    ["GET webhook", "/webhooks/rebuild", {}, 405],
    ["signed webhook", "/webhooks/rebuild", signed({ "x-request-id": "d-1" }), 202],
    ["webhook whose build cannot start", "/webhooks/rebuild", signed({ "x-request-id": "explode" }), 500],
    ["GET /feed.xml", "/feed.xml", {}, 200],
    ["GET /feed.json", "/feed.json", {}, 200],
    ["missing document", "/tags/nothing-here/feed.xml", {}, 404],
    ["POST to a document", "/feed.xml", { method: "POST", body: "x" }, 405],
    ["an .html key", "/feed.html", {}, 404],
  ];
}

interface Answer {
  name: string;
  status: number;
  want: number;
  headers: Headers;
  body: string;
}

/** Sends every request of the table to a fresh app. */
async function answered(): Promise<{ t: Setup; answers: Answer[] }> {
  const t = await setup();
  const answers: Answer[] = [];
  for (const [name, path, init, want] of requests(t)) {
    const res = await t.app.request(path, init);
    answers.push({ name, status: res.status, want, headers: res.headers, body: await res.text() });
  }
  return { t, answers };
}

describe("response headers", () => {
  it("answers each kind of request with its status (the table the other tests read)", async () => {
    const { answers } = await answered();
    expect(answers.map((a) => [a.name, a.status])).toEqual(answers.map((a) => [a.name, a.want]));
  });

  it("sets X-Content-Type-Options: nosniff on every response: 2xx, 304, 4xx, 5xx, 404 and 405", async () => {
    const { t, answers } = await answered();
    const etag = answers.find((a) => a.name === "GET /feed.xml")!.headers.get("etag")!;
    const notModified = await t.app.request("/feed.xml", { headers: { "if-none-match": etag } });
    expect(notModified.status).toBe(304);
    for (const a of [...answers, { name: "304", headers: notModified.headers }]) expect([a.name, a.headers.get("x-content-type-options")]).toEqual([a.name, "nosniff"]);
  });

  it("answers every error as JSON {error: {code, message}} with Cache-Control: no-store", async () => {
    const { answers } = await answered();
    for (const a of answers.filter((x) => x.status >= 400)) {
      expect([a.name, a.headers.get("content-type"), a.headers.get("cache-control")]).toEqual([a.name, "application/json; charset=utf-8", "no-store"]);
      expect(JSON.parse(a.body), a.name).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });

  it("says nothing internal in a 500: the detail goes to the log only", async () => {
    const { t, answers } = await answered();
    const failed = answers.find((a) => a.status === 500)!;
    expect(JSON.parse(failed.body)).toEqual({ error: { code: "internal", message: "internal error" } });
    expect(t.logs.join("\n")).toContain("internal detail");
  });

  it("never puts the webhook secret in a response body, a header or a log line", async () => {
    const { t, answers } = await answered();
    const everything = [...answers.flatMap((a) => [a.body, ...[...a.headers].map(([k, v]) => `${k}: ${v}`)]), ...t.logs].join("\n");
    expect(everything).not.toContain(t.secret);
  });
});

describe("document routes", () => {
  it("serve every published key with the Content-Type the build stored for it, never HTML", async () => {
    const t = await setup();
    expect(t.keys.length).toBeGreaterThan(5);
    // The types the build recorded for each key (its manifest), compared exactly.
    const manifest = (await (await t.app.request("/manifest.json")).json()) as { outputs: Record<string, { content_type: string }> };
    for (const key of t.keys) {
      const res = await t.app.request(`/${key}`);
      const type = res.headers.get("content-type") ?? "";
      expect([key, res.status, /html/i.test(type)]).toEqual([key, 200, false]);
      expect(type, key).toBe(manifest.outputs[key]!.content_type);
      expect(type, key).toMatch(/^application\/(?:rss\+xml|atom\+xml|feed\+json|json)\b/);
    }
  });

  it("answer a key ending in .html (or any key the build does not own) with a JSON 404, even when the store holds it as text/html", async () => {
    const { store } = await published();
    const app = createApp({ store, documents: {} });
    for (const key of ["feed.html", "index.html", "tags/x/feed.html", "feed.xml.html", "archive/1/index.html", ".syndicate/x.html"]) {
      await store.put(key, Buffer.from("<script>alert(1)</script>"), { contentType: "text/html", cacheControl: "no-cache" });
      const res = await app.request(`/${key}`);
      expect([key, res.status, res.headers.get("content-type")]).toEqual([key, 404, "application/json; charset=utf-8"]);
    }
  });
});

describe("CORS", () => {
  const cors = async (app: ReturnType<typeof createApp>, path: string, init: RequestInit = {}) =>
    (await app.request(path, { ...init, headers: { origin: ORIGIN, ...(init.headers as Record<string, string>) } })).headers;

  it("lets any origin read /latest, /health, /openapi.json, /builds/{id} and the published documents, without credentials", async () => {
    const t = await setup();
    for (const path of ["/latest", "/health", "/openapi.json", "/builds/build-1", "/feed.json", "/latest.json", "/feed.xml", "/atom.xml"]) {
      const h = await cors(t.app, path);
      expect([path, h.get("access-control-allow-origin"), h.get("access-control-allow-credentials")]).toEqual([path, "*", null]);
    }
  });

  it("gives no CORS header on the webhook, to a request or to a preflight", async () => {
    const t = await setup();
    const signed = { method: "POST", body: BODY, headers: { "x-hub-signature-256": githubSignature(t.secret, BODY) } };
    const preflight = { method: "OPTIONS", headers: { "access-control-request-method": "POST" } };
    for (const init of [signed, { method: "POST", body: BODY }, preflight]) {
      const h = await cors(t.app, "/webhooks/rebuild", init);
      expect([h.get("access-control-allow-origin"), h.get("access-control-allow-methods")]).toEqual([null, null]);
    }
  });
});

describe("webhook replay window", () => {
  async function standardApp() {
    const { store } = await published();
    const secret = `whsec_${Buffer.from(randomSecret()).toString("base64")}`;
    const now = Date.UTC(2030, 0, 1);
    const triggered: string[] = [];
    const app = createApiApp({ store, webhookSecret: secret, now: () => now, triggerBuild: async () => (triggered.push("b"), { id: `b${triggered.length}` }) });
    const post = (timestamp: number, id?: string) =>
      app.request("/webhooks/rebuild", { method: "POST", body: BODY, headers: standardHeaders(secret, BODY, { timestamp, id }) });
    return { post, nowS: now / 1000, triggered };
  }

  it(`refuses a Standard Webhooks timestamp more than ${TIMESTAMP_TOLERANCE_S / 60} minutes from the server's clock, either way`, async () => {
    const w = await standardApp();
    for (const skew of [-TIMESTAMP_TOLERANCE_S - 1, TIMESTAMP_TOLERANCE_S + 1, -86_400]) expect([skew, (await w.post(w.nowS + skew)).status]).toEqual([skew, 401]);
    expect(w.triggered).toEqual([]);
  });

  it(`accepts one within ${TIMESTAMP_TOLERANCE_S / 60} minutes, and a replay of it with the same webhook-id builds nothing more`, async () => {
    const w = await standardApp();
    const first = await w.post(w.nowS - TIMESTAMP_TOLERANCE_S, "msg_replayed");
    const replay = await w.post(w.nowS - TIMESTAMP_TOLERANCE_S, "msg_replayed");
    expect([first.status, await first.json(), replay.status, await replay.json()]).toEqual([
      202, { accepted: true, build_id: "b1", duplicate: false },
      202, { accepted: true, build_id: "b1", duplicate: true },
    ]);
    expect(w.triggered).toEqual(["b"]);
  });

  it("compares signatures with crypto.timingSafeEqual", async () => {
    const t = await setup();
    vi.mocked(timingSafeEqual).mockClear();
    const res = await t.app.request("/webhooks/rebuild", { method: "POST", body: BODY, headers: { "x-hub-signature-256": githubSignature(t.secret, BODY) } });
    expect(res.status).toBe(202);
    expect(vi.mocked(timingSafeEqual).mock.calls.map(([a, b]) => [a.byteLength, b.byteLength])).toEqual([[32, 32]]);
    // Standard Webhooks too: each v1 signature's base64 text (44 characters) compared in
    // constant time, with the key's signature (a hex secret stands for two keys: webhook.ts).
    vi.mocked(timingSafeEqual).mockClear();
    const standard = await t.app.request("/webhooks/rebuild", { method: "POST", body: BODY, headers: standardHeaders(t.secret, BODY) });
    expect(standard.status).toBe(202);
    const calls = vi.mocked(timingSafeEqual).mock.calls.map(([a, b]) => [a.byteLength, b.byteLength]);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every(([a, b]) => a === 44 && b === 44)).toBe(true);
  });
});

describe("what a caller can do", () => {
  it("a signed webhook only asks for a rebuild: nothing of its body reaches the build request", async () => {
    const { store } = await published();
    const secret = randomSecret();
    const requests: BuildRequest[] = [];
    const app = createApiApp({ store, webhookSecret: secret, triggerBuild: async (r) => (requests.push(r), { id: "b1" }) });
    const body = JSON.stringify({ content: "<script>alert(1)</script>", out: "../../etc", trigger: "cli", received_at: "1970-01-01" });
    const res = await app.request("/webhooks/rebuild", { method: "POST", body, headers: { "x-hub-signature-256": githubSignature(secret, body), "x-request-id": "d-9" } });
    expect(res.status).toBe(202);
    // The request id is the delivery id's (and the secret's), nothing of the body's.
    expect(requests).toEqual([{ trigger: "webhook", delivery_id: "d-9", request_id: deliveryRequestId(secret, "unsigned d-9"), received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
    expect(requests[0]!.received_at).not.toBe("1970-01-01");
  });

  it("delivery ids are remembered per process where no bucket holds them (the local stack): another process builds a replayed delivery again", async () => {
    const { store } = await published();
    const secret = randomSecret();
    let builds = 0;
    const instance = () => createApiApp({ store, webhookSecret: secret, triggerBuild: async () => ({ id: `b${++builds}` }) });
    const post = (app: ReturnType<typeof createApiApp>) =>
      app.request("/webhooks/rebuild", { method: "POST", body: BODY, headers: { "x-hub-signature-256": githubSignature(secret, BODY), "x-github-delivery": "gh-1" } });
    const warm = instance();
    const answers = [await post(warm), await post(warm), await post(instance())];
    expect(await Promise.all(answers.map((r) => r.json()))).toEqual([
      { accepted: true, build_id: "b1", duplicate: false },
      { accepted: true, build_id: "b1", duplicate: true },
      { accepted: true, build_id: "b2", duplicate: false },
    ]);
  });
});

describe("content limits", () => {
  it(`refuses a content tree of more than ${LIMITS.articles} articles without parsing them`, () => {
    const files = Array.from({ length: LIMITS.articles + 1 }, (_, i) => ({ path: `articles/a${i}.md`, bytes: new Uint8Array() }));
    const loaded = loadContent([{ path: "site.yaml", bytes: new TextEncoder().encode(siteYaml()) }, ...files]);
    expect([loaded.articles.length, loaded.issues.map(formatIssue)]).toEqual([0, [`articles/: file: ${LIMITS.articles + 1} articles; at most ${LIMITS.articles} are allowed`]]);
  });
});
