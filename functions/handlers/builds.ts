/**
 * `GET /builds/{id}`: what became of one build request, by the id the webhook's 202 gave
 * (core/build-record.ts). On the API Lambda the record `builds/<id>.json`, which the API writes
 * `queued` before it queues the request (its claim of the id: recordClaims) and the build Lambda
 * rewrites as each attempt starts and ends; on the local stack its own builds. No zod here
 * (routes.ts): a record is checked by hand, and one that does not read as a record is no record.
 */
import type { Context } from "hono";
import { within, type ObjectMeta, type StoredObject } from "../adapters/store.ts";
import type { ConditionalPut } from "../adapters/s3-fetch.ts";
import {
  BUILD_RECORD_DAYS, BUILD_RECORD_ISSUES_MAX, BUILD_RECORD_META, buildRecord, buildRecordBody, buildRecordKey, isBuildRecordId, queuedRecord, recordAsOf,
  type BuildRecord,
} from "../core/build-record.ts";
import { BUILD_TIMEOUT_SECONDS } from "../../stacks/build-limits.ts";
import type { RequestClaims } from "./queue.ts";
import { DELIVERY_TTL_MS } from "./webhook.ts";
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

/**
 * Where the API writes records: conditionally only (S3's conditional writes), so that it never
 * replaces a record it has not read.
 */
export interface RecordBucket {
  get(key: string): Promise<StoredObject | undefined>;
  /** Written unless the key holds an object. Rejects when the write failed. */
  putIfAbsent(key: string, body: Buffer, meta: ObjectMeta): Promise<ConditionalPut>;
  /** Written over the object with that ETag only. Rejects when the write failed. */
  putIfMatch(key: string, body: Buffer, meta: ObjectMeta, etag: string): Promise<ConditionalPut>;
}

/**
 * How long a `queued` record keeps its id from a new request unless a build takes it. The API
 * writes it before it sends the request, so an API Lambda stopped between the two (its time
 * limit, a crash), or a failed send whose record could not be marked failed, leaves a request
 * that was never queued. A queued request is taken within seconds, or minutes while both of the
 * queue's invocations build (BUILD_TIMEOUT_SECONDS each); past this a redelivery is taken as new,
 * and if the first request was on the queue after all, the delivery is built twice, which is harmless.
 */
export const QUEUED_HOLD_MS = 5 * BUILD_TIMEOUT_SECONDS * 1000;

/**
 * Whether a request's record may be taken by a new request with its id (a redelivery of the
 * delivery it came from): its build failed, as the API reads the record now (a stopped last
 * attempt included); it was accepted `window` ago or more; or it is `queued` past QUEUED_HOLD_MS.
 */
export function claimable(record: BuildRecord, now: number, window = DELIVERY_TTL_MS): boolean {
  const age = now - Date.parse(record.requested_at);
  return recordAsOf(record, now).state === "failed" || !(age < window) || (record.state === "queued" && !(age < QUEUED_HOLD_MS));
}

/** What a record marked failed says of a request that could not be put on the queue after it was claimed. */
const NOT_QUEUED = Object.assign(new Error("the request could not be put on the build queue (its delivery was answered 503): nothing was built for it, and a redelivery is taken as new"), { name: "BuildQueueError" });

/** How often a claim looks again at a record that changed between its read and its write. */
const CLAIM_ROUNDS = 3;

/**
 * The API's claims on the records of the requests it queues (queue.ts RequestClaims), the
 * bucket being the memory every API Lambda instance shares. A request's record is written
 * `queued` before the request is sent, and only where there is none (`If-None-Match: *`): of two
 * instances given the same delivery at once (the same request id), one writes it and sends, the
 * other finds it. A record found is the earlier request's, answered as a duplicate, unless it may
 * be taken (`claimable`): then it is replaced, if it is still what was read (`If-Match` its ETag),
 * else read again. Never over a record the build wrote, unless that record says its build failed.
 */
export function recordClaims(bucket: RecordBucket, now: () => number = Date.now): RequestClaims {
  return {
    async claim(request) {
      const key = buildRecordKey(request.id);
      const body = buildRecordBody(queuedRecord(request));
      for (let round = 0; round < CLAIM_ROUNDS; round++) {
        let put = await bucket.putIfAbsent(key, body, BUILD_RECORD_META);
        if (!put.written) {
          const stored = await bucket.get(key);
          // Gone since (expired), or still being written by another: written again.
          if (!stored) continue;
          const record = readBuildRecord(stored.body, request.id);
          if (record && !claimable(record, now())) return { taken: recordAsOf(record, now()) };
          if (stored.etag === undefined) throw new Error(`the record ${key} has no ETag to replace it by`);
          put = await bucket.putIfMatch(key, body, BUILD_RECORD_META, stored.etag);
          if (!put.written) continue;
        }
        const { etag } = put;
        // Marked failed, so that a redelivery is taken as new; never over what another wrote since.
        const release = async () => {
          if (etag === undefined) return false;
          const failed = buildRecord({ id: request.id, requested_at: request.requested_at, finished_at: new Date(now()).toISOString(), state: "failed", error: NOT_QUEUED });
          return (await bucket.putIfMatch(key, buildRecordBody(failed), BUILD_RECORD_META, etag)).written;
        };
        return { release };
      }
      throw new Error(`the record ${key} changed under each of ${CLAIM_ROUNDS} claims of it`);
    },
  };
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
