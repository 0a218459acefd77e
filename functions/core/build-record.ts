/**
 * What became of one build request (`GET /builds/{id}`): the record the build Lambda writes for
 * each request a build attempt covered (`builds/<id>.json` in the feeds bucket, kept 7 days by a
 * lifecycle rule, stacks/storage.ts), and the local stack keeps in memory. One shape for both;
 * its schema for the OpenAPI document is handlers/openapi.ts `buildRecordSchema`.
 * Pure and zod-free: the API Lambda reads records with handlers/builds.ts, by hand.
 */
import { ContentError, RenderCheckError, type ContentIssue } from "./errors.ts";

/**
 * Request ids that have a record: those the API issues (queue.ts: a UUID; the local stack:
 * coalesce.ts `20260102T030405Z-1a2b3c`), within queue.ts REQUEST_ID_MAX. The id is part of an
 * object key, so nothing else is looked up or written.
 */
export const BUILD_RECORD_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** Where the records are, in the feeds bucket: never published (stacks/access.ts UNPUBLISHED_KEYS). */
export const BUILD_RECORD_PREFIX = "builds/";
/** How long a record is kept (the feeds bucket's lifecycle rule expires the prefix after it). */
export const BUILD_RECORD_DAYS = 7;
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
  /** When the build that covered the request finished; null while queued or running (local stack). */
  finished_at: string | null;
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

export interface RecordOutcome {
  id: string;
  requested_at: string;
  finished_at: string | null;
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
    finished_at: o.finished_at,
    build_id: o.report?.build_id ?? o.committed ?? null,
    items: o.report?.items ?? null,
    error: o.error === undefined ? null : { ...errorSummary(o.error), retryable: isRetryable(o.error) },
    ...recordIssues(o.error, o.report?.warnings),
  };
}

/** A record's bytes as stored: small JSON, one line. */
export function buildRecordBody(record: BuildRecord): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`);
}
