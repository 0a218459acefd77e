/**
 * Every published document of content/ and of a generated 520-article corpus, read by parsers
 * no one here wrote: feedparser (bozo must be 0), xmllint, the JSON Feed 1.1 schema and
 * @rowanmanning/feed-parser.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { TREES, xmlPaths, type BuiltTree } from "../support/built.ts";
import { feedparserDump, jsonFeedValidator, rowanItems, xmllint, type FpDocument, type JsonFeedDoc } from "../support/parsers.ts";

describe.each(TREES)("documents built from %s", (_name, make) => {
  let tree: BuiltTree;
  let dump: Record<string, FpDocument>;

  beforeAll(async () => {
    tree = await make();
    dump = feedparserDump(xmlPaths(tree));
  });

  it("publishes main, archive and tag documents in all three formats", () => {
    expect(tree.prefixes).toContain("");
    expect(tree.prefixes.some((p) => p.startsWith("tags/"))).toBe(true);
    expect(Object.keys(dump)).toHaveLength(tree.prefixes.length * 2);
  });

  it("feedparser reads every RSS document as RSS 2.0 with bozo 0", () => {
    const rss = tree.prefixes.map((p) => ({ key: `${p}feed.xml`, doc: dump[tree.path(`${p}feed.xml`)]! }));
    expect(rss.filter((d) => d.doc.bozo !== 0).map((d) => `${d.key}: ${d.doc.bozo_exception}`)).toEqual([]);
    expect(new Set(rss.map((d) => d.doc.version))).toEqual(new Set(["rss20"]));
  });

  it("feedparser reads every Atom document as Atom 1.0 with bozo 0", () => {
    const atom = tree.prefixes.map((p) => ({ key: `${p}atom.xml`, doc: dump[tree.path(`${p}atom.xml`)]! }));
    expect(atom.filter((d) => d.doc.bozo !== 0).map((d) => `${d.key}: ${d.doc.bozo_exception}`)).toEqual([]);
    expect(new Set(atom.map((d) => d.doc.version))).toEqual(new Set(["atom10"]));
  });

  it("xmllint finds every RSS and Atom document well-formed and namespace-correct", () => {
    const r = xmllint(xmlPaths(tree));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("every JSON Feed document is valid against the JSON Feed 1.1 schema", async () => {
    const validate = jsonFeedValidator();
    const failures: string[] = [];
    for (const p of tree.prefixes) {
      const doc = JSON.parse(await tree.text(`${p}feed.json`)) as JsonFeedDoc;
      expect(doc.version).toBe("https://jsonfeed.org/version/1.1");
      failures.push(...validate(doc).map((e) => `${p}feed.json ${e}`));
    }
    expect(failures).toEqual([]);
  });

  it("no JSON Feed item lacks an id (readers discard such items)", async () => {
    for (const p of tree.prefixes) {
      const doc = JSON.parse(await tree.text(`${p}feed.json`)) as JsonFeedDoc;
      expect(doc.items.filter((i) => typeof i.id !== "string" || i.id === "")).toEqual([]);
    }
  });

  it("@rowanmanning/feed-parser reads every RSS and Atom document with feedparser's item count", async () => {
    for (const p of tree.prefixes) {
      for (const [file, type] of [["feed.xml", "rss 2.0"], ["atom.xml", "atom 1.0"]] as const) {
        const parsed = rowanItems(await tree.text(p + file), false);
        expect(parsed.type, p + file).toBe(type);
        expect(parsed.items.length, p + file).toBe(dump[tree.path(p + file)]!.items.length);
      }
    }
  });
});
