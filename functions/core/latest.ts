/**
 * `latest.json` (and `tags/<slug>/latest.json`): the newest items' metadata for partner sites
 * and `GET /latest`. Its zod schema is the contract (README "latest.json", /openapi.json).
 */
import * as z from "zod";
import type { Article } from "./article.ts";
import type { Site } from "./schema.ts";
import { rfc3339 } from "./dates.ts";
import { joinUrl } from "./urls.ts";

/** Most items a latest document (and `GET /latest?limit=`) carries. */
export const LATEST_MAX = 50;
export const LATEST_VERSION = 1;

// Formats (date-time, uri) for clients generated from /openapi.json, and checked at every build.
const dateTime = z.iso.datetime();
const url = z.url({ protocol: /^https?$/ });

export const latestItemSchema = z.object({
  id: z.string(),
  url,
  title: z.string(),
  summary: z.string().optional(),
  date_published: dateTime,
  date_modified: dateTime,
  authors: z.array(z.object({ name: z.string(), url: url.optional() })),
  tags: z.array(z.object({ name: z.string(), slug: z.string() })),
  image: z
    .object({ url, alt: z.string(), caption: z.string().optional(), credit: z.string().optional(), mime_type: z.string() })
    .optional(),
  language: z.string(),
  source: z.string().optional(),
});

export const latestDocumentSchema = z.object({
  version: z.literal(LATEST_VERSION),
  title: z.string(),
  home_page_url: url,
  feed_url: url,
  /** Tag slug when this is a tag's latest document. */
  tag: z.string().optional(),
  /** Newest modification among the items (RFC 3339), or null for an empty feed. */
  updated: dateTime.nullable(),
  /** The newest item, or null when nothing is published. */
  item: latestItemSchema.nullable(),
  /** Up to LATEST_MAX newest items, newest first. */
  items: z.array(latestItemSchema).max(LATEST_MAX),
});

export type LatestItem = z.infer<typeof latestItemSchema>;
export type LatestDocument = z.infer<typeof latestDocumentSchema>;

function latestItem(a: Article, site: Site): LatestItem {
  return {
    id: a.id,
    url: a.url,
    title: a.title,
    summary: a.summary,
    date_published: rfc3339(a.published),
    date_modified: rfc3339(a.modified),
    authors: a.authors.map((x) => ({ name: x.name, url: x.url })),
    tags: a.tags.map((t) => ({ name: t.name, slug: t.slug })),
    image: a.image
      ? { url: a.image.url, alt: a.image.alt, caption: a.image.caption, credit: a.image.credit, mime_type: a.image.type }
      : undefined,
    language: a.language ?? site.language,
    source: a.source,
  };
}

/** `title`: the feed documents' at `prefix` (documents.ts planDocuments), a tag's in the site's label. */
export function latestDocument(site: Site, items: Article[], prefix: string, title: string, tag?: string): LatestDocument {
  const top = items.slice(0, LATEST_MAX).map((a) => latestItem(a, site));
  let updated: number | undefined;
  for (const a of items.slice(0, LATEST_MAX)) if (updated === undefined || a.modified > updated) updated = a.modified;
  return {
    version: LATEST_VERSION,
    title,
    home_page_url: site.site_url,
    feed_url: joinUrl(site.feed_url, `${prefix}feed.json`),
    tag,
    updated: updated === undefined ? null : rfc3339(updated),
    item: top[0] ?? null,
    items: top,
  };
}
