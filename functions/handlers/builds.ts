/**
 * `GET /builds/{id}`: what became of one build request, by the id the webhook's 202 gave
 * (core/build-record.ts). On the API Lambda the build Lambda's record `builds/<id>.json`, written
 * once the build that covered the request has finished (404 until then); on the local stack its
 * own builds, queued and running ones too. No zod here (routes.ts): a record is checked by hand,
 * and one that does not read as a record is no record.
 */
import type { Context } from "hono";
import { within } from "../adapters/store.ts";
import { BUILD_RECORD_DAYS, BUILD_RECORD_ISSUES_MAX, buildRecordKey, isBuildRecordId, type BuildRecord } from "../core/build-record.ts";
import type { ReadStore } from "./health.ts";
import { ApiError, JSON_UTF8 } from "./http.ts";
import { isBuildError, isCount, isDate, isObject, isString, orNull, parseJson } from "./json-checks.ts";
import { STORE_READ_TIMEOUT_MS } from "./latest.ts";

/** A request's record, or undefined when none is known. */
export type BuildRecords = (id: string) => BuildRecord | undefined | Promise<BuildRecord | undefined>;

const STATES = new Set(["queued", "running", "succeeded", "failed", "retrying"]);
const isIssue = (v: unknown): boolean =>
  isObject(v) && isString(v.file) && isString(v.field) && isString(v.message) && (v.severity === "error" || v.severity === "warning") && (v.line === undefined || (isCount(v.line) && v.line > 0));

/** A stored record of request `id` (openapi.ts buildRecordSchema, checked by hand), or undefined. */
export function readBuildRecord(bytes: Uint8Array | undefined, id: string): BuildRecord | undefined {
  const r = parseJson(bytes);
  const valid =
    r !== undefined && r.id === id && STATES.has(r.state as string) && isDate(r.requested_at) && orNull(isDate)(r.finished_at) &&
    orNull(isString)(r.build_id) && orNull(isCount)(r.items) && orNull(isBuildError)(r.error) &&
    Array.isArray(r.issues) && r.issues.length <= BUILD_RECORD_ISSUES_MAX && r.issues.every(isIssue) && isCount(r.issues_omitted);
  return valid ? (r as unknown as BuildRecord) : undefined;
}

/** The Lambda's records: `builds/<id>.json` in the feeds bucket (the API may read it: stacks/access.ts). */
export function recordsFromStore(store: ReadStore): BuildRecords {
  return async (id) => readBuildRecord((await store.get(buildRecordKey(id)))?.body, id);
}

/** Why no record is found, on the API Lambda: the build Lambda writes one once the build has finished. */
const NOT_YET =
  `it is queued or its build is still running (the deployed API knows a request only once its build has finished), ` +
  `or the id is unknown or its record expired (records are kept ${BUILD_RECORD_DAYS} days)`;
/** Why no record is found, on the local stack: it knows its builds from the start, and keeps the last ones. */
export const NOT_LOCAL = "this stack has no build by that id: it knows its queued and running builds and keeps its last 1,000 finished ones (since it started)";

/** `unknown`: why a request has no record, as the 404 says (NOT_YET on the Lambda, NOT_LOCAL on the local stack). */
export function buildRecordHandler(records: BuildRecords, unknown = NOT_YET) {
  return async (c: Context): Promise<Response> => {
    const id = c.req.param("id") ?? "";
    if (!isBuildRecordId(id)) throw new ApiError(400, "a build request id is 1 to 128 letters, digits, '.', '_' or '-' (the build_id of the webhook's 202)");
    // A store that cannot be read, or stalls, answers 503 within the read timeout, as /latest.
    const record = await within(Promise.resolve().then(() => records(id)), STORE_READ_TIMEOUT_MS).catch(() => {
      throw new ApiError(503, "the build records could not be read; try again shortly", { "retry-after": "5" });
    });
    if (!record) throw new ApiError(404, `no outcome is recorded for build request ${id}: ${unknown}`);
    const text = JSON.stringify(record);
    // Content-Length given, so that a HEAD answer (no body) carries the length GET's would.
    return c.body(text, 200, { "content-type": JSON_UTF8, "cache-control": "no-store", "content-length": String(Buffer.byteLength(text)) });
  };
}
