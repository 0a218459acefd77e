/**
 * An article without a body, read back by parsers no one here wrote: readers show an item's
 * content when it has one, not its summary. A brief whose image, related links or source line
 * give it a content must carry its summary there too, or readers show a photo and "Source: AFP"
 * with none of its text; a link post with nothing else has no content, and readers show its
 * summary. feedparser, @rowanmanning/feed-parser and the JSON Feed 1.1 schema read the documents.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFeed } from "@rowanmanning/feed-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTree, type BuiltTree } from "../support/built.ts";
import { articleText, tree, writeTree } from "../support/content-tree.ts";
import { feedparserDump, jsonFeedValidator, type FpDocument, type JsonFeedDoc } from "../support/parsers.ts";

const SITE = "https://news.example.com";
const SUMMARY = "Rome & Ankara agree to resume talks <next week>.";
const ARTICLES = {
  brief: articleText(
    { title: "Brief", date: "2020-06-19T10:00:00Z", summary: SUMMARY, source: "AFP", image: { url: `${SITE}/i.jpg`, alt: "Alt", caption: "Ministers in Ankara", credit: "AA" } },
    "",
  ),
  link: articleText({ title: "Link post", date: "2020-06-18T10:00:00Z", summary: SUMMARY }, ""),
};

describe("an article without a body, built and read back", () => {
  let built: BuiltTree;
  let dump: Record<string, FpDocument>;
  let json: JsonFeedDoc;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "syn-bodiless-"));
    built = await buildTree("bodiless", await writeTree(join(dir, "content"), tree(ARTICLES)), join(dir, "out"));
    dump = feedparserDump([built.path("feed.xml"), built.path("atom.xml")]);
    json = JSON.parse(await built.text("feed.json")) as JsonFeedDoc;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** What a reader shows as the item's text, in each format: its content, else its summary. */
  const shown = async (slug: string) => {
    const link = `${SITE}/articles/${slug}`;
    const fp = (file: string) => {
      const i = dump[built.path(file)]!.items.find((x) => x.link === link)!;
      return i.content[0]?.value ?? i.summary ?? "";
    };
    const rowan = async (file: string) => {
      const i = parseFeed(await readFile(built.path(file), "utf8")).items.find((x) => x.url === link)!;
      return i.content ?? i.description ?? "";
    };
    const j = json.items.find((i) => i.url === link)!;
    return {
      "feedparser rss": fp("feed.xml"),
      "feedparser atom": fp("atom.xml"),
      "rowan rss": await rowan("feed.xml"),
      "rowan atom": await rowan("atom.xml"),
      json: j.content_html ?? j.content_text ?? "",
    };
  };

  it("every document parses: feedparser bozo 0, the JSON Feed 1.1 schema", () => {
    for (const file of ["feed.xml", "atom.xml"]) expect([file, dump[built.path(file)]!.bozo]).toEqual([file, 0]);
    expect(jsonFeedValidator()(json)).toEqual([]);
  });

  it("a brief with an image and a source shows its summary in every format, between the photo and the source line", async () => {
    for (const [reader, html] of Object.entries(await shown("brief"))) {
      // rowan gives the HTML with its entities decoded in text.
      expect(html.replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">"), reader).toMatch(
        /<\/figure>\n<p>Rome & Ankara agree to resume talks <next week>\.<\/p>\n<p><em>Source: AFP<\/em><\/p>$/,
      );
    }
  });

  it("a link post with nothing else shows its summary, once", async () => {
    for (const [reader, text] of Object.entries(await shown("link"))) {
      expect(text.replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">"), reader).toBe(SUMMARY);
    }
  });
});
