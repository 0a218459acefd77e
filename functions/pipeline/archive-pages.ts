/**
 * The full archive pages a build published, kept for the next build (core/documents.ts
 * planDocuments `published`): which items each full page holds, so that an item arriving
 * back-dated goes to the filling page instead of shifting the full pages after its date.
 *
 * An object in the store's private folder (never served: stacks/access.ts UNPUBLISHED_KEYS),
 * `{"version": 1, "items_per_feed": N, "site_url": URL, "pages": [[id, …], …], "filling": {"page":
 * P, "count": C, "ids": [id, …]}}`, the oldest page first (`site_url` and `filling` absent in a
 * record written before they were kept; `filling` absent when no page is filling). It is
 * written once the documents are published, only when it changed. One that is missing or
 * damaged (a first build, a store emptied, a write that failed) is no loss of data: every page
 * is then planned by date, as the pages were first made. One that cannot be fetched stops the build.
 */
import * as z from "zod";
import type { ObjectStore } from "../adapters/store.ts";
import type { ArchivePages } from "../core/documents.ts";
import { parseJsonBytes } from "../core/json.ts";
import { PublishError } from "../core/errors.ts";

export const ARCHIVE_PAGES_KEY = ".syndicate/archive-pages.json";

const schema = z.object({
  version: z.literal(1),
  items_per_feed: z.number().int().positive(),
  site_url: z.string().optional(),
  pages: z.array(z.array(z.string())),
  filling: z.object({ page: z.number().int().positive(), count: z.number().int().positive(), ids: z.array(z.string()) }).optional(),
});

export interface StoredArchivePages {
  pages?: ArchivePages;
  /** The bytes as stored, to write the object only when they change. */
  bytes?: Buffer;
}

export async function readArchivePages(store: ObjectStore): Promise<StoredArchivePages> {
  // Missing or damaged, the record is no more: the pages are planned by date, and it is written
  // again. A read that fails says nothing of it, and planning by date then would move full
  // pages for good (the record is written again from that plan): the build stops, writing
  // nothing; a retry reads it.
  let bytes: Buffer | undefined;
  try {
    bytes = (await store.get(ARCHIVE_PAGES_KEY))?.body;
  } catch (err) {
    throw new PublishError(`could not read ${ARCHIVE_PAGES_KEY} in ${store.description} (which items the full archive pages hold): ${(err as Error).message}`, { cause: err });
  }
  const read = parseJsonBytes(schema, bytes);
  return { bytes, pages: read && { itemsPerFeed: read.items_per_feed, siteUrl: read.site_url, pages: read.pages, filling: read.filling } };
}

export function encodeArchivePages(pages: ArchivePages): Buffer {
  return Buffer.from(`${JSON.stringify({ version: 1, items_per_feed: pages.itemsPerFeed, site_url: pages.siteUrl, pages: pages.pages, filling: pages.filling })}\n`, "utf8");
}
