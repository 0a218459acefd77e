/**
 * Footnotes and embeds in published documents, read by parsers no one here wrote: two articles
 * with footnotes in one feed keep ids of their own in RSS, Atom and JSON Feed (readers show many
 * items on one page), their links point into their own item, and an embed reaches readers as a
 * link (a video's or audio's without its fallback text, its title as written), as does a `www.`
 * address. feedparser, xmllint and the JSON Feed 1.1 schema read every document.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeHTML } from "entities";
import { buildTree, type BuiltTree } from "../support/built.ts";
import { articleText, tree, writeTree } from "../support/content-tree.ts";
import { feedparserDump, jsonFeedValidator, xmllint, type FpDocument, type JsonFeedDoc } from "../support/parsers.ts";
import { footnoteDocId } from "../../functions/core/markdown.ts";

const SITE = "https://news.example.com";
/** An embed's title with what HTML escapes in it: readers must get it as written, escaped once. */
const MEDIA_TITLE = `Q&A: "5 < 6" & the minister's <b>reply</b>`;
const AUDIO_TITLE = `The "reply" & <more>`;
const url = (slug: string) => `${SITE}/articles/${slug}`;

const ARTICLES = {
  rome: articleText({ title: "Rome talks", date: "2020-06-19T10:00:00Z" }, "The ministry said so.[^1] It said it twice.[^1] And the envoy agreed.[^envoy]\n\n[^1]: Statement of 19 June.\n[^envoy]: Interview, *La Stampa*.\n"),
  ankara: articleText({ title: "Ankara talks", date: "2020-06-18T10:00:00Z" }, "Ankara replied.[^1]\n\n[^1]: Statement of 18 June.\n"),
  plain: articleText({ title: "Plain", date: "2020-06-17T10:00:00Z" }, "An ordinary *article*, [a link](/about) and a list:\n\n- one\n- two\n"),
  embed: articleText({ title: "Embed", date: "2020-06-16T10:00:00Z" }, 'Watch this.\n\n<iframe width="560" src="https://www.youtube.com/embed/abc" title="The minister\'s statement"></iframe>\n\n<iframe src="javascript:alert(1)"></iframe>\n\nEnd.'),
  dangling: articleText({ title: "Dangling", date: "2020-06-15T10:00:00Z" }, "A note never written.[^2]\n"),
  media: articleText(
    { title: "Media", date: "2020-06-14T10:00:00Z" },
    [
      "The statement:", "",
      `<video controls title="${MEDIA_TITLE.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}">`,
      '  <source src="/media/statement.webm" type="video/webm">',
      '  <source src="/media/statement.mp4">',
      '  <track kind="captions" src="/media/statement.vtt">',
      "  Your browser does not support the video tag.",
      "</video>", "",
      `Listen: <audio src="/media/reply.mp3" title='${AUDIO_TITLE}'>No audio support.</audio> Then read on.`,
    ].join("\n"),
  ),
  www: articleText({ title: "Www", date: "2020-06-13T10:00:00Z" }, "The report is at www.example.org/report, or (www.example.net).\n"),
};

