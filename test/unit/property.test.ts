/**
 * Property tests (fast-check): arbitrary titles, summaries and Markdown bodies (full Unicode,
 * C0 controls, lone surrogates, markup characters) never yield a document that fails the check
 * gate, xmllint or JSON.parse; and what the formats can carry comes back the same from
 * libxml2 (RSS, Atom) and JSON.parse (JSON Feed). The one documented loss: characters XML 1.0
 * cannot carry are removed (and titles are whitespace-normalised) at the content boundary.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeHTML } from "entities";
import { parseArticle, renderBody, type Article } from "../../functions/core/article.ts";
import { DEFAULT_LABELS } from "../../functions/core/labels.ts";
import { feedSafeHtml } from "../../functions/core/html.ts";
import { buildModel } from "../../functions/core/model.ts";
import { renderOutputs } from "../../functions/core/render/index.ts";
import { cleanLine } from "../../functions/core/text.ts";
import { testArticle, testSite, TEST_NOW } from "../support/model.ts";
import { xmllintXpath, xmllintText, type JsonFeedDoc } from "../support/parsers.ts";

const RUNS = { numRuns: 120 };
/** Separates two values in one xmllint --xpath answer; generated text never contains it. */
const SEP = "⟪⟫";

const tricky = fc.constantFrom(
  "&", "<", ">", "]]>", '"', "'", "\r", "\n", "\r\n", "\t", " ", "\u0000", "\u0007", "\u001F", "\u007F", "\u0085",
  "\uD83D", "\uDE00", "\uFFFE", "🎉", "👨‍👩‍👧", "İ", "ş", "ı", "e\u0301", "م", "ש", "\u202E", "\u00A0", "\u2028",
  "*", "#", "`", "[", "](", ")", "!", "\\", "&amp;", "&#13;", "&#0;", "<b>", "</script>", "<!--", "- ", "> ", "1. ",
);
const anyText = (maxLength: number) =>
  fc
    .oneof(
      fc.string({ unit: "binary", maxLength }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength }),
      fc.string({ unit: tricky, maxLength: Math.ceil(maxLength / 2) }),
    )
    .filter((s) => !s.includes("⟪"));

/** A YAML double-quoted scalar in pure ASCII: every other UTF-16 unit as a \u escape, so the
 * generated value (lone surrogates and controls included) reaches the schema as it is. */
const yamlString = (s: string) =>
  JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

// The documented normal forms (functions/core/text.ts): XML-illegal characters removed, NFC;
// titles also have runs of whitespace collapsed and are trimmed, summaries are trimmed.
// eslint-disable-next-line no-control-regex
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const expectedTitle = (s: string) => s.normalize("NFC").replace(XML_ILLEGAL, "").replace(/\s+/g, " ").trim();
const expectedSummary = (s: string) => s.normalize("NFC").replace(XML_ILLEGAL, "").trim();

/** An article file with the given parts, through the real content boundary. */
function articleFrom(title: string, summary: string, body: string, tag = "Tag"): Article {
  const text = [
    "---",
    `title: ${yamlString(`T ${title}`)}`,
    "date: 2020-06-19T18:00:00+03:00",
    `summary: ${yamlString(`S ${summary}`)}`,
    `tags: [${yamlString(`G ${tag}`)}]`,
    "---",
    body,
  ].join("\n");
  const site = testSite();
  const { article, issues } = parseArticle("articles/prop.md", new TextEncoder().encode(text), site);
  expect(issues.filter((i) => i.severity === "error")).toEqual([]);
  // Warnings (raw HTML the allow-list removed) may come; never an error.
  expect(renderBody(article!, DEFAULT_LABELS).filter((i) => i.severity === "error")).toEqual([]);
  return article!;
}

/** Every main document, rendered and passed through the check gate (which throws on failure). */
function documents(article: Article) {
  const outputs = renderOutputs(buildModel(testSite(), [article], TEST_NOW));
  const text = (key: string) => outputs.find((o) => o.key === key)!.body.toString("utf8");
  return { rss: text("feed.xml"), atom: text("atom.xml"), json: JSON.parse(text("feed.json")) as JsonFeedDoc };
}

const RSS_ITEM = "//item";
const ATOM_ENTRY = "//*[local-name()='entry']";
const field = (parent: string, name: string) => `${parent}/*[local-name()='${name}']`;
/** Two fields of the one item, as libxml2 reads them. */
function xmlPair(xml: string, parent: string, a: string, b: string): [string, string] {
  const r = xmllintXpath(xml, `concat(${field(parent, a)}, '${SEP}', ${field(parent, b)})`);
  expect(r.stderr).toBe("");
  const [x, y] = r.value.split(SEP);
  return [x!, y!];
}

