import { describe, expect, it } from "vitest";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILD_TIME_RESERVE_MS, createBuildHandler, MAX_MESSAGE_BYTES, PING_TIME_RESERVE_MS, PUBLISH_TIME_RESERVE_MS, SCHEDULE_EVENT, type BuildDeps } from "../../functions/handlers/build.ts";
import { withLease } from "../../functions/pipeline/lease.ts";
import { BUILD_REQUEST_TYPE } from "../../functions/handlers/queue.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import type { ObjectStore } from "../../functions/adapters/store.ts";
import { STATUS_KEY, parseStatus } from "../../functions/core/status.ts";
import { writeCorpus } from "../support/corpus.ts";
import { pausesAsked } from "../support/clock.ts";
import { articleText } from "../support/content-tree.ts";

const NOW = Date.UTC(2030, 0, 1);

/** An SQS record as Lambda delivers it (shape of the AWS docs' sample event). */
function record(id: string, body: string, receiveCount = 1) {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: "1700000000000", SenderId: "AIDA", ApproximateFirstReceiveTimestamp: "1700000000000" },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:BuildQueue",
    awsRegion: "us-east-1",
  };
}
const s3Body = (key: string) => JSON.stringify({ Records: [{ eventVersion: "2.1", eventSource: "aws:s3", eventName: "ObjectCreated:Put", s3: { bucket: { name: "content" }, object: { key, size: 10 } } }] });
const requestBody = (id: string) => JSON.stringify({ type: BUILD_REQUEST_TYPE, id, source: "webhook", requested_at: "2030-01-01T00:00:00Z" });

async function setup(overrides: Partial<BuildDeps> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "syn-handler-"));
  const content = await writeCorpus(join(dir, "content"), { articles: 5 });
  const store = new DirectoryStore(join(dir, "out"));
  const logs: Record<string, unknown>[] = [];
  const deps: BuildDeps = { source: new DirectoryContent(content), store, maxReceive: 3, clock: () => NOW, log: (e) => logs.push(e), ...overrides };
  return { dir, content, store, logs, deps, handler: createBuildHandler(() => deps) };
}

const status = async (store: ObjectStore) => parseStatus((await store.get(STATUS_KEY))?.body);

/** A store whose writes fail: a retryable fault. */
const failingWrites = (store: ObjectStore): ObjectStore => ({
  description: "failing store",
  get: (k) => store.get(k),
  list: (p) => store.list(p),
  put: async (k, b, m) => {
    if (k === STATUS_KEY) return store.put(k, b, m);
    throw new Error("S3 unavailable");
  },
  delete: async () => {
    throw new Error("S3 unavailable");
  },
});

