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

/**
 * Server errors CloudFront must not keep: it honours `no-store` on an error only for 404, 410,
 * 414 and 501, and keeps any other for the error caching minimum TTL, 10 seconds by default
 * (CloudFront Developer Guide, "Control how long CloudFront caches errors"). The API's 503 says
 * `Retry-After: 5`; a recovered store or API answers at once.
 */
export const UNCACHED_ERRORS = [500, 502, 503, 504] as const;

export function cdn(storage: Storage, api: Api) {
  const router = new sst.aws.Router("Cdn", {
    edge: { viewerRequest: { injection: BLOCK_INTERNAL }, viewerResponse: { injection: RESPONSE_HEADERS } },
    transform: {
      cdn: (args) => {
        args.customErrorResponses = UNCACHED_ERRORS.map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 }));
      },
    },
  });
  router.routeBucket("/", storage.feeds);
  router.route("/latest", api.gateway.url);
  return { router };
}
