import { xmllintXpath } from "../support/parsers.ts";
import { describe, expect, it } from "vitest";
import { render, renderOne, testArticle, testSite } from "../support/model.ts";
import { feedSafeHtml } from "../../functions/core/html.ts";
import { xmlEscapingTests } from "../support/escaping.ts";

const entryOf = (doc: string) => doc.slice(doc.indexOf("<entry"), doc.indexOf("</entry>") + "</entry>".length);

describe("Atom 1.0 renderer", () => {
  it("renders a fixed model as before (snapshot)", () => {
    const site = testSite({ websub_hub: "https://hub.example.com/", copyright: "© 2020 Test", icon: "https://news.example.com/icon.png" });
    const articles = [
      testArticle(1, {
        authors: [{ name: "Fatih Aktaş", email: "fatih@example.com", url: "https://news.example.com/fatih" }],
        image: { url: "https://news.example.com/a.jpg", alt: "Alt", caption: "Caption", credit: "AA", type: "image/jpeg", length: 1234 },
        related: [{ title: "Earlier & later", url: "https://news.example.com/earlier" }],
        language: "tr",
      }),
      testArticle(2, { id: "tag:news.example.com,2020:2", modified: Date.UTC(2020, 6, 1) }),
    ];
    expect(render("atom", site, articles)).toMatchSnapshot();
  });

  xmlEscapingTests("atom", entryOf);

  it("gives every category a term, escaped in the attribute", () => {
    const doc = renderOne("atom", { tags: [{ name: 'R&D <lab> "x"', slug: "r-d-lab-x" }, { name: "Türkiye", slug: "turkiye" }] });
    expect(doc).toContain('<category term="R&amp;D &lt;lab&gt; &quot;x&quot;"/>');
    expect(doc).toContain('<category term="Türkiye"/>');
  });

  it("declares the summary as text, so markup-like text stays text", () => {
    const doc = renderOne("atom", { summary: "The <new> rules & more" });
    expect(doc).toContain('<summary type="text">The &lt;new&gt; rules &amp; more</summary>');
  });

  it("declares the content as HTML and carries it in CDATA", () => {
    expect(renderOne("atom", { contentHtml: feedSafeHtml("<p>A &amp; B</p>") })).toContain('<content type="html"><![CDATA[<p>A &amp; B</p>]]></content>');
  });

  it("writes no content for an entry without HTML; the entry keeps its summary and its rel=alternate link (RFC 4287 §4.1.2)", () => {
    const entry = entryOf(renderOne("atom", { contentHtml: feedSafeHtml("") }));
    expect(entry).not.toContain("<content");
    expect(entry).toContain('<summary type="text">Summary 1.</summary>');
    expect(entry).toContain('<link rel="alternate" type="text/html" href="https://news.example.com/articles/item-1"/>');
  });

  it("lists the site's text/html alternate link before the self link (feed-extractor took the first for the site)", () => {
    const doc = renderOne("atom");
    const head = doc.slice(0, doc.indexOf("<entry"));
    const links = [...head.matchAll(/<link rel="([^"]+)" type="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(links.slice(0, 2)).toEqual(["alternate text/html", "self application/atom+xml"]);
  });

  it("gives content with ]]> twice back intact to an XML parser", () => {
    const html = "<p>a ]]> b ]]&gt; c ]]> d</p>";
    const doc = renderOne("atom", { contentHtml: feedSafeHtml(html) });
    expect(xmllintXpath(doc, "string(//*[local-name()='entry']/*[local-name()='content'])").value).toBe(html);
  });

  it("sets the feed's updated to the newest item modification, not the newest publication", () => {
    const edited = testArticle(1, { modified: Date.UTC(2021, 2, 3, 4, 5, 6) });
    const doc = render("atom", testSite(), [edited, testArticle(2)]);
    expect(doc.slice(0, doc.indexOf("<entry"))).toContain("<updated>2021-03-03T04:05:06Z</updated>");
  });

  it("gives the entry published and updated dates", () => {
    const doc = renderOne("atom", { modified: Date.UTC(2020, 5, 25) });
    expect(entryOf(doc)).toContain("<published>2020-06-20T15:00:00Z</published><updated>2020-06-25T00:00:00Z</updated>");
  });

  it("sets xml:lang on the feed, and on an entry in another language", () => {
    const doc = renderOne("atom", { language: "tr" }, { language: "en-GB" });
    expect(doc).toContain('xml:lang="en-GB"');
    expect(doc).toContain('<entry xml:lang="tr">');
  });

  it("names the site as the feed author when the site lists none (RFC 4287 §4.1.1)", () => {
    expect(renderOne("atom", { authors: [] }, { authors: undefined })).toContain("<author><name>Test Wire</name></author>");
  });

  it("gives the image an enclosure link with its MIME type", () => {
    const doc = renderOne("atom", { image: { url: "https://news.example.com/a.jpg", alt: "A", type: "image/jpeg" } });
    expect(doc).toContain('<link rel="enclosure" type="image/jpeg" href="https://news.example.com/a.jpg"/>');
  });

  it("marks an archive page and links the current feed and the older page", () => {
    const articles = [1, 2, 3, 4, 5].map((n) => testArticle(n));
    const doc = render("atom", testSite({ items_per_feed: 2 }), articles, "archive/2-1/");
    expect(doc).toContain("<fh:archive/>");
    expect(doc).toContain('<link rel="current" href="https://news.example.com/feeds/atom.xml"/>');
    expect(doc).toContain('<link rel="prev-archive" href="https://news.example.com/feeds/archive/1/atom.xml"/>');
  });

  it("links the hub only when websub_hub is set", () => {
    expect(renderOne("atom", {}, { websub_hub: "https://hub.example.com/" })).toContain('<link rel="hub" href="https://hub.example.com/"/>');
    expect(renderOne("atom")).not.toContain('rel="hub"');
  });

  it("gives the same bytes for the same input", () => {
    expect(renderOne("atom", { title: "Çeşme 🎉" })).toBe(renderOne("atom", { title: "Çeşme 🎉" }));
  });
});
