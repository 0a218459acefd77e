/**
 * What became of a build request on AWS: the API Lambda's app records a request `queued` as it
 * queues it (on a stand-in SQS), the build Lambda's handler rewrites `builds/<id>.json` as each
 * attempt starts and ends, in a real s3rver bucket (behind the fault proxy where S3 must fail),
 * and the API Lambda (signed fetch, as deployed) answers `GET /builds/{id}` from it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createBuildHandler, type BuildDeps } from "../../functions/handlers/build.ts";
import { createHandler, createLambdaApp } from "../../functions/handlers/api.ts";
import { BUILD_REQUEST_TYPE } from "../../functions/handlers/queue.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import type { ObjectStore } from "../../functions/adapters/store.ts";
import type { S3Store } from "../../functions/adapters/s3-store.ts";
import { BUILD_RECORD_ISSUES_MAX, BUILD_RECORD_META, RUNNING_MARGIN_MS, buildRecordKey, type BuildRecord } from "../../functions/core/build-record.ts";
import { BUILD_TIMEOUT_SECONDS } from "../../stacks/build-limits.ts";
import { parseManifest } from "../../functions/core/manifest.ts";
import { useTestS3 } from "../support/s3.ts";
import { invokeGet } from "../support/lambda.ts";
import { articleText, tempDir, tree, writeTree } from "../support/content-tree.ts";
import { ARTICLES, NOW, githubSignature, randomSecret } from "../support/api.ts";
import { DELIVERY_TTL_MS } from "../../functions/handlers/webhook.ts";
import { fakeSqs } from "../support/sqs.ts";

const ctx = useTestS3({ faultProxy: {} });

function message(messageId: string, body: string, receiveCount = 1) {
  return { messageId, receiptHandle: `rh-${messageId}`, body, attributes: { ApproximateReceiveCount: String(receiveCount) }, messageAttributes: {}, eventSource: "aws:sqs" };
}
const request = (id: string, requestedAt = "2029-12-31T23:59:00.000Z") => JSON.stringify({ type: BUILD_REQUEST_TYPE, id, source: "webhook", requested_at: requestedAt });
const s3Change = (key: string) => JSON.stringify({ Records: [{ eventSource: "aws:s3", eventName: "ObjectCreated:Put", s3: { bucket: { name: "content" }, object: { key } } }] });

async function setup(wrap: (store: S3Store) => ObjectStore = (s) => s) {
  const store = await ctx.s3.bucket("records");
  const content = await writeTree(join(await tempDir("syn-records-"), "content"), tree(ARTICLES));
  const logs: Record<string, unknown>[] = [];
  const deps: BuildDeps = { source: new DirectoryContent(content), store: wrap(store), maxReceive: 3, clock: () => NOW, log: (e) => logs.push(e) };
  const api = createHandler({ config: { feedsBucket: store.bucket, endpoint: ctx.s3.endpoint }, log: () => undefined });
  return { store, content, logs, build: createBuildHandler(() => deps), get: (id: string) => invokeGet(api, `/builds/${id}`) };
}

const stored = async (store: ObjectStore, id: string) => {
  const o = await store.get(buildRecordKey(id));
  return o && (JSON.parse(o.body.toString()) as BuildRecord);
};

/** `store` with its writes through `put` (which may hold or fail them). */
const withPut = (store: ObjectStore, put: ObjectStore["put"]): ObjectStore => ({
  description: store.description,
  get: (k) => store.get(k),
  list: (p) => store.list(p),
  put,
  delete: (keys) => store.delete(keys),
});

/** Document writes fail (status.json and records still go through): a retryable fault. */
const documentsDown = (store: ObjectStore): ObjectStore =>
  withPut(store, async (k, b, m) => {
    if (k === "status.json" || k.startsWith("builds/")) return store.put(k, b, m);
    throw new Error("S3 unavailable");
  });

