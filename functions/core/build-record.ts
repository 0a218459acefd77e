/**
 * What became of one build request (`GET /builds/{id}`): on AWS the record `builds/<id>.json` in
 * the feeds bucket (kept 7 days by a lifecycle rule, stacks/storage.ts), which the API Lambda
 * writes `queued` before it queues the request and the build Lambda rewrites `running` as each
 * attempt starts and with the attempt's outcome as it ends; on the local stack, the records it
 * keeps in memory. One shape for both; its schema for the OpenAPI document is handlers/openapi.ts
 * `buildRecordSchema`. Pure and zod-free: the API Lambda reads records with handlers/builds.ts, by hand.
 */
import { BUILD_TIMEOUT_SECONDS, MAX_RECEIVE, VISIBILITY_TIMEOUT_SECONDS } from "../../stacks/build-limits.ts";
import { BUILD_RECORD_DAYS, BUILD_RECORDS } from "../../stacks/access.ts";
import type { ObjectMeta } from "../adapters/store.ts";
import { ContentError, RenderCheckError, type ContentIssue } from "./errors.ts";

/**
 * Request ids that have a record: those the API issues (a delivery's, webhook.ts
 * deliveryRequestId: `delivery-` and 32 hex digits; queue.ts: a UUID for a request without a
 * delivery id; the local stack: coalesce.ts `20260102T030405Z-1a2b3c`), within queue.ts
 * REQUEST_ID_MAX. The id is part of an object key, so nothing else is looked up or written.
 */
export const BUILD_RECORD_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** Where the records are, in the feeds bucket: never published (stacks/access.ts UNPUBLISHED_KEYS). */
export const BUILD_RECORD_PREFIX = BUILD_RECORDS;
/** How long a record is kept: the feeds bucket's lifecycle rule expires the prefix after it (stacks/storage.ts). */
export { BUILD_RECORD_DAYS };
/** Records are JSON, read by the API only (never served: stacks/access.ts), revalidated on every read. */
export const BUILD_RECORD_META: ObjectMeta = { contentType: "application/json", cacheControl: "no-cache, max-age=0" };
/** Most issues a record lists; `issues_omitted` counts the rest (`syndicate validate` lists them all). */
export const BUILD_RECORD_ISSUES_MAX = 50;
/** A record's error message is cut here (a ContentError's lists every issue; `issues` has them). */
const MESSAGE_LINES = 6, MESSAGE_CHARS = 2_000;

export type BuildRecordState = "queued" | "running" | "succeeded" | "failed" | "retrying";

export interface BuildRecordIssue {
  file: string;
  line?: number;
  field: string;
  message: string;
  severity: "error" | "warning";
}

export interface BuildRecord {
  /** The request id the webhook's 202 gave as `build_id` (the local stack: its build's id). */
  id: string;
  state: BuildRecordState;
  requested_at: string;
  /**
   * When the build attempt that covers the request started; null while queued, and in records
   * written before attempts were recorded (read as null: handlers/builds.ts).
   */
  started_at: string | null;
  /** When that attempt finished (for one that was stopped, the end of its time limit); null while queued or running. */
  finished_at: string | null;
  /** Which delivery of the request that attempt is (the queue's receive count, from 1); null while queued, and on the local stack (it does not retry). */
  attempt: number | null;
  /** Attempts before the queue gives up on the request (its maxReceiveCount); null where `attempt` is. */
  max_attempts: number | null;
  /** The published manifest's build id (content hash); null when nothing was published. */
  build_id: string | null;
  items: number | null;
  error: { name: string; message: string; retryable: boolean } | null;
  /** The content's problems: errors of a failed build, warnings of a published one. */
  issues: BuildRecordIssue[];
  /** Issues beyond BUILD_RECORD_ISSUES_MAX, not listed. */
  issues_omitted: number;
}

export const isBuildRecordId = (id: string): boolean => BUILD_RECORD_ID.test(id);

export function buildRecordKey(id: string): string {
  if (!isBuildRecordId(id)) throw new Error(`not a build request id: ${JSON.stringify(id.slice(0, 140))}`);
  return `${BUILD_RECORD_PREFIX}${id}.json`;
}

/** Errors a retry cannot fix: the content itself is invalid. */
export function isRetryable(err: unknown): boolean {
  return !(err instanceof ContentError || err instanceof RenderCheckError);
}

/** An error as a build's outcome shows it: its name and the first lines of its message. */
export function errorSummary(err: unknown): { name: string; message: string } {
  const e = err as Partial<Error> | undefined;
  const message = String(e?.message ?? err).split("\n").slice(0, MESSAGE_LINES).join("\n");
  return { name: e?.name ?? "Error", message: message.length > MESSAGE_CHARS ? `${message.slice(0, MESSAGE_CHARS - 1)}…` : message };
}

/**
 * The issues to record: a content error's, errors before warnings (each in the build's order, by
 * file and line), else a published build's warnings; capped, so a record stays small.
 */
export function recordIssues(error: unknown, warnings: readonly ContentIssue[] = []): Pick<BuildRecord, "issues" | "issues_omitted"> {
  const all = error instanceof ContentError ? [...error.issues].sort((a, b) => Number(a.severity === "warning") - Number(b.severity === "warning")) : error === undefined ? warnings : [];
  const issues = all.slice(0, BUILD_RECORD_ISSUES_MAX).map(({ file, line, field, message, severity }) => ({ file, ...(line !== undefined && { line }), field, message, severity }));
  return { issues, issues_omitted: all.length - issues.length };
}

