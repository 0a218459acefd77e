import { describe, expect, it } from "vitest";
import { render, renderOne, testArticle, testSite } from "../support/model.ts";
import { jsonFeedValidator, type JsonFeedDoc } from "../support/parsers.ts";
import { feedSafeHtml } from "../../functions/core/html.ts";

const parse = (text: string) => JSON.parse(text) as JsonFeedDoc & Record<string, unknown>;

describe("JSON Feed 1.1 renderer", () => {
  it("renders a fixed model as before (snapshot)", () => {
    const site = testSite({ websub_hub: "https://hub.example.com/", icon: "https://news.example.com/icon.png", favicon: "https://news.example.com/fav.png" });
    const articles = [
      testArticle(1, {
        authors: [{ name: "Fatih Aktaş", email: "fatih@example.com" }],
        image: { url: "https://news.example.com/a.jpg", alt: "Alt", caption: "Caption", credit: "AA", type: "image/jpeg" },
        related: [{ title: "Earlier", url: "https://news.example.com/earlier" }],
        source: "Agencies",
        language: "tr",
      }),
      testArticle(2, { id: "tag:news.example.com,2020:2", modified: Date.UTC(2020, 6, 1) }),
    ];
    expect(render("json", site, articles)).toMatchSnapshot();
  });

  it("is valid against the JSON Feed 1.1 schema", () => {
    expect(jsonFeedValidator()(parse(renderOne("json", { image: { url: "https://news.example.com/a.jpg", alt: "A", type: "image/jpeg" } })))).toEqual([]);
  });

  it("declares version 1.1; each item has its authors and the 1.0 author (its first); the feed has neither (miniflux adds a feed's to every item's)", () => {
    const doc = parse(renderOne("json"));
    expect(doc.version).toBe("https://jsonfeed.org/version/1.1");
    expect("authors" in doc || "author" in doc).toBe(false);
    expect(doc.items[0]!.authors).toEqual([{ name: "Ayşe Yılmaz" }]);
    expect(doc.items[0]!.author).toEqual({ name: "Ayşe Yılmaz" });
    const two = parse(renderOne("json", { authors: [{ name: "A" }, { name: "B", url: "https://b.example.com/" }] })).items[0]!;
    expect([two.authors, two.author]).toEqual([[{ name: "A" }, { name: "B", url: "https://b.example.com/" }], { name: "A" }]);
  });

  it("gives an item without HTML its summary as content_text, not an empty content_html, and stays valid", () => {
    const doc = parse(renderOne("json", { contentHtml: feedSafeHtml("") }));
    const item = doc.items[0] as Record<string, unknown>;
    expect("content_html" in item).toBe(false);
    expect(item.content_text).toBe("Summary 1.");
    expect(jsonFeedValidator()(doc)).toEqual([]);
  });

  it("gives an item with neither HTML nor summary an empty content_text (JSON Feed 1.1 requires one of the two)", () => {
    const doc = parse(renderOne("json", { contentHtml: feedSafeHtml(""), summary: undefined }));
    expect(doc.items[0]).toMatchObject({ content_text: "" });
    expect("content_html" in doc.items[0]!).toBe(false);
    expect(jsonFeedValidator()(doc)).toEqual([]);
  });

  it("gives an item with HTML content_html and no content_text", () => {
    const item = parse(renderOne("json")).items[0] as Record<string, unknown>;
    expect(item.content_html).toBe("<p>Body 1.</p>");
    expect("content_text" in item).toBe(false);
  });

  it("gives an author known only by e-mail a mailto: url", () => {
    expect(parse(renderOne("json", { authors: [{ name: "M", email: "m@example.com" }] })).items[0]!.authors).toEqual([
      { name: "M", url: "mailto:m@example.com" },
    ]);
  });

  it("carries the feed language, and an item's own language", () => {
    const doc = parse(renderOne("json", { language: "tr" }, { language: "en-GB" }));
    expect(doc.language).toBe("en-GB");
    expect((doc.items[0] as { language?: string }).language).toBe("tr");
  });

  it("lists the WebSub hub only when websub_hub is set", () => {
    expect(parse(renderOne("json", {}, { websub_hub: "https://hub.example.com/" })).hubs).toEqual([{ type: "WebSub", url: "https://hub.example.com/" }]);
    expect("hubs" in parse(renderOne("json"))).toBe(false);
  });

  it("points next_url at the newest archive page when archives exist", () => {
    const articles = [1, 2, 3, 4, 5].map((n) => testArticle(n));
    expect(parse(render("json", testSite({ items_per_feed: 2 }), articles)).next_url).toBe("https://news.example.com/feeds/archive/2-1/feed.json");
  });

  it("has no next_url when archives are off", () => {
    const articles = [1, 2, 3].map((n) => testArticle(n));
    expect("next_url" in parse(render("json", testSite({ items_per_feed: 2, archives: false }), articles))).toBe(false);
  });

  it("gives every item its id", () => {
    const doc = parse(render("json", testSite(), [testArticle(1), testArticle(2, { id: "urn:x:2" })]));
    expect(doc.items.map((i) => i.id)).toEqual(["urn:x:2", "https://news.example.com/articles/item-1"]);
  });

  it("gives published and modified dates in RFC 3339", () => {
    const item = parse(renderOne("json", { modified: Date.UTC(2020, 5, 25) })).items[0]!;
    expect([item.date_published, item.date_modified]).toEqual(["2020-06-20T15:00:00Z", "2020-06-25T00:00:00Z"]);
  });

  it("carries the image URL and its MIME type, caption and credit in the _syndicate extension", () => {
    const item = parse(renderOne("json", { image: { url: "https://news.example.com/a.jpg", alt: "A", caption: "C", credit: "Fatih Aktaş / AA", type: "image/jpeg" } })).items[0]!;
    expect(item.image).toBe("https://news.example.com/a.jpg");
    expect(item._syndicate?.image).toEqual({ alt: "A", caption: "C", credit: "Fatih Aktaş / AA", mime_type: "image/jpeg" });
  });

  it.each([
    ["an ampersand and a literal <b>", "AT&T uses <b> & </script>"],
    ["]]> twice", "a ]]> b ]]> c"],
    ["emoji", "Emoji 🎉🇹🇷 👨‍👩‍👧"],
    ["right-to-left text", "مرحبا بالعالم — שלום עולם"],
    ["Turkish letters", "İğdır, Çeşme ve Gümüşhane"],
  ])("carries %s in a title unchanged", (_name, title) => {
    expect(parse(renderOne("json", { title })).items[0]!.title).toBe(title);
  });

  it("writes non-ASCII text as UTF-8, not as \\u escapes", () => {
    const text = renderOne("json", { title: "Çeşme 🎉 שלום" });
    expect(text).toContain('"title":"Çeşme 🎉 שלום"');
  });

  it("keeps C0 control characters valid JSON (escaped)", () => {
    const text = renderOne("json", { title: "bell\u0007" });
    expect(text).toContain('"bell\\u0007"');
    expect(parse(text).items[0]!.title).toBe("bell\u0007");
  });

  it("gives the same bytes for the same input", () => {
    expect(renderOne("json", { title: "Çeşme 🎉" })).toBe(renderOne("json", { title: "Çeşme 🎉" }));
  });
});
