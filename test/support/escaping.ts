/**
 * Escaping cases shared by the RSS and Atom renderer tests (the feed-library notes list where
 * a naive XML writer breaks): what the document must and must not contain for a title, a
 * summary and content that hold each case.
 */
import { expect, it } from "vitest";
import type { Article } from "../../functions/core/article.ts";
import { feedSafeHtml } from "../../functions/core/html.ts";
import { renderOne } from "./model.ts";
import { xmllintText } from "./parsers.ts";

export interface XmlEscapingCase {
  name: string;
  item: Partial<Article>;
  contains: string[];
  notContains: string[];
  /**
   * RSS only, replacing `contains`: its description is HTML, so a plain-text summary is
   * HTML-escaped first; its plain-text elements (title, category, dc:creator) write `&`, `<` and
   * `>` as hexadecimal references, as the RSS Best Practices Profile advises (render/xml.ts elText).
   */
  rssContains?: string[];
}

export const XML_ESCAPING_CASES: XmlEscapingCase[] = [
  { name: "an ampersand (AT&T)", item: { title: "AT&T & friends" }, contains: ["AT&amp;T &amp; friends"], rssContains: ["<title>AT&#x26;T &#x26; friends</title>"], notContains: ["AT&T"] },
  {
    name: "a literal <b> in a title",
    item: { title: "Use <b> for bold" },
    contains: ["Use &lt;b&gt; for bold"],
    rssContains: ["<title>Use &#x3C;b&#x3E; for bold</title>"],
    notContains: ["<b>"],
  },
  { name: "a less-than sign", item: { summary: "x < y" }, contains: ["x &lt; y"], rssContains: ["x &amp;lt; y"], notContains: ["x < y"] },
  {
    name: "]]> twice in title, summary and content",
    item: { title: "a ]]> b ]]> c", summary: "s ]]> t ]]> u", contentHtml: feedSafeHtml("<p>p ]]&gt; q ]]> r</p>") },
    // Text is escaped; HTML content is CDATA with every "]]>" split across two sections.
    contains: ["a ]]&gt; b ]]&gt; c", "s ]]&gt; t ]]&gt; u", "<![CDATA[<p>p ]]&gt; q ]]]]><![CDATA[> r</p>]]>"],
    rssContains: ["a ]]&#x3E; b ]]&#x3E; c", "s ]]&amp;gt; t ]]&amp;gt; u", "<![CDATA[<p>p ]]&gt; q ]]]]><![CDATA[> r</p>]]>"],
    notContains: ["a ]]> b", "s ]]> t", "q ]]> r"],
  },
  {
    name: "C0 control characters (removed: XML 1.0 cannot carry them)",
    item: { title: "bell\u0007 nul\u0000 esc\u001B end", summary: "vt\u000B ff\u000C us\u001F" },
    contains: ["bell nul esc end", "vt ff us"],
    notContains: ["\u0000", "\u0007", "\u000B", "\u000C", "\u001B", "\u001F", "&#"],
  },
  {
    name: "lone surrogates (removed)",
    item: { title: "half \uD83D pair \uDE00 whole 🎉" },
    contains: ["half  pair  whole 🎉"],
    notContains: ["\uD83D ", "&#55357;"],
  },
  {
    name: "a carriage return (a reference: parsers turn a literal one into a line feed)",
    item: { summary: "one\rtwo", title: "a\r\nb" },
    contains: ["one&#13;two"],
    notContains: ["\r"],
  },
  { name: "emoji", item: { title: "Emoji 🎉🇹🇷 news", summary: "👍🏽 family 👨‍👩‍👧" }, contains: ["Emoji 🎉🇹🇷 news", "👍🏽 family 👨‍👩‍👧"], notContains: [] },
  {
    name: "right-to-left text",
    item: { title: "مرحبا بالعالم — שלום עולם", summary: "\u202Bembedded\u202C" },
    contains: ["مرحبا بالعالم — שלום עולם", "\u202Bembedded\u202C"],
    notContains: [],
  },
  {
    name: "Turkish letters",
    item: { title: "İğdır, Çeşme ve Gümüşhane", authors: [{ name: "Fatih Aktaş" }] },
    contains: ["İğdır, Çeşme ve Gümüşhane", "Fatih Aktaş"],
    notContains: ["&#"],
  },
];

/** The escaping tests of an XML renderer: each case's text is (not) in the item's fragment, and xmllint accepts the document. */
export function xmlEscapingTests(format: "rss" | "atom", fragmentOf: (doc: string) => string): void {
  it.each(XML_ESCAPING_CASES)("escapes $name", ({ item, contains, rssContains, notContains }) => {
    const doc = renderOne(format, item);
    for (const s of (format === "rss" && rssContains) || contains) expect(fragmentOf(doc)).toContain(s);
    for (const s of notContains) expect(fragmentOf(doc)).not.toContain(s);
  });

  it.each(XML_ESCAPING_CASES)("stays well-formed for xmllint with $name", ({ item }) => {
    expect(xmllintText(renderOne(format, item))).toEqual({ status: 0, stderr: "" });
  });
}
