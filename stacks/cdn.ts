/**
 * The CDN: a CloudFront Router in front of the feeds bucket, with /latest going to the API.
 * SST's router behaviour compresses (gzip, Brotli) and its cache policy takes TTLs from the
 * origin's Cache-Control (default TTL 0, max 1 year), so objects keep the Cache-Control and
 * Content-Type the build stored with them. The query string is part of the cache key
 * (/latest?tag=…&limit=…).
 */
import type { Api } from "./api";
import type { Storage } from "./storage";

/**
 * CORS for the JSON documents (feed.json, latest.json…), added at the edge on every response,
 * cached or not: S3's own CORS answer depends on the request's Origin, which is not part of the
 * cache key, so a cached copy could lack it. A header the origin set is kept.
 */
export const CORS_INJECTION = `
const uri = event.request.uri;
if ((uri.endsWith(".json") || uri === "/latest") && !event.response.headers["access-control-allow-origin"]) {
  event.response.headers["access-control-allow-origin"] = { value: "*" };
  event.response.headers["access-control-expose-headers"] = { value: "etag" };
}`;

/**
 * The bucket's internal objects (`.syndicate/`: the build cache and the build lease) are not
 * documents: the edge answers 404 for them, so only what the build publishes is served.
 */
export const BLOCK_INTERNAL = `
if (event.request.uri.startsWith("/.syndicate/")) {
  return { statusCode: 404, statusDescription: "Not Found" };
}`;

export function cdn(storage: Storage, api: Api) {
  const router = new sst.aws.Router("Cdn", {
    edge: { viewerRequest: { injection: BLOCK_INTERNAL }, viewerResponse: { injection: CORS_INJECTION } },
  });
  router.routeBucket("/", storage.feeds);
  router.route("/latest", api.gateway.url);
  return { router };
}
