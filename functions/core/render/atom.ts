/**
 * Atom 1.0 (RFC 4287) with xml:lang, self/alternate/hub links, RFC 5005 archive links and
 * Media RSS for images. Text constructs are type="text" (escaped), content is type="html".
 */
import type { Article } from "../article.ts";
import type { Author } from "../schema.ts";
import { rfc3339 } from "../dates.ts";
import { FORMATS } from "../documents.ts";
import { type DocumentContext, type Fragments, GENERATOR, documentParts } from "./context.ts";
import { el, elFeedSafe, empty, mediaContent, x, XML_DECLARATION } from "./xml.ts";

const mime = (f: keyof typeof FORMATS) => FORMATS[f].contentType.split(";")[0];

function author(a: Author): string {
  return `<author>${el("name", a.name)}${el("uri", a.url)}${el("email", a.email)}</author>`;
}

export function atomEntry(item: Article): string {
  const parts = [
    el("id", item.id),
    el("title", item.title, { type: "text" }),
    empty("link", { rel: "alternate", type: "text/html", href: item.url }),
    el("published", rfc3339(item.published)),
    el("updated", rfc3339(item.modified)),
    ...item.authors.map(author),
    ...item.tags.map((t) => empty("category", { term: t.name })),
    el("summary", item.summary, { type: "text" }),
    // No content for an item without HTML: feedparser reads an empty one as content [{value: ""}],
    // shown as an empty article, and RFC 4287 §4.1.1.1 advises "a non-empty atom:content element
    // when that element is present". An entry without one needs a rel="alternate" link (§4.1.2): above.
    item.contentHtml ? elFeedSafe("content", item.contentHtml, { type: "html" }) : "",
  ];
  if (item.image) {
    const img = item.image;
    parts.push(
      empty("link", { rel: "enclosure", type: img.type, href: img.url, length: img.length }),
      mediaContent(img),
    );
  }
  const lang = item.language ? ` xml:lang="${x(item.language)}"` : "";
  return `<entry${lang}>${parts.join("")}</entry>`;
}

export function renderAtom(ctx: DocumentContext, fragments: Fragments): string {
  return atomParts(ctx, fragments).join("");
}

/** The Atom document as its parts (context.ts documentParts). */
export function atomParts(ctx: DocumentContext, fragments: Fragments): string[] {
  const { site, spec } = ctx;
  // atom:feed must have an author unless every entry has one (RFC 4287 §4.1.1).
  const feedAuthors = site.authors?.length ? site.authors : [{ name: site.title }];
  const head = [
    // One logical feed: archive pages share the current document's id (RFC 5005 §4).
    el("id", spec.kind === "archive" ? ctx.currentUrl("atom") : ctx.url("atom")),
    el("title", spec.title, { type: "text" }),
    el("subtitle", site.description, { type: "text" }),
    el("updated", rfc3339(ctx.updated)),
    ...feedAuthors.map(author),
    // The site's page first: with rel="self" first, @extractus/feed-extractor gave the feed's own
    // URL as the site's link. RFC 4287 gives the order of elements no meaning, so this costs nothing.
    empty("link", { rel: "alternate", type: "text/html", href: site.site_url }),
    empty("link", { rel: "self", type: mime("atom"), href: ctx.url("atom") }),
    empty("link", { rel: "alternate", type: mime("rss"), href: ctx.url("rss") }),
    empty("link", { rel: "alternate", type: mime("json"), href: ctx.url("json") }),
  ];
  if (ctx.hub) head.push(empty("link", { rel: "hub", href: ctx.hub }));
  if (spec.kind === "archive") head.push("<fh:archive/>", empty("link", { rel: "current", href: ctx.currentUrl("atom") }));
  const prev = ctx.prevArchiveUrl("atom");
  if (prev) head.push(empty("link", { rel: "prev-archive", href: prev }));
  // atom:icon is square (RFC 4287 §4.2.5); atom:logo SHOULD be 2:1 (§4.2.8), which neither of
  // the site's square images is: no logo.
  if (site.favicon ?? site.icon) head.push(el("icon", (site.favicon ?? site.icon)!));
  head.push(el("rights", site.copyright, { type: "text" }), el("generator", GENERATOR.name, { version: GENERATOR.version }));
  const entries = spec.items.map((i) => fragments.get("atom", i.id, () => atomEntry(i)));
  return documentParts(
    `${XML_DECLARATION}<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"` +
      ` xmlns:fh="http://purl.org/syndication/history/1.0" xml:lang="${x(site.language)}">` +
      `${head.join("")}\n`,
    entries,
    "\n",
    "\n</feed>\n",
  );
}
