/**
 * The API routes (CONTRACT.md "HTTP API", docs/api.md): `/latest`, `/health`, `/openapi.json`,
 * `/webhooks/rebuild`, `/builds/{id}`. This is all the API Lambda (api.ts) runs; the local stack's app (app.ts)
 * adds document serving on top of it. Nothing here may import zod, the build pipeline or the AWS
 * SDK (`npm run bundle` holds the Lambda bundle to 250 KB and a 100 ms import).
 */
import { Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { TriggerBuild } from "../pipeline/coalesce.ts";
import { ApiError, conditionalResponse, errorResponse, JSON_UTF8, strongEtag } from "./http.ts";
import { healthResponse, type LastBuild, type ReadStore } from "./health.ts";
import { buildRecordHandler, NOT_LOCAL, recordsFromStore, type BuildRecords } from "./builds.ts";
import { LatestReader, REVALIDATE_MS, latestHandler } from "./latest.ts";
import { DeliveryLog, unauthorized, webhookHandler, webhookSecretProblem } from "./webhook.ts";
// Generated from the zod schemas of openapi.ts at build time (scripts/openapi.ts).
import openApiDocument from "./openapi.gen.json" with { type: "json" };

export type { BuildRequest, BuildTicket, TriggerBuild } from "../pipeline/coalesce.ts";

export interface ApiDeps {
  /** Where the published documents are (the feeds bucket); only read. */
  store: ReadStore;
  /** Enables `POST /webhooks/rebuild`; without it the route answers 404. */
  webhookSecret?: string;
  /** Starts or queues a build; answers with the id of the build that will include the change. */
  triggerBuild?: TriggerBuild;
  /** The most recent build, for `/health`: the local stack's own, or status.json on Lambda. */
  health?: LastBuild;
  /**
   * Whether the last build to finish failed, where `health` may give a build still running (the
   * local stack): /health stays degraded while a build runs after a failure, until one succeeds.
   */
  lastFinishedFailed?: () => boolean;
  /**
   * What became of a build request, for `GET /builds/{id}`: the local stack's own builds; by
   * default the records in `store` (the API's and the build Lambda's), read as of `now`
   * (builds.ts recordsFromStore).
   */
  buildRecords?: BuildRecords;
  now?: () => number;
  /** How long `/latest` serves a document before revalidating it with the store. */
  revalidateMs?: number;
  /**
   * The in-memory copies `/latest` answers from, when something else answers from them too (the
   * local server's fast path, functions/local/latest-fast.ts); by default the app's own, over
   * `store`, `now` and `revalidateMs`.
   */
  latest?: LatestReader;
  /** Where unexpected errors are logged (one JSON line each); never given the secret. */
  log?: (line: string) => void;
}

/** Route → methods, for 405 + Allow (RFC 9110 §15.5.6: a 405 "MUST generate an Allow header"). */
const ALLOW: Record<string, string> = {
  "/latest": "GET, HEAD, OPTIONS",
  "/health": "GET, HEAD, OPTIONS",
  "/openapi.json": "GET, HEAD, OPTIONS",
  "/webhooks/rebuild": "POST",
  "/builds/:id": "GET, HEAD, OPTIONS",
};

const preflight = cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"], exposeHeaders: ["ETag", "Link", "Retry-After"], maxAge: 86_400 });

/**
 * CORS of the read routes (and, locally, of the published documents): any origin, no credentials.
 * hono's cors() also sets its headers on `c.res` before the route runs, and Hono then copies the
 * route's response into a new one through `.body`: a ReadableStream that @hono/node-server pumps
 * chunk by chunk instead of writing the bytes at once (GET /latest at a fifth of the req/s,
 * docs/bench-http.md). So cors() answers the preflight, and other requests get the same two
 * headers once the route has answered, on the route's own response.
 */
export const readCors: MiddlewareHandler = async (c, next) => {
  if (c.req.method === "OPTIONS") return preflight(c, next);
  await next();
  setReadCors(c.res.headers);
};

/** The CORS headers of the read routes, on a response already made. */
function setReadCors(headers: Headers): void {
  headers.set("access-control-allow-origin", READ_HEADERS["access-control-allow-origin"]);
  headers.set("access-control-expose-headers", READ_HEADERS["access-control-expose-headers"]);
}

/** What every answer of a read route carries: nosniff (every response) and CORS (read routes). */
export const READ_HEADERS = {
  "x-content-type-options": "nosniff",
  "access-control-allow-origin": "*",
  // Retry-After: a browser script can read when to try a 503 again.
  "access-control-expose-headers": "ETag,Link,Retry-After",
} as const;

export function createApiApp(deps: ApiDeps): Hono {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const app = new Hono();
  const reader = deps.latest ?? new LatestReader(deps.store, now, deps.revalidateMs ?? REVALIDATE_MS);
  const deliveries = new DeliveryLog(now);
  const openapi = Buffer.from(JSON.stringify(openApiDocument));

  // The hot path first: GET /latest answers with every header in one object, before the
  // middlewares below, which set headers on a response after it is made and so make
  // @hono/node-server turn its prepared bytes into a stream (docs/bench-http.md). Its errors get
  // the shared error response and the same headers.
  const latest = latestHandler(reader, READ_HEADERS);
  app.get("/latest", async (c) => {
    try {
      return await latest(c);
    } catch (err) {
      const res = errorResponse(err, log);
      for (const [k, v] of Object.entries(READ_HEADERS)) res.headers.set(k, v);
      return res;
    }
  });
  app.onError((err) => errorResponse(err, log));
  // With CORS, like the read routes: a partner's browser script that asks for a wrong path reads
  // the JSON 404, not a CORS failure; and its preflight (a request with If-None-Match has one)
  // is answered as on the read routes, since a preflight that is not a 2xx fails the request
  // in the browser before the 404 can be read (Fetch standard, "CORS-preflight fetch").
  app.notFound(async (c) => {
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
      return (await preflight(c, async () => undefined)) ?? c.body(null, 204);
    }
    // HEAD named as GET: its answer's Content-Length is then the one GET's has.
    const res = errorResponse(new ApiError(404, `no route for ${c.req.method === "HEAD" ? "GET" : c.req.method} ${c.req.path}`), log);
    setReadCors(res.headers);
    return res;
  });
  app.use("*", async (c, next) => {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
  });
  for (const path of ["/latest", "/health", "/openapi.json", "/builds/:id"]) app.use(path, readCors);

  // A secret that cannot be used (webhook.ts webhookSecretProblem) leaves the route closed, told
  // once in the log and on every delivery, never enabled with a key anyone could sign with.
  const secretProblem = deps.webhookSecret === undefined ? undefined : webhookSecretProblem(deps.webhookSecret);
  if (secretProblem) log(JSON.stringify({ level: "error", msg: "the webhook is closed: its secret is not usable", reason: secretProblem }));
  const webhookOn = deps.webhookSecret !== undefined && !secretProblem;
  app.get("/health", (c) => healthResponse(c, { store: deps.store, lastBuild: deps.health, lastFinishedFailed: deps.lastFinishedFailed, webhookConfigured: webhookOn }));
  // With an ETag, so clients revalidate it (304) rather than fetch it again every 5 minutes.
  const openapiHeaders = { "content-type": JSON_UTF8, "cache-control": "public, max-age=300", etag: strongEtag(openapi) };
  app.get("/openapi.json", (c) => conditionalResponse(c, openapi, openapiHeaders));
  app.get("/builds/:id", deps.buildRecords ? buildRecordHandler(deps.buildRecords, NOT_LOCAL) : buildRecordHandler(recordsFromStore(deps.store, now)));
  if (webhookOn) {
    app.post("/webhooks/rebuild", webhookHandler({ secret: deps.webhookSecret!, triggerBuild: deps.triggerBuild, deliveries, now }));
  } else if (secretProblem) {
    app.post("/webhooks/rebuild", () => {
      throw new ApiError(503, "the webhook's secret is not usable on this deployment; its log says why");
    });
  } else {
    // No secret, so no signature can be valid: a delivery is refused as unsigned would be (401,
    // CONTRACT.md "401 on a missing or bad signature"), saying why; other methods get the 405 below.
    app.post("/webhooks/rebuild", () => {
      throw unauthorized("no webhook secret is configured here, so no delivery can be verified: set WEBHOOK_SECRET (docs/api.md) and sign deliveries with it");
    });
  }
  for (const [path, allow] of Object.entries(ALLOW)) {
    app.all(path, () => {
      throw new ApiError(405, `use ${allow.replace(", OPTIONS", "")}`, { allow });
    });
  }
  return app;
}
