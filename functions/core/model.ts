/**
 * What gets published: drafts and future-dated articles are left out, the rest ordered newest
 * first (ties broken by id, so order never depends on file-system order). Pure: `now` is a parameter.
 */
import type { Article, Tag } from "./article.ts";
import type { Site } from "./schema.ts";

export interface FeedModel {
  site: Site;
  /** Published items, newest first. */
  items: Article[];
  drafts: number;
  scheduled: number;
  /** When the earliest future-dated (non-draft) article becomes due, if any. */
  nextPublication?: number;
}

function newestFirst(a: Article, b: Article): number {
  return b.published - a.published || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The reverse of the items' order (archive pages are filled from the oldest). */
export const oldestFirst = (a: Article, b: Article): number => newestFirst(b, a);

export function buildModel(site: Site, articles: Article[], now: number): FeedModel {
  let drafts = 0, scheduled = 0;
  let nextPublication: number | undefined;
  const items: Article[] = [];
  for (const a of articles) {
    if (a.draft) drafts++;
    else if (a.published > now) {
      scheduled++;
      if (nextPublication === undefined || a.published < nextPublication) nextPublication = a.published;
    } else items.push(a);
  }
  items.sort(newestFirst);
  return { site, items, drafts, scheduled, nextPublication };
}

/** Items per tag (newest first), tags in slug order. Two spellings of one tag share a slug. */
export function groupByTag(items: Article[]): { tag: Tag; items: Article[] }[] {
  const groups = new Map<string, { tag: Tag; items: Article[] }>();
  for (const item of items) {
    for (const tag of item.tags) {
      let g = groups.get(tag.slug);
      if (!g) groups.set(tag.slug, (g = { tag, items: [] }));
      g.items.push(item);
    }
  }
  return [...groups.values()].sort((a, b) => (a.tag.slug < b.tag.slug ? -1 : 1));
}

/** The newest modification time among items: the document's `updated` / `lastBuildDate`. */
export function newestModified(items: Article[]): number | undefined {
  let max: number | undefined;
  for (const i of items) if (max === undefined || i.modified > max) max = i.modified;
  return max;
}
