/**
 * JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), rendered here rather than by `feed`,
 * which writes 1.0 (no `authors`, `language`, `hubs` or `next_url`). Fields JSON Feed has no
 * place for (image alt/caption/credit, source, related) go in the `_syndicate` extension object
 * (spec: "Extensions"), and are also in content_html for readers that ignore extensions.
 *
 * Authors are an item's own only (the site's when the article names none: article.ts), never
 * the feed's: JSON Feed 1.1 makes a feed's `authors` the fallback for items without any, but
 * miniflux adds them to every item's (internal/reader/json/adapter.go), crediting the desk
 * beside each article's author. Each item also has the deprecated 1.0 `author`, its first
 * author, as the spec allows "for compatibility": feedparser and NetNewsWire's RSParser read
 * only `author`.
 */
import type { Article } from "../article.ts";
import type { Author } from "../schema.ts";
import { rfc3339 } from "../dates.ts";
import { documentParts, type DocumentContext, type Fragments } from "./context.ts";

const JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1";

const author = (a: Author) => ({ name: a.name, url: a.url ?? (a.email ? `mailto:${a.email}` : undefined) });

function jsonItem(item: Article): string {
  const ext = {
    source: item.source,
    related: item.related.length ? item.related : undefined,
    image: item.image ? { alt: item.image.alt, caption: item.image.caption, credit: item.image.credit, mime_type: item.image.type } : undefined,
  };
  return JSON.stringify({
    id: item.id,
    url: item.url,
    title: item.title,
    // One of content_html and content_text is required (JSON Feed 1.1): an item without HTML
    // gets its summary as content_text, not an empty content_html that readers preferring
    // content show as an empty article (as RSS and Atom leave their content element out).
    content_html: item.contentHtml || undefined,
    content_text: item.contentHtml ? undefined : (item.summary ?? ""),
    summary: item.summary,
    image: item.image?.url,
    date_published: rfc3339(item.published),
    date_modified: rfc3339(item.modified),
    authors: item.authors.length ? item.authors.map(author) : undefined,
    author: item.authors.length ? author(item.authors[0]!) : undefined,
    tags: item.tags.length ? item.tags.map((t) => t.name) : undefined,
    language: item.language,
    _syndicate: ext.source || ext.related || ext.image ? ext : undefined,
  });
}

export function renderJsonFeed(ctx: DocumentContext, fragments: Fragments): string {
  return jsonFeedParts(ctx, fragments).join("");
}

/** The JSON Feed document as its parts (context.ts documentParts). */
export function jsonFeedParts(ctx: DocumentContext, fragments: Fragments): string[] {
  const { site, spec } = ctx;
  const head = JSON.stringify({
    version: JSON_FEED_VERSION,
    title: spec.title,
    home_page_url: site.site_url,
    // The feed's identifier (JSON Feed 1.1): an archive page is a page of the main feed, as its
    // Atom id is the current document's (RFC 5005 §4).
    feed_url: spec.kind === "archive" ? ctx.currentUrl("json") : ctx.url("json"),
    description: site.description,
    icon: site.icon,
    favicon: site.favicon,
    language: site.language,
    hubs: ctx.hub ? [{ type: "WebSub", url: ctx.hub }] : undefined,
    // JSON Feed's pagination: next_url points at older items (the newest archive page first).
    next_url: ctx.prevArchiveUrl("json"),
  });
  const items = spec.items.map((i) => fragments.get("json", i.id, () => jsonItem(i)));
  return documentParts(`${head.slice(0, -1)},"items":[\n`, items, ",\n", "\n]}\n");
}
