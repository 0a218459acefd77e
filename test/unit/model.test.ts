import { describe, expect, it } from "vitest";
import { buildModel, groupByTag, newestModified } from "../../functions/core/model.ts";
import { loadContent } from "../../functions/core/content.ts";
import { contentFiles, tree, TEST_SITE, type Fields } from "../support/content-tree.ts";

const NOW = Date.parse("2024-01-01T00:00:00Z");

/** Parsed articles from `slug → fields` (no errors; warnings as `warned` allows). */
function articles(specs: Record<string, Fields>, warned: string[] = []) {
  const r = loadContent(contentFiles(tree(specs)));
  const unexpected = r.issues.filter((i) => i.severity === "error" || !warned.includes(i.field));
  if (unexpected.length) throw new Error(JSON.stringify(unexpected));
  return r.articles;
}

const model = (specs: Record<string, Fields>, now = NOW) => buildModel(TEST_SITE, articles(specs), now);
const slugs = (items: { slug: string }[]) => items.map((i) => i.slug);

describe("buildModel", () => {
  it("orders items newest first", () => {
    expect(slugs(model({ a: { date: "2020-01-01" }, b: { date: "2022-01-01" }, c: { date: "2021-01-01" } }).items)).toEqual(["b", "c", "a"]);
  });

  it("breaks ties of the same date by id", () => {
    const m = model({ z: { date: "2020-01-01", id: "urn:b" }, y: { date: "2020-01-01", id: "urn:a" }, x: { date: "2020-01-01", id: "urn:c" } });
    expect(m.items.map((i) => i.id)).toEqual(["urn:a", "urn:b", "urn:c"]);
  });

  it("compares instants, not the text of dates in different zones", () => {
    const m = model({ a: { date: "2020-06-19T10:00:00+03:00" }, b: { date: "2020-06-19T08:00:00Z" } });
    expect(slugs(m.items)).toEqual(["b", "a"]);
  });

  it("leaves drafts out and counts them", () => {
    const m = model({ a: {}, b: { draft: true } });
    expect([slugs(m.items), m.drafts]).toEqual([["a"], 1]);
  });

  it("leaves future-dated items out and counts them as scheduled", () => {
    const m = model({ a: {}, b: { date: "2025-01-01T00:00:00Z" } });
    expect([slugs(m.items), m.scheduled]).toEqual([["a"], 1]);
  });

  it("reports the earliest scheduled publication", () => {
    const m = model({ a: { date: "2026-01-01T00:00:00Z" }, b: { date: "2025-03-01T09:30:00Z" }, c: { date: "2027-01-01" } });
    expect(m.nextPublication).toBe(Date.parse("2025-03-01T09:30:00Z"));
  });

  it("does not report a draft's future date as the next publication", () => {
    expect(model({ a: { date: "2025-01-01", draft: true } }).nextPublication).toBeUndefined();
  });

  it("publishes an item dated exactly now", () => {
    expect(slugs(model({ a: { date: "2024-01-01T00:00:00Z" } }).items)).toEqual(["a"]);
  });

  it("publishes a scheduled item once its time has come", () => {
    const specs = { a: { date: "2025-01-01T00:00:00Z" } };
    expect(slugs(model(specs, Date.parse("2025-01-01T00:00:01Z")).items)).toEqual(["a"]);
  });
});

describe("groupByTag", () => {
  it("merges tags that share a slug across articles (Türkiye / turkiye)", () => {
    // Two spellings of one tag draw a warning (content.ts tagSpellings), and still make one tag.
    const m = buildModel(TEST_SITE, articles({ a: { date: "2021-01-01", tags: ["Türkiye"] }, b: { date: "2020-01-01", tags: ["turkiye"] } }, ["tags"]), NOW);
    expect(groupByTag(m.items).map((g) => [g.tag.slug, slugs(g.items)])).toEqual([["turkiye", ["a", "b"]]]);
  });

  it("lists tags in slug order, items newest first within each", () => {
    const m = model({ a: { date: "2020-01-01", tags: ["Libya", "Italy"] }, b: { date: "2021-01-01", tags: ["Libya"] } });
    expect(groupByTag(m.items).map((g) => [g.tag.slug, slugs(g.items)])).toEqual([["italy", ["a"]], ["libya", ["b", "a"]]]);
  });

  it("gives a tag without Latin letters a stable slug", () => {
    const m = model({ a: { tags: ["ليبيا"] } });
    // Pinned: its feed's URL must never move (the first 12 hex of the SHA-256 of its NFC form),
    // whatever builds it, in whatever process, and however it was typed (NFD too).
    expect(groupByTag(m.items)[0]?.tag.slug).toBe("t-98be7147c933");
    expect(groupByTag(model({ b: { tags: ["ليبيا"] } }).items)[0]?.tag.slug).toBe("t-98be7147c933");
    expect(groupByTag(model({ c: { tags: ["Ελλάδα".normalize("NFD")] } }).items)[0]?.tag.slug).toBe(groupByTag(model({ c: { tags: ["Ελλάδα"] } }).items)[0]?.tag.slug);
  });

  it("has no group for a draft's tags", () => {
    expect(groupByTag(model({ a: { tags: ["Secret"], draft: true } }).items)).toEqual([]);
  });
});

describe("newestModified", () => {
  it("is the latest update among items", () => {
    const m = model({ a: { date: "2020-01-01", updated: "2023-05-05T00:00:00Z" }, b: { date: "2022-01-01" } });
    expect(newestModified(m.items)).toBe(Date.parse("2023-05-05T00:00:00Z"));
  });

  it("is undefined without items", () => {
    expect(newestModified([])).toBeUndefined();
  });
});
