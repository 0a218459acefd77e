import { describe, expect, it } from "vitest";
import { createHmac, randomBytes } from "node:crypto";
import { createApp } from "../../functions/handlers/app.ts";
import { DELIVERY_TTL_MS, TIMESTAMP_TOLERANCE_S, WEBHOOK_BODY_LIMIT, standardWebhooksKeys, verifyStandard, webhookSecretFrom } from "../../functions/handlers/webhook.ts";
import { readConfig } from "../../functions/handlers/api.ts";
import type { BuildRequest } from "../../functions/pipeline/coalesce.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { tempDir } from "../support/content-tree.ts";
import { githubSignature, randomSecret, standardHeaders } from "../support/api.ts";

const URL_ = "/webhooks/rebuild";
const BODY = JSON.stringify({ ref: "refs/heads/main", commits: [{ id: "abc" }] });

async function setup(secret = randomSecret(), queue = { down: false }) {
  const requests: BuildRequest[] = [];
  const logs: string[] = [];
  let now = Date.now();
  const app = createApp({
    store: new DirectoryStore(await tempDir()),
    webhookSecret: secret,
    now: () => now,
    log: (l) => logs.push(l),
    triggerBuild: async (r) => {
      if (queue.down) throw new Error("queue unavailable");
      requests.push(r);
      return { id: `build-${requests.length}` };
    },
  });
  const post = (headers: Record<string, string>, body: RequestInit["body"] = BODY) => app.request(URL_, { method: "POST", headers, body });
  const signed = (extra: Record<string, string> = {}, body = BODY) => post({ "x-hub-signature-256": githubSignature(secret, body), ...extra }, body);
  return { app, secret, requests, logs, post, signed, advance: (ms: number) => (now += ms), now: () => now };
}

async function expect401(res: Response) {
  expect(res.status).toBe(401);
  // RFC 9110 §15.5.2: a 401 names how to authenticate.
  expect(res.headers.get("www-authenticate")).toBe('X-Hub-Signature-256 realm="webhooks", Standard-Webhooks realm="webhooks"');
  const body = (await res.json()) as { error: { code: string } };
  expect(body.error.code).toBe("unauthorized");
}

