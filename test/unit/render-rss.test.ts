import { describe, expect, it } from "vitest";
import { render, renderOne, testArticle, testSite } from "../support/model.ts";
import { xmlEscapingTests } from "../support/escaping.ts";
import { feedSafeHtml } from "../../functions/core/html.ts";

const itemOf = (doc: string) => doc.slice(doc.indexOf("<item>"), doc.indexOf("</item>") + "</item>".length);

describe("RSS 2.0 renderer", () => {
  it("renders a fixed model as before (snapshot)", () => {
    const site = testSite({ websub_hub: "https://hub.example.com/", copyright: "© 2020 Test", icon: "https://news.example.com/icon.png" });
    const articles = [
      testArticle(1, {
        authors: [{ name: "Fatih Aktaş", email: "fatih@example.com" }, { name: "Desk" }],
        image: { url: "https://news.example.com/a.jpg", alt: "Alt", caption: "Caption", credit: "AA", type: "image/jpeg" },
        language: "tr",
      }),
      testArticle(2, { id: "tag:news.example.com,2020:2", modified: Date.UTC(2020, 6, 1) }),
    ];
    expect(render("rss", site, articles)).toMatchSnapshot();
  });

  xmlEscapingTests("rss", itemOf);

  it("escapes a tag feed's title, a category and an author's name with < and &, as hexadecimal references (RSS Best Practices Profile)", () => {
    const doc = render("rss", testSite({ copyright: "© R&D" }), [testArticle(1, { tags: [{ name: "R&D <lab>", slug: "r-d-lab" }], authors: [{ name: "Smith & <Jones>", email: "s@example.com" }] })], "tags/r-d-lab/");
    expect(doc).toContain("<title>Test Wire: R&#x26;D &#x3C;lab&#x3E;</title>");
    expect(doc).toContain("<category>R&#x26;D &#x3C;lab&#x3E;</category>");
    expect(doc).toContain("<dc:creator>Smith &#x26; &#x3C;Jones&#x3E;</dc:creator>");
    expect(doc).toContain("<author>s@example.com (Smith &#x26; &#x3C;Jones&#x3E;)</author>");
    expect(doc).toContain("<copyright>© R&#x26;D</copyright>");
    // Not the named entities anywhere in those elements; the HTML description keeps its own escaping.
    expect(doc).not.toMatch(/<(?:title|category|dc:creator|author|copyright)>[^<]*&(?:amp|lt|gt);/);
  });

  it("writes <author> only for an author with an e-mail address", () => {
    const doc = renderOne("rss", { authors: [{ name: "With Mail", email: "w@example.com" }, { name: "No Mail" }] });
    expect(doc).toContain("<author>w@example.com (With Mail)</author>");
    expect(doc).not.toContain("No Mail)</author>");
    expect(doc.match(/<author>/g)).toHaveLength(1);
  });

  it("writes one <author> even when several authors have e-mail addresses (RSS 2.0 has one per item)", () => {
    const doc = renderOne("rss", { authors: [{ name: "A", email: "a@example.com" }, { name: "B", email: "b@example.com" }] });
    expect(doc.match(/<author>/g)).toHaveLength(1);
    expect(doc).toContain("<author>a@example.com (A)</author>");
    expect(doc).toContain("<dc:creator>B</dc:creator>");
  });

  it("writes no <author> when the first author has no e-mail address, though a later one has (readers take <author> for the item's author)", () => {
    const doc = renderOne("rss", { authors: [{ name: "Lead" }, { name: "Second", email: "s@example.com" }] });
    expect(doc).not.toContain("<author>");
    expect(doc.match(/<dc:creator>[^<]*<\/dc:creator>/g)).toEqual(["<dc:creator>Lead</dc:creator>", "<dc:creator>Second</dc:creator>"]);
  });

  it("writes no content:encoded for an item without HTML, keeping its summary in the description", () => {
    const item = itemOf(renderOne("rss", { contentHtml: feedSafeHtml("") }));
    expect(item).not.toContain("content:encoded");
    expect(item).toContain("<description>Summary 1.</description>");
    expect(itemOf(renderOne("rss"))).toContain("<content:encoded><![CDATA[<p>Body 1.</p>]]></content:encoded>");
  });

  it("gives an empty feed no lastBuildDate", () => {
    expect(render("rss", testSite(), [])).not.toContain("<lastBuildDate>");
  });

  it("names every author in dc:creator", () => {
    const doc = renderOne("rss", { authors: [{ name: "With Mail", email: "w@example.com" }, { name: "No Mail" }] });
    expect(doc.match(/<dc:creator>[^<]*<\/dc:creator>/g)).toEqual(["<dc:creator>With Mail</dc:creator>", "<dc:creator>No Mail</dc:creator>"]);
  });

  it("marks the guid as a permalink only when the id is the item's URL", () => {
    expect(renderOne("rss")).toContain('<guid isPermaLink="true">https://news.example.com/articles/item-1</guid>');
    expect(renderOne("rss", { id: "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427" })).toContain(
      '<guid isPermaLink="false">urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427</guid>',
    );
  });

  it("sets lastBuildDate to the newest item modification, not the newest publication", () => {
    const site = testSite();
    const edited = testArticle(1, { modified: Date.UTC(2021, 2, 3, 4, 5, 6) });
    expect(render("rss", site, [edited, testArticle(2)])).toContain("<lastBuildDate>Wed, 03 Mar 2021 04:05:06 GMT</lastBuildDate>");
  });

  it("gives an image an enclosure with its MIME type and length 0 when its size is unknown", () => {
    const doc = renderOne("rss", { image: { url: "https://news.example.com/a.jpg", alt: "A", type: "image/jpeg" } });
    expect(doc).toContain('<enclosure url="https://news.example.com/a.jpg" length="0" type="image/jpeg"/>');
  });

  it("links the hub only when websub_hub is set", () => {
    expect(renderOne("rss", {}, { websub_hub: "https://hub.example.com/" })).toContain(
      '<atom:link rel="hub" href="https://hub.example.com/"/>',
    );
    expect(renderOne("rss")).not.toContain('rel="hub"');
  });

  it("links the older archive page from the main feed", () => {
    // A filling page (1 item of 2): its key names its count; a full one has none.
    const doc = render("rss", testSite({ items_per_feed: 2 }), [1, 2, 3].map((n) => testArticle(n)));
    expect(doc).toContain('<atom:link rel="prev-archive" href="https://news.example.com/feeds/archive/1-1/feed.xml"/>');
    const full = render("rss", testSite({ items_per_feed: 2 }), [1, 2, 3, 4].map((n) => testArticle(n)));
    expect(full).toContain('<atom:link rel="prev-archive" href="https://news.example.com/feeds/archive/1/feed.xml"/>');
  });

  it("gives the same bytes for the same input", () => {
    expect(renderOne("rss", { title: "Çeşme 🎉" })).toBe(renderOne("rss", { title: "Çeşme 🎉" }));
  });
});