/**
 * The build's writes other than the records (the lease's first) held until `release`: the
 * attempt runs meanwhile; never released, it is as good as stopped (Lambda's time limit, a
 * crash), its `running` record left as it was. `release(error)` fails them (cleanup).
 */
function holdWrites() {
  let release!: (failure?: Error) => void;
  const gate = new Promise<void>((ok, fail) => (release = (failure) => (failure ? fail(failure) : ok())));
  gate.catch(() => undefined);
  const wrap = (store: ObjectStore) =>
    withPut(store, async (k, b, m) => {
      if (!k.startsWith("builds/")) await gate;
      return store.put(k, b, m);
    });
  return { wrap, release };
}

describe("build records on AWS", () => {
  it("records the published build for every request a coalesced batch covered, and the API answers it with no-store", async () => {
    const { store, build, get } = await setup();
    const res = await build({ Records: [message("m1", request("req-a")), message("m2", s3Change("articles/first.md")), message("m3", request("req-b", "2029-12-31T23:58:00.000Z")), message("m4", request("req-a"))] });
    expect(res.batchItemFailures).toEqual([]);
    const manifest = parseManifest((await store.get("manifest.json"))!.body)!;
    // One record per request id; the S3 notification has none.
    expect((await store.list("builds/")).sort()).toEqual(["builds/req-a.json", "builds/req-b.json"]);
    const b = await stored(store, "req-b");
    expect(b).toEqual({
      id: "req-b", state: "succeeded", requested_at: "2029-12-31T23:58:00.000Z", started_at: new Date(NOW).toISOString(), finished_at: new Date(NOW).toISOString(), attempt: 1, max_attempts: 3,
      build_id: manifest.build_id, items: 3, error: null, issues: [], issues_omitted: 0,
    });
    expect((await store.get(buildRecordKey("req-b")))!.cacheControl).toBe("no-cache, max-age=0");

    const answer = await get("req-a");
    expect(answer.statusCode).toBe(200);
    expect(answer.json).toEqual({ ...b, id: "req-a", requested_at: "2029-12-31T23:59:00.000Z" });
    expect(answer.headers).toMatchObject({ "cache-control": "no-store", "content-type": "application/json; charset=utf-8", "access-control-allow-origin": "*", "x-content-type-options": "nosniff" });
  });

  it("records a content failure as failed, with the issues naming file, line and field, acknowledged (no retry)", async () => {
    const { content, build, get } = await setup();
    await writeFile(join(content, "articles", "bad.md"), articleText({ title: "Bad", date: "yesterday" }));
    const res = await build({ Records: [message("m1", request("req-bad"))] });
    expect(res.batchItemFailures).toEqual([]);
    const answer = await get("req-bad");
    expect(answer.statusCode).toBe(200);
    expect(answer.json).toMatchObject({ id: "req-bad", state: "failed", build_id: null, items: null, error: { name: "ContentError", retryable: false }, issues_omitted: 0 });
    expect(answer.json.issues).toContainEqual(expect.objectContaining({ file: "articles/bad.md", line: 3, field: "date", severity: "error" }));
    expect(answer.headers["cache-control"]).toBe("no-store");
  });

  it(`lists at most ${BUILD_RECORD_ISSUES_MAX} issues, errors first, and counts the rest`, async () => {
    const { content, build, store } = await setup();
    for (let i = 0; i < BUILD_RECORD_ISSUES_MAX + 5; i++) await writeFile(join(content, "articles", `bad-${i}.md`), articleText({ title: `Bad ${i}`, date: "yesterday" }));
    await build({ Records: [message("m1", request("req-many"))] });
    const record = (await stored(store, "req-many"))!;
    expect(record.issues).toHaveLength(BUILD_RECORD_ISSUES_MAX);
    expect(record.issues.every((i) => i.severity === "error")).toBe(true);
    expect(record.issues_omitted).toBe(5);
  });

  it("records a retryable failure as retrying while SQS will deliver the request again, and as failed on its last receive", async () => {
    const { store, build } = await setup(documentsDown);
    const first = await build({ Records: [message("m1", request("req-r"), 1)] });
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
    expect(await stored(store, "req-r")).toMatchObject({ state: "retrying", build_id: null, error: { retryable: true, message: expect.stringContaining("S3 unavailable") }, issues: [] });
    // The later attempt overwrites it; another request in the same batch, not on its last receive, is still retrying.
    await build({ Records: [message("m1", request("req-r"), 3), message("m2", request("req-s"), 1)] });
    expect(await stored(store, "req-r")).toMatchObject({ state: "failed", error: { retryable: true } });
    expect(await stored(store, "req-s")).toMatchObject({ state: "retrying" });
  });

  it("keeps a published request's record when SQS delivers it again after a broken change; a failed one is replaced by a later success", async () => {
    const { store, content, build, logs } = await setup();
    await build({ Records: [message("m1", request("req-d"))] });
    const published = (await stored(store, "req-d"))!;
    expect(published).toMatchObject({ state: "succeeded", issues: [] });
    // A broken change, then the same message delivered again (at least once): the request was published.
    await writeFile(join(content, "articles", "bad.md"), articleText({ title: "Bad", date: "yesterday" }));
    await build({ Records: [message("m1", request("req-d"), 2), message("m2", request("req-e"))] });
    expect(await stored(store, "req-d")).toEqual(published);
    expect(logs).toContainEqual(expect.objectContaining({ msg: "kept a published request's record", id: "req-d", build_id: published.build_id }));
    expect(await stored(store, "req-e")).toMatchObject({ state: "failed", error: { name: "ContentError" } });
    // Fixed, and req-e delivered again (a redrive): its failed record gives way to the success.
    await rm(join(content, "articles", "bad.md"));
    await build({ Records: [message("m3", request("req-e"))] });
    expect(await stored(store, "req-e")).toMatchObject({ state: "succeeded", error: null, issues: [] });
  });

  it("logs a record it cannot write, and the build stands", async () => {
    const recordsDown = (store: S3Store): ObjectStore =>
      withPut(store, async (k, b, m) => {
        if (k.startsWith("builds/")) throw new Error("S3 unavailable for records");
        return store.put(k, b, m);
      });
    const { store, build, logs, get } = await setup(recordsDown);
    const res = await build({ Records: [message("m1", request("req-x"))] });
    expect(res.batchItemFailures).toEqual([]);
    expect(await store.get("feed.xml")).toBeDefined();
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", msg: "could not record a build request's outcome", id: "req-x", error: "S3 unavailable for records" }));
    expect(logs.filter((l) => l.msg === "build published")).toHaveLength(1);
    expect((await get("req-x")).statusCode).toBe(404);
  });

  it("keeps the records when a later build deletes documents, and lists none in the manifest", async () => {
    const { store, content, build } = await setup();
    await build({ Records: [message("m1", request("req-1"))] });
    // `second` is the only article tagged Energy policy: removing it deletes that tag's documents.
    await rm(join(content, "articles", "second.md"));
    await build({ Records: [message("m2", s3Change("articles/second.md"))] });
    expect(await store.get("tags/energy-policy/feed.xml")).toBeUndefined();
    expect(await stored(store, "req-1")).toMatchObject({ state: "succeeded" });
    const manifest = parseManifest((await store.get("manifest.json"))!.body)!;
    expect(Object.keys(manifest.outputs).filter((k) => k.startsWith("builds/"))).toEqual([]);
    expect(manifest.items).toBe(2);
  });

  it("answers 404 for a request without a record, and 400 for an id that cannot be one", async () => {
    const { build, get, logs } = await setup();
    const unknown = await get("no-such-request");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json.error).toEqual({ code: "not_found", message: "no record of build request no-such-request: the id is unknown, or its record expired (records are kept 7 days)" });
    expect(unknown.headers["cache-control"]).toBe("no-store");
    for (const bad of ["a".repeat(129), "a%20b", "%2E%2E%2Fstatus", "x%00"]) {
      const res = await get(bad);
      expect([bad, res.statusCode, res.json.error.code]).toEqual([bad, 400, "bad_request"]);
    }
    // A request id outside the charset (the schema takes any 128 characters) gets no record, and is told.
    await build({ Records: [message("m1", request("has space"))] });
    expect(logs).toContainEqual(expect.objectContaining({ level: "warn", id: "has space" }));
  });
});

