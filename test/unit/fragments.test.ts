import { describe, expect, it } from "vitest";
import { FragmentCache } from "../../functions/core/render/context.ts";
import { outputBytes, renderOutputs, wasRendered } from "../../functions/core/render/index.ts";
import { planDocuments } from "../../functions/core/documents.ts";
import { buildModel } from "../../functions/core/model.ts";
import { createHash } from "node:crypto";
import { render, TEST_NOW, testArticle, testSite } from "../support/model.ts";
import { feedSafeHtml } from "../../functions/core/html.ts";

describe("FragmentCache", () => {
  it("renders an item's fragment once for all the documents that expect it, and lets it go after the last", () => {
    const cache = new FragmentCache();
    const a = [{ id: "a" }], ab = [{ id: "a" }, { id: "b" }];
    let renders = 0;
    const get = (id: string) => cache.get("rss", id, () => `<item>${id} ${++renders}</item>`);
    cache.expect("rss", ab); // an archive page with a and b
    cache.expect("rss", a); // a tag feed with a
    expect([get("a"), get("b")]).toEqual(["<item>a 1</item>", "<item>b 2</item>"]);
    cache.done("rss", ab);
    // b is in no other document: let go (asked again, it is rendered again); a is still expected.
    expect(get("a")).toBe("<item>a 1</item>");
    expect(get("b")).toBe("<item>b 3</item>");
    cache.done("rss", a);
    expect(get("a")).toBe("<item>a 4</item>");
    // Other formats are counted apart.
    cache.expect("atom", a);
    expect(cache.get("atom", "a", () => "<entry/>")).toBe("<entry/>");
    expect(cache.get("atom", "a", () => "again")).toBe("<entry/>");
  });

  it("checks an item's fragment once per format while it is held, and again once it was let go", () => {
    const cache = new FragmentCache();
    const checks: string[] = [];
    const check = (format: "rss" | "atom", id: string) => cache.checkOnce(format, id, () => checks.push(`${format} ${id}`));
    cache.expect("rss", [{ id: "a" }]);
    cache.expect("rss", [{ id: "a" }]);
    check("rss", "a");
    check("rss", "a");
    check("atom", "a");
    cache.done("rss", [{ id: "a" }]);
    check("rss", "a"); // still expected by a second document: not checked again
    cache.done("rss", [{ id: "a" }]);
    check("rss", "a"); // let go: a new fragment would be rendered, so it is checked again
    expect(checks).toEqual(["rss a", "atom a", "rss a"]);
    // A failed check is not remembered: the next document's gate runs it again.
    expect(() => cache.checkOnce("json", "b", () => { throw new Error("bad"); })).toThrow("bad");
    cache.checkOnce("json", "b", () => checks.push("json b"));
    expect(checks.at(-1)).toBe("json b");
  });
});

describe("renderOutputs held", () => {
  it("keeps the body only of the documents it is told to hold; the others keep their size and checksum", () => {
    const articles = Array.from({ length: 7 }, (_, n) => ({ ...testArticle(n), contentHtml: feedSafeHtml(`<p>Body ${n}</p>`) }));
    const model = buildModel(testSite({ items_per_feed: 2, archives: true }), articles, TEST_NOW);
    const specs = planDocuments(model);
    const all = renderOutputs(model, specs);
    const held = renderOutputs(model, specs, undefined, (o) => o.key.startsWith("archive/2/"));
    expect(held.map((o) => [o.key, o.sha256, outputBytes(o)])).toEqual(all.map((o) => [o.key, o.sha256, o.body.byteLength]));
    expect(held.filter((o) => o.body).map((o) => o.key).sort()).toEqual(["archive/2/atom.xml", "archive/2/feed.json", "archive/2/feed.xml"]);
    expect(held.every(wasRendered)).toBe(true);
  });
});

describe("a document's bytes", () => {
  it("are the UTF-8 of the renderer's text, though encoded part by part (one item fragment at a time)", () => {
    const site = testSite();
    const titles = ["Şahin'in açıklaması 😀", "שלום עולם", "a & b < c ]]> d", "Ünlü 𝕏 \u200f"];
    const articles = titles.map((title, n) => testArticle(n, { title, contentHtml: feedSafeHtml(`<p>${n} ğüşıöç 🇹🇷 \u00a0</p>`) }));
    const outputs = renderOutputs(buildModel(site, articles, TEST_NOW));
    for (const [key, format] of [["feed.xml", "rss"], ["atom.xml", "atom"], ["feed.json", "json"], ["tags/libya/feed.xml", "rss"]] as const) {
      const o = outputs.find((x) => x.key === key)!;
      expect(o.body.equals(Buffer.from(render(format, site, articles, key.slice(0, key.lastIndexOf("/") + 1)), "utf8"))).toBe(true);
      expect(o.sha256).toBe(createHash("sha256").update(Buffer.from(o.body.toString("utf8"), "utf8")).digest("hex"));
    }
  });
});
