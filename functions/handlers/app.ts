/**
 * The HTTP API (CONTRACT.md "HTTP API", docs/api.md): one Hono app behind both entry points,
 * `@hono/node-server` in the local stack and `hono/aws-lambda` behind API Gateway v2.
 */
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import type { ObjectStore } from "../adapters/store.ts";
import { MANIFEST_KEY, parseManifest } from "../core/manifest.ts";
import type { TriggerBuild } from "../pipeline/coalesce.ts";
import { OWNED_KEY } from "../pipeline/publish.ts";
import { ApiError, errorResponse } from "./http.ts";
import { LatestReader, REVALIDATE_MS, latestHandler } from "./latest.ts";
import { DeliveryLog, webhookHandler } from "./webhook.ts";
import { openApiDocument, type BuildState, type Health } from "./openapi.ts";
import { documentHandler, type DocumentOptions } from "./documents.ts";

export type { BuildRequest, BuildTicket, TriggerBuild } from "../pipeline/coalesce.ts";

export interface AppDeps {
  /** Where the published documents are (the feeds bucket). */
  store: ObjectStore;
  /** Enables `POST /webhooks/rebuild`; without it the route answers 404. */
  webhookSecret?: string;
  /** Starts or queues a build; answers with the id of the build that will include the change. */
  triggerBuild?: TriggerBuild;
  /** The most recent build this process knows of, for `/health`. */
  health?: () => BuildState | null;
  /** Local stack only: serve the published documents at their keys. */
  documents?: DocumentOptions;
  now?: () => number;
  /** How long `/latest` serves a document before revalidating it with the store. */
  revalidateMs?: number;
  /** Where unexpected errors are logged (one JSON line each); never given the secret. */
  log?: (line: string) => void;
}

/** How long `/health` waits for the store before calling it unreachable. */
const HEALTH_STORE_TIMEOUT_MS = 3_000;

/** Route → methods, for 405 + Allow (RFC 9110 §15.5.6: a 405 "MUST generate an Allow header"). */
const ALLOW: Record<string, string> = {
  "/latest": "GET, HEAD, OPTIONS",
  "/health": "GET, HEAD, OPTIONS",
  "/openapi.json": "GET, HEAD, OPTIONS",
  "/webhooks/rebuild": "POST",
};

export function createApp(deps: AppDeps): Hono {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const app = new Hono();
  const reader = new LatestReader(deps.store, now, deps.revalidateMs ?? REVALIDATE_MS);
  const deliveries = new DeliveryLog(now);
  const openapi = Buffer.from(JSON.stringify(openApiDocument()));

  app.onError((err) => errorResponse(err, log));
  app.notFound((c) => errorResponse(new ApiError(404, `no route for ${c.req.method} ${c.req.path}`), log));
  app.use("*", async (c, next) => {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
  });
  const readCors = cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"], exposeHeaders: ["ETag", "Link"], maxAge: 86_400 });
  for (const path of ["/latest", "/health", "/openapi.json"]) app.use(path, readCors);

  app.get("/latest", latestHandler(reader));
  app.get("/health", async (c) => health(c, deps));
  app.get("/openapi.json", (c) => c.body(openapi, 200, { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=300" }));
  if (deps.webhookSecret) {
    app.post("/webhooks/rebuild", webhookHandler({ secret: deps.webhookSecret, triggerBuild: deps.triggerBuild, deliveries, now }));
  } else {
    app.post("/webhooks/rebuild", () => {
      throw new ApiError(404, "the webhook route is not enabled: no webhook secret is configured");
    });
  }
  for (const [path, allow] of Object.entries(ALLOW)) {
    app.all(path, () => {
      throw new ApiError(405, `use ${allow.replace(", OPTIONS", "")}`, { allow });
    });
  }
  if (deps.documents) {
    // As a bucket's CORS rule would: JSON documents are readable from any origin, preflight included.
    app.use("*", (c, next) => (c.req.path.endsWith(".json") && OWNED_KEY.test(c.req.path.slice(1)) ? readCors(c, next) : next()));
    app.get("*", documentHandler(deps.store, deps.documents));
    app.all("*", (c) => {
      if (!OWNED_KEY.test(c.req.path.slice(1))) throw new ApiError(404, `no route for ${c.req.method} ${c.req.path}`);
      throw new ApiError(405, "documents are read-only: use GET or HEAD", { allow: "GET, HEAD" });
    });
  }
  return app;
}

async function health(c: Context, deps: AppDeps): Promise<Response> {
  let reachable = true;
  let published: Health["published"] = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), HEALTH_STORE_TIMEOUT_MS)));
    const manifest = parseManifest((await Promise.race([deps.store.get(MANIFEST_KEY), timeout]))?.body);
    if (manifest) published = { build_id: manifest.build_id, items: manifest.items };
  } catch {
    reachable = false;
  } finally {
    clearTimeout(timer);
  }
  const lastBuild = deps.health?.() ?? null;
  const body: Health = {
    status: reachable && lastBuild?.state !== "failed" ? "ok" : "degraded",
    store: { reachable },
    published,
    last_build: lastBuild,
    webhook: { configured: Boolean(deps.webhookSecret) },
  };
  return c.json(body, reachable ? 200 : 503, { "cache-control": "no-store" });
}
