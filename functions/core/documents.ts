/**
 * The set of feed documents a model publishes (CONTRACT.md "Output layout"):
 * main feeds, per-tag feeds, and RFC 5005 archive pages of the main feed.
 *
 * Archives are paged from the oldest item: page 1 holds the oldest `items_per_feed` items,
 * page 2 the next, and so on; the newest `items_per_feed` items are in the current (main)
 * documents. A full page's items never change when new items arrive (a full page changes only
 * when one of its items is edited or removed, or items_per_feed changes: served for a day,
 * render/index.ts CACHE.archive). Pages carry `prev-archive` (RFC 5005 §4: MUST, when an older
 * page exists) and `current`, but no `next-archive` (a SHOULD): adding it to a full page once a
 * newer page appears would change each full page once more, after it filled.
 *
 * The newest page fills as items arrive, so its key names how many items it holds
 * (`archive/3-2/` for page 3 with 2 items; `archive/3/` once full): a document at a URL keeps
 * its items, as RFC 5005 §4 wants of archive documents ("SHOULD NOT change"), and a reader that
 * stops walking at a page it has seen never misses the item that arrived in it (it walks to the
 * new URL). The page it replaces is deleted with the build that supersedes it.
 */
import type { Article, Tag } from "./article.ts";
import type { ContentIssue } from "./errors.ts";
import { LIMITS } from "./limits.ts";
import type { FeedModel } from "./model.ts";
import { groupByTag } from "./model.ts";

export type FeedKind = "main" | "tag" | "archive";

export interface FeedDocumentSpec {
  kind: FeedKind;
  /** Key prefix of the three documents: "", "tags/<slug>/", "archive/<n>/" (a full page), "archive/<n>-<count>/" (the newest, filling). */
  prefix: string;
  title: string;
  items: Article[];
  tag?: Tag;
  /** Archive page number (1 = oldest). */
  page?: number;
  /** A full archive page: its items are final. */
  complete?: boolean;
  /** Prefix of the next older archive page, if any. */
  prevArchive?: string;
}

export const FORMATS = {
  rss: { file: "feed.xml", contentType: "application/rss+xml; charset=utf-8" },
  atom: { file: "atom.xml", contentType: "application/atom+xml; charset=utf-8" },
  json: { file: "feed.json", contentType: "application/feed+json; charset=utf-8" },
} as const;
export type Format = keyof typeof FORMATS;

/** A full page's prefix, or the filling page's, which names its count (above). */
const archivePrefix = (page: number, count: number, per: number) => (count === per ? `archive/${page}/` : `archive/${page}-${count}/`);

export function planDocuments(model: FeedModel): FeedDocumentSpec[] {
  const { site, items } = model;
  const per = site.items_per_feed;
  const current = items.slice(0, per);
  const older = items.slice(per).reverse(); // oldest first
  const pages = site.archives ? Math.ceil(older.length / per) : 0;
  // Every page but the newest is full.
  const prefixOf = (p: number) => archivePrefix(p, p < pages ? per : older.length - (pages - 1) * per, per);
  const specs: FeedDocumentSpec[] = [
    {
      kind: "main",
      prefix: "",
      title: site.title,
      items: current,
      prevArchive: pages > 0 ? prefixOf(pages) : undefined,
    },
  ];
  for (let p = 1; p <= pages; p++) {
    const pageItems = older.slice((p - 1) * per, p * per).reverse(); // newest first within a page
    specs.push({
      kind: "archive",
      prefix: prefixOf(p),
      title: `${site.title} (archive ${p})`,
      items: pageItems,
      page: p,
      complete: pageItems.length === per,
      prevArchive: p > 1 ? prefixOf(p - 1) : undefined,
    });
  }
  for (const { tag, items: tagged } of groupByTag(items)) {
    specs.push({ kind: "tag", prefix: `tags/${tag.slug}/`, title: `${site.title}: ${tag.name}`, items: tagged.slice(0, per), tag });
  }
  return specs;
}

/**
 * A document that would carry more item content than LIMITS.documentItemChars (once its items'
 * HTML is converted): an error naming it, items_per_feed and its largest items, before anything
 * is rendered (three formats of it would be held at once).
 */
export function oversizedDocument(spec: FeedDocumentSpec, itemsPerFeed: number, line?: number): ContentIssue | undefined {
  const size = (a: Article) => (a.contentHtml?.length ?? 0) + (a.summary?.length ?? 0) + a.title.length;
  let total = 0;
  for (const a of spec.items) total += size(a);
  if (total <= LIMITS.documentItemChars) return undefined;
  const largest = [...spec.items].sort((a, b) => size(b) - size(a)).slice(0, 3).map((a) => `${a.file} (${size(a).toLocaleString("en")})`);
  return {
    file: "site.yaml",
    // The setting's line when site.yaml has it; its default (50) is on no line.
    line,
    field: "items_per_feed",
    severity: "error",
    message:
      `the documents at ${spec.prefix || "/"} (${Object.values(FORMATS).map((f) => f.file).join(", ")}) would each carry ${total.toLocaleString("en")} characters of item content; at most ` +
      `${LIMITS.documentItemChars.toLocaleString("en")} are allowed per document: lower items_per_feed (now ${itemsPerFeed}) or shorten its largest items: ${largest.join(", ")}`,
  };
}