/** A build request message's own id and time (S3 notifications have none): what its record is kept under. */
export interface RequestRef {
  id: string;
  requested_at: string;
}

export interface RecordOutcome {
  id: string;
  requested_at: string;
  started_at?: string | null;
  finished_at: string | null;
  attempt?: number | null;
  max_attempts?: number | null;
  state: BuildRecordState;
  report?: { build_id: string; items: number; warnings?: readonly ContentIssue[] };
  error?: unknown;
  /** A failed build whose manifest was written before the failure (PublishError.committed). */
  committed?: string;
}

export function buildRecord(o: RecordOutcome): BuildRecord {
  return {
    id: o.id,
    state: o.state,
    requested_at: o.requested_at,
    started_at: o.started_at ?? null,
    finished_at: o.finished_at,
    attempt: o.attempt ?? null,
    max_attempts: o.max_attempts ?? null,
    build_id: o.report?.build_id ?? o.committed ?? null,
    items: o.report?.items ?? null,
    error: o.error === undefined ? null : { ...errorSummary(o.error), retryable: isRetryable(o.error) },
    ...recordIssues(o.error, o.report?.warnings),
  };
}

/** What the API writes as it queues a request: nothing of a build yet. */
export function queuedRecord(request: RequestRef): BuildRecord {
  return buildRecord({ id: request.id, requested_at: request.requested_at, finished_at: null, state: "queued" });
}

/**
 * How long past the build function's time limit a `running` record is still taken at its word:
 * for the two functions' clocks, and the record the attempt writes as it ends (a build stops
 * itself before its limit to write it: handlers/build.ts PUBLISH_TIME_RESERVE_MS).
 */
export const RUNNING_MARGIN_MS = 60_000;
/** The name of the error a stopped attempt is answered with. */
export const UNFINISHED_ERROR = "BuildUnfinishedError";

/**
 * A record as of `now`. A `running` record older than the build function's time limit (plus
 * RUNNING_MARGIN_MS) was not rewritten by its attempt as it ended: Lambda stopped the attempt
 * (its time limit, or its process exited), and what it did is not known (a publish it was stopped
 * in is finished by the next build: pipeline/publish.ts, the journal). Such a request is
 * `retrying` while the queue delivers it again, `failed` after its last attempt (the queue then
 * dead-letters it); one whose attempts are not recorded cannot be promised a retry. The next
 * attempt rewrites the record as `running`, once the queue's visibility timeout has passed: a
 * record still `running` after that had no next attempt (its outcome could not be written, or
 * the message is gone), so no retry is promised any longer.
 * A `queued` record no attempt has rewritten by the time the queue would have delivered the
 * request MAX_RECEIVE times is `failed` too: every attempt failed before it began (the function
 * cannot start: its logs say why), and the queue has dead-lettered the request.
 */
export function recordAsOf(record: BuildRecord, now: number): BuildRecord {
  if (record.state === "queued") return queuedAsOf(record, now);
  const started = record.started_at === null ? NaN : Date.parse(record.started_at);
  const limit = BUILD_TIMEOUT_SECONDS * 1000;
  if (record.state !== "running" || !(now > started + limit + RUNNING_MARGIN_MS)) return record;
  const { attempt, max_attempts: max } = record;
  const known = attempt !== null && max !== null;
  const overdue = now > started + VISIBILITY_TIMEOUT_SECONDS * 1000 + RUNNING_MARGIN_MS;
  const last = !known || attempt >= max || overdue;
  const next = !known
    ? "its attempts are not recorded, so no retry is counted on"
    : attempt >= max
      ? `attempt ${attempt} of ${max}, the last: the queue dead-letters the request`
      : overdue
        ? `attempt ${attempt} of ${max}, and no later attempt has started since, as one would have within the queue's ${VISIBILITY_TIMEOUT_SECONDS}-second visibility timeout: what it published, if anything, is in the manifest`
        : `attempt ${attempt} of ${max}: the queue delivers the request again`;
  const message = `the build did not finish: it ran past its ${BUILD_TIMEOUT_SECONDS}-second limit or its process was stopped (${next})`;
  return { ...record, state: last ? "failed" : "retrying", finished_at: new Date(started + limit).toISOString(), error: { name: UNFINISHED_ERROR, message, retryable: true } };
}

/** The name of the error a request no attempt started is answered with. */
export const NEVER_STARTED_ERROR = "BuildNeverStartedError";

function queuedAsOf(record: BuildRecord, now: number): BuildRecord {
  const requested = Date.parse(record.requested_at);
  const deadLettered = requested + MAX_RECEIVE * VISIBILITY_TIMEOUT_SECONDS * 1000 + RUNNING_MARGIN_MS;
  if (!(now > deadLettered)) return record;
  const message =
    `no build started for the request: the queue delivered it ${MAX_RECEIVE} times, ${VISIBILITY_TIMEOUT_SECONDS} seconds apart, and no attempt began ` +
    `(the build function fails before it starts: its logs say why); the queue has dead-lettered the request`;
  return { ...record, state: "failed", finished_at: new Date(deadLettered).toISOString(), error: { name: NEVER_STARTED_ERROR, message, retryable: true } };
}

/** A record's bytes as stored: small JSON, one line. */
export function buildRecordBody(record: BuildRecord): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`);
}