const closing: (() => Promise<void>)[] = [];
/** The Lambda environment's credentials, which aws4fetch signs SQS and S3 requests with (s3rver's key pair), for a describe's tests. */
function lambdaEnvironment() {
  beforeEach(() => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
    vi.stubEnv("AWS_REGION", "us-east-1");
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    ctx.proxy.rules = [];
    for (const close of closing.splice(0)) await close();
  });
}

const WEBHOOK_BODY = '{"ref":"refs/heads/main"}';

/**
 * The API Lambda's app as deployed over the feeds `bucket` (at `endpoint`: s3rver, or the fault
 * proxy before it), queueing on a stand-in SQS (`sqs`: one another instance queues on too), its
 * clock `now`. Each is one instance: its own delivery log, its own /latest copy.
 */
async function lambdaApi(bucket: string, o: { endpoint?: string; now?: () => number; secret?: string; sqs?: Awaited<ReturnType<typeof fakeSqs>> } = {}) {
  const sqs = o.sqs ?? (await fakeSqs());
  if (!o.sqs) closing.push(sqs.close);
  const secret = o.secret ?? randomSecret();
  const logs: string[] = [];
  const app = createLambdaApp({ config: { feedsBucket: bucket, endpoint: o.endpoint ?? ctx.s3.endpoint, webhookSecret: secret, queueUrl: sqs.queueUrl }, log: (l) => logs.push(l), now: o.now });
  let deliveries = 0;
  /** A signed GitHub delivery (by default the next of `d-1`, `d-2`…). */
  const webhook = async (delivery = `d-${++deliveries}`) => {
    const res = await app.request("/webhooks/rebuild", { method: "POST", body: WEBHOOK_BODY, headers: { "x-hub-signature-256": githubSignature(secret, WEBHOOK_BODY), "x-github-delivery": delivery, "content-type": "application/json" } });
    return { status: res.status, json: (await res.json()) as { accepted: boolean; build_id: string; duplicate: boolean } };
  };
  const get = async (id: string) => {
    const res = await app.request(`/builds/${id}`);
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };
  /** The nth message the API sent, as the build Lambda receives it at its `receive`th delivery. */
  const delivery = (n: number, receive = 1) => message(`m${n}`, sqs.sent[n]!.MessageBody, receive);
  return { sqs, secret, logs, webhook, get, delivery };
}

