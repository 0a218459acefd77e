/**
 * The CDN's edge functions (CloudFront Functions, injected into SST's Router: stacks/cdn.ts).
 * Plain code in strings, with no SST in this module, so that test/unit/edge-functions.test.ts
 * runs them as CloudFront would.
 */
import { UNPUBLISHED_KEYS } from "./access.ts";

/**
 * The header S3 answers a document's served type in (object metadata `served-type`, written by
 * the build: functions/adapters/cdn-types.ts SERVED_TYPE_META; test/unit/edge-functions.test.ts
 * checks that both agree). Written out here: stacks/ imports nothing from functions/.
 */
export const SERVED_TYPE_HEADER = "x-amz-meta-served-type";

/**
 * The bucket's internal objects (`.syndicate/`: the build cache, the build lease, the publish
 * journal) and the build status (`status.json`, the last build's errors, which the API's /health
 * reads) are not documents: the edge answers 404 for them, so only what the build publishes is
 * served, as on the local stack (the bucket policy denies CloudFront them too,
 * stacks/storage.ts). The path is decoded first: S3 decodes `%2E` to `.`, so
 * `/%2Esyndicate/…` names the same object. `/` is 404 too: CloudFront may list the bucket (so
 * that S3 answers 404, not 403, for a key it does not hold), and `GET /` would be that listing.
 *
 * The cache key is what the request may vary, nothing more, so that no request can miss the
 * cache on purpose and reach the bucket or the API (whose `/latest` throttle every partner site shares):
 * - a document's query string is dropped (`/feed.xml?anything`), and `/latest` keeps only what
 *   it reads, `tag` and `limit`;
 * - SST's cache policy keys on two headers, `x-open-next-cache-key` and `x-forwarded-host`,
 *   which the viewer could send; they are dropped here, before the router's own code (which
 *   sets `x-forwarded-host` again for the API's route, from the Host).
 */
export const BLOCK_INTERNAL = `
var path = event.request.uri;
try { path = decodeURIComponent(path); } catch (e) {}
if (path === "/") return { statusCode: 404, statusDescription: "Not Found" };
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
 * On every response below 400, cached or not (CloudFront runs no viewer-response function on an
 * origin's 4xx or 5xx: a missing key's 404 comes from S3 itself, stacks/storage.ts):
 * `X-Content-Type-Options: nosniff` (a browser never reads a feed as another type); the type a
 * document is served as, where the build stored it as the generic type CloudFront compresses
 * (Atom as application/xml, JSON Feed as application/json, its own type in the object's
 * metadata: functions/adapters/cdn-types.ts; CloudFront decided to compress from the origin's
 * type, before this runs); and CORS for the documents, XML feeds as well as JSON (a feed reader
 * or widget running in a browser reads feed.xml as a partner's script reads feed.json; they are
 * public, no credentials are involved): every path ending in .xml or .json, which in the feeds
 * bucket are the documents (anything else put there gets none). S3's own
 * CORS answer depends on the request's Origin, which is not part of the cache key, so a cached
 * copy could lack it. A CORS header the origin set is kept.
 */
export const RESPONSE_HEADERS = `
var uri = event.request.uri;
var headers = event.response.headers;
headers["x-content-type-options"] = { value: "nosniff" };
var served = headers["${SERVED_TYPE_HEADER}"];
if (served) {
  headers["content-type"] = { value: served.value };
  delete headers["${SERVED_TYPE_HEADER}"];
}
if ((uri.endsWith(".json") || uri.endsWith(".xml") || uri === "/latest") && !headers["access-control-allow-origin"]) {
  headers["access-control-allow-origin"] = { value: "*" };
  headers["access-control-expose-headers"] = { value: "etag" };
}`;
