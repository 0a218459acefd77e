/**
 * The build Lambda. Two triggers, one build each:
 * - an SQS batch from the build queue (S3 notifications of the content bucket, webhook build
 *   requests from queue.ts): every valid message in it is covered by one build;
 * - the schedule's tick (`SCHEDULE_EVENT`), which builds only when the last recorded status says
 *   a future-dated article has become due (or a retryable failure needs another attempt).
 * Partial batch responses (ReportBatchItemFailures): a failed build reports exactly the valid
 * messages it covered, so SQS retries them and, after maxReceiveCount, dead-letters them;
 * malformed or oversized messages are logged and acknowledged, never retried.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import { pingAfterPublish, type PingOptions } from "../pipeline/websub.ts";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import * as z from "zod";
import { build, type BuildReport } from "../pipeline/build.ts";
import type { ContentSource } from "../adapters/content-dir.ts";
import type { ObjectStore } from "../adapters/store.ts";
import { createS3Client, S3Content, S3Store } from "../adapters/s3-store.ts";
import { PublishError } from "../core/errors.ts";
import { BUILD_RECORD_META, buildRecord, buildRecordBody, buildRecordKey, isBuildRecordId, isRetryable, type BuildRecord, type BuildRecordState, type RequestRef } from "../core/build-record.ts";
import { mapLimit } from "../adapters/store.ts";
import { STATUS_CACHE_CONTROL, STATUS_KEY, isBuildDue, nextStatus, parseStatus, statusBody, type BuildOutcome, type BuildStatus } from "../core/status.ts";
import { buildRequestSchema } from "./build-request.ts";
import { readBuildRecord } from "./builds.ts";
import { linked, linkedOptional } from "./linked.ts";
import { MAX_RECEIVE } from "../../stacks/build-limits.ts";

/** What the schedule (stacks/pipeline.ts) sends: a tick, not a build request. */
export const SCHEDULE_EVENT = { type: "syndicate.schedule" } as const;
/** Our own messages and S3's notifications are a few KB; anything far larger is not ours. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** S3 sends one record per notification; a bound keeps a forged message from costing much. */
const MAX_S3_RECORDS = 100;

const s3NotificationSchema = z.object({
  Records: z
    .array(
      z.object({
        eventSource: z.literal("aws:s3"),
        eventName: z.string(),
        s3: z.object({ bucket: z.object({ name: z.string() }).optional(), object: z.object({ key: z.string() }) }),
      }),
    )
    .min(1)
    .max(MAX_S3_RECORDS),
});

/** Where content notifications come from: the content bucket, under its prefix. */
export interface ContentOrigin {
  bucket: string;
  prefix: string;
}
/** Sent once by S3 when the notification is configured; nothing to build. */
const s3TestEventSchema = z.object({ Event: z.literal("s3:TestEvent") });

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return key;
  }
}

export type Classified = { messageId: string; trigger: string; request?: RequestRef } | { messageId: string | undefined; drop: string };

/**
 * What one SQS record asks for, or why it is dropped. Never throws. `origin`: S3 notifications
 * are taken only from it (the deployed queue's policy admits only the content bucket, stacks/pipeline.ts;
 * a queue set up otherwise, or SST's own policy, may admit other buckets).
 */
export function classifyRecord(record: unknown, origin?: ContentOrigin): Classified {
  const r = record as Partial<SQSRecord> | null;
  const messageId = typeof r?.messageId === "string" && r.messageId ? r.messageId : undefined;
  if (!messageId) return { messageId, drop: "not an SQS record (no messageId)" };
  if (typeof r!.body !== "string") return { messageId, drop: "no body" };
  const size = Buffer.byteLength(r!.body);
  if (size > MAX_MESSAGE_BYTES) return { messageId, drop: `oversized body: ${size} bytes > ${MAX_MESSAGE_BYTES}` };
  let body: unknown;
  try {
    body = JSON.parse(r!.body);
  } catch {
    return { messageId, drop: "body is not JSON" };
  }
  const s3 = s3NotificationSchema.safeParse(body);
  if (s3.success) {
    // S3 encodes the key in notifications (spaces as "+", the rest percent-encoded).
    const foreign = origin && s3.data.Records.find((x) => x.s3.bucket?.name !== origin.bucket || !decodeKey(x.s3.object.key).startsWith(origin.prefix));
    if (foreign) return { messageId, drop: `S3 notification for ${foreign.s3.bucket?.name ?? "an unnamed bucket"}/${foreign.s3.object.key}, not the content (${origin!.bucket}/${origin!.prefix})` };
    return { messageId, trigger: `s3 ${s3.data.Records.map((x) => `${x.eventName} ${x.s3.object.key}`).join(", ")}` };
  }
  const request = buildRequestSchema.safeParse(body);
  if (request.success) return { messageId, trigger: `${request.data.source} request ${request.data.id}`, request: { id: request.data.id, requested_at: request.data.requested_at } };
  if (s3TestEventSchema.safeParse(body).success) return { messageId, drop: "S3 test event" };
  return { messageId, drop: "unrecognised message" };
}

