/**
 * What became of a build request on AWS: the build Lambda's handler writes `builds/<id>.json`
 * for each request of a batch into a real s3rver bucket, and the API Lambda's handler (signed
 * fetch, as deployed) answers `GET /builds/{id}` from it.
 */
import { describe, expect, it } from "vitest";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createBuildHandler, type BuildDeps } from "../../functions/handlers/build.ts";
import { createHandler } from "../../functions/handlers/api.ts";
import { BUILD_REQUEST_TYPE } from "../../functions/handlers/queue.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import type { ObjectStore } from "../../functions/adapters/store.ts";
import type { S3Store } from "../../functions/adapters/s3-store.ts";
import { BUILD_RECORD_ISSUES_MAX, buildRecordKey, type BuildRecord } from "../../functions/core/build-record.ts";
import { parseManifest } from "../../functions/core/manifest.ts";
import { useTestS3 } from "../support/s3.ts";
import { invokeGet } from "../support/lambda.ts";
import { articleText, tempDir, tree, writeTree } from "../support/content-tree.ts";
import { ARTICLES, NOW } from "../support/api.ts";

const ctx = useTestS3();

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

/** Document writes fail (status.json and records still go through): a retryable fault. */
const documentsDown = (store: ObjectStore): ObjectStore => ({
  description: store.description,
  get: (k) => store.get(k),
  list: (p) => store.list(p),
  put: async (k, b, m) => {
    if (k === "status.json" || k.startsWith("builds/")) return store.put(k, b, m);
    throw new Error("S3 unavailable");
  },
  delete: (keys) => store.delete(keys),
});

describe("build records on AWS", () => {
  it("records the published build for every request a coalesced batch covered, and the API answers it with no-store", async () => {
    const { store, build, get } = await setup();
    const res = await build({ Records: [message("m1", request("req-a")), message("m2", s3Change("articles/first.md")), message("m3", request("req-b", "2029-12-31T23:58:00.000Z")), message("m4", request("req-a"))] });
    expect(res.batchItemFailures).toEqual([]);
    const manifest = parseManifest((await store.get("manifest.json"))!.body)!;
    // One record per request id; the S3 notification has none.
    expect((await store.list("builds/")).sort()).toEqual(["builds/req-a.json", "builds/req-b.json"]);
    const b = await stored(store, "req-b");
    expect(b).toEqual({ id: "req-b", state: "succeeded", requested_at: "2029-12-31T23:58:00.000Z", finished_at: new Date(NOW).toISOString(), build_id: manifest.build_id, items: 3, error: null, issues: [], issues_omitted: 0 });
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
    const recordsDown = (store: S3Store): ObjectStore => ({
      description: store.description,
      get: (k) => store.get(k),
      list: (p) => store.list(p),
      put: async (k, b, m) => {
        if (k.startsWith("builds/")) throw new Error("S3 unavailable for records");
        return store.put(k, b, m);
      },
      delete: (keys) => store.delete(keys),
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
    expect(unknown.json.error).toEqual({ code: "not_found", message: expect.stringMatching(/queued or its build is still running.*7 days/) });
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
