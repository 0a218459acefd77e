/**
 * The API's response shapes as zod schemas, and the OpenAPI 3.1 document made from them
 * (`GET /openapi.json`). latest.json's schema is imported from core/latest.ts, the single
 * source the build checks its output against. OpenAPI 3.1 schemas are JSON Schema 2020-12,
 * which is what `z.toJSONSchema` emits.
 * Build time only: `scripts/openapi.ts` (run by `npm run bundle`) writes the document to
 * openapi.gen.json, which the app serves, so zod stays out of the API Lambda;
 * test/unit/api-health-openapi.test.ts fails when that file is not up to date with these schemas.
 * The app imports only this module's types.
 */
import * as z from "zod";
import { LATEST_MAX, latestDocumentSchema, latestItemSchema } from "../core/latest.ts";
import { ERROR_CODES } from "./http.ts";
import { BUILD_RECORD_DAYS, BUILD_RECORD_ID, BUILD_RECORD_ISSUES_MAX, type BuildRecord } from "../core/build-record.ts";
import { BUILD_TIMEOUT_SECONDS } from "../../stacks/build-limits.ts";

export const errorSchema = z.object({
  error: z.object({
    code: z.enum(Object.values(ERROR_CODES) as [string, ...string[]]),
    message: z.string(),
  }),
});

const buildSchema = z.object({
  id: z.string(),
  trigger: z.string(),
  state: z.enum(["running", "succeeded", "failed"]),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  /** Content hash of the published set (manifest.json build_id), once the build succeeded. */
  build_id: z.string().nullable(),
  error: z.object({ name: z.string(), message: z.string() }).nullable(),
  /** From status.json (API Lambda): whether a retry can fix the failure; null after a success. */
  retryable: z.boolean().nullable().optional(),
  /** From status.json (API Lambda): the failing build's messages went to the dead-letter queue. */
  dead_lettered: z.boolean().optional(),
  /** From status.json (API Lambda): the most recent successful build, kept across failures. */
  last_success: z.object({ at: z.string(), build_id: z.string() }).nullable().optional(),
});

export const healthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  store: z.object({ reachable: z.boolean() }),
  /** What the store currently serves: manifest.json's build id and item count. */
  published: z.object({ build_id: z.string(), items: z.number().int() }).nullable(),
  /** Local stack: the most recent build this process ran. API Lambda: status.json's build. Null when unknown. */
  last_build: buildSchema.nullable(),
  webhook: z.object({ configured: z.boolean() }),
});
export type Health = z.infer<typeof healthSchema>;
export type BuildState = z.infer<typeof buildSchema>;

export const webhookAcceptedSchema = z.object({
  accepted: z.literal(true),
  /**
   * The request's id, for `GET /builds/{id}`. Local stack: the build that will include this change
   * (an id shared by coalesced requests). AWS: the request's own, the same for every delivery of
   * one delivery id (`delivery-` and 32 hex digits), random for a request without one.
   */
  build_id: z.string(),
  /**
   * True when this delivery id was already accepted in the last 24 hours, and its build is not
   * known to have failed: no new build, `build_id` is the first delivery's. On AWS whichever
   * API instance accepted it.
   */
  duplicate: z.boolean(),
});

/**
 * The answer to GitHub's `ping` event (sent when a webhook is created or tested): the signature
 * was verified, and no build is started.
 */
export const webhookPingSchema = z.object({
  accepted: z.literal(false),
  event: z.literal("ping"),
  /** What the sender's log shows: the signature matched, and pushes will start builds. */
  message: z.string(),
});

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date-time");

