/**
 * The API Lambda's own wiring (functions/handlers/api.ts): signed webhooks become messages on the
 * build queue (a stand-in SQS on 127.0.0.1), `/health` reports status.json, and `/health` takes
 * an asynchronous last build anywhere; `/builds/{id}` reads a `running` record by the API's clock.
 * (Records written over S3: test/integration/build-records.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { createHandler, createLambdaApp } from "../../functions/handlers/api.ts";
import { createApp } from "../../functions/handlers/app.ts";
import { classifyRecord } from "../../functions/handlers/build.ts";
import openapi from "../../functions/handlers/openapi.gen.json" with { type: "json" };
import { STATUS_CACHE_CONTROL, STATUS_KEY, nextStatus, statusBody } from "../../functions/core/status.ts";
import { BUILD_RECORD_META, RUNNING_MARGIN_MS, buildRecord, buildRecordBody, buildRecordKey, queuedRecord } from "../../functions/core/build-record.ts";
import { BUILD_TIMEOUT_SECONDS, MAX_RECEIVE, VISIBILITY_TIMEOUT_SECONDS } from "../../stacks/build-limits.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { tempDir } from "../support/content-tree.ts";
import { githubSignature, published, randomSecret } from "../support/api.ts";
import { invokeGet } from "../support/lambda.ts";
import { fakeSqs as startSqs } from "../support/sqs.ts";

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => void;

let close: (() => void) | undefined;
beforeEach(() => {
  // What the Lambda runtime provides; the signer reads them (sst/aws/client).
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "not-a-secret");
  vi.stubEnv("AWS_SESSION_TOKEN", "session");
  vi.stubEnv("AWS_REGION", "us-east-1");
});
afterEach(() => {
  vi.unstubAllEnvs();
  close?.();
  close = undefined;
});

/** The stand-in SQS (test/support/sqs.ts), closed after the test. */
async function fakeSqs(status = 200) {
  const sqs = await startSqs(status);
  close = () => void sqs.close();
  return sqs;
}

const BODY = '{"ref":"refs/heads/main"}';
const signed = (secret: string, delivery: string) => ({
  method: "POST",
  body: BODY,
  headers: { "x-hub-signature-256": githubSignature(secret, BODY), "x-github-delivery": delivery, "content-type": "application/json" },
});

describe("webhooks on the API Lambda", () => {
  it("queue one signed build request per delivery, answered with its id", async () => {
    const { sent, queueUrl } = await fakeSqs();
    const secret = randomSecret();
    const app = createLambdaApp({ config: { feedsBucket: "feeds", webhookSecret: secret, queueUrl }, store: new DirectoryStore(await tempDir()) });
    const res = await app.request("/webhooks/rebuild", signed(secret, "d-1"));
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { accepted: boolean; build_id: string; duplicate: boolean };
    expect(answer).toMatchObject({ accepted: true, duplicate: false });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.target).toBe("AmazonSQS.SendMessage");
    expect(String(sent[0]!.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/sqs\/aws4_request/);
    expect(sent[0]!.QueueUrl).toBe(queueUrl);
    const message = JSON.parse(sent[0]!.MessageBody) as { id: string; source: string; requested_at: string };
    expect(message).toMatchObject({ id: answer.build_id, source: "webhook" });
    // What the build consumer makes of it.
    expect(classifyRecord({ messageId: "m", body: sent[0]!.MessageBody })).toEqual({ messageId: "m", trigger: `webhook request ${answer.build_id}`, request: { id: answer.build_id, requested_at: message.requested_at } });
    // GitHub's "Redeliver": the same build, nothing sent again. A new delivery: a new message.
    expect(await (await app.request("/webhooks/rebuild", signed(secret, "d-1"))).json()).toEqual({ ...answer, duplicate: true });
    expect(sent).toHaveLength(1);
    expect((await app.request("/webhooks/rebuild", signed(secret, "d-2"))).status).toBe(202);
    expect(sent).toHaveLength(2);
    // An unsigned request never reaches the queue.
    expect((await app.request("/webhooks/rebuild", { method: "POST", body: BODY })).status).toBe(401);
    expect(sent).toHaveLength(2);
  });

  it("answer 503 when the queue refuses, and accept the redelivery once it works", async () => {
    const sqs = await fakeSqs(400);
    const secret = randomSecret();
    const logs: string[] = [];
    const store = new DirectoryStore(await tempDir());
    const app = createLambdaApp({ config: { feedsBucket: "feeds", webhookSecret: secret, queueUrl: sqs.queueUrl }, store, log: (l) => logs.push(l) });
    const res = await app.request("/webhooks/rebuild", signed(secret, "d-1"));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unavailable");
    expect(logs.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ msg: "could not queue a build request", delivery_id: "d-1", error: expect.stringContaining("HTTP 400") })]);
    expect(logs.join("")).not.toContain(secret);
    // The failed delivery was not remembered: its redelivery queues the build.
    sqs.reply.status = 200;
    const retried = await app.request("/webhooks/rebuild", signed(secret, "d-1"));
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ accepted: true, duplicate: false });
    expect(sqs.sent).toHaveLength(2);
  });

  it("answer 503 where no queue is configured (and queue nothing)", async () => {
    const secret = randomSecret();
    const app = createLambdaApp({ config: { feedsBucket: "feeds", webhookSecret: secret }, store: new DirectoryStore(await tempDir()) });
    expect((await app.request("/webhooks/rebuild", signed(secret, "d-1"))).status).toBe(503);
  });
});