export interface BuildDeps {
  source: ContentSource;
  /** The feeds store: the build publishes there and records `status.json`. */
  store: ObjectStore;
  /** The queue's maxReceiveCount: a failure at that receive dead-letters the message. */
  maxReceive: number;
  clock?: () => number;
  log?: (entry: Record<string, unknown>) => void;
  /** How WebSub hubs are pinged after a publish (tests give their own fetch). */
  ping?: PingOptions;
  /** Where S3 notifications may come from (classifyRecord); any, when absent. */
  origin?: ContentOrigin;
}

/**
 * Of the invocation's remaining time, what a build keeps for itself beyond waiting for another
 * build's lease (a full build of 50,000 articles takes ~20 s here; the timeout is 180 s). The
 * lease's own default wait (5 minutes) is longer than the timeout: a build that waited that long
 * was killed silently, recording nothing, instead of failing with the lease's error.
 */
export const BUILD_TIME_RESERVE_MS = 90_000;

/**
 * Of the invocation's remaining time, what publishing, storing the cache and recording the
 * outcome keep for themselves: a build not publishing by then stops (BuildDeadlineError), and
 * its failure is recorded and retried, instead of the build being killed by the timeout with
 * nothing recorded (status.json and /health would still show the build before).
 */
export const PUBLISH_TIME_RESERVE_MS = 30_000;

/** What the Lambda context tells of the time left; absent outside Lambda (tests). */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

type Log = (entry: Record<string, unknown>) => void;
const jsonLog: Log = (entry) => console.log(JSON.stringify(entry));

/** The last recorded status; "unreadable" when the store failed (not the same as none recorded). */
async function readStatus(store: ObjectStore, log: Log): Promise<BuildStatus | undefined | "unreadable"> {
  try {
    return parseStatus((await store.get(STATUS_KEY))?.body);
  } catch (err) {
    log({ level: "warn", msg: "could not read the last build status", error: (err as Error).message });
    return "unreadable";
  }
}

/** How long the WebSub pings may take, after the status is recorded, of the invocation's time left. */
export const PING_TIME_RESERVE_MS = 5_000;

/** status.json: JSON, revalidated on every read. */
const STATUS_META = { contentType: "application/json", cacheControl: STATUS_CACHE_CONTROL };

async function writeStatus(store: ObjectStore, status: BuildStatus, log: Log): Promise<void> {
  try {
    await store.put(STATUS_KEY, statusBody(status), STATUS_META);
  } catch (err) {
    // The build's outcome stands; only /health lags until the next build records it.
    log({ level: "error", msg: `could not record ${STATUS_KEY}`, error: (err as Error).message });
  }
}

/** Records written at once (a batch holds up to 1,000 messages, stacks/pipeline.ts). */
const RECORD_CONCURRENCY = 16;

/** A build request this attempt covers: its id and time, which receive of it this is, and whether it is its last. */
export interface CoveredRequest extends RequestRef {
  /** The message's receive count (ApproximateReceiveCount): the attempt's number. */
  attempt: number;
  lastReceive: boolean;
}

/** What one build attempt did: the report, or the error (`committed`: published before it). */
interface Attempt {
  report?: Pick<BuildReport, "build_id" | "items" | "warnings">;
  error?: Error;
  committed?: string;
  finishedAt: number;
}

/**
 * Writes one record per request (`GET /builds/{id}`), `what` naming it in the log. A request
 * already published keeps its record: SQS may deliver a message twice, and a second build
 * covering it (after a later, broken change) is not what became of it. Any other record is
 * replaced (the API's `queued`, an earlier attempt's, a failure redriven from the dead-letter
 * queue). A record that cannot be written is logged; the build goes on, its outcome stands.
 */
