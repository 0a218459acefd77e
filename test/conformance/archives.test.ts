/**
 * RFC 5005 archives as outside parsers see them: following `prev-archive` (RSS, Atom) or
 * `next_url` (JSON Feed) from the main feed reaches every published item exactly once; every
 * document links itself, its alternates, the hub and (archive pages) the current feed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { buildCorpus, CORPUS_ARTICLES, CORPUS_HUB, xmlPaths, type BuiltTree } from "../support/built.ts";
import { feedparserDump, type FpDocument, type JsonFeedDoc } from "../support/parsers.ts";

const FEED_BASE = "https://corpus.example.com/feeds/";
const keyOf = (url: string) => {
  expect(url.startsWith(FEED_BASE), url).toBe(true);
  return url.slice(FEED_BASE.length);
};
const expectedIds = () =>
  Array.from({ length: CORPUS_ARTICLES }, (_, i) => `https://corpus.example.com/articles/article-${String(i).padStart(6, "0")}`);

describe("archives of the generated corpus", () => {
  let tree: BuiltTree;
  let dump: Record<string, FpDocument>;
  const fp = (key: string) => dump[tree.path(key)]!;
  const linkOf = (key: string, rel: string) => fp(key).feed.links.filter((l) => l.rel === rel).map((l) => l.href);

  /** Item ids met while walking from `start` along `next`, one list per document. */
  async function walk(start: string, read: (key: string) => Promise<{ ids: string[]; next?: string }>) {
    const seen: string[] = [];
    const visited: string[] = [];
    for (let key: string | undefined = start; key !== undefined; ) {
      expect(visited, "a cycle in the archive chain").not.toContain(key);
      visited.push(key);
      const page = await read(key);
      seen.push(...page.ids);
      key = page.next === undefined ? undefined : keyOf(page.next);
    }
    return { seen, visited };
  }

  beforeAll(async () => {
    tree = await buildCorpus();
    dump = feedparserDump(xmlPaths(tree));
  });

  it("has archive pages", () => {
    expect(tree.prefixes.filter((p) => p.startsWith("archive/")).length).toBeGreaterThanOrEqual(Math.floor(CORPUS_ARTICLES / 50) - 1);
  });

  it.each(["feed.xml", "atom.xml"])("following prev-archive from %s reaches every item exactly once", async (file) => {
    const { seen, visited } = await walk(file, async (key) => ({
      ids: fp(key).items.map((i) => i.id!),
      next: linkOf(key, "prev-archive")[0] ?? undefined,
    }));
    expect(visited.length).toBe(tree.prefixes.filter((p) => !p.startsWith("tags/")).length);
    expect([...seen].sort()).toEqual(expectedIds());
  });

  it("following next_url from feed.json reaches every item exactly once", async () => {
    const { seen } = await walk("feed.json", async (key) => {
      const doc = JSON.parse(await tree.text(key)) as JsonFeedDoc;
      return { ids: doc.items.map((i) => i.id!), next: doc.next_url };
    });
    expect([...seen].sort()).toEqual(expectedIds());
  });

  it("every archive page links the current feed in its own format (rel=current) and is marked fh:archive", async () => {
    for (const p of tree.prefixes.filter((x) => x.startsWith("archive/"))) {
      expect(linkOf(`${p}feed.xml`, "current")).toEqual([`${FEED_BASE}feed.xml`]);
      expect(linkOf(`${p}atom.xml`, "current")).toEqual([`${FEED_BASE}atom.xml`]);
      for (const f of ["feed.xml", "atom.xml"]) expect(await tree.text(p + f)).toContain("<fh:archive/>");
    }
  });

  it("the oldest archive page has no prev-archive link; the others have one", () => {
    const chain = tree.prefixes.filter((p) => !p.startsWith("tags/"));
    const withoutPrev = chain.filter((p) => linkOf(`${p}atom.xml`, "prev-archive").length === 0);
    expect(withoutPrev).toEqual(["archive/1/"]);
  });

  it("every RSS and Atom document links itself with its own media type", () => {
    for (const p of tree.prefixes) {
      for (const [file, type] of [["feed.xml", "application/rss+xml"], ["atom.xml", "application/atom+xml"]]) {
        const self = fp(p + file).feed.links.filter((l) => l.rel === "self");
        expect(self.map((l) => [l.href, l.type])).toEqual([[FEED_BASE + p + file, type]]);
      }
    }
  });

  it("every RSS and Atom document links the other two formats as alternates", () => {
    for (const p of tree.prefixes) {
      for (const file of ["feed.xml", "atom.xml"]) {
        const alternates = fp(p + file).feed.links.filter((l) => l.rel === "alternate" && l.type !== "text/html");
        const others = ["feed.xml", "atom.xml", "feed.json"].filter((f) => f !== file).map((f) => FEED_BASE + p + f);
        expect(alternates.map((l) => l.href).sort()).toEqual(others.sort());
      }
    }
  });

  it("the main and tag documents name the WebSub hub (RSS/Atom rel=hub, JSON Feed hubs); archive pages, which are never pinged, do not", async () => {
    expect(tree.prefixes.some((p) => p.startsWith("archive/"))).toBe(true);
    for (const p of tree.prefixes) {
      const hubs = p.startsWith("archive/") ? [] : [CORPUS_HUB];
      expect(linkOf(`${p}feed.xml`, "hub"), p).toEqual(hubs);
      expect(linkOf(`${p}atom.xml`, "hub"), p).toEqual(hubs);
      const doc = JSON.parse(await tree.text(`${p}feed.json`)) as JsonFeedDoc;
      expect(doc.hubs ?? [], p).toEqual(hubs.map((url) => ({ type: "WebSub", url })));
    }
  });

  it("every document carries the site language in every format", async () => {
    for (const p of tree.prefixes) {
      expect(fp(`${p}feed.xml`).feed.language).toBe("en");
      expect(fp(`${p}atom.xml`).feed.language).toBe("en");
      expect((JSON.parse(await tree.text(`${p}feed.json`)) as JsonFeedDoc).language).toBe("en");
    }
  });

  it("JSON Feed documents name their own URL as feed_url, archive pages the main feed's (the feed's identifier, as Atom archive pages keep its id)", async () => {
    for (const p of tree.prefixes) {
      const own = p.startsWith("archive/") ? "" : p;
      expect((JSON.parse(await tree.text(`${p}feed.json`)) as JsonFeedDoc).feed_url, p).toBe(`${FEED_BASE}${own}feed.json`);
    }
  });
});
