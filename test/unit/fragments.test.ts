import { describe, expect, it } from "vitest";
import { FragmentCache } from "../../functions/core/render/context.ts";

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
});
