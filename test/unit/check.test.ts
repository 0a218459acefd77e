/**
 * The check gate's JSON Feed validator is Ajv's standalone code, generated ahead of time
 * (scripts/jsonfeed-validator.ts): it must be what the schema gives today, and judge documents
 * as a validator compiled at run time does.
 */
import { describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { JSONFEED_VALIDATOR, jsonFeedValidatorText } from "../../scripts/jsonfeed-validator.ts";
import { checkJsonFeed, checkLatest, checkXml, checkXmlFragment } from "../../functions/core/check.ts";
import { RenderCheckError } from "../../functions/core/errors.ts";
import { jsonFeedValidator } from "../support/parsers.ts";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadContent } from "../../functions/core/content.ts";
import { buildModel } from "../../functions/core/model.ts";
import { planDocuments } from "../../functions/core/documents.ts";
import { renderBody } from "../../functions/core/article.ts";
import { DEFAULT_LABELS } from "../../functions/core/labels.ts";
import { documentContext, PLACEHOLDERS } from "../../functions/core/render/context.ts";
import { renderRss, rssItem } from "../../functions/core/render/rss.ts";
import { renderAtom, atomEntry } from "../../functions/core/render/atom.ts";
import { article as corpusArticle, siteYaml as corpusSite } from "../support/corpus.ts";
import { contentFiles, type Tree } from "../support/content-tree.ts";

/** content/ as a tree. */
function contentDirTree(): Tree {
  const root = join(import.meta.dirname, "../../content");
  const t: Tree = { "site.yaml": readFileSync(join(root, "site.yaml")) };
  for (const n of readdirSync(join(root, "articles"))) t[`articles/${n}`] = readFileSync(join(root, "articles", n));
  return t;
}

const feed = (extra: Record<string, unknown> = {}, item: Record<string, unknown> = {}) => ({
  version: "https://jsonfeed.org/version/1.1",
  title: "T",
  home_page_url: "https://example.com/",
  feed_url: "https://example.com/feed.json",
  items: [{ id: "https://example.com/a", url: "https://example.com/a", content_html: "<p>x</p>", date_published: "2020-06-19T10:00:00Z", ...item }],
  ...extra,
});

