/**
 * The set of feed documents a model publishes (CONTRACT.md "Output layout"):
 * main feeds, per-tag feeds, and RFC 5005 archive pages of the main feed.
 *
 * Archives are paged from the oldest item: page 1 holds the oldest `items_per_feed` items,
 * page 2 the next, and so on; the newest `items_per_feed` items are in the current (main)
 * documents. A full page's items never change when new items arrive, even back-dated ones (the
 * full pages an earlier build published keep their items: planDocuments `published`); a full
 * page changes only when one of its items is edited or removed, or items_per_feed changes
 * (served for a day, render/index.ts CACHE.archive). Pages carry `prev-archive` (RFC 5005 §4: MUST, when an older
 * page exists) and `current`, but no `next-archive` (a SHOULD): adding it to a full page once a
 * newer page appears would change each full page once more, after it filled.
 *
 * The newest page fills as items arrive, so its key names how many items have arrived in it
 * (`archive/3-2/` for page 3 with 2 items; `archive/3/` once full): a document at a URL keeps
 * its items, as RFC 5005 §4 wants of archive documents ("SHOULD NOT change"), and a reader that
 * stops walking at a page it has seen never misses the item that arrived in it (it walks to the
 * new URL). An item removed from it leaves it shorter at its URL, and the count goes on from
 * there (`archive/3-2/` with one item left, then `archive/3-3/` with the next to arrive): a count
 * that went down again would name a URL readers saw with other items. The page it replaces is
 * kept while main feeds readers may hold link it (publish.ts SUPERSEDED_KEPT_MS), then deleted.
 */
import type { Article, Tag } from "./article.ts";
import type { ContentIssue } from "./errors.ts";
import { LIMITS } from "./limits.ts";
import type { FeedModel } from "./model.ts";
import { groupByTag, oldestFirst } from "./model.ts";
import { fillLabel, siteLabels } from "./labels.ts";

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
  /** The filling page's count, which its key names (planDocuments). */
  count?: number;
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
const archivePrefix = (page: number, full: boolean, count: number) => (full ? `archive/${page}/` : `archive/${page}-${count}/`);

/**
 * The count the filling page's key names: its items, or, when the record has this page filling,
 * the count its key named then, plus the items that arrived since (never less than before, so a
 * key is never published again with an item it did not hold).
 */
function fillingCount(page: number, items: Article[], record: ArchivePages | undefined): number {
  const before = record?.filling;
  if (before?.page !== page) return items.length;
  const held = new Set(before.ids);
  return Math.max(items.length, before.count + items.filter((a) => !held.has(a.id)).length);
}

/**
 * The full archive pages an earlier build published: each page's item ids, oldest page first,
 * for the items_per_feed they were paged with (pipeline/archive-pages.ts stores them).
 */
export interface ArchivePages {
  itemsPerFeed: number;
  pages: string[][];
  /**
   * The site_url the pages were made with: every id derived from a slug changes with it, so a
   * record made with another is planned by date (absent in a record written before it was kept).
   */
  siteUrl?: string;
  /**
   * The filling page as last planned: its number, the count its key named, the ids it held (none
   * when its items were all removed since). Its key's count only grows (planDocuments).
   */
  filling?: { page: number; count: number; ids: string[] };
}

/** The record, when it was made for these settings (else every page is planned by date). */
function followed(published: ArchivePages | undefined, site: FeedModel["site"]): ArchivePages | undefined {
  return published?.itemsPerFeed === site.items_per_feed && (published.siteUrl === undefined || published.siteUrl === site.site_url) ? published : undefined;
}

