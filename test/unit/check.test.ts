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