async function putRecords(deps: BuildDeps, requests: readonly CoveredRequest[], what: string, make: (r: CoveredRequest) => BuildRecord, log: Log): Promise<void> {
  const unique = [...new Map(requests.map((r) => [r.id, r])).values()];
  await mapLimit(unique, RECORD_CONCURRENCY, async (r) => {
    if (!isBuildRecordId(r.id)) return log({ level: "warn", msg: "no build record for a request id outside [A-Za-z0-9._-]{1,128}", id: r.id.slice(0, 140) });
    const key = buildRecordKey(r.id);
    try {
      const before = readBuildRecord((await deps.store.get(key).catch(() => undefined))?.body, r.id);
      if (before?.state === "succeeded") return log({ level: "info", msg: "kept a published request's record", id: r.id, build_id: before.build_id });
      await deps.store.put(key, buildRecordBody(make(r)), BUILD_RECORD_META);
    } catch (err) {
      log({ level: "error", msg: `could not record ${what}`, id: r.id, error: (err as Error).message });
    }
  });
}

/** The attempt's part of a record: when it started, which attempt, of how many. */
const attemptOf = (deps: BuildDeps, r: CoveredRequest, startedAt: number) => ({ started_at: new Date(startedAt).toISOString(), attempt: r.attempt, max_attempts: deps.maxReceive });

/**
 * As an attempt starts: its requests are `running`, from `startedAt`. A record left `running`
 * (the attempt stopped by its time limit, or its process gone) is answered by the API as what
 * became of it (core/build-record.ts recordAsOf), from the attempt it names.
 */
function writeRunning(deps: BuildDeps, requests: readonly CoveredRequest[], startedAt: number, log: Log): Promise<void> {
  return putRecords(deps, requests, "a build request as running", (r) => buildRecord({ id: r.id, requested_at: r.requested_at, ...attemptOf(deps, r, startedAt), finished_at: null, state: "running" }), log);
}

/**
 * As an attempt ends: "retrying" for a failure SQS delivers again (retryable, not committed, not
 * the message's last receive), a later attempt overwriting it; else succeeded or failed.
 */
function writeRecords(deps: BuildDeps, requests: readonly CoveredRequest[], startedAt: number, attempt: Attempt, log: Log): Promise<void> {
  const finished_at = new Date(attempt.finishedAt).toISOString();
  const failed = attempt.error !== undefined && !attempt.committed;
  return putRecords(deps, requests, "a build request's outcome", (r) => {
    const state: BuildRecordState = !failed ? "succeeded" : isRetryable(attempt.error) && !r.lastReceive ? "retrying" : "failed";
    return buildRecord({ id: r.id, requested_at: r.requested_at, ...attemptOf(deps, r, startedAt), finished_at, state, report: attempt.report, error: attempt.error, committed: attempt.committed });
  }, log);
}

/**
 * One build, its status and its requests' records written; resolves to the error when it failed.
 * `known.previous`: the status already read (the schedule reads it to decide), else read here;
 * `context`: the Lambda invocation's, which bounds the wait for another build's lease.
 */
async function runBuild(
  deps: BuildDeps,
  trigger: BuildOutcome["trigger"],
  messages: number,
  lastAttempt: boolean,
  { known, context, requests = [] }: { known?: { previous: Awaited<ReturnType<typeof readStatus>> }; context?: InvocationContext; requests?: readonly CoveredRequest[] } = {},
): Promise<Error | undefined> {
  const log = deps.log ?? jsonLog;
  const now = (deps.clock ?? Date.now)();
  if (requests.length) await writeRunning(deps, requests, now, log);
  let previous = known ? known.previous : await readStatus(deps.store, log);
  const started = performance.now();
  const left = context?.getRemainingTimeInMillis();
  let outcome: BuildOutcome;
  let failure: Error | undefined;
  let published: string[] = [];
  let attempt: Omit<Attempt, "finishedAt">;
  try {
    const limits =
      left === undefined ? {} : { lease: { waitMs: Math.max(0, left - BUILD_TIME_RESERVE_MS) }, deadline: Date.now() + left - PUBLISH_TIME_RESERVE_MS };
    const report = await build({ source: deps.source, store: deps.store, now, ...limits });
    outcome = { trigger, messages, now, duration_ms: Math.round(performance.now() - started), report };
    published = report.written;
    attempt = { report };
    log({ level: "info", msg: "build published", trigger, messages, build_id: report.build_id, items: report.items, written: report.documents.written, deleted: report.documents.deleted, next_publication: report.next_publication, duration_ms: report.duration_ms });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const retryable = isRetryable(err);
    // Published, then the cleanup failed: the content is live, so the messages are done (the
    // schedule's next tick, seeing a retryable failure, builds again and deletes what is left).
    const committed = err instanceof PublishError ? err.committed : undefined;
    outcome = { trigger, messages, now, duration_ms: Math.round(performance.now() - started), error: { name: err.name, message: err.message, retryable }, dead_lettered: retryable && lastAttempt && !committed, committed };
    log({ level: "error", msg: "build failed", trigger, messages, retryable, dead_lettered: outcome.dead_lettered, committed, error: err.message });
    failure = retryable && !committed ? err : undefined;
    attempt = { error: err, committed };
  }
  // A status that could not be read is read again before it is replaced: a passing fault must
  // not erase the last success and the schedule it carries.
  if (previous === "unreadable") previous = await readStatus(deps.store, log);
  await writeStatus(deps.store, nextStatus(previous === "unreadable" ? undefined : previous, outcome), log);
  if (requests.length) await writeRecords(deps, requests, now, { ...attempt, finishedAt: (deps.clock ?? Date.now)() }, log);
  // Recorded first, then the site's WebSub hub hears of the feeds that changed, within what is
  // left of the invocation (a hub that never answers cannot make the function time out after
  // publishing). Never fails the build.
  if (published.length) {
    const leftNow = context?.getRemainingTimeInMillis();
    const deadline = leftNow === undefined ? undefined : Date.now() + leftNow - PING_TIME_RESERVE_MS;
    await pingAfterPublish(deps.store, published, { ...deps.ping, deadline, log: (line) => log(JSON.parse(line) as Record<string, unknown>) }).catch((err: unknown) =>
      log({ level: "error", msg: "websub: ping failed", error: (err as Error).message }),
    );
  }
  return failure;
}

