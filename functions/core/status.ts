/**
 * The last build's outcome, recorded by the build Lambda as `status.json` in the feeds bucket
 * so that `GET /health` can report it with read access to that bucket and nothing else
 * (issue 4: "after the retries the message is dead-lettered and /health says so").
 * Pure: the caller supplies `now` and the previous status.
 */
import { parseJsonBytes } from "./json.ts";
import * as z from "zod";

export const STATUS_KEY = "status.json";
export const STATUS_VERSION = 1;
/** Served through the CDN like every object of the bucket: never cached, it changes per build. */
export const STATUS_CACHE_CONTROL = "no-cache, max-age=0";

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date-time");

export const buildStatusSchema = z.object({
  version: z.literal(STATUS_VERSION),
  /** false when the last build failed. */
  ok: z.boolean(),
  /** When this status was recorded. */
  at: isoDate,
  /** What asked for the build: queue messages (content change, webhook) or the schedule. */
  trigger: z.enum(["queue", "schedule"]),
  /** Queue messages this build covered (a burst coalesces into one build). */
  messages: z.number().int().nonnegative(),
  build_id: z.string().nullable(),
  items: z.number().int().nonnegative().nullable(),
  /** When the next future-dated article becomes due; the schedule rebuilds once it has passed. */
  next_publication: isoDate.nullable(),
  duration_ms: z.number().nonnegative(),
  error: z
    .object({
      name: z.string(),
      message: z.string(),
      /** false for invalid content: retrying cannot help until the content changes. */
      retryable: z.boolean(),
    })
    .nullable(),
  /** The failing messages reached their last receive: SQS moves them to the dead-letter queue. */
  dead_lettered: z.boolean(),
  /** The most recent successful build, kept across failures. */
  last_success: z.object({ at: isoDate, build_id: z.string() }).nullable(),
});

export type BuildStatus = z.infer<typeof buildStatusSchema>;

/** undefined for a missing or unreadable object: /health then reports "unknown", not a crash. */
export function parseStatus(bytes: Uint8Array | undefined): BuildStatus | undefined {
  return parseJsonBytes(buildStatusSchema, bytes);
}

export interface BuildOutcome {
  trigger: BuildStatus["trigger"];
  messages: number;
  now: number;
  duration_ms: number;
  report?: { build_id: string; items: number; next_publication: string | null };
  error?: { name: string; message: string; retryable: boolean };
  dead_lettered?: boolean;
  /** A failed build whose manifest was written first (its outputs are live; the cleanup after failed). */
  committed?: string;
}

/** The status to record after a build, carrying the last success and, on failure, the schedule. */
export function nextStatus(previous: BuildStatus | undefined, outcome: BuildOutcome): BuildStatus {
  const at = new Date(outcome.now).toISOString();
  const { report } = outcome;
  return {
    version: STATUS_VERSION,
    ok: !outcome.error,
    at,
    trigger: outcome.trigger,
    messages: outcome.messages,
    build_id: report?.build_id ?? outcome.committed ?? null,
    items: report?.items ?? null,
    // A failed build publishes nothing: what is due stays what the last success computed.
    next_publication: report ? report.next_publication : (previous?.next_publication ?? null),
    duration_ms: outcome.duration_ms,
    error: outcome.error ?? null,
    // Messages in the dead-letter queue stay there until a redrive: said until a build succeeds
    // (a failing schedule tick in between, which covers no message, does not clear it).
    dead_lettered: Boolean(outcome.error && (outcome.dead_lettered || (previous && !previous.ok && previous.dead_lettered))),
    // A build whose manifest was written is what readers get, though its cleanup failed.
    last_success: report ? { at, build_id: report.build_id } : outcome.committed ? { at, build_id: outcome.committed } : (previous?.last_success ?? null),
  };
}

/**
 * Whether a scheduled tick should build: nothing recorded yet, a future-dated article has become
 * due, or the last build failed for a reason a retry can fix (the queue gave up on it).
 */
export function isBuildDue(status: BuildStatus | undefined, now: number): boolean {
  if (!status) return true;
  if (status.error) return status.error.retryable;
  return status.next_publication !== null && Date.parse(status.next_publication) <= now;
}

export function statusBody(status: BuildStatus): Buffer {
  return Buffer.from(`${JSON.stringify(status, null, 2)}\n`);
}
