/**
 * Which keys of the feeds bucket each reader may have: plain constants, with no SST in this
 * module, so that the infra tests check them against the keys the code reads.
 */

/**
 * The keys the API reads, and may read (GET): the latest documents, the manifest (which tags
 * exist), the build status (/health). Not the build cache under `.syndicate/`, which holds every
 * article's HTML, drafts' and scheduled ones' included.
 */
export const API_READ_KEYS = ["latest.json", "tags/*/latest.json", "manifest.json", "status.json"] as const;

/** Keys that are not published, which CloudFront is denied: the build's own objects, and the build status. */
export const UNPUBLISHED_KEYS = [".syndicate/*", "status.json"] as const;