function isScheduleEvent(event: unknown): boolean {
  return (event as { type?: unknown } | null)?.type === SCHEDULE_EVENT.type;
}

export function createBuildHandler(getDeps: () => BuildDeps) {
  return async (event: unknown, context?: InvocationContext): Promise<SQSBatchResponse> => {
    const deps = getDeps();
    const log = deps.log ?? jsonLog;
    if (isScheduleEvent(event)) {
      const now = (deps.clock ?? Date.now)();
      const previous = await readStatus(deps.store, log);
      if (previous === "unreadable" || isBuildDue(previous, now)) await runBuild(deps, "schedule", 0, false, { known: { previous }, context });
      else log({ level: "info", msg: "schedule: nothing due" });
      return { batchItemFailures: [] };
    }
    const records: unknown[] = Array.isArray((event as { Records?: unknown } | null)?.Records) ? (event as { Records: unknown[] }).Records : [];
    if (!records.length) log({ level: "warn", msg: "dropped an event that is neither an SQS batch nor the schedule" });
    const valid: SQSRecord[] = [];
    const requests: CoveredRequest[] = [];
    const receives = (r: SQSRecord) => Number(r.attributes?.ApproximateReceiveCount ?? 1);
    for (const record of records) {
      const c = classifyRecord(record, deps.origin);
      if ("drop" in c) log({ level: "warn", msg: "dropped a message", messageId: c.messageId, reason: c.drop });
      else {
        log({ level: "info", msg: "build requested", messageId: c.messageId, trigger: c.trigger });
        valid.push(record as SQSRecord);
        const attempt = receives(record as SQSRecord);
        if (c.request) requests.push({ ...c.request, attempt, lastReceive: attempt >= deps.maxReceive });
      }
    }
    if (!valid.length) return { batchItemFailures: [] };
    const lastAttempt = valid.some((r) => receives(r) >= deps.maxReceive);
    const failed = await runBuild(deps, "queue", valid.length, lastAttempt, { context, requests });
    return { batchItemFailures: failed ? valid.map((r) => ({ itemIdentifier: r.messageId })) : [] };
  };
}

/** Dependencies from the linked resources (or env vars), created once per container. */
let cached: BuildDeps | undefined;
export function linkedDeps(): BuildDeps {
  if (cached) return cached;
  const client = createS3Client({ endpoint: process.env.S3_ENDPOINT });
  const source = new S3Content({ client, bucket: linked("Content", "name", "CONTENT_BUCKET"), prefix: linkedOptional("Content", "prefix", "CONTENT_PREFIX") });
  cached = {
    // The prefix as the store normalised it ("content/").
    origin: { bucket: source.store.bucket, prefix: source.store.prefix },
    source,
    store: new S3Store({ client, bucket: linked("Feeds", "name", "FEEDS_BUCKET") }),
    maxReceive: Number(process.env.BUILD_MAX_RECEIVE ?? MAX_RECEIVE),
  };
  return cached;
}

export const handler = createBuildHandler(linkedDeps);
