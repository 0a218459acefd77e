/**
 * `GET /builds/{id}`: what became of one build request, by the id the webhook's 202 gave
 * (core/build-record.ts). On the API Lambda the record `builds/<id>.json`, which the API writes
 * `queued` as it queues the request and the build Lambda rewrites as each attempt starts and
 * ends; on the local stack its own builds. No zod here (routes.ts): a record is checked by hand,
 * and one that does not read as a record is no record.
 */
import type { Context } from "hono";
import { within, type ObjectMeta } from "../adapters/store.ts";
import {
  BUILD_RECORD_DAYS, BUILD_RECORD_ISSUES_MAX, BUILD_RECORD_META, buildRecordBody, buildRecordKey, isBuildRecordId, queuedRecord, recordAsOf,
  type BuildRecord, type RequestRef,
} from "../core/build-record.ts";
import type { ReadStore } from "./health.ts";
import { ApiError, JSON_UTF8 } from "./http.ts";
import { isBuildError, isCount, isDate, isObject, isString, orNull, parseJson } from "./json-checks.ts";
import { STORE_READ_TIMEOUT_MS } from "./latest.ts";

/** A request's record, or undefined when none is known. */
export type BuildRecords = (id: string) => BuildRecord | undefined | Promise<BuildRecord | undefined>;

const STATES = new Set(["queued", "running", "succeeded", "failed", "retrying"]);
const isAttempt = (v: unknown): v is number => isCount(v) && v > 0;
/** A field records written before it was added lack: absent reads as null. */
const absentOr = <T>(check: (v: unknown) => v is T) => (v: unknown): boolean => v === undefined || orNull(check)(v);
const isIssue = (v: unknown): boolean =>
  isObject(v) && isString(v.file) && isString(v.field) && isString(v.message) && (v.severity === "error" || v.severity === "warning") && (v.line === undefined || (isCount(v.line) && v.line > 0));

/**
 * A stored record of request `id` (openapi.ts buildRecordSchema, checked by hand), or undefined.
 * One written before `started_at`, `attempt` and `max_attempts` were recorded reads with them null.
 */
export function readBuildRecord(bytes: Uint8Array | undefined, id: string): BuildRecord | undefined {
  const r = parseJson(bytes);
  const valid =
    r !== undefined && r.id === id && STATES.has(r.state as string) && isDate(r.requested_at) && absentOr(isDate)(r.started_at) && orNull(isDate)(r.finished_at) &&
    absentOr(isAttempt)(r.attempt) && absentOr(isAttempt)(r.max_attempts) &&
    orNull(isString)(r.build_id) && orNull(isCount)(r.items) && orNull(isBuildError)(r.error) &&
    Array.isArray(r.issues) && r.issues.length <= BUILD_RECORD_ISSUES_MAX && r.issues.every(isIssue) && isCount(r.issues_omitted);
  return valid ? ({ ...r, started_at: r.started_at ?? null, attempt: r.attempt ?? null, max_attempts: r.max_attempts ?? null } as unknown as BuildRecord) : undefined;
}

/**
 * The Lambda's records: `builds/<id>.json` in the feeds bucket (the API may read it: stacks/access.ts),
 * as of `now` (a `running` one whose attempt was stopped reads as what became of it: core/build-record.ts recordAsOf).
 */
export function recordsFromStore(store: ReadStore, now: () => number = Date.now): BuildRecords {
  return async (id) => {
    const record = readBuildRecord((await store.get(buildRecordKey(id)))?.body, id);
    return record && recordAsOf(record, now());
  };
}

/** Where the API writes a record: only if there is none yet (S3's conditional PutObject, `If-None-Match: *`). */
export interface RecordBucket {
  /** True when written; false when the key holds an object already. Rejects when the write failed. */
  putIfAbsent(key: string, body: Buffer, meta: ObjectMeta): Promise<boolean>;
}

/**
 * Records a request as `queued`, once it is on the queue. Never over a record already there: the
 * build may have taken the message and written `running`, or more, first.
 */
export function recordQueued(bucket: RecordBucket): (request: RequestRef) => Promise<boolean> {
  return async (request) => bucket.putIfAbsent(buildRecordKey(request.id), buildRecordBody(queuedRecord(request)), BUILD_RECORD_META);
}

/**
 * Why no record is found, on the API Lambda: every request it queues is recorded from the start
 * (a record that could not be written is logged, and the build writes one as it starts).
 */
const NOT_KNOWN = `the id is unknown, or its record expired (records are kept ${BUILD_RECORD_DAYS} days)`;
/** Why no record is found, on the local stack: it knows its builds from the start, and keeps the last ones. */
export const NOT_LOCAL = "this stack has no build by that id: it knows its queued and running builds and keeps its last 1,000 finished ones (since it started)";

/** `unknown`: why a request has no record, as the 404 says (NOT_KNOWN on the Lambda, NOT_LOCAL on the local stack). */
export function buildRecordHandler(records: BuildRecords, unknown = NOT_KNOWN) {
  return async (c: Context): Promise<Response> => {
    const id = c.req.param("id") ?? "";
    if (!isBuildRecordId(id)) throw new ApiError(400, "a build request id is 1 to 128 letters, digits, '.', '_' or '-' (the build_id of the webhook's 202)");
    // A store that cannot be read, or stalls, answers 503 within the read timeout, as /latest.
    const record = await within(Promise.resolve().then(() => records(id)), STORE_READ_TIMEOUT_MS).catch(() => {
      throw new ApiError(503, "the build records could not be read; try again shortly", { "retry-after": "5" });
    });
    if (!record) throw new ApiError(404, `no record of build request ${id}: ${unknown}`);
    const text = JSON.stringify(record);
    // Content-Length given, so that a HEAD answer (no body) carries the length GET's would.
    return c.body(text, 200, { "content-type": JSON_UTF8, "cache-control": "no-store", "content-length": String(Buffer.byteLength(text)) });
  };
}