const healthSchema = (() => {
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv); // the formats the document names (date-time, uri) checked, not ignored
  ajv.addSchema({ $id: "api", components: openapi.components });
  return ajv.compile({ $ref: "api#/components/schemas/Health" });
})();

describe("/health on the API Lambda", () => {
  it("reports status.json's last build: a dead-lettered failure degrades it, with the last success", async () => {
    const { store, report } = await published();
    const success = nextStatus(undefined, { trigger: "queue", messages: 2, now: Date.UTC(2030, 0, 1), duration_ms: 1500, report: { build_id: report.build_id, items: 3, next_publication: null } });
    const failure = nextStatus(success, { trigger: "queue", messages: 1, now: Date.UTC(2030, 0, 2), duration_ms: 250, error: { name: "S3RequestError", message: "PUT feed.xml failed", retryable: true }, dead_lettered: true });
    const app = createLambdaApp({ config: { feedsBucket: "feeds" }, store });

    await store.put(STATUS_KEY, statusBody(success), { contentType: "application/json", cacheControl: STATUS_CACHE_CONTROL });
    const ok = await app.request("/health");
    const okBody = await ok.json();
    expect(ok.status).toBe(200);
    expect(okBody).toMatchObject({ status: "ok", published: { build_id: report.build_id, items: 3 }, webhook: { configured: false } });
    expect((okBody as { last_build: unknown }).last_build).toEqual({
      id: "20300101T000000Z", trigger: "queue", state: "succeeded", started_at: "2030-01-01T00:00:00.000Z", finished_at: "2030-01-01T00:00:01.500Z",
      build_id: report.build_id, error: null, retryable: null, dead_lettered: false, last_success: { at: "2030-01-01T00:00:00.000Z", build_id: report.build_id },
    });
    expect(healthSchema(okBody), JSON.stringify(healthSchema.errors)).toBe(true);

    await store.put(STATUS_KEY, statusBody(failure), { contentType: "application/json", cacheControl: STATUS_CACHE_CONTROL });
    const bad = await app.request("/health");
    const badBody = await bad.json();
    expect(bad.status).toBe(200);
    expect(badBody).toMatchObject({
      status: "degraded",
      last_build: { state: "failed", build_id: null, error: { name: "S3RequestError", message: "PUT feed.xml failed" }, retryable: true, dead_lettered: true, last_success: { build_id: report.build_id } },
    });
    expect(healthSchema(badBody), JSON.stringify(healthSchema.errors)).toBe(true);
  });

  it("reports no last build when status.json is missing or not a status, and still answers through API Gateway", async () => {
    const { store } = await published();
    const handler = createHandler({ config: { feedsBucket: "feeds" }, store });
    const answer = async () => (await invokeGet(handler, "/health")).json;
    expect(await answer()).toMatchObject({ status: "ok", last_build: null });
    await store.put(STATUS_KEY, Buffer.from('{"version":1,"ok":"yes"}'), { contentType: "application/json", cacheControl: STATUS_CACHE_CONTROL });
    expect(await answer()).toMatchObject({ status: "ok", last_build: null });
  });
});

describe("/health's last build", () => {
  it("may be asynchronous; one that fails reads as unknown, not as an error", async () => {
    const { store } = await published();
    const last = { id: "b1", trigger: "webhook", state: "succeeded" as const, started_at: "2030-01-01T00:00:00.000Z", finished_at: null, build_id: "x", error: null };
    const asyncHealth = await (await createApp({ store, health: async () => last }).request("/health")).json();
    expect(asyncHealth).toMatchObject({ status: "ok", last_build: last });
    const failing = createApp({ store, health: () => Promise.reject(new Error("status unreadable")) });
    const res = await failing.request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", store: { reachable: true }, last_build: null });
  });
});