describe("build handler, WebSub", () => {
  it("pings the site's hub with the feeds a build wrote, and not when nothing changed", async () => {
    const pinged: { url: string; body: string }[] = [];
    const fetch = (async (url: string | URL, init?: RequestInit) => {
      pinged.push({ url: String(url), body: String(init?.body) });
      return new Response(null, { status: 204 });
    }) as typeof globalThis.fetch;
    const { handler, content, logs } = await setup({ ping: { fetch, attempts: 1 } });
    await writeFile(join(content, "site.yaml"), `${await readFile(join(content, "site.yaml"), "utf8")}websub_hub: https://hub.invalid/\n`);
    await handler({ Records: [record("a", requestBody("req-1"))] });
    expect(pinged.length).toBeGreaterThan(0);
    expect(pinged.every((p) => p.url === "https://hub.invalid/")).toBe(true);
    expect(pinged.map((p) => new URLSearchParams(p.body).get("hub.url"))).toContain("https://corpus.example.com/feeds/feed.xml");
    expect(logs.some((l) => l.msg === "websub" && l.notified === pinged.length)).toBe(true);
    const before = pinged.length;
    await handler({ Records: [record("b", requestBody("req-2"))] });
    expect(pinged.length).toBe(before);
  });

  it("records the status before pinging, and gives a hub that never answers no more than the invocation's time left", async () => {
    const base = await setup();
    await writeFile(join(base.content, "site.yaml"), `${await readFile(join(base.content, "site.yaml"), "utf8")}websub_hub: https://hub.invalid/\n`);
    let statusAtFirstPing: unknown, pings = 0;
    // A hub that accepts and never answers: only the request's abort ends it.
    const fetch = (async (_url: string | URL, init?: RequestInit) => {
      if (pings++ === 0) statusAtFirstPing = await status(base.store);
      return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    }) as typeof globalThis.fetch;
    const handler = createBuildHandler(() => ({ ...base.deps, ping: { fetch } }));
    // The invocation has a minute while it builds, and 300 ms beyond the ping reserve once it
    // has published. Without the bound, 4 attempts of 10 s per feed: the test would time out.
    let asked = 0;
    const res = await handler({ Records: [record("a", requestBody("r"))] }, { getRemainingTimeInMillis: () => (asked++ === 0 ? 60_000 : PING_TIME_RESERVE_MS + 300) });
    expect(res.batchItemFailures).toEqual([]);
    expect(statusAtFirstPing).toMatchObject({ ok: true, build_id: expect.any(String) });
    expect(base.logs.some((l) => l.msg === "websub" && (l.failed as number) > 0)).toBe(true);
  });
});