/** What became of one build request (core/build-record.ts BuildRecord; builds.ts reads it by hand). */
export const buildRecordSchema = z.object({
  /** The request id: the `build_id` of the webhook's 202. */
  id: z.string(),
  /**
   * `queued`: accepted, waiting for a build. `running`: a build that covers it runs. `retrying`:
   * an attempt failed for a reason a retry may fix (or was stopped: its time limit, its process
   * gone), and the queue delivers the request again; the next attempt makes it `running` again.
   * `succeeded` and `failed` are final (a redrive from the dead-letter queue may still follow a
   * failure). `failed` includes a stopped attempt no later attempt followed within the queue's
   * visibility timeout, and a request no attempt started before the queue gave up on it.
   */
  state: z.enum(["queued", "running", "succeeded", "failed", "retrying"]),
  requested_at: isoDate,
  /** When the build attempt that covers the request started; null while queued, and in records written before it was recorded. */
  started_at: isoDate.nullable(),
  /** When that attempt finished (for one that was stopped, the end of its time limit); null while queued or running. */
  finished_at: isoDate.nullable(),
  /** Which attempt that is: the queue's delivery count of the request, from 1. Null while queued, on the local stack (no retries), and in older records. */
  attempt: z.number().int().positive().nullable(),
  /** Attempts before the queue gives up on the request (then `failed`, dead-lettered); null where `attempt` is. */
  max_attempts: z.number().int().positive().nullable(),
  /** The published manifest's build id (content hash of the published set); null when nothing was published. */
  build_id: z.string().nullable(),
  /** Items in the published feeds; null when nothing was published. */
  items: z.number().int().nonnegative().nullable(),
  /** Why the build failed (a success may carry one when only the cleanup after publishing failed); `retryable: false` for invalid content. */
  error: z.object({ name: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
  /** The content's errors (a failed build) or warnings (a published one), by file, line and field; at most 50. */
  issues: z
    .array(
      z.object({
        /** Path in the content folder, e.g. `articles/x.md`. */
        file: z.string(),
        line: z.number().int().positive().optional(),
        /** Dotted field path (`image.url`); `body` for the Markdown, `file` for the file itself. */
        field: z.string(),
        message: z.string(),
        severity: z.enum(["error", "warning"]),
      }),
    )
    .max(BUILD_RECORD_ISSUES_MAX),
  /** Issues not listed (beyond the first 50): `syndicate validate` lists them all. */
  issues_omitted: z.number().int().nonnegative(),
});
// The schema and the type the code writes are one shape: this fails to compile when they differ.
const sameShape: [z.infer<typeof buildRecordSchema>, BuildRecord] extends [BuildRecord, z.infer<typeof buildRecordSchema>] ? true : never = true;
void sameShape;

const registry = z.registry<{ id: string }>();
registry.add(latestItemSchema, { id: "LatestItem" });
registry.add(latestDocumentSchema, { id: "LatestDocument" });
registry.add(healthSchema, { id: "Health" });
registry.add(webhookAcceptedSchema, { id: "WebhookAccepted" });
registry.add(webhookPingSchema, { id: "WebhookPing" });
registry.add(buildRecordSchema, { id: "BuildRecord" });
registry.add(errorSchema, { id: "Error" });

function componentSchemas(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}` });
  // `$id`/`$schema` per component would re-base `$ref`s; OpenAPI 3.1 sets the dialect once.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $id: _id, $schema: _s, ...rest }]) => [id, open(rest)]));
}

/**
 * A response schema open to fields added later: zod writes `additionalProperties: false` for every
 * object, and a client generated or validating strictly from it would break on the first field a
 * version 1 document gains (README "latest.json": fields may be added). The properties stay listed.
 */
function open(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(open);
  if (schema === null || typeof schema !== "object") return schema;
  return Object.fromEntries(Object.entries(schema).filter(([k, v]) => !(k === "additionalProperties" && v === false)).map(([k, v]) => [k, open(v)]));
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({ description, content: { "application/json": { schema: ref(id) } } });
const error = (description: string) => json("Error", description);
const etagHeader = { ETag: { description: "Strong validator over the response bytes", schema: { type: "string" } } };
const cacheControl = (value: string) => ({ "Cache-Control": { description: `\`${value}\``, schema: { type: "string" } } });
/** Headers every answer of a read route carries (routes.ts READ_HEADERS), 304 included. */
const readHeaders = {
  "Access-Control-Allow-Origin": { description: "`*`: any origin may read the answer (no credentials)", schema: { type: "string" } },
  "Access-Control-Expose-Headers": { description: "`ETag,Link,Retry-After`, readable by a browser script", schema: { type: "string" } },
};
/** The preconditions a read answers after RFC 9110 §13.2.2 (http.ts conditionalResponse). */
const preconditions = (what: string) => [
  header("If-None-Match", `An ETag of ${what} (weak comparison; lists and \`*\` accepted): 304 when it still matches`),
  header("If-Match", "ETags (strong comparison) or `*`: 412 when none is the current one"),
];
const preconditionFailed = error("If-Match named no current ETag");
const retryAfter = { "Retry-After": { description: "Seconds to wait before trying again", schema: { type: "integer" } } };
const header = (name: string, description: string) => ({ name, in: "header", required: false, schema: { type: "string" }, description });
/** Every operation's answer to what it did not foresee (docs/api.md "Errors": nothing internal in it). */
const unexpected = error("An unexpected error (code `internal`; the detail is only in the server's log)");

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: { title: "Syndicate API", version: "1.0.0", description: "Latest items of the syndicated feeds, health, signed rebuild webhooks and what became of each build request (docs/api.md). Each GET also answers HEAD (the same headers, no body); the read routes answer a CORS preflight (OPTIONS). Any other method on a path answers 405 with `Allow`; any other path a JSON 404." },
    servers: [{ url: "/", description: "Where this document is served: the local stack (http://127.0.0.1:3000) or the deployed API" }],
    paths: {
      "/latest": {
        get: {
          operationId: "getLatest",
          summary: "The newest items' metadata (latest.json), optionally for one tag",
          parameters: [
            { name: "tag", in: "query", required: false, schema: { type: "string", minLength: 1, maxLength: 120 }, description: "A tag's slug (`energy-policy`), or the tag as articles write it (`Energy Policy`), made into its slug as the build makes it" },
            { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: LATEST_MAX, default: LATEST_MAX }, description: "Most items in `items`" },
            ...preconditions("an earlier answer"),
          ],
          responses: {
            200: { ...json("LatestDocument", "The latest document, `items` cut to `limit`"), headers: { ...etagHeader, ...cacheControl("public, max-age=60"), ...readHeaders } },
            304: { description: "Not modified (If-None-Match matched)", headers: { ...etagHeader, ...cacheControl("public, max-age=60"), ...readHeaders } },
            400: error("A bad query parameter"),
            412: preconditionFailed,
            404: error("Unknown tag, or nothing published yet"),
            503: { ...error("The feed store could not be read"), headers: retryAfter },
            default: unexpected,
          },
        },
      },
      "/health": {
        get: {
          operationId: "getHealth",
          summary: "Store reachability, the published build and the last build",
          responses: {
            200: { ...json("Health", "Healthy"), headers: { ...cacheControl("no-store"), ...readHeaders } },
            503: { ...json("Health", "The store is unreachable"), headers: { ...cacheControl("no-store"), ...retryAfter, ...readHeaders } },
            default: unexpected,
          },
        },
      },
      "/openapi.json": {
        get: {
          operationId: "getOpenApi",
          summary: "This document",
          parameters: preconditions("this document"),
          responses: {
            200: { description: "OpenAPI 3.1 document", headers: { ...etagHeader, ...cacheControl("public, max-age=300"), ...readHeaders }, content: { "application/json": { schema: { type: "object" } } } },
            304: { description: "Not modified", headers: { ...etagHeader, ...cacheControl("public, max-age=300"), ...readHeaders } },
            412: preconditionFailed,
            default: unexpected,
          },
        },
      },
      "/webhooks/rebuild": {
        post: {
          operationId: "rebuild",
          summary: "Signed request to rebuild the feeds (GitHub X-Hub-Signature-256 or Standard Webhooks)",
          description:
            "Sign the raw body with the shared secret, one of two ways. GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`, " +
            "with `X-GitHub-Delivery` (or `X-Request-Id`) as the delivery id. Standard Webhooks: `webhook-id`, `webhook-timestamp` (Unix seconds, " +
            "within 5 minutes) and `webhook-signature: v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`, the key being the base64 after `whsec_`; " +
            "the signed `webhook-id` is the delivery id. A delivery id accepted in the last 24 hours builds nothing more, unless its build failed " +
            "(on AWS the feeds bucket's record of the request tells every API instance; a record that cannot be written leaves it to the instance that accepted it).",
          parameters: [
            header("X-Hub-Signature-256", "GitHub: `sha256=` and the hex HMAC-SHA256 of the raw body"),
            header("X-GitHub-Delivery", "GitHub: the delivery id"),
            header("X-Request-Id", "GitHub signature: the delivery id when X-GitHub-Delivery is absent"),
            header("webhook-id", "Standard Webhooks: the message id (signed; the delivery id)"),
            header("webhook-timestamp", "Standard Webhooks: Unix seconds, within 5 minutes of the server's clock"),
            header("webhook-signature", "Standard Webhooks: space-separated `v1,<base64 signature>`; any match passes (key rotation)"),
          ],
          requestBody: { required: false, content: { "*/*": { schema: {} } } },
          responses: {
            200: json("WebhookPing", "GitHub `X-GitHub-Event: ping` (a new or tested webhook): the signature matched; no build is started"),
            202: json("WebhookAccepted", "Accepted; or a repeated delivery id (`duplicate: true`, no build). `GET /builds/{build_id}` tells what became of it"),
            401: {
              ...error("Missing or bad signature, or a timestamp outside the 5-minute tolerance; or no webhook secret is configured (no signature can be verified)"),
              headers: { "WWW-Authenticate": { description: "The two ways to sign: `X-Hub-Signature-256 realm=\"webhooks\", Standard-Webhooks realm=\"webhooks\"`", schema: { type: "string" } } },
            },
            413: error("Body over 1 MiB"),
            503: { ...error("Rebuilds are not configured here, the configured secret is not usable (the server log says why), or the build request could not be queued: retry the delivery"), headers: retryAfter },
            default: unexpected,
          },
        },
      },
      "/builds/{id}": {
        get: {
          operationId: "getBuild",
          summary: "What became of a build request: published, or which file and field were wrong",
          description:
            "The `build_id` a `POST /webhooks/rebuild` answered with: `queued` from the 202 on, `running` while a build covers it, then " +
            "`succeeded` or `failed`; poll every few seconds until one of those. A request whose build failed for a reason a retry may fix, or " +
            `was stopped by its ${BUILD_TIMEOUT_SECONDS}-second limit or a crash, is \`retrying\` until the queue delivers it again, and \`failed\` after its last attempt. ` +
            `Records are kept ${BUILD_RECORD_DAYS} days. The local stack keeps its last 1,000 builds.`,
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", pattern: BUILD_RECORD_ID.source }, description: "The request id (the 202's `build_id`)" }],
          responses: {
            200: { ...json("BuildRecord", "The request's state: queued, running, retrying, or its outcome"), headers: { ...cacheControl("no-store"), ...readHeaders } },
            400: error("Not a request id: 1 to 128 letters, digits, `.`, `_` or `-`"),
            404: error(`An unknown id, or one whose record expired (records are kept ${BUILD_RECORD_DAYS} days)`),
            503: { ...error("The records could not be read"), headers: retryAfter },
            default: unexpected,
          },
        },
      },
    },
    components: { schemas: componentSchemas() },
  };
}

/** Where the generated document lives, beside this module (imported by routes.ts). */
export const OPENAPI_GENERATED = new URL("./openapi.gen.json", import.meta.url);

/** The generated file's exact text: the document, two-space indented, with a final newline. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
