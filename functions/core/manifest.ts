/**
 * manifest.json: the build id and every output with sha256, size, content type and cache
 * policy. Written last, so a reader that sees a manifest sees a complete set. The build id is
 * derived from the outputs, so unchanged content gives a byte-identical manifest.
 */
import { parseJsonBytes } from "./json.ts";
import { createHash } from "node:crypto";
import * as z from "zod";
import { CACHE, JSON_CONTENT_TYPE, output, outputBytes, type Output, type PublishedOutput } from "./render/index.ts";
import { rfc3339 } from "./dates.ts";

export const MANIFEST_KEY = "manifest.json";
export const MANIFEST_VERSION = 1;

/**
 * How objects are stored, beyond the bytes and the types and policies the manifest records: the
 * type an object is stored with (adapters/cdn-types.ts storedType: Atom stored as
 * application/xml for the CDN), its metadata, the manifest's own headers. Raised whenever that
 * changes: a build finding another (or none: a manifest of a version before it was recorded)
 * writes every object again once, since objects whose bytes did not change would otherwise keep
 * the old way for ever (publish.ts alreadyPublished).
 */
export const STORAGE_VERSION = 2;

const manifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  build_id: z.string(),
  items: z.number().int(),
  next_publication: z.string().nullable(),
  /** STORAGE_VERSION when written; absent from manifests written before it was recorded. */
  storage: z.number().int().optional(),
  outputs: z.record(
    z.string(),
    z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int(), content_type: z.string(), cache_control: z.string() }),
  ),
});
export type Manifest = z.infer<typeof manifestSchema>;

export function buildManifest(outputs: PublishedOutput[], items: number, nextPublication: number | undefined): Manifest {
  const sorted = [...outputs].sort((a, b) => (a.key < b.key ? -1 : 1));
  const hash = createHash("sha256");
  for (const o of sorted) hash.update(`${o.key}\u0000${o.sha256}\n`);
  return {
    version: MANIFEST_VERSION,
    build_id: hash.digest("hex").slice(0, 20),
    items,
    next_publication: nextPublication === undefined ? null : rfc3339(nextPublication),
    storage: STORAGE_VERSION,
    outputs: Object.fromEntries(
      sorted.map((o) => [o.key, { sha256: o.sha256, bytes: outputBytes(o), content_type: o.contentType, cache_control: o.cacheControl }]),
    ),
  };
}

export function manifestOutput(m: Manifest): Output {
  return output(MANIFEST_KEY, `${JSON.stringify(m, null, 1)}\n`, JSON_CONTENT_TYPE, CACHE.manifest);
}

/** A manifest read back from a store; anything unreadable counts as no manifest. */
export function parseManifest(bytes: Uint8Array | undefined): Manifest | undefined {
  return parseJsonBytes(manifestSchema, bytes);
}
