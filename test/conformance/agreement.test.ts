/**
 * RSS, Atom and JSON Feed, each read by an outside parser, agree item by item (count, order,
 * ids, titles, links, dates) for every main, archive and tag document. RSS 2.0 has no item
 * modification date; ours carry dcterms:modified, which feedparser reads and
 * @rowanmanning/feed-parser does not (it gives the publication date), so RSS `updated` is
 * compared through feedparser only.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { TREES, xmlPaths, type BuiltTree } from "../support/built.ts";
import { feedparserDump, fpItems, jsonItems, rowanItems, type FpDocument, type ItemKey, type JsonFeedDoc } from "../support/parsers.ts";

/** The five escapes a text summary written as HTML carries (render/xml.ts). */
const unescapeHtml = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");

const withoutUpdated = (items: ItemKey[]) => items.map(({ updated: _u, ...rest }) => rest);

describe.each(TREES)("the three formats built from %s", (_name, make) => {
  let tree: BuiltTree;
  let dump: Record<string, FpDocument>;
  const json = async (prefix: string) => jsonItems(JSON.parse(await tree.text(`${prefix}feed.json`)) as JsonFeedDoc, true);

  beforeAll(async () => {
    tree = await make();
    dump = feedparserDump(xmlPaths(tree));
  });

  it("feedparser's Atom items equal the JSON Feed items, dates included", async () => {
    for (const p of tree.prefixes) expect(fpItems(dump[tree.path(`${p}atom.xml`)]!, true), p || "main").toEqual(await json(p));
  });

  it("feedparser's RSS items equal the JSON Feed items, dates included (dcterms:modified)", async () => {
    for (const p of tree.prefixes) expect(fpItems(dump[tree.path(`${p}feed.xml`)]!, true), p || "main").toEqual(await json(p));
  });

  it("feedparser reads each item's summary as JSON Feed's, in summary and summary_detail alike (a photo's caption never takes its place)", async () => {
    for (const p of tree.prefixes) {
      const doc = JSON.parse(await tree.text(`${p}feed.json`)) as JsonFeedDoc;
      for (const file of ["feed.xml", "atom.xml"]) {
        const items = dump[tree.path(`${p}${file}`)]!.items;
        expect(items.map((i) => i.summary_detail), `${p}${file}`).toEqual(items.map((i) => i.summary));
        const withSummary = doc.items.flatMap((j, n) => (j.summary === undefined ? [] : [[n, j.summary] as const]));
        // RSS's description is HTML (feedparser says text/html and leaves it escaped); Atom's summary is text.
        const text = (i: (typeof items)[number]) => (i.summary_type === "text/html" ? unescapeHtml(i.summary ?? "") : i.summary);
        expect(withSummary.map(([n]) => text(items[n]!)), `${p}${file}`).toEqual(withSummary.map(([, s]) => s));
      }
    }
  });

  it("@rowanmanning/feed-parser's Atom items equal the JSON Feed items, dates included", async () => {
    for (const p of tree.prefixes) expect(rowanItems(await tree.text(`${p}atom.xml`), true).items, p || "main").toEqual(await json(p));
  });

  it("@rowanmanning/feed-parser's RSS items equal the JSON Feed items (ids, titles, links, published)", async () => {
    for (const p of tree.prefixes) {
      expect(rowanItems(await tree.text(`${p}feed.xml`), false).items, p || "main").toEqual(withoutUpdated(await json(p)));
    }
  });

  it("every document lists its items newest first", async () => {
    for (const p of tree.prefixes) {
      const dates = (await json(p)).map((i) => i.published);
      expect(dates, p || "main").toEqual([...dates].sort().reverse());
    }
  });

  it("the feed's updated / lastBuildDate is the newest item's modification time in every format", async () => {
    for (const p of tree.prefixes) {
      const items = await json(p);
      const newest = items.map((i) => i.updated!).sort().at(-1);
      expect(dump[tree.path(`${p}atom.xml`)]!.feed.updated, `${p}atom.xml`).toBe(newest);
      expect(dump[tree.path(`${p}feed.xml`)]!.feed.updated, `${p}feed.xml`).toBe(newest);
    }
  });
});
