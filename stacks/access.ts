/**
 * Which keys of the feeds bucket each reader may have: plain constants, with no SST in this
 * module, so that the infra tests check them against the keys the code reads.
 */

/**
 * Where the build records what became of each build request (`GET /builds/{id}`;
 * functions/core/build-record.ts BUILD_RECORD_PREFIX is this).
 */
export const BUILD_RECORDS = "builds/";
/**
 * How long the feeds bucket keeps a record (a lifecycle rule, stacks/storage.ts; a later attempt
 * rewrites it, and the days count again). functions/core/build-record.ts tells clients this one.
 */
export const BUILD_RECORD_DAYS = 7;

/**
 * The keys the API reads, and may read (GET): the latest documents, the manifest (which tags
 * exist), the build status (/health), the build requests' records (/builds/{id}). Not the build
 * cache under `.syndicate/`, which holds every article's HTML, drafts' and scheduled ones' included.
 */
export const API_READ_KEYS = ["latest.json", "tags/*/latest.json", "manifest.json", "status.json", `${BUILD_RECORDS}*`] as const;

/**
 * The keys the API writes (PutObject): the build requests' records, each written `queued` before
 * the request is queued, by conditional writes only: where none is, or over the record read of a
 * redelivered delivery that may build again (functions/handlers/builds.ts recordClaims; S3 asks
 * for GetObject too, which API_READ_KEYS gives). Nothing published.
 */
export const API_WRITE_KEYS = [`${BUILD_RECORDS}*`] as const;

/**
 * Keys that are not published, which CloudFront is denied: the build's own objects, the build
 * status and the build requests' records (their content errors are for the editor who asked).
 */
export const UNPUBLISHED_KEYS = [".syndicate/*", "status.json", `${BUILD_RECORDS}*`] as const;
