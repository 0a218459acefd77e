/**
 * RSS 2.0 (https://www.rssboard.org/rss-specification) with the namespaces readers know:
 * atom:link for self/hub/alternates and RFC 5005 archives, content:encoded for full HTML,
 * dc:creator for author names (RSS <author> must be an e-mail address), dcterms:modified for an
 * item's modification time, Media RSS for images.
 */
import type { Article } from "../article.ts";
import { escapeHtmlText } from "../html.ts";
import { rfc3339, rfc822 } from "../dates.ts";
import { FORMATS } from "../documents.ts";
import { type DocumentContext, type Fragments, GENERATOR, documentParts } from "./context.ts";
import { el, elFeedSafe, elText, empty, mediaContent, x, XML_DECLARATION } from "./xml.ts";

/**
 * RSS `description` is HTML to readers (RSS 2.0 "description": "entity-encoded HTML is
 * allowed"; the RSS Best Practices Profile; feedparser reads it as text/html), but summaries and
 * the site description are plain text: escaped as HTML first, `<script>` in a summary is shown
 * as text instead of running in a reader (only `&`, `<` and `>` need it in HTML text). Atom
 * (`type="text"`) and JSON Feed (`summary` is plain text) carry the text as it is.
 */
const textAsHtml = (text: string | undefined) => (text === undefined ? undefined : escapeHtmlText(text));

const NS =
  ' xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/"' +
  ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:media="http://search.yahoo.com/mrss/"' +
  ' xmlns:fh="http://purl.org/syndication/history/1.0"';

export function rssItem(item: Article): string {
  const parts = [
    elText("title", item.title),
    el("link", item.url),
    el("guid", item.id, { isPermaLink: item.id === item.url ? "true" : "false" }),
    el("pubDate", rfc822(item.published)),
    // RSS 2.0 has no modification date: DCMI's dcterms:modified (W3CDTF), which feedparser and
    // the W3C validator know, so that readers can tell an item was corrected (Atom <updated>,
    // JSON Feed date_modified carry the same time).
    el("dcterms:modified", rfc3339(item.modified)),
    el("description", textAsHtml(item.summary)),
    // No element for an item without HTML (a link post with a summary): feedparser reads an empty
    // content:encoded as content [{value: ""}], and a reader that prefers content to the
    // description shows an empty article.
    item.contentHtml ? elFeedSafe("content:encoded", item.contentHtml) : "",
  ];
  for (const a of item.authors) parts.push(elText("dc:creator", a.name));
  // RSS 2.0 has one <author> per item, an e-mail address, which readers take for THE author
  // (feedparser's entry.author, rss-parser): the first author's, or none, never a later
  // author's credited as the item's. Every author is in dc:creator.
  const first = item.authors[0];
  if (first?.email) parts.push(elText("author", `${first.email} (${first.name})`));
  for (const t of item.tags) parts.push(elText("category", t.name));
  if (item.language) parts.push(el("dc:language", item.language));
  if (item.image) {
    const img = item.image;
    parts.push(mediaContent(img));
    // length is required; "When an enclosure's size cannot be determined, a publisher should
    // use a length of 0" (RSS Best Practices Profile, "enclosure"). Readers that skip Media RSS
    // still get the photo and its MIME type.
    parts.push(empty("enclosure", { url: img.url, length: img.length ?? 0, type: img.type }));
  }
  return `<item>${parts.join("")}</item>`;
}

export function renderRss(ctx: DocumentContext, fragments: Fragments): string {
  return rssParts(ctx, fragments).join("");
}

/** The RSS document as its parts (context.ts documentParts). */
export function rssParts(ctx: DocumentContext, fragments: Fragments): string[] {
  const { site, spec } = ctx;
  const head = [
    elText("title", spec.title),
    el("link", site.site_url),
    el("description", textAsHtml(site.description)),
    el("language", site.language),
    elText("copyright", site.copyright),
    // An empty feed has no newest item to date it by: no lastBuildDate rather than a made-up one.
    el("lastBuildDate", ctx.spec.items.length ? rfc822(ctx.updated) : undefined),
    el("generator", `${GENERATOR.name} ${GENERATOR.version}`),
    el("docs", "https://www.rssboard.org/rss-specification"),
    empty("atom:link", { rel: "self", type: FORMATS.rss.contentType.split(";")[0], href: ctx.url("rss") }),
    empty("atom:link", { rel: "alternate", type: FORMATS.atom.contentType.split(";")[0], href: ctx.url("atom") }),
    empty("atom:link", { rel: "alternate", type: FORMATS.json.contentType.split(";")[0], href: ctx.url("json") }),
  ];
  if (ctx.hub) head.push(empty("atom:link", { rel: "hub", href: ctx.hub }));
  if (spec.kind === "archive") {
    head.push("<fh:archive/>", empty("atom:link", { rel: "current", href: ctx.currentUrl("rss") }));
  }
  const prev = ctx.prevArchiveUrl("rss");
  if (prev) head.push(empty("atom:link", { rel: "prev-archive", href: prev }));
  if (site.icon ?? site.favicon) {
    head.push(`<image>${el("url", (site.icon ?? site.favicon)!)}${elText("title", spec.title)}${el("link", site.site_url)}</image>`);
  }
  const items = spec.items.map((i) => fragments.get("rss", i.id, () => rssItem(i)));
  return documentParts(`${XML_DECLARATION}<rss version="2.0"${NS}><channel>${head.join("")}\n`, items, "\n", "\n</channel></rss>\n");
}