const iso = (t: number) => new Date(t).toISOString();

describe("build records from the webhook's 202 on", () => {
  lambdaEnvironment();


  it("answers queued right after the 202, running while a build covers the request, then its outcome", async () => {
    const hold = holdWrites();
    const { store, build } = await setup(hold.wrap);
    const api = await lambdaApi(store.bucket, { now: () => NOW - 5_000 });
    const accepted = await api.webhook();
    expect(accepted).toMatchObject({ status: 202, json: { accepted: true } });
    const id = accepted.json.build_id;
    const { requested_at } = JSON.parse(api.sqs.sent[0]!.MessageBody) as { requested_at: string };
    expect(requested_at).toBe(iso(NOW - 5_000));
    const queued = { id, state: "queued", requested_at, started_at: null, finished_at: null, attempt: null, max_attempts: null, build_id: null, items: null, error: null, issues: [], issues_omitted: 0 };
    expect(await api.get(id)).toEqual({ status: 200, json: queued });
    expect(api.logs).toEqual([]);

    const attempt = build({ Records: [api.delivery(0)] });
    await vi.waitFor(async () => expect((await api.get(id)).json.state).toBe("running"), { timeout: 10_000, interval: 20 });
    const running = { ...queued, state: "running", started_at: iso(NOW), attempt: 1, max_attempts: 3 };
    expect(await api.get(id)).toEqual({ status: 200, json: running });

    hold.release();
    expect((await attempt).batchItemFailures).toEqual([]);
    const manifest = parseManifest((await store.get("manifest.json"))!.body)!;
    expect(await api.get(id)).toEqual({ status: 200, json: { ...running, state: "succeeded", finished_at: iso(NOW), build_id: manifest.build_id, items: 3 } });
  });

  it(`answers a running record older than the ${BUILD_TIMEOUT_SECONDS}-second limit (and a margin) as retrying while the queue delivers the request again, as failed after its last attempt`, async () => {
    const hold = holdWrites();
    const { store, build } = await setup(hold.wrap);
    let now = NOW;
    const api = await lambdaApi(store.bucket, { now: () => now });
    const id = (await api.webhook()).json.build_id;
    const first = build({ Records: [api.delivery(0, 1)] });
    await vi.waitFor(async () => expect((await api.get(id)).json.state).toBe("running"), { timeout: 10_000, interval: 20 });
    const running = (await api.get(id)).json;
    expect(running).toMatchObject({ started_at: iso(NOW), attempt: 1, max_attempts: 3 });

    // The attempt is never heard of again (held: as a stopped one would be).
    const limit = NOW + BUILD_TIMEOUT_SECONDS * 1000;
    now = limit + RUNNING_MARGIN_MS;
    expect((await api.get(id)).json).toEqual(running);
    now += 1;
    const stopped = (detail: string) => ({ name: "BuildUnfinishedError", message: `the build did not finish: it ran past its ${BUILD_TIMEOUT_SECONDS}-second limit or its process was stopped (${detail})`, retryable: true });
    expect(await api.get(id)).toEqual({ status: 200, json: { ...running, state: "retrying", finished_at: iso(limit), error: stopped("attempt 1 of 3: the queue delivers the request again") } });

    // The queue's last delivery (the build's clock stands still here: it starts at NOW too):
    // running again, then, stopped too, failed.
    now = NOW;
    const last = build({ Records: [api.delivery(0, 3)] });
    await vi.waitFor(async () => expect((await api.get(id)).json.attempt).toBe(3), { timeout: 10_000, interval: 20 });
    expect((await api.get(id)).json).toEqual({ ...running, attempt: 3 });
    now = limit + RUNNING_MARGIN_MS + 1;
    expect(await api.get(id)).toEqual({ status: 200, json: { ...running, attempt: 3, state: "failed", finished_at: iso(limit), error: stopped("attempt 3 of 3, the last: the queue dead-letters the request") } });
    // Stored as the attempts left it: the answer is the API's reading, not a write.
    expect(await stored(store, id)).toMatchObject({ state: "running", attempt: 3 });

    hold.release(new Error("stopped"));
    await Promise.all([first, last]);
  });

  it("reads the records the build wrote before attempts were recorded, and keeps a published one when the request is delivered again", async () => {
    const hold = holdWrites();
    const { store, build } = await setup(hold.wrap);
    const api = await lambdaApi(store.bucket);
    // As the build wrote them then: no started_at, attempt, max_attempts.
    const published = { id: "req-old", state: "succeeded", requested_at: "2029-12-31T23:00:00.000Z", finished_at: "2029-12-31T23:00:20.000Z", build_id: "b0", items: 2, error: null, issues: [], issues_omitted: 0 };
    const retrying = { ...published, id: "req-old-r", state: "retrying", build_id: null, items: null, error: { name: "S3RequestError", message: "PUT feed.xml failed", retryable: true } };
    for (const r of [published, retrying]) await store.put(buildRecordKey(r.id), Buffer.from(`${JSON.stringify(r)}\n`), BUILD_RECORD_META);
    const none = { started_at: null, attempt: null, max_attempts: null };
    expect(await api.get("req-old")).toEqual({ status: 200, json: { ...published, ...none } });
    expect(await api.get("req-old-r")).toEqual({ status: 200, json: { ...retrying, ...none } });

    // SQS delivers both again: the published one is kept as it was, the other runs.
    const attempt = build({ Records: [message("m1", request("req-old"), 2), message("m2", request("req-old-r"), 2)] });
    await vi.waitFor(async () => expect((await api.get("req-old-r")).json.state).toBe("running"), { timeout: 10_000, interval: 20 });
    expect(await api.get("req-old")).toEqual({ status: 200, json: { ...published, ...none } });
    hold.release();
    await attempt;
    expect(await stored(store, "req-old")).toEqual(published);
    expect((await api.get("req-old-r")).json).toMatchObject({ state: "succeeded", attempt: 2, max_attempts: 3, error: null });
  });

  it("answers 202 when the queued record cannot be written (logged, no secret), queueing the request anyway, and the build records it as it starts", async () => {
    const { store, build } = await setup();
    const api = await lambdaApi(store.bucket, { endpoint: ctx.proxy.endpoint });
    ctx.proxy.rules = [{ op: "PUT", key: /^builds\//, fault: "503" }];
    const accepted = await api.webhook();
    expect(accepted).toMatchObject({ status: 202, json: { accepted: true, duplicate: false } });
    const id = accepted.json.build_id;
    expect(api.sqs.sent).toHaveLength(1);
    expect(api.logs.map((l) => JSON.parse(l))).toEqual([
      { level: "error", msg: "could not record a build request as queued; queueing it without its record", id, delivery_id: "d-1", error: expect.stringMatching(new RegExp(`^PUT s3://${store.bucket}/builds/${id}\\.json failed: HTTP 503 SlowDown$`)) },
    ]);
    expect(api.logs.join("")).not.toContain(api.secret);
    // Sent once: a conditional write is never retried (adapters/s3-fetch.ts putIf).
    expect(ctx.proxy.events.filter((e) => e.op === "PUT" && e.fault === "503")).toHaveLength(1);
    ctx.proxy.rules = [];
    expect((await api.get(id)).status).toBe(404);
    expect((await build({ Records: [api.delivery(0)] })).batchItemFailures).toEqual([]);
    expect((await api.get(id)).json).toMatchObject({ id, state: "succeeded", attempt: 1 });
  });

  it("records the request before it is sent: the build that takes the message before SQS has answered the API writes over it", async () => {
    const { store, build } = await setup();
    const api = await lambdaApi(store.bucket);
    // The build takes the message and finishes before SQS has answered the API.
    const before: (BuildRecord | undefined)[] = [];
    api.sqs.reply.before = async (sent) => {
      before.push(await stored(store, (JSON.parse(sent.MessageBody) as { id: string }).id));
      await build({ Records: [message("m1", sent.MessageBody)] });
    };
    const accepted = await api.webhook();
    expect(accepted.status).toBe(202);
    expect(before).toEqual([expect.objectContaining({ id: accepted.json.build_id, state: "queued" })]);
    expect((await api.get(accepted.json.build_id)).json).toMatchObject({ state: "succeeded", attempt: 1, finished_at: new Date(NOW).toISOString() });
    expect(api.logs).toEqual([]);
  });
});

describe("one delivery, several API Lambda instances, one bucket", () => {
  lambdaEnvironment();

  /** `n` instances of the API (each its own delivery log) over one bucket, one queue and one secret. */
  async function instances(n: number, o: { now?: () => number; endpoint?: (i: number) => string | undefined } = {}) {
    const { store, build, content } = await setup();
    const sqs = await fakeSqs();
    closing.push(sqs.close);
    const secret = randomSecret();
    const apis = [];
    for (let i = 0; i < n; i++) apis.push(await lambdaApi(store.bucket, { sqs, secret, now: o.now, endpoint: o.endpoint?.(i) }));
    return { store, build, content, sqs, apis };
  }

  it("queues a delivery once: the instance it reaches next answers duplicate: true with the same build_id", async () => {
    const { sqs, apis: [a, b] } = await instances(2);
    const first = await a!.webhook("gh-1");
    expect(first).toMatchObject({ status: 202, json: { accepted: true, duplicate: false } });
    expect(first.json.build_id).toMatch(/^delivery-[0-9a-f]{32}$/);
    expect(await b!.webhook("gh-1")).toEqual({ status: 202, json: { ...first.json, duplicate: true } });
    // Again on the first instance: the bucket answers, not only its memory.
    expect(await a!.webhook("gh-1")).toEqual({ status: 202, json: { ...first.json, duplicate: true } });
    expect(sqs.sent.map((m) => (JSON.parse(m.MessageBody) as { id: string }).id)).toEqual([first.json.build_id]);
    expect((await b!.get(first.json.build_id)).json).toMatchObject({ id: first.json.build_id, state: "queued" });
    // Another delivery is another request.
    expect((await b!.webhook("gh-2")).json).toMatchObject({ duplicate: false });
    expect(sqs.sent).toHaveLength(2);
    expect([...a!.logs, ...b!.logs]).toEqual([]);
  });

  it("sends one message for the same delivery reaching three instances three times at once, and for concurrent redeliveries of a failed build", async () => {
    const { content, build, sqs, apis } = await instances(3);
    // SQS answers only once all nine have been answered or are waiting for it.
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    sqs.reply.before = () => held;
    const answers = apis.flatMap((api) => [0, 1, 2].map(() => api.webhook("gh-burst")));
    await vi.waitFor(() => expect(sqs.sent).toHaveLength(1), { timeout: 10_000, interval: 10 });
    release();
    const all = (await Promise.all(answers)).map((r) => r.json);
    expect(all.every((j) => j.build_id === all[0]!.build_id)).toBe(true);
    expect(all.filter((j) => !j.duplicate)).toHaveLength(1);
    expect(sqs.sent).toHaveLength(1);
    sqs.reply.before = undefined;

    // Its build fails (invalid content): every instance takes a redelivery as new, and of three at once one is sent.
    await writeFile(join(content, "articles", "bad.md"), articleText({ title: "Bad", date: "yesterday" }));
    await build({ Records: [apis[0]!.delivery(0)] });
    expect((await apis[0]!.get(all[0]!.build_id)).json).toMatchObject({ state: "failed", error: { name: "ContentError" } });
    const redelivered = (await Promise.all(apis.map((api) => api.webhook("gh-burst")))).map((r) => r.json);
    expect(redelivered.map((j) => j.build_id)).toEqual([all[0]!.build_id, all[0]!.build_id, all[0]!.build_id]);
    expect(redelivered.filter((j) => !j.duplicate)).toHaveLength(1);
    expect(sqs.sent).toHaveLength(2);
  });

  it("takes the redelivery of a failed build as new on the instance that accepted it too, under the same build_id; a published one stays a duplicate", async () => {
    const { content, build, sqs, apis: [a, b] } = await instances(2);
    await writeFile(join(content, "articles", "bad.md"), articleText({ title: "Bad", date: "yesterday" }));
    const id = (await a!.webhook("gh-f")).json.build_id;
    await build({ Records: [a!.delivery(0)] });
    expect((await a!.get(id)).json).toMatchObject({ state: "failed" });
    // Fixed, then GitHub's "Redeliver", to the same instance: queued again, recorded as such.
    await rm(join(content, "articles", "bad.md"));
    expect(await a!.webhook("gh-f")).toEqual({ status: 202, json: { accepted: true, build_id: id, duplicate: false } });
    expect(sqs.sent).toHaveLength(2);
    expect((await b!.get(id)).json).toMatchObject({ state: "queued", error: null, issues: [] });
    expect((await b!.webhook("gh-f")).json).toMatchObject({ build_id: id, duplicate: true });
    await build({ Records: [a!.delivery(1)] });
    expect((await b!.get(id)).json).toMatchObject({ state: "succeeded", error: null });
    for (const api of [a!, b!]) expect((await api.webhook("gh-f")).json).toEqual({ accepted: true, build_id: id, duplicate: true });
    expect(sqs.sent).toHaveLength(2);
  });

  it(`builds a delivery again once its request is ${DELIVERY_TTL_MS / 3_600_000} hours old, whatever became of it`, async () => {
    let now = NOW;
    const { build, sqs, apis: [a, b] } = await instances(2, { now: () => now });
    const id = (await a!.webhook("gh-old")).json.build_id;
    await build({ Records: [a!.delivery(0)] });
    now = NOW + DELIVERY_TTL_MS - 1;
    expect((await b!.webhook("gh-old")).json).toMatchObject({ build_id: id, duplicate: true });
    now = NOW + DELIVERY_TTL_MS;
    expect((await b!.webhook("gh-old")).json).toMatchObject({ build_id: id, duplicate: false });
    expect(sqs.sent).toHaveLength(2);
    expect((await a!.get(id)).json).toMatchObject({ state: "queued", requested_at: iso(now) });
  });

  it("marks the claim failed when SQS refuses the request, so that a redelivery to any instance is queued", async () => {
    const { store, sqs, apis: [a, b] } = await instances(2);
    sqs.reply.status = 400;
    const refused = await a!.webhook("gh-q");
    expect(refused.status).toBe(503);
    const [key] = await store.list("builds/");
    const id = key!.slice("builds/".length, -".json".length);
    expect((await b!.get(id)).json).toMatchObject({ state: "failed", error: { name: "BuildQueueError", retryable: true } });
    sqs.reply.status = 200;
    expect(await b!.webhook("gh-q")).toEqual({ status: 202, json: { accepted: true, build_id: id, duplicate: false } });
    expect((await a!.get(id)).json).toMatchObject({ state: "queued", error: null });
    expect(sqs.sent).toHaveLength(2);
    expect(a!.logs.map((l) => JSON.parse(l).msg)).toEqual(["could not queue a build request"]);
  });

  it("queues a delivery whose claim S3 refuses (availability first): the instance remembers it, the others find it once its build has recorded it", async () => {
    const { build, sqs, apis: [a, b] } = await instances(2, { endpoint: (i) => (i === 0 ? ctx.proxy.endpoint : undefined) });
    ctx.proxy.rules = [{ op: "PUT", key: /^builds\//, fault: "500" }];
    const first = await a!.webhook("gh-s3");
    expect(first).toMatchObject({ status: 202, json: { duplicate: false } });
    expect(sqs.sent).toHaveLength(1);
    expect(a!.logs.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ level: "error", msg: "could not record a build request as queued; queueing it without its record", id: first.json.build_id, delivery_id: "gh-s3" })]);
    expect(a!.logs.join("")).not.toContain(a!.secret);
    expect(await a!.webhook("gh-s3")).toEqual({ status: 202, json: { ...first.json, duplicate: true } });
    // The build records the request under the id every instance derives from the delivery.
    await build({ Records: [a!.delivery(0)] });
    expect(await b!.webhook("gh-s3")).toEqual({ status: 202, json: { ...first.json, duplicate: true } });
    expect(sqs.sent).toHaveLength(1);
  });
});
