/**
 * The build request message as the build consumer (build.ts) validates it. The sender
 * (queue.ts, in the API Lambda) builds the same shape by hand, without zod;
 * test/unit/queue.test.ts checks what it sends against this schema.
 */
import * as z from "zod";
import { BUILD_REQUEST_TYPE, REQUEST_ID_MAX, SOURCE_MAX } from "./queue.ts";

export const buildRequestSchema = z.object({
  type: z.literal(BUILD_REQUEST_TYPE),
  /** Request id, returned by the API in its 202 and logged by the build. */
  id: z.string().min(1).max(REQUEST_ID_MAX),
  /** Who asked: `webhook`, `cli`… (free text, bounded). */
  source: z.string().min(1).max(SOURCE_MAX),
  requested_at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date-time"),
});
