/**
 * The few constants of the core that the API Lambda needs at run time, copied here because
 * their home modules build zod schemas (or renderers) as they load, which would put zod and the
 * build pipeline in the API bundle (docs/deploy.md "Bundles"). test/unit/api-contract.test.ts
 * asserts each one equals its source, so they cannot drift.
 */

/** core/latest.ts LATEST_MAX: most items a latest document carries. */
export const LATEST_MAX = 50;
/** core/latest.ts LATEST_VERSION. */
export const LATEST_VERSION = 1;
/** core/schema.ts SLUG_RE: a tag slug. */
export const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** core/render/index.ts CACHE.latest: the Cache-Control of latest documents. */
export const CACHE_LATEST = "public, max-age=60";
/** core/manifest.ts MANIFEST_KEY and MANIFEST_VERSION. */
export const MANIFEST_KEY = "manifest.json";
export const MANIFEST_VERSION = 1;
/** core/status.ts STATUS_KEY and STATUS_VERSION: the last build's outcome, written by the build Lambda. */
export const STATUS_KEY = "status.json";
export const STATUS_VERSION = 1;