describe("/builds/{id} on the API Lambda", () => {
  const T = Date.UTC(2030, 0, 1);
  const limit = T + BUILD_TIMEOUT_SECONDS * 1000;
  const running = (id: string, o: { attempt?: number | null; started?: number | null } = {}) =>
    buildRecord({ id, state: "running", requested_at: new Date(T - 1_000).toISOString(), started_at: o.started === null ? null : new Date(o.started ?? T).toISOString(), finished_at: null, attempt: o.attempt === undefined ? 1 : o.attempt, max_attempts: 10 });

  it("answers a running record by the clock: running within the build's time limit and a margin, then retrying, or failed after the last attempt", async () => {
    const store = new DirectoryStore(await tempDir());
    const records = [running("r1"), running("r10", { attempt: 10 }), running("unknown-attempt", { attempt: null }), running("never-started", { started: null })];
    for (const r of records) await store.put(buildRecordKey(r.id), buildRecordBody(r), BUILD_RECORD_META);
    let now = limit + RUNNING_MARGIN_MS;
    const app = createLambdaApp({ config: { feedsBucket: "feeds" }, store, now: () => now });
    const get = async (id: string) => (await (await app.request(`/builds/${id}`)).json()) as Record<string, any>;
    for (const r of records) expect(await get(r.id)).toEqual(r);
    now += 1;
    const stopped = { state: expect.any(String), finished_at: new Date(limit).toISOString(), error: { name: "BuildUnfinishedError", message: expect.stringMatching(new RegExp(`^the build did not finish: it ran past its ${BUILD_TIMEOUT_SECONDS}-second limit or its process was stopped \\(`)), retryable: true } };
    expect(await get("r1")).toEqual({ ...records[0], ...stopped, state: "retrying", error: { ...stopped.error, message: expect.stringContaining("(attempt 1 of 10: the queue delivers the request again)") } });
    expect(await get("r10")).toEqual({ ...records[1], ...stopped, state: "failed", error: { ...stopped.error, message: expect.stringContaining("(attempt 10 of 10, the last: the queue dead-letters the request)") } });
    // No retry can be promised for an attempt the record does not name.
    expect(await get("unknown-attempt")).toMatchObject({ state: "failed", error: { message: expect.stringContaining("its attempts are not recorded, so no retry is counted on") } });
    // Nor a time limit judged without a start: what the record says stands.
    expect(await get("never-started")).toEqual(records[3]);
    // The queue delivers a stopped attempt's request again after its visibility timeout, and that
    // attempt rewrites the record as running: one still running past it had no next attempt.
    now = T + VISIBILITY_TIMEOUT_SECONDS * 1000 + RUNNING_MARGIN_MS;
    expect(await get("r1")).toMatchObject({ state: "retrying" });
    now += 1;
    expect(await get("r1")).toEqual({
      ...records[0], ...stopped, state: "failed",
      error: { ...stopped.error, message: expect.stringContaining(`(attempt 1 of 10, and no later attempt has started since, as one would have within the queue's ${VISIBILITY_TIMEOUT_SECONDS}-second visibility timeout: `) },
    });
  });

  it("answers a queued record no attempt ever started, once the queue would have dead-lettered it, as failed", async () => {
    const store = new DirectoryStore(await tempDir());
    const queued = queuedRecord({ id: "q1", requested_at: new Date(T).toISOString() });
    await store.put(buildRecordKey("q1"), buildRecordBody(queued), BUILD_RECORD_META);
    const deadLettered = T + MAX_RECEIVE * VISIBILITY_TIMEOUT_SECONDS * 1000 + RUNNING_MARGIN_MS;
    let now = deadLettered;
    const app = createLambdaApp({ config: { feedsBucket: "feeds" }, store, now: () => now });
    const get = async (id: string) => (await (await app.request(`/builds/${id}`)).json()) as Record<string, any>;
    // Waiting for its first attempt for hours is still waiting (a throttled function, a backlog).
    expect(await get("q1")).toEqual(queued);
    now += 1;
    expect(await get("q1")).toEqual({
      ...queued, state: "failed", finished_at: new Date(deadLettered).toISOString(),
      error: { name: "BuildNeverStartedError", message: expect.stringContaining(`no build started for the request: the queue delivered it ${MAX_RECEIVE} times`), retryable: true },
    });
  });
});
