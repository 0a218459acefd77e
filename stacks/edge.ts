/**
 * The CDN's edge functions (CloudFront Functions, injected into SST's Router: stacks/cdn.ts).
 * Plain code in strings, with no SST in this module, so that test/unit/edge-functions.test.ts
 * runs them as CloudFront would.
 */
import { UNPUBLISHED_KEYS } from "./access.ts";

/**
 * The bucket's internal objects (`.syndicate/`: the build cache, the build lease, the publish
 * journal) and the build status (`status.json`, the last build's errors, which the API's /health
 * reads) are not documents: the edge answers 404 for them, so only what the build publishes is
 * served, as on the local stack (the bucket policy denies CloudFront them too,
 * stacks/storage.ts). The path is decoded first: S3 decodes `%2E` to `.`, so
 * `/%2Esyndicate/…` names the same object.
 *
 * The cache key is what the request may vary, nothing more, so that no request can miss the
 * cache on purpose and reach the bucket or the API (whose throttle the webhook shares):
 * - a document's query string is dropped (`/feed.xml?anything`), and `/latest` keeps only what
 *   it reads, `tag` and `limit`;
 * - SST's cache policy keys on two headers, `x-open-next-cache-key` and `x-forwarded-host`,
 *   which the viewer could send; they are dropped here, before the router's own code (which
 *   sets `x-forwarded-host` again for the API's route, from the Host).
 */
export const BLOCK_INTERNAL = `
var path = event.request.uri;
try { path = decodeURIComponent(path); } catch (e) {}
var hidden = ${JSON.stringify(UNPUBLISHED_KEYS)};
for (var i = 0; i < hidden.length; i++) {
  var k = "/" + hidden[i];
  if (k.endsWith("*") ? path.indexOf(k.slice(0, -1)) === 0 : path === k) return { statusCode: 404, statusDescription: "Not Found" };
}
delete event.request.headers["x-open-next-cache-key"];
delete event.request.headers["x-forwarded-host"];
var query = event.request.querystring || {};
var kept = {};
if (event.request.uri === "/latest" || event.request.uri.indexOf("/latest/") === 0) {
  if (query.tag) kept.tag = query.tag;
  if (query.limit) kept.limit = query.limit;
}
event.request.querystring = kept;`;

/**
 * On every response, cached or not: `X-Content-Type-Options: nosniff` (a browser never reads a
 * feed as another type); a 404 for a key the bucket does not hold (CloudFront may not list the
 * bucket, so S3 answers 403 there: a removed tag's feed must read as gone, not as forbidden); and
 * CORS for the JSON documents (feed.json, latest.json…). S3's own CORS answer depends on the
 * request's Origin, which is not part of the cache key, so a cached copy could lack it. A CORS
 * header the origin set is kept.
 */
export const RESPONSE_HEADERS = `
var uri = event.request.uri;
event.response.headers["x-content-type-options"] = { value: "nosniff" };
if (event.response.statusCode === 403 && uri !== "/latest" && uri.indexOf("/latest/") !== 0) {
  event.response.statusCode = 404;
  event.response.statusDescription = "Not Found";
}
if ((uri.endsWith(".json") || uri === "/latest") && !event.response.headers["access-control-allow-origin"]) {
  event.response.headers["access-control-allow-origin"] = { value: "*" };
  event.response.headers["access-control-expose-headers"] = { value: "etag" };
}`;