describe("arbitrary content through the content boundary", () => {
  it("never yields a document that fails the check gate, xmllint or JSON.parse", () => {
    fc.assert(
      fc.property(anyText(80), anyText(200), anyText(400), (title, summary, body) => {
        const docs = documents(articleFrom(title, summary, body));
        expect(xmllintText(docs.rss)).toEqual({ status: 0, stderr: "" });
        expect(xmllintText(docs.atom)).toEqual({ status: 0, stderr: "" });
        expect(docs.json.items).toHaveLength(1);
      }),
      RUNS,
    );
  });

  it("brings the title and summary back intact from RSS, Atom and JSON Feed", () => {
    fc.assert(
      fc.property(anyText(80), anyText(200), (title, summary) => {
        const docs = documents(articleFrom(title, summary, "Body."));
        const want = [expectedTitle(`T ${title}`), expectedSummary(`S ${summary}`)];
        // RSS description is HTML to readers: the plain-text summary is carried HTML-escaped.
        const [rssTitle, rssDescription] = xmlPair(docs.rss, RSS_ITEM, "title", "description");
        expect([rssTitle, decodeHTML(rssDescription)]).toEqual(want);
        expect(xmlPair(docs.atom, ATOM_ENTRY, "title", "summary")).toEqual(want);
        expect([docs.json.items[0]!.title, docs.json.items[0]!.summary]).toEqual(want);
      }),
      RUNS,
    );
  });

  it("brings the same content HTML back from RSS, Atom and JSON Feed", () => {
    fc.assert(
      // Bodies with no HTML every run, not only when the generator happens on one.
      fc.property(fc.oneof(anyText(400), fc.constantFrom("", " \n\t", "<!-- note -->")), (body) => {
        const docs = documents(articleFrom("Title", "Summary", body));
        const item = docs.json.items[0]!;
        // A body with no HTML (white space, a lone comment) has no content element in any format:
        // JSON Feed carries the summary as content_text instead, RSS and Atom nothing.
        const html = item.content_html ?? "";
        if (item.content_html === undefined) expect(item.content_text).toBe("S Summary");
        else expect([item.content_html === "", item.content_text]).toEqual([false, undefined]);
        const count = String(html === "" ? 0 : 1);
        expect(xmllintXpath(docs.rss, `count(${field(RSS_ITEM, "encoded")})`)).toEqual({ value: count, stderr: "" });
        expect(xmllintXpath(docs.atom, `count(${field(ATOM_ENTRY, "content")})`)).toEqual({ value: count, stderr: "" });
        expect(xmlPair(docs.rss, RSS_ITEM, "encoded", "title")[0]).toBe(html);
        expect(xmlPair(docs.atom, ATOM_ENTRY, "content", "title")[0]).toBe(html);
      }),
      RUNS,
    );
  });

  it("brings a tag back intact as an Atom category term (an attribute), an RSS category and a JSON tag", () => {
    fc.assert(
      fc.property(anyText(40), (tag) => {
        const docs = documents(articleFrom("Title", "Summary", "Body.", tag));
        const want = expectedTitle(`G ${tag}`);
        expect(xmllintXpath(docs.atom, `string(${field(ATOM_ENTRY, "category")}/@term)`)).toEqual({ value: want, stderr: "" });
        expect(xmllintXpath(docs.rss, `string(${field(RSS_ITEM, "category")})`)).toEqual({ value: want, stderr: "" });
        expect(docs.json.items[0]!.tags).toEqual([want]);
      }),
      RUNS,
    );
  });
});

// Titles, summaries and tags straight into an article; its content as every article's content is
// made (renderBody's feedSafeHtml: the type FeedSafeHtml allows nothing else), which the
// renderers do not scan again.
describe("arbitrary text given to the renderers directly (no content boundary but the content's)", () => {
  it("never yields a document that fails the check gate or xmllint", () => {
    fc.assert(
      fc.property(anyText(80), anyText(200), anyText(200), anyText(40), (title, summary, html, tag) => {
        const article = testArticle(1, { title, summary, contentHtml: feedSafeHtml(html), tags: [{ name: tag, slug: "t" }] });
        const docs = documents(article);
        expect(xmllintText(docs.rss)).toEqual({ status: 0, stderr: "" });
        expect(xmllintText(docs.atom)).toEqual({ status: 0, stderr: "" });
      }),
      RUNS,
    );
  });
});

describe("cleanLine", () => {
  it("is the documented normal form of a line, white space of every kind included", () => {
    const spaces = [" ", "  ", "\t", "\n", "\u00a0", "\u2028", "\u3000", "\ufeff", " \u00a0 "];
    const piece = fc.oneof(fc.string({ unit: "binary", maxLength: 6 }), fc.constantFrom(...spaces));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const s = parts.join("");
        expect(cleanLine(s)).toBe(expectedTitle(s));
      }),
      { numRuns: 2000 },
    );
  });
});