describe("POST /webhooks/rebuild, GitHub signature", () => {
  it("accepts a valid signature: 202 with the build id, one build requested", async () => {
    const t = await setup();
    const res = await t.signed({ "x-github-delivery": "d-1" });
    expect(res.status).toBe(202);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ accepted: true, build_id: "build-1", duplicate: false });
    expect(t.requests).toHaveLength(1);
    expect(t.requests[0]).toMatchObject({ trigger: "webhook", delivery_id: "d-1" });
  });

  it("answers GitHub's ping 200 without starting a build, and only when it is signed", async () => {
    const t = await setup();
    const ping = JSON.stringify({ zen: "Design for failure.", hook_id: 1 });
    const res = await t.signed({ "x-github-event": "ping", "x-github-delivery": "p-1" }, ping);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toMatchObject({ accepted: false, event: "ping" });
    expect(t.requests).toHaveLength(0);
    // A ping with a wrong signature is refused like any delivery: the sender learns the secret is wrong.
    await expect401(await t.post({ "x-github-event": "ping", "x-hub-signature-256": githubSignature(randomSecret(), ping) }, ping));
    // Any other event builds, and the ping's delivery id was not taken.
    const push = await t.signed({ "x-github-event": "push", "x-github-delivery": "p-1" });
    expect(push.status).toBe(202);
    expect(t.requests).toHaveLength(1);
  });

  it("refuses a request with no signature", async () => {
    const t = await setup();
    await expect401(await t.post({}));
    expect(t.requests).toHaveLength(0);
  });

  it("refuses a signature made with another secret", async () => {
    const t = await setup();
    await expect401(await t.post({ "x-hub-signature-256": githubSignature(randomSecret(), BODY) }));
  });

  it("refuses a signature over another body", async () => {
    const t = await setup();
    await expect401(await t.post({ "x-hub-signature-256": githubSignature(t.secret, `${BODY} `) }));
  });

  it("refuses SHA-1 signatures, in either header", async () => {
    const t = await setup();
    const sha1 = `sha1=${(await import("node:crypto")).createHmac("sha1", t.secret).update(BODY).digest("hex")}`;
    await expect401(await t.post({ "x-hub-signature": sha1 }));
    await expect401(await t.post({ "x-hub-signature-256": sha1 }));
    expect(t.requests).toHaveLength(0);
  });

  it.each([
    ["truncated hex", (s: string) => s.slice(0, -2)],
    ["one byte more", (s: string) => `${s}00`],
    ["no prefix", (s: string) => s.slice("sha256=".length)],
    ["not hex", (s: string) => `${s.slice(0, -1)}g`],
    ["empty", () => ""],
  ])("refuses a malformed signature (%s)", async (_name, mangle) => {
    const t = await setup();
    await expect401(await t.post({ "x-hub-signature-256": mangle(githubSignature(t.secret, BODY)) }));
  });

  it("refuses a 10 MB body with 413 without reading it all", async () => {
    const t = await setup();
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 10 * 1024 * 1024) return controller.close();
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await t.app.request(URL_, { method: "POST", headers: { "x-hub-signature-256": githubSignature(t.secret, "x") }, body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    expect(pulled).toBeLessThan(WEBHOOK_BODY_LIMIT + 4 * chunk.byteLength);
    expect(t.requests).toHaveLength(0);
  });

  it("refuses a declared Content-Length over 1 MiB before reading", async () => {
    const t = await setup();
    // A body that counts what is pulled from it, with its length declared (a string body sends none).
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const res = await t.app.request(URL_, {
      method: "POST",
      headers: { "x-hub-signature-256": githubSignature(t.secret, "x"), "content-length": String(WEBHOOK_BODY_LIMIT + 1) },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    // Not a byte of it asked for (a stream pulls once to fill its queue when it is made: at most that).
    expect(pulled).toBeLessThanOrEqual(1);
    expect(t.requests).toHaveLength(0);
  });

  it("accepts a body of exactly 1 MiB", async () => {
    const t = await setup();
    expect((await t.signed({}, "x".repeat(WEBHOOK_BODY_LIMIT))).status).toBe(202);
  });

  it("answers a repeated delivery id with duplicate: true and no second build, for 24 hours", async () => {
    const t = await setup();
    const first = await (await t.signed({ "x-github-delivery": "same" })).json();
    const again = await t.signed({ "x-github-delivery": "same" });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ accepted: true, build_id: (first as { build_id: string }).build_id, duplicate: true });
    expect(t.requests).toHaveLength(1);
    // The contract's 24 hours, as a literal: still a duplicate a millisecond before, new at 24 h.
    expect(DELIVERY_TTL_MS).toBe(86_400_000);
    t.advance(86_400_000 - 1);
    expect(((await (await t.signed({ "x-github-delivery": "same" })).json()) as { duplicate: boolean }).duplicate).toBe(true);
    t.advance(1);
    expect(((await (await t.signed({ "x-github-delivery": "same" })).json()) as { duplicate: boolean }).duplicate).toBe(false);
    expect(t.requests).toHaveLength(2);
  });

  it("treats X-Request-Id as a delivery id too", async () => {
    const t = await setup();
    await t.signed({ "x-request-id": "r-1" });
    expect(((await (await t.signed({ "x-request-id": "r-1" })).json()) as { duplicate: boolean }).duplicate).toBe(true);
  });

  it("does not remember a delivery whose build could not be queued (500), so a retry works", async () => {
    const queue = { down: true };
    const t = await setup(randomSecret(), queue);
    const res = await t.signed({ "x-github-delivery": "d" });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("queue unavailable");
    queue.down = false;
    const retry = await t.signed({ "x-github-delivery": "d" });
    expect(await retry.json()).toEqual({ accepted: true, build_id: "build-1", duplicate: false });
  });

  it("answers 401 when no secret is configured (no signature can be verified: CONTRACT.md), saying why, and 405 to other methods", async () => {
    let built = 0;
    const app = createApp({ store: new DirectoryStore(await tempDir()), triggerBuild: async () => ({ id: `x${++built}` }) });
    for (const headers of [{ "x-hub-signature-256": githubSignature("", BODY) }, {}] as Record<string, string>[]) {
      const res = await app.request(URL_, { method: "POST", headers, body: BODY });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("X-Hub-Signature-256");
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("WEBHOOK_SECRET");
    }
    for (const method of ["GET", "PUT", "DELETE"]) {
      const other = await app.request(URL_, { method });
      expect([method, other.status, other.headers.get("allow")]).toEqual([method, 405, "POST"]);
    }
    expect(built).toBe(0);
  });

  it("forgets a delivery whose build failed, so the sender's redelivery (same id) starts a build", async () => {
    const secret = randomSecret();
    const builds: { id: string; finish: (ok: boolean) => void }[] = [];
    const app = createApp({
      store: new DirectoryStore(await tempDir()),
      webhookSecret: secret,
      triggerBuild: async () => {
        let finish!: (ok: boolean) => void;
        const done = new Promise<boolean>((r) => (finish = r));
        builds.push({ id: `b${builds.length + 1}`, finish });
        return { id: builds.at(-1)!.id, done };
      },
    });
    const send = async (delivery: string) =>
      (await app.request(URL_, { method: "POST", body: BODY, headers: { "x-hub-signature-256": githubSignature(secret, BODY), "x-github-delivery": delivery } })).json();
    expect(await send("g-1")).toEqual({ accepted: true, build_id: "b1", duplicate: false });
    // While it runs, and after it succeeds, a redelivery is the same delivery.
    expect(await send("g-1")).toEqual({ accepted: true, build_id: "b1", duplicate: true });
    builds[0]!.finish(true);
    await new Promise((r) => setImmediate(r));
    expect(await send("g-1")).toEqual({ accepted: true, build_id: "b1", duplicate: true });
    // A build that failed: the redelivery starts another.
    expect(await send("g-2")).toEqual({ accepted: true, build_id: "b2", duplicate: false });
    builds[1]!.finish(false);
    await new Promise((r) => setImmediate(r));
    expect(await send("g-2")).toEqual({ accepted: true, build_id: "b3", duplicate: false });
    expect(builds).toHaveLength(3);
  });

  it.each([
    ["whsec_ alone (an empty key)", "whsec_"],
    ["whsec_ and text that is not base64", "whsec_éééé-not/base64!!"],
    ["whsec_ and a short key", `whsec_${Buffer.alloc(16, 7).toString("base64")}`],
    ["a short plain secret", "abc123"],
  ])("keeps the route closed (503) with a secret that cannot be used: %s", async (_name, bad) => {
    const logs: string[] = [];
    const app = createApp({ store: new DirectoryStore(await tempDir()), webhookSecret: bad, log: (l) => logs.push(l), triggerBuild: async () => ({ id: "x" }) });
    // Signed as a lenient decoder reads the secret: with whsec_ alone, an empty HMAC key.
    const key = bad.startsWith("whsec_") ? Buffer.from(bad.slice(6), "base64") : Buffer.from(bad);
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = createHmac("sha256", key).update(`m1.${ts}.${BODY}`).digest("base64");
    const res = await app.request(URL_, { method: "POST", body: BODY, headers: { "webhook-id": "m1", "webhook-timestamp": ts, "webhook-signature": `v1,${sig}` } });
    expect(res.status).toBe(503);
    expect(logs.join("\n")).toContain("the webhook is closed: its secret is not usable");
    expect(logs.join("\n") + (await res.text())).not.toContain(bad.slice(6) || "whsec_ alone never logged");
    expect(((await (await app.request("/health")).json()) as { webhook: { configured: boolean } }).webhook.configured).toBe(false);
  });

  it("verifies nothing with a whsec_ secret that is not canonical base64, even when called directly (no empty key)", () => {
    const body = Buffer.from(BODY);
    const sig = createHmac("sha256", Buffer.alloc(0)).update(`m1.1.${BODY}`).digest("base64");
    expect(standardWebhooksKeys("whsec_")).toEqual([]);
    expect(verifyStandard("whsec_", body, "m1", "1", `v1,${sig}`)).toBe(false);
    expect(verifyStandard("whsec_!!!!", body, "m1", "1", `v1,${sig}`)).toBe(false);
  });

  it("reads a secret the same way on the Lambda as locally: trimmed, blank is none", () => {
    expect([webhookSecretFrom("  s3cret-s3cret-s3cret\n"), webhookSecretFrom("   "), webhookSecretFrom(undefined)]).toEqual(["s3cret-s3cret-s3cret", undefined, undefined]);
    expect(readConfig({ FEEDS_BUCKET: "f", WEBHOOK_SECRET: " \n" }).webhookSecret).toBeUndefined();
    expect(readConfig({ FEEDS_BUCKET: "f", WEBHOOK_SECRET: "0123456789abcdef0123\n" }).webhookSecret).toBe("0123456789abcdef0123");
  });

  it("answers GET with 405 and Allow: POST", async () => {
    const t = await setup();
    const res = await t.app.request(URL_);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("never puts the secret in a response or a log line, the error paths' included", async () => {
    const queue = { down: false };
    const t = await setup(randomSecret(), queue);
    const responses = [await t.post({}), await t.signed(), await t.post({ "x-hub-signature-256": "sha256=00" }), await t.post(standardHeaders(randomSecret(), BODY))];
    // A build that cannot be started: a 500 whose detail goes to the log.
    queue.down = true;
    responses.push(await t.signed({ "x-github-delivery": "d-queue-down" }));
    expect(responses.map((r) => r.status)).toEqual([401, 202, 401, 401, 500]);
    expect(t.logs.length).toBeGreaterThan(0); // the log half of this test has lines to look at
    const text = (await Promise.all(responses.map((r) => r.text()))).join("\n") + t.logs.join("\n");
    expect(text).not.toContain(t.secret);
  });
});

describe("POST /webhooks/rebuild, Standard Webhooks", () => {
  const whsec = () => `whsec_${randomBytes(24).toString("base64")}`;

  it("accepts a valid signature with a whsec_ secret, webhook-id as the delivery id", async () => {
    const t = await setup(whsec());
    const headers = standardHeaders(t.secret, BODY, { timestamp: Math.floor(t.now() / 1000) });
    const res = await t.post(headers);
    expect(res.status).toBe(202);
    expect(t.requests[0]?.delivery_id).toBe(headers["webhook-id"]);
    expect(((await (await t.post(headers)).json()) as { duplicate: boolean }).duplicate).toBe(true);
    expect(t.requests).toHaveLength(1);
  });

  it("accepts a plain secret as its UTF-8 bytes", async () => {
    const t = await setup();
    expect((await t.post(standardHeaders(t.secret, BODY, { timestamp: Math.floor(t.now() / 1000) }))).status).toBe(202);
  });

  it("accepts a plain secret read as the reference libraries read one without whsec_ (base64-decoded)", async () => {
    const t = await setup(); // 48 hex characters: canonical base64 too
    const ts = String(Math.floor(t.now() / 1000));
    const sig = createHmac("sha256", Buffer.from(t.secret, "base64")).update(`m-ref.${ts}.${BODY}`).digest("base64");
    expect((await t.post({ "webhook-id": "m-ref", "webhook-timestamp": ts, "webhook-signature": `v1,${sig}` })).status).toBe(202);
  });

  it("compares a signature's text as sent: nothing trailing, no characters a lenient decoder skips", async () => {
    const t = await setup(whsec());
    const h = standardHeaders(t.secret, BODY, { timestamp: Math.floor(t.now() / 1000) });
    const sig = h["webhook-signature"];
    for (const bad of [`${sig},junk`, `${sig}!!!`, sig.replace(/=+$/, ""), `${sig.slice(0, 3)} ${sig.slice(3)}`]) await expect401(await t.post({ ...h, "webhook-signature": bad }));
    expect((await t.post(h)).status).toBe(202);
  });

  it("accepts when any of several signatures matches (key rotation)", async () => {
    const t = await setup(whsec());
    const h = standardHeaders(t.secret, BODY, { timestamp: Math.floor(t.now() / 1000) });
    const other = standardHeaders(whsec(), BODY, { id: h["webhook-id"], timestamp: Number(h["webhook-timestamp"]) });
    expect((await t.post({ ...h, "webhook-signature": `${other["webhook-signature"]} ${h["webhook-signature"]}` })).status).toBe(202);
  });

  it.each([
    // The contract's 5 minutes, as literals (TIMESTAMP_TOLERANCE_S is 300).
    ["expired", -301],
    ["from the future", 301],
  ])("refuses a timestamp outside the tolerance (%s), though signed", async (_n, offset) => {
    const t = await setup(whsec());
    await expect401(await t.post(standardHeaders(t.secret, BODY, { timestamp: Math.floor(t.now() / 1000) + offset })));
  });

  // ±299 s: the clock here has milliseconds, the timestamp whole seconds (so ±300 may read 300.4).
  it.each([-299, 299])("accepts a timestamp %i s from the server's clock (just within 5 minutes)", async (offset) => {
    const t = await setup(whsec());
    expect(TIMESTAMP_TOLERANCE_S).toBe(300);
    expect((await t.post(standardHeaders(t.secret, BODY, { timestamp: Math.floor(t.now() / 1000) + offset }))).status).toBe(202);
  });

  it("refuses a bad signature, a signature over another body, and a v2 signature", async () => {
    const t = await setup(whsec());
    const ts = Math.floor(t.now() / 1000);
    await expect401(await t.post(standardHeaders(whsec(), BODY, { timestamp: ts })));
    await expect401(await t.post(standardHeaders(t.secret, `${BODY}x`, { timestamp: ts })));
    const h = standardHeaders(t.secret, BODY, { timestamp: ts });
    await expect401(await t.post({ ...h, "webhook-signature": h["webhook-signature"].replace("v1,", "v2,") }));
    expect(t.requests).toHaveLength(0);
  });

  it("knows a replay by its signed webhook-id, whatever unsigned delivery headers are added", async () => {
    const t = await setup(whsec());
    const h = standardHeaders(t.secret, BODY, { timestamp: Math.floor(t.now() / 1000) });
    expect((await t.post(h)).status).toBe(202);
    const extras: Record<string, string>[] = [{ "x-github-delivery": "zzz" }, { "x-request-id": "other" }, { "x-github-delivery": "a", "x-request-id": "b" }];
    for (const extra of extras) {
      const res = await t.post({ ...h, ...extra });
      expect([res.status, ((await res.json()) as { duplicate: boolean }).duplicate]).toEqual([202, true]);
    }
    expect(t.requests.map((r) => r.delivery_id)).toEqual([h["webhook-id"]]);
  });

  it("remembers a webhook-id that is long or has spaces (as its SHA-256)", async () => {
    const t = await setup(whsec());
    for (const id of ["m".repeat(300), "msg with spaces"]) {
      const h = standardHeaders(t.secret, BODY, { id, timestamp: Math.floor(t.now() / 1000) });
      expect(((await (await t.post(h)).json()) as { duplicate: boolean }).duplicate).toBe(false);
      expect(((await (await t.post(h)).json()) as { duplicate: boolean }).duplicate).toBe(true);
    }
    expect(t.requests).toHaveLength(2);
    expect(t.requests.map((r) => r.delivery_id)).toEqual([expect.stringMatching(/^sha256:[0-9a-f]{64}$/), expect.stringMatching(/^sha256:[0-9a-f]{64}$/)]);
  });

  it("refuses a signature whose id was changed (the id is signed)", async () => {
    const t = await setup(whsec());
    const h = standardHeaders(t.secret, BODY, { timestamp: Math.floor(t.now() / 1000) });
    await expect401(await t.post({ ...h, "webhook-id": "msg_other" }));
  });

  it("refuses webhook-signature without webhook-id or webhook-timestamp", async () => {
    const t = await setup(whsec());
    const h = standardHeaders(t.secret, BODY, { timestamp: Math.floor(t.now() / 1000) });
    await expect401(await t.post({ "webhook-signature": h["webhook-signature"], "webhook-timestamp": h["webhook-timestamp"] }));
    await expect401(await t.post({ "webhook-signature": h["webhook-signature"], "webhook-id": h["webhook-id"] }));
  });
});
