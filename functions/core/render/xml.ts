/**
 * XML text and attribute escaping for the RSS and Atom renderers. Escaping is done by `entities`
 * (the library markdown-it and htmlparser2 use); characters XML 1.0 cannot carry are dropped
 * first. HTML content goes in CDATA sections, every `]]>` in it split across two sections (the
 * `feed` package split only the first). Every document is parsed back by the check gate before
 * it is published.
 */
import { escapeUTF8 } from "entities";
import { stripXmlIllegal } from "../text.ts";
import type { FeedSafeHtml } from "../html.ts";
import type { Article } from "../article.ts";

/**
 * Text content or attribute value: `&`, `<`, `>`, `"`, `'` escaped, illegal characters removed.
 * A carriage return is written as `&#13;`: a literal one is turned into a line feed by every
 * XML parser (XML 1.0 §2.11), so RSS/Atom would carry other text than JSON Feed.
 */
export function x(value: string | number): string {
  let s = stripXmlIllegal(String(value));
  if (!NEEDS_ESCAPE.test(s)) return s;
  s = escapeUTF8(s);
  return s.includes("\r") ? s.replace(/\r/g, "&#13;") : s;
}

// A quick test first: most text has nothing to escape, and this runs on every field.
const NEEDS_ESCAPE = /[&<>"'\r]/;

/**
 * HTML as element content: a CDATA section. Escaping a 5 KB body costs ~15x more than copying it,
 * and bodies are most of a feed's bytes. Only HTML feedSafeHtml made (an item's content) comes
 * here, so it is not scanned again: no character XML cannot carry, and a literal CR, which a CDATA
 * section would carry as LF (XML 1.0 §2.11), already written as `&#13;`.
 */
export function elFeedSafe(name: string, html: FeedSafeHtml, attrs?: Record<string, string | number | undefined>): string {
  const s = html.includes("]]>") ? html.replaceAll("]]>", "]]]]><![CDATA[>") : html;
  return `<${name}${attributes(attrs)}><![CDATA[${s}]]></${name}>`;
}

/**
 * Plain text in an RSS element that readers may take for HTML (RSS 2.0 says nothing of whether
 * `title`, `category` and the like may carry it): `&`, `<` and `>` as hexadecimal character
 * references, "the form of encoding that works in the widest number of aggregators" (RSS Best
 * Practices Profile, "Character Data": a publisher "should encode "&" and "<" in plain text using
 * hexadecimal character references", and `>` as `&#x3E;`). An XML parser reads the same text as
 * from `&amp;`/`&lt;`. Illegal characters removed and CR kept, as x().
 */
export function elText(name: string, text: string | undefined): string {
  if (text === undefined) return "";
  let s = stripXmlIllegal(text);
  if (PLAIN_NEEDS_ESCAPE.test(s)) s = s.replace(/[&<>\r]/g, (c) => PLAIN_REFS[c]!);
  return `<${name}>${s}</${name}>`;
}

const PLAIN_NEEDS_ESCAPE = /[&<>\r]/;
const PLAIN_REFS: Record<string, string> = { "&": "&#x26;", "<": "&#x3C;", ">": "&#x3E;", "\r": "&#13;" };

/** An attribute value: as x(), and tab and line feed as references, which attribute-value
 * normalisation (XML 1.0 §3.3.3) would otherwise turn into spaces. */
function attr(value: string | number): string {
  return x(value).replace(/\t/g, "&#9;").replace(/\n/g, "&#10;");
}

/** `<name attr="v">text</name>`, or nothing when the text is absent. */
export function el(name: string, text: string | number | undefined, attrs?: Record<string, string | number | undefined>): string {
  if (text === undefined) return "";
  return `<${name}${attributes(attrs)}>${x(text)}</${name}>`;
}

export function empty(name: string, attrs: Record<string, string | number | undefined>): string {
  return `<${name}${attributes(attrs)}/>`;
}

function attributes(attrs?: Record<string, string | number | undefined>): string {
  if (!attrs) return "";
  let out = "";
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) out += ` ${k}="${attr(v)}"`;
  return out;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * Media RSS `media:content` for an item's image, with its credit: RSS and Atom alike. No
 * `media:description`: feedparser reads it as the item's description wherever Media RSS lets it
 * stand (written last it replaced the summary's `summary_detail`, and was the summary of an item
 * without one; first, it took the summary's place), so readers built on it showed the photo's
 * caption as the item's summary. The caption and alt are in the content's figure.
 */
export function mediaContent(img: NonNullable<Article["image"]>): string {
  return `<media:content url="${x(img.url)}" type="${x(img.type)}" medium="image">${el("media:credit", img.credit)}</media:content>`;
}