describe("JSON Feed check", () => {
  it("uses generated code that matches the schema (run `npx tsx scripts/jsonfeed-validator.ts` when it does not)", async () => {
    expect(await readFile(JSONFEED_VALIDATOR, "utf8")).toBe(jsonFeedValidatorText());
  });

  const cases: [string, unknown][] = [
    ["valid", feed()],
    ["wrong version", feed({ version: "https://jsonfeed.org/version/9" })],
    ["feed_url not a URI", feed({ feed_url: "not a uri" })],
    ["bad date", feed({}, { date_published: "19 June 2020" })],
    ["title not text", feed({ title: 5 })],
    ["no items", { ...feed(), items: undefined }],
    ["author without anything", feed({ authors: [{}] })],
    ["tags not a list", feed({}, { tags: "x" })],
    ["image not a URI", feed({}, { image: "::" })],
  ];
  it("has cases on both sides", () => {
    const verdicts = cases.map(([, doc]) => jsonFeedValidator()(doc).length === 0);
    expect(verdicts.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThanOrEqual(5);
  });

  it.each(cases)("judges %s as Ajv compiling the schema at run time does", (_name, doc) => {
    const expected = jsonFeedValidator()(doc).length === 0;
    const ours = (() => {
      try {
        checkJsonFeed("feed.json", JSON.stringify(doc));
        return true;
      } catch (err) {
        expect(err).toBeInstanceOf(RenderCheckError);
        return false;
      }
    })();
    expect(ours).toBe(expected);
  });

  it("names the document and the item of a failure", () => {
    expect(() => checkJsonFeed("tags/x/feed.json", JSON.stringify(feed({}, { date_published: "yesterday" })))).toThrow(/tags\/x\/feed\.json.*\/items\/0\/date_published/);
  });
});

describe("XML check", () => {
  it("names the document of a broken skeleton", () => {
    expect(() => checkXml("tags/x/atom.xml", '<?xml version="1.0"?><feed><title>a</feed>')).toThrow(/tags\/x\/atom\.xml: not well-formed XML/);
    expect(() => checkXml("atom.xml", '<?xml version="1.0"?><feed><i/><i/></feed>')).not.toThrow();
  });

  it("names the document and the item of a broken fragment, and accepts fragments using the feeds' namespaces", () => {
    const bad = () => checkXmlFragment("feed.xml", "https://example.com/a", "<item><title>a &amp; b</title><description>x</item>");
    expect(bad).toThrow(RenderCheckError);
    expect(bad).toThrow(/^feed\.xml \(item https:\/\/example\.com\/a\): not well-formed XML: .*item fragment/);
    expect(() => checkXmlFragment("feed.xml", "x", '<item><dc:creator>A</dc:creator><content:encoded><![CDATA[<p>x]]]]><![CDATA[>y</p>]]></content:encoded><media:content url="https://e.com/i.jpg"/></item>')).not.toThrow();
    expect(() => checkXmlFragment("atom.xml", "x", "<entry><title>t</title></entry><entry><title>u</title></entry>")).not.toThrow();
  });

  // What fast-xml-parser's validator lets through, and what the gate checks by itself.
  it.each([
    ["a C0 control inside CDATA", "<item><content:encoded><![CDATA[<p>a\u0001b</p>]]></content:encoded></item>", /U\+0001 is not an XML 1\.0 character \(line 1\)/],
    ["a lone surrogate in text", "<item><title>a\uD800b</title></item>", /U\+D800 is not an XML 1\.0 character/],
    ["U+FFFF in an attribute, on line 2", '<item>\n<media:content url="https://e.com/\uFFFF"/></item>', /U\+FFFF is not an XML 1\.0 character \(line 2\)/],
    ["]]> in text content", "<item><title>a ]]> b</title></item>", /"\]\]>" outside a CDATA section/],
    ["]]> right after a CDATA section", "<item><description><![CDATA[x]]>y]]></description></item>", /"\]\]>" outside a CDATA section/],
    ["an unterminated CDATA section", "<item><description><![CDATA[x</description></item>", /not well-formed XML: .*item fragment/],
    ["a CDATA section inside a start tag", "<item <![CDATA[x]]>><title>t</title></item>", /not well-formed XML: .*item fragment/],
  ])("rejects %s, naming the item", (_name, fragment, message) => {
    expect(() => checkXmlFragment("feed.xml", "https://example.com/a", fragment)).toThrow(message);
    expect(() => checkXmlFragment("feed.xml", "https://example.com/a", fragment)).toThrow(/^feed\.xml \(item https:\/\/example\.com\/a\)/);
    expect(() => checkXml("feed.xml", `<rss>${fragment}</rss>`)).toThrow(RenderCheckError);
  });

  // `<![CDATA[` where no section can begin must not hide what follows it from the validator.
  it.each([
    ["a comment", "<item><!-- <![CDATA[ --><unclosed> ]]> --></item>"],
    ["an attribute value", '<item><a t="<![CDATA["><b></a>]]>"/></item>'],
    ["a processing instruction", "<item><?pi <![CDATA[ ?><open> ]]> ?></item>"],
  ])("does not take <![CDATA[ in %s for a section", (_where, fragment) => {
    expect(() => checkXmlFragment("feed.xml", "x", fragment)).toThrow(/not well-formed XML/);
    expect(() => checkXml("feed.xml", `<?xml version="1.0"?><r>${fragment}</r>`)).toThrow(/not well-formed XML/);
  });

  it("accepts ]]> where XML allows it (attribute values, comments), and reports lines as they are after a section", () => {
    expect(() => checkXmlFragment("feed.xml", "x", '<item><a t="]]>"/><!-- ]]> --></item>')).not.toThrow();
    expect(() => checkXml("atom.xml", "<feed>\n<content><![CDATA[a\nb\nc]]></content>\n<title>t</feed>")).toThrow(/line 5/);
  });

  it("accepts every character XML can carry in CDATA, text and attributes, emoji and right-to-left text included", () => {
    const text = "\t\n\r &amp; ş İ 😀 שלום \uE000 \uFFFD";
    expect(() => checkXmlFragment("feed.xml", "x", `<item><title a="${text}">${text}</title><description><![CDATA[<p>${text.replace("&amp;", "&")} <![CDATA[ ]]]]><![CDATA[></p>]]></description></item>`)).not.toThrow();
  });
});

describe("latest.json check", () => {
  const latest = { version: 1, title: "T", home_page_url: "https://example.com/", feed_url: "https://example.com/tags/x/feed.json", tag: "x", updated: null, item: null, items: [] };

  it("accepts a valid document", () => {
    expect(() => checkLatest("tags/x/latest.json", JSON.stringify(latest))).not.toThrow();
  });

  it("names the document and the field of a schema failure", () => {
    const bad = () => checkLatest("tags/x/latest.json", JSON.stringify({ ...latest, title: 5 }));
    expect(bad).toThrow(RenderCheckError);
    expect(bad).toThrow(/^tags\/x\/latest\.json: does not match the latest\.json schema: \/title /);
  });

  it("names the document when it is not JSON at all", () => {
    const bad = () => checkLatest("tags/x/latest.json", '{"version": 1,');
    expect(bad).toThrow(RenderCheckError);
    expect(bad).toThrow(/^tags\/x\/latest\.json: not valid JSON: /);
  });
});

/**
 * The gate checks each XML document as its skeleton (every item an empty element, PLACEHOLDERS)
 * and each item's fragment once (render/index.ts). That proves the document well-formed only if
 * the document is exactly its skeleton with each `<i/>` replaced by the item's fragment, in
 * order. Checked here on every RSS and Atom document of a generated corpus (escaping cases,
 * Turkish, right-to-left, emoji), archives and tag feeds included, and of content/.
 */
describe("the XML gate's premise: a document is its skeleton with the fragments put in", () => {
  it.each([
    ["a generated corpus", () => ({ ...Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`articles/article-${i}.md`, corpusArticle(i, { articles: 130, itemsPerFeed: 20 })])), "site.yaml": corpusSite({ itemsPerFeed: 20, archives: true }) })],
    ["content/", () => contentDirTree()],
  ])("%s", (_name, make) => {
    const loaded = loadContent(contentFiles(make()));
    if (!loaded.site) throw new Error(JSON.stringify(loaded.issues));
    const model = buildModel(loaded.site, loaded.articles, Date.UTC(2030, 0, 1));
    for (const a of model.items) renderBody(a, DEFAULT_LABELS);
    const specs = planDocuments(model);
    expect(specs.filter((s) => s.kind === "archive").length + specs.filter((s) => s.kind === "tag").length).toBeGreaterThan(0);
    let documents = 0;
    for (const spec of specs) {
      const ctx = documentContext(model.site, spec);
      for (const [render, item] of [[renderRss, rssItem], [renderAtom, atomEntry]] as const) {
        const fragments = spec.items.map((i) => item(i));
        const real = render(ctx, { get: (_f, id) => fragments[spec.items.findIndex((i) => i.id === id)]! });
        const parts = render(ctx, PLACEHOLDERS).split("<i/>");
        expect(parts.length).toBe(spec.items.length + 1);
        expect(parts.reduce((doc, part, n) => doc + fragments[n - 1]! + part)).toBe(real);
        documents++;
      }
    }
    expect(documents).toBe(specs.length * 2);
  });
});