describe("build handler", () => {
  it("turns a batch of S3 notifications and webhook requests into one build", async () => {
    const { handler, store, logs } = await setup();
    const res = await handler({ Records: [record("a", s3Body("content/articles/a.md")), record("b", requestBody("req-1")), record("c", s3Body("content/site.yaml"))] });
    expect(res).toEqual({ batchItemFailures: [] });
    expect(logs.filter((l) => l.msg === "build published")).toHaveLength(1);
    expect(await store.get("feed.xml")).toBeDefined();
    expect(await status(store)).toMatchObject({ ok: true, trigger: "queue", messages: 3, items: 5, error: null, dead_lettered: false });
  });

  it("drops malformed, oversized and foreign messages without retrying them, and builds for the rest", async () => {
    const { handler, logs } = await setup();
    const res = await handler({
      Records: [record("bad-json", "{not json"), record("huge", "x".repeat(MAX_MESSAGE_BYTES + 1)), record("foreign", JSON.stringify({ hello: 1 })), record("test", JSON.stringify({ Event: "s3:TestEvent" })), record("ok", requestBody("r"))],
    });
    expect(res.batchItemFailures).toEqual([]);
    const dropped = logs.filter((l) => l.msg === "dropped a message").map((l) => l.messageId);
    expect(dropped).toEqual(["bad-json", "huge", "foreign", "test"]);
    expect(logs.filter((l) => l.msg === "build published")).toHaveLength(1);
  });

  it("takes S3 notifications only from the content bucket, under its prefix (the queue's policy lets any account's S3 send)", async () => {
    const { handler, logs } = await setup({ origin: { bucket: "content", prefix: "content/" } });
    const from = (bucket: string, key: string) => JSON.stringify({ Records: [{ eventSource: "aws:s3", eventName: "ObjectCreated:Put", s3: { bucket: { name: bucket }, object: { key } } }] });
    const res = await handler({
      Records: [
        record("other-bucket", from("someone-elses", "content/articles/a.md")),
        record("other-prefix", from("content", "elsewhere/articles/a.md")),
        record("encoded", from("content", "content/articles/a+b%C3%A7.md")),
        record("ours", s3Body("content/articles/a.md")),
      ],
    });
    expect(res.batchItemFailures).toEqual([]);
    expect(logs.filter((l) => l.msg === "dropped a message").map((l) => [l.messageId, String(l.reason).slice(0, 30)])).toEqual([
      ["other-bucket", "S3 notification for someone-el"],
      ["other-prefix", "S3 notification for content/el"],
    ]);
    expect(logs.filter((l) => l.msg === "build requested").map((l) => l.messageId)).toEqual(["encoded", "ours"]);
  });

  it("when only the cleanup after publishing fails, records the published build as the last success and acknowledges the messages", async () => {
    const base = await setup();
    await base.handler({ Records: [record("a", requestBody("r1"))] });
    // Every article loses its tags: their feeds are to be deleted, and deleting fails.
    for (const name of await readdir(join(base.content, "articles"))) {
      const path = join(base.content, "articles", name);
      await writeFile(path, (await readFile(path, "utf8")).replace(/^tags:.*$/m, "tags: []"));
    }
    const noDeletes: ObjectStore = Object.assign(Object.create(base.store) as ObjectStore, { delete: async () => Promise.reject(new Error("S3 DeleteObjects: AccessDenied")) });
    const handler = createBuildHandler(() => ({ ...base.deps, store: noDeletes }));
    const res = await handler({ Records: [record("b", requestBody("r2"), 3)] });
    const manifest = JSON.parse((await base.store.get("manifest.json"))!.body.toString()) as { build_id: string };
    expect(res.batchItemFailures).toEqual([]);
    expect(await status(base.store)).toMatchObject({ ok: false, build_id: manifest.build_id, last_success: { build_id: manifest.build_id }, dead_lettered: false, error: { name: "PublishError", retryable: true } });
  });

  it("keeps saying the messages were dead-lettered through a failing schedule tick, until a build succeeds", async () => {
    const base = await setup();
    const handler = createBuildHandler(() => ({ ...base.deps, store: failingWrites(base.store) }));
    await handler({ Records: [record("m1", requestBody("r1"), 3)] });
    expect(await status(base.store)).toMatchObject({ ok: false, trigger: "queue", dead_lettered: true });
    await handler(SCHEDULE_EVENT); // retryable: the tick builds, fails again, covers no message
    expect(await status(base.store)).toMatchObject({ ok: false, trigger: "schedule", messages: 0, dead_lettered: true });
    await base.handler(SCHEDULE_EVENT); // the store writes again: success clears it
    expect(await status(base.store)).toMatchObject({ ok: true, dead_lettered: false });
  });

  it("does not erase the last success when status.json could not be read before a failing build", async () => {
    const base = await setup();
    await base.handler({ Records: [record("a", requestBody("r1"))] });
    const before = (await status(base.store))!;
    let reads = 0;
    const flaky = failingWrites(base.store);
    const once: ObjectStore = { ...flaky, get: async (k) => (k === STATUS_KEY && reads++ === 0 ? Promise.reject(new Error("503 SlowDown")) : flaky.get(k)) };
    await writeFile(join(base.content, "articles", "new.md"), articleText({ title: "New", date: "2029-06-01T00:00:00Z" }));
    await createBuildHandler(() => ({ ...base.deps, store: once }))({ Records: [record("b", requestBody("r2"))] });
    expect(await status(base.store)).toMatchObject({ ok: false, last_success: before.last_success, next_publication: before.next_publication });
  });

  it("does not build for a batch with nothing valid in it", async () => {
    const { handler, store, logs } = await setup();
    expect(await handler({ Records: [record("x", "[]")] })).toEqual({ batchItemFailures: [] });
    expect(await handler({ not: "sqs" })).toEqual({ batchItemFailures: [] });
    expect(logs.some((l) => l.msg === "build published")).toBe(false);
    expect(await store.get("feed.xml")).toBeUndefined();
  });

  it("reports exactly the valid messages as failed when the build fails for a retryable reason", async () => {
    const base = await setup();
    const { handler } = await setup({ store: failingWrites(base.store) });
    const res = await handler({ Records: [record("a", s3Body("content/articles/a.md")), record("junk", "nope"), record("b", requestBody("r"))] });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: "a" }, { itemIdentifier: "b" }]);
    expect(await status(base.store)).toMatchObject({ ok: false, dead_lettered: false, error: { retryable: true } });
  });

  it("records dead-lettering when a failing message is on its last receive", async () => {
    const base = await setup();
    const { handler } = await setup({ store: failingWrites(base.store) });
    const res = await handler({ Records: [record("a", requestBody("r"), 3)] });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: "a" }]);
    expect(await status(base.store)).toMatchObject({ ok: false, dead_lettered: true });
  });

  it("waits for another build's lease only as long as the invocation leaves it (minus the build's reserve), then fails and records it", async () => {
    const { handler, store } = await setup();
    let release!: () => void;
    const acquired = new Promise<void>((held) => {
      void withLease(store, () => (held(), new Promise<void>((r) => (release = r))), { log: () => undefined });
    });
    await acquired;
    // 300 ms left beyond the reserve: the lease is waited for that long, not its default 5
    // minutes. Its pauses (500 ms jittered: at most 750 each) add up to at most the 300 ms and
    // the last pause (lease.ts: every pause lasts what it asks, so a longer wait asks more).
    const { result: res, total } = await pausesAsked(() => handler({ Records: [record("a", requestBody("r"))] }, { getRemainingTimeInMillis: () => BUILD_TIME_RESERVE_MS + 300 }), 750);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(300 + 750);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: "a" }]);
    expect(await status(store)).toMatchObject({ ok: false, error: { retryable: true, message: expect.stringContaining("gave up after waiting 300 ms") } });
    release();
  });

  it("stops a build that runs into the invocation's last PUBLISH_TIME_RESERVE_MS before publishing, records it, and leaves the message to retry", async () => {
    const base = await setup();
    // Reading the content takes 300 ms; the invocation leaves 100 ms beyond the reserve.
    const slow = { description: "slow", read: async (o?: Parameters<DirectoryContent["read"]>[0]) => (await new Promise((r) => setTimeout(r, 300)), base.deps.source.read(o)) };
    const { handler } = await setup({ store: base.store, source: slow });
    const store = base.store;
    const res = await handler({ Records: [record("a", requestBody("r"))] }, { getRemainingTimeInMillis: () => PUBLISH_TIME_RESERVE_MS + 100 });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: "a" }]);
    expect(await status(store)).toMatchObject({ ok: false, error: { name: "BuildDeadlineError", retryable: true, message: expect.stringContaining("ran out of time before validating") } });
    expect(await store.get("manifest.json")).toBeUndefined(); // nothing published
    // With time enough, the same build publishes.
    const ok = await handler({ Records: [record("b", requestBody("r2"))] }, { getRemainingTimeInMillis: () => PUBLISH_TIME_RESERVE_MS + 60_000 });
    expect(ok.batchItemFailures).toEqual([]);
    expect(await status(store)).toMatchObject({ ok: true });
    expect(await store.get("manifest.json")).toBeDefined();
  });

  it("acknowledges messages when the content is invalid: retrying cannot fix it", async () => {
    const { handler, content, store } = await setup();
    await writeFile(join(content, "site.yaml"), "title: [unclosed\n");
    const res = await handler({ Records: [record("a", s3Body("content/site.yaml"))] });
    expect(res.batchItemFailures).toEqual([]);
    expect(await status(store)).toMatchObject({ ok: false, error: { name: "ContentError", retryable: false } });
  });

  it("on a schedule tick builds only when something is due", async () => {
    const { handler, store, logs, deps } = await setup();
    await handler(SCHEDULE_EVENT); // nothing recorded yet: builds
    expect(logs.filter((l) => l.msg === "build published")).toHaveLength(1);
    await handler(SCHEDULE_EVENT); // recorded, nothing scheduled: skips
    expect(logs.filter((l) => l.msg === "build published")).toHaveLength(1);
    const s = (await status(store))!;
    await deps.store.put(STATUS_KEY, Buffer.from(JSON.stringify({ ...s, next_publication: "2029-12-31T23:00:00Z" })), { contentType: "application/json", cacheControl: "no-cache" });
    await handler(SCHEDULE_EVENT); // an article became due: builds
    expect(logs.filter((l) => l.msg === "build published")).toHaveLength(2);
  });
});

