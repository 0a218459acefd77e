/**
 * The HTTP API (CONTRACT.md "HTTP API", docs/api.md) as the local stack serves it: the API routes
 * the Lambda runs (routes.ts), plus the published documents at their keys, the way a CDN in
 * front of the bucket serves them. `@hono/node-server` runs it locally; on AWS, api.ts runs
 * `createApiApp` alone behind API Gateway v2 (the CDN serves the bucket directly).
 */
import type { Hono } from "hono";
import type { ObjectStore } from "../adapters/store.ts";
import { ApiError } from "./http.ts";
import { documentHandler, isServedKey, type DocumentOptions } from "./documents.ts";
import { createApiApp, readCors, type ApiDeps } from "./routes.ts";

export type { BuildRequest, BuildTicket, TriggerBuild } from "./routes.ts";

export interface AppDeps extends ApiDeps {
  /** Where the published documents are (the feeds bucket). */
  store: ObjectStore;
  /** Local stack only: serve the published documents at their keys. */
  documents?: DocumentOptions;
}

export function createApp(deps: AppDeps): Hono {
  const app = createApiApp(deps);
  if (deps.documents) {
    // As the CDN gives them (stacks/edge.ts): every document is readable from any origin, the
    // feeds' XML as well as the JSON (a reader or widget running in a browser), preflight included.
    app.use("*", (c, next) => (isServedKey(c.req.path.slice(1)) ? readCors(c, next) : next()));
    app.get("*", documentHandler(deps.store, deps.documents));
    app.all("*", (c) => {
      // The API's own 404 (routes.ts notFound), which carries CORS like the Lambda's.
      if (!isServedKey(c.req.path.slice(1))) return c.notFound();
      // OPTIONS too: the documents answer a CORS preflight (above).
      throw new ApiError(405, "documents are read-only: use GET or HEAD", { allow: "GET, HEAD, OPTIONS" });
    });
  }
  return app;
}
