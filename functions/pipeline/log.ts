/**
 * One JSON line per build, for CloudWatch Logs Insights (which discovers the fields of JSON
 * log lines: `filter msg = "build" and ok = 0 | stats avg(duration_ms) by trigger`). Lambda
 * writes every line; the CLI is quiet unless asked (`serve --log json`).
 */
import type { BuildReport } from "./build.ts";
import { ContentError, formatIssue, type ContentIssue } from "../core/errors.ts";

/** Issues listed per failed build; the rest are counted. */
const MAX_LOGGED_ERRORS = 20;

export interface BuildLogRecord {
  level: "info" | "error";
  msg: "build";
  /** The build (run) id handed to callers, e.g. the webhook's 202 body. */
  id: string;
  trigger: string;
  /** Requests this build served (coalesced webhook deliveries, file changes). */
  requests: number;
  ok: boolean;
  /** Content hash of the published set (manifest.json `build_id`). */
  build_id: string | null;
  items: number | null;
  documents: { written: number; unchanged: number; deleted: number } | null;
  duration_ms: number;
  errors: { name: string; message: string }[];
  /** What the build published with a warning (`path:line: field: message`), as `validate` says it; at most MAX_LOGGED_ERRORS. */
  warnings: string[];
  websub?: { notified: number; failed: number };
}

export interface BuildLogInput {
  id: string;
  trigger: string;
  requests?: number;
  duration_ms: number;
  report?: BuildReport;
  error?: unknown;
  websub?: { notified: unknown[]; failed: unknown[] };
}

export function describeErrors(error: unknown): { name: string; message: string }[] {
  if (error === undefined) return [];
  if (error instanceof ContentError) {
    return capped(error.issues.filter((i) => i.severity === "error")).map((message) => ({ name: "ContentError", message }));
  }
  const e = error as Error;
  return [{ name: e?.name ?? "Error", message: String(e?.message ?? error) }];
}

/** Issues as `validate` writes them, at most MAX_LOGGED_ERRORS, then how many more. */
function capped(issues: readonly ContentIssue[]): string[] {
  const listed = issues.slice(0, MAX_LOGGED_ERRORS).map(formatIssue);
  if (issues.length > listed.length) listed.push(`… and ${issues.length - listed.length} more`);
  return listed;
}

export function buildLogRecord(input: BuildLogInput): BuildLogRecord {
  const r = input.report;
  const ok = input.error === undefined && r !== undefined;
  const record: BuildLogRecord = {
    level: ok ? "info" : "error",
    msg: "build",
    id: input.id,
    trigger: input.trigger,
    requests: input.requests ?? 1,
    ok,
    build_id: r?.build_id ?? null,
    items: r?.items ?? null,
    documents: r ? { written: r.documents.written, unchanged: r.documents.unchanged, deleted: r.documents.deleted } : null,
    duration_ms: Math.round(input.duration_ms),
    errors: describeErrors(input.error),
    warnings: capped(r?.warnings ?? []),
  };
  if (input.websub) record.websub = { notified: input.websub.notified.length, failed: input.websub.failed.length };
  return record;
}

/** The record as one line: no newlines inside, so each build is one log event. */
export function formatBuildLog(input: BuildLogInput): string {
  return `${JSON.stringify(buildLogRecord(input))}\n`;
}