describe("build handler, build requests' records", () => {
  /** `store`, and what request `id`'s record said when the build first wrote anything else (the lease). */
  function observing(store: ObjectStore, id: string) {
    const seen: { during?: Record<string, unknown> } = {};
    const observed: ObjectStore = {
      description: store.description,
      get: (k) => store.get(k),
      list: (p) => store.list(p),
      delete: (keys) => store.delete(keys),
      put: async (k, b, m) => {
        if (!k.startsWith("builds/") && !seen.during) seen.during = JSON.parse((await store.get(`builds/${id}.json`))?.body.toString() ?? "null");
        return store.put(k, b, m);
      },
    };
    return { observed, seen };
  }
  const record1 = async (store: ObjectStore, id: string) => JSON.parse((await store.get(`builds/${id}.json`))!.body.toString()) as Record<string, unknown>;

  it("records each request running as its attempt starts (which attempt, of how many, since when), and its outcome with the same", async () => {
    const base = await setup();
    const { observed, seen } = observing(base.store, "req-1");
    let t = NOW;
    const handler = createBuildHandler(() => ({ ...base.deps, store: observed, clock: () => (t += 1_000) }));
    expect((await handler({ Records: [record("a", requestBody("req-1"), 2)] })).batchItemFailures).toEqual([]);
    const running = {
      id: "req-1", state: "running", requested_at: "2030-01-01T00:00:00Z", started_at: new Date(NOW + 1_000).toISOString(), finished_at: null, attempt: 2, max_attempts: 3,
      build_id: null, items: null, error: null, issues: [], issues_omitted: 0,
    };
    expect(seen.during).toEqual(running);
    expect(await record1(base.store, "req-1")).toMatchObject({ ...running, state: "succeeded", finished_at: new Date(NOW + 2_000).toISOString(), build_id: expect.any(String), items: 5 });
  });

  it("leaves a published request's record as it was while SQS's second delivery of it builds", async () => {
    const base = await setup();
    await base.handler({ Records: [record("a", requestBody("req-1"))] });
    const published = await record1(base.store, "req-1");
    expect(published).toMatchObject({ state: "succeeded", attempt: 1 });
    const { observed, seen } = observing(base.store, "req-1");
    const handler = createBuildHandler(() => ({ ...base.deps, store: observed }));
    await handler({ Records: [record("a", requestBody("req-1"), 2)] });
    expect(seen.during).toEqual(published);
    expect(await record1(base.store, "req-1")).toEqual(published);
    expect(base.logs.filter((l) => l.msg === "kept a published request's record")).toHaveLength(2);
  });

  it("logs a running record it cannot write, and builds", async () => {
    const base = await setup();
    const recordsDown: ObjectStore = {
      description: "records down",
      get: (k) => base.store.get(k),
      list: (p) => base.store.list(p),
      delete: (keys) => base.store.delete(keys),
      put: async (k, b, m) => {
        if (k.startsWith("builds/")) throw new Error("S3 unavailable for records");
        return base.store.put(k, b, m);
      },
    };
    const handler = createBuildHandler(() => ({ ...base.deps, store: recordsDown }));
    expect((await handler({ Records: [record("a", requestBody("req-1"))] })).batchItemFailures).toEqual([]);
    expect(base.logs).toContainEqual({ level: "error", msg: "could not record a build request as running", id: "req-1", error: "S3 unavailable for records" });
    expect(base.logs.filter((l) => l.msg === "build published")).toHaveLength(1);
  });
});
