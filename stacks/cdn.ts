/**
 * The CDN: a CloudFront Router in front of the feeds bucket, with /latest going to the API.
 * SST's router behaviour compresses (gzip, Brotli) and its cache policy takes TTLs from the
 * origin's Cache-Control (default TTL 0, max 1 year), so objects keep the Cache-Control and
 * Content-Type the build stored with them. The query string is part of the cache key
 * (/latest?tag=…&limit=…).
 */
import type { Api } from "./api";
import type { Storage } from "./storage";
import { BLOCK_INTERNAL, RESPONSE_HEADERS } from "./edge";

export function cdn(storage: Storage, api: Api) {
  const router = new sst.aws.Router("Cdn", {
    edge: { viewerRequest: { injection: BLOCK_INTERNAL }, viewerResponse: { injection: RESPONSE_HEADERS } },
  });
  router.routeBucket("/", storage.feeds);
  router.route("/latest", api.gateway.url);
  return { router };
}