/** Every `id="…"` in a piece of HTML. */
const idsIn = (html: string) => [...html.matchAll(/\bid="([^"]*)"/g)].map((m) => m[1]!);
/** Every footnote link's href (references and back-references). */
const noteHrefs = (html: string) => [...html.matchAll(/href="([^"]*#fn[^"]*)"/g)].map((m) => m[1]!);

describe("footnotes and embeds, built and read back", () => {
  let built: BuiltTree;
  let dump: Record<string, FpDocument>;
  let json: JsonFeedDoc & { items: { id: string; url: string; content_html?: string }[] };
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "syn-notes-"));
    const content = await writeTree(join(dir, "content"), tree(ARTICLES));
    built = await buildTree("footnotes", content, join(dir, "out"));
    dump = feedparserDump([built.path("feed.xml"), built.path("atom.xml")]);
    json = JSON.parse(await built.text("feed.json")) as typeof json;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Each format's content of an item, by its link. */
  const contents = (slug: string) => {
    const rss = dump[built.path("feed.xml")]!.items.find((i) => i.link === url(slug))!;
    const atom = dump[built.path("atom.xml")]!.items.find((i) => i.link === url(slug))!;
    return {
      rss: rss.content[0]!.value!,
      atom: atom.content[0]!.value!,
      json: json.items.find((i) => i.url === url(slug))!.content_html!,
    };
  };

  it("every document parses: feedparser bozo 0, xmllint, the JSON Feed 1.1 schema", () => {
    for (const file of ["feed.xml", "atom.xml"]) expect([file, dump[built.path(file)]!.bozo, dump[built.path(file)]!.bozo_exception]).toEqual([file, 0, null]);
    expect(xmllint([built.path("feed.xml"), built.path("atom.xml")])).toEqual({ status: 0, stderr: "" });
    expect(jsonFeedValidator()(json)).toEqual([]);
  });

  it("renders footnotes in all three formats alike, with ids of the item's own (a hash of its id)", () => {
    const rome = contents("rome");
    expect(rome.atom).toBe(rome.rss);
    expect(rome.json).toBe(rome.rss);
    const p = footnoteDocId(url("rome"));
    expect(rome.rss).toContain(`The ministry said so.<sup class="footnote-ref"><a href="${url("rome")}#fn-${p}-1" id="fnref-${p}-1">[1]</a></sup>`);
    expect(rome.rss).toContain(`<li id="fn-${p}-2" class="footnote-item"><p>Interview, <em>La Stampa</em>. <a href="${url("rome")}#fnref-${p}-2" class="footnote-backref">\u21a9\uFE0E</a></p>`);
    expect(rome.rss).toContain('<hr class="footnotes-sep" />\n<div class="footnotes">\n<ol class="footnotes-list">');
    expect(rome.rss).not.toMatch(/\[\^|data-syndicate/);
  });

  it("two articles' footnotes have distinct ids, and every footnote link points into its own item", () => {
    const rome = contents("rome"), ankara = contents("ankara");
    const romeIds = idsIn(rome.rss), ankaraIds = idsIn(ankara.rss);
    expect(romeIds).toHaveLength(5); // 3 references (two to [^1]: fnref-…-1, fnref-…-1:1) and 2 notes
    expect(ankaraIds).toHaveLength(2);
    expect(romeIds.filter((id) => ankaraIds.includes(id))).toEqual([]);
    // Unique in the whole document too: every id of every item.
    for (const file of ["feed.xml", "atom.xml"]) {
      const all = dump[built.path(file)]!.items.flatMap((i) => idsIn(i.content[0]?.value ?? ""));
      expect(new Set(all).size).toBe(all.length);
    }
    for (const [slug, c] of [["rome", rome], ["ankara", ankara]] as const) {
      const hrefs = noteHrefs(c.rss);
      expect(hrefs.length).toBeGreaterThan(0);
      for (const href of hrefs) {
        const [page, fragment] = href.split("#");
        expect(page).toBe(url(slug));
        expect(idsIn(c.rss)).toContain(fragment);
      }
    }
  });

  it("an embed with an https src reaches readers as a link; a javascript: one is dropped; both told", () => {
    const embed = contents("embed");
    expect(embed.rss).toBe('<p>Watch this.</p>\n<p><a href="https://www.youtube.com/embed/abc">The minister\'s statement</a></p>\n\n<p>End.</p>');
    expect(embed.json).toBe(embed.rss);
    const told = built.report.warnings.filter((w) => w.file === "articles/embed.md").map((w) => `${w.line}: ${w.message}`);
    expect(told).toEqual([
      "7: <iframe> is published as a link to https://www.youtube.com/embed/abc: an embed is not kept in the feed (readers drop it), its link is; whatever is written between <iframe> and </iframe> is not published",
      '9: not published: <iframe> and its content; README "What HTML an article may contain" lists what is kept',
    ]);
  });

  it("a video whose sources are <source> children, and an audio with a src, reach readers as links with their titles as written, and no fallback text", () => {
    const media = contents("media");
    expect(media.json).toBe(media.rss);
    for (const [format, html] of Object.entries(media)) {
      const links = [...html.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)].map((m) => [m[1], decodeHTML(m[2]!)]);
      expect(links, format).toEqual([[`${SITE}/media/statement.webm`, MEDIA_TITLE], [`${SITE}/media/reply.mp3`, AUDIO_TITLE]]);
      expect(html, format).not.toMatch(/does not support|No audio|<video|<audio|<source|<track|&amp;(?:amp|lt|gt|quot);/);
      expect(html, format).toContain("Then read on.");
    }
    const told = built.report.warnings.filter((w) => w.file === "articles/media.md").map((w) => `${w.line}: ${w.message}`);
    expect(told).toEqual([
      `7: <video> is published as a link to ${SITE}/media/statement.webm: an embed is not kept in the feed (readers drop it), its link is; whatever is written between <video> and </video> is not published`,
      `14: <audio> is published as a link to ${SITE}/media/reply.mp3: an embed is not kept in the feed (readers drop it), its link is; whatever is written between <audio> and </audio> is not published`,
    ]);
  });

  it("a www. address reaches readers as a link to http://www.…, the punctuation after it left out", () => {
    const www = contents("www");
    for (const html of Object.values(www)) {
      expect(html).toBe('<p>The report is at <a href="http://www.example.org/report">www.example.org/report</a>, or (<a href="http://www.example.net/">www.example.net</a>).</p>');
    }
  });

  it("a reference with no definition is published as written, and told", () => {
    expect(contents("dangling").rss).toBe("<p>A note never written.[^2]</p>");
    expect(built.report.warnings.filter((w) => w.file === "articles/dangling.md").map((w) => `${w.line}: ${w.message}`)).toEqual([
      '5: [^2] is published as written: no line "[^2]: …" defines that footnote',
    ]);
    // The defined ones are not told.
    expect(built.report.warnings.filter((w) => w.file === "articles/rome.md" || w.file === "articles/ankara.md")).toEqual([]);
  });

  it("an ordinary article's HTML is what it was before footnotes and embeds", () => {
    expect(contents("plain").rss).toBe(`<p>An ordinary <em>article</em>, <a href="${SITE}/about">a link</a> and a list:</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>`);
  });
});