/**
 * `published`: the full pages an earlier build published. Each keeps its items (those still
 * published and older than the main documents' newest items_per_feed), whatever their dates: an
 * item that arrives back-dated, or with the date and time of items already archived, goes to the
 * filling page instead of shifting every full page after its date, where readers that walked the
 * archives already would never see it (RFC 5005 §4: an archive document "SHOULD NOT change").
 * The items in no full page are paged by date after them; the newest full pages none of whose
 * items is left are dropped. Without it (a first build, a new items_per_feed or site_url: the
 * ids it names are then no more, and each full page would be left empty before the pages of
 * the same items under their new ids), every page is by date.
 */
export function planDocuments(model: FeedModel, published?: ArchivePages): FeedDocumentSpec[] {
  const { site, items } = model;
  const per = site.items_per_feed;
  const record = followed(published, site);
  const labels = siteLabels(site);
  const current = items.slice(0, per);
  const older = items.slice(per).reverse(); // oldest first
  const pageItems: { items: Article[]; full: boolean }[] = [];
  if (site.archives) {
    const kept = new Set<Article>();
    if (record?.pages.length) {
      const byId = new Map(older.map((a) => [a.id, a]));
      for (const ids of record.pages) {
        const page = ids.flatMap((id) => byId.get(id) ?? []).sort(oldestFirst);
        for (const a of page) kept.add(a);
        pageItems.push({ items: page, full: true });
      }
    }
    const rest = kept.size ? older.filter((a) => !kept.has(a)) : older;
    // The newest full pages none of whose items is left (a mass deletion) are no pages, rather
    // than a chain of empty documents readers walk; with no page after them, no page moves. An
    // empty page before others stays, empty, at its URL.
    if (!rest.length) while (pageItems.length && !pageItems[pageItems.length - 1]!.items.length) pageItems.pop();
    for (let i = 0; i < rest.length; i += per) pageItems.push({ items: rest.slice(i, i + per), full: i + per <= rest.length });
  }
  const pages = pageItems.length;
  // Every page but the newest is full; a full page's key has no count. Each once, in page order.
  const counts = pageItems.map(({ items: page, full }, i) => (full ? per : fillingCount(i + 1, page, record)));
  const prefixes = pageItems.map(({ full }, i) => archivePrefix(i + 1, full, counts[i]!));
  const specs: FeedDocumentSpec[] = [
    {
      kind: "main",
      prefix: "",
      title: site.title,
      items: current,
      prevArchive: pages > 0 ? prefixes[pages - 1] : undefined,
    },
  ];
  for (let p = 1; p <= pages; p++) {
    const { items: page, full } = pageItems[p - 1]!;
    specs.push({
      kind: "archive",
      prefix: prefixes[p - 1]!,
      title: fillLabel(labels.archive, { title: site.title, page: p }),
      items: [...page].reverse(), // newest first within a page
      page: p,
      complete: full,
      ...(full ? {} : { count: counts[p - 1] }),
      prevArchive: p > 1 ? prefixes[p - 2] : undefined,
    });
  }
  for (const { tag, items: tagged } of groupByTag(items)) {
    specs.push({ kind: "tag", prefix: `tags/${tag.slug}/`, title: fillLabel(labels.tag, { title: site.title, tag: tag.name }), items: tagged.slice(0, per), tag });
  }
  return specs;
}

/**
 * What to store for the next build's planDocuments: the full pages of these documents, and the
 * filling page (or, when it has no item left, the count its key named, from `published`).
 */
export function archivePagesOf(specs: FeedDocumentSpec[], site: FeedModel["site"], published?: ArchivePages): ArchivePages {
  const archived = specs.filter((s) => s.kind === "archive");
  const pages = archived.filter((s) => s.complete).map((s) => s.items.map((a) => a.id).reverse());
  const open = archived.find((s) => !s.complete);
  const before = followed(published, site)?.filling;
  const filling = open ? { page: open.page!, count: open.count!, ids: open.items.map((a) => a.id).reverse() } : before?.page === pages.length + 1 ? { ...before, ids: [] } : undefined;
  return { itemsPerFeed: site.items_per_feed, siteUrl: site.site_url, pages, ...(filling && { filling }) };
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
