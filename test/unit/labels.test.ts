/**
 * site.yaml `labels` (functions/core/labels.ts): the words the build writes into published
 * documents, checked where site.yaml is read, and used in every format; English by default.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { parseSite } from "../../functions/core/content.ts";
import { formatIssue } from "../../functions/core/errors.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { DEFAULT_LABELS, fillLabel, siteLabels } from "../../functions/core/labels.ts";
import { articleHtml } from "../../functions/core/html.ts";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { buildCase } from "../support/hostile.ts";
import { bytes, siteYaml, snapshot, tempDir, tree, writeTree, type Fields } from "../support/content-tree.ts";

const TURKISH = { read_more: "Devamını okuyun", source: "Kaynak: {source}", archive: "{title} (arşiv {page})", tag: "{title} – {tag}" };

/** site.yaml's issues, as the CLI prints them, for the test site with these labels (written as a block, one label a line). */
function told(labels: Record<string, string>): string[] {
  const block = Object.entries(labels).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`).join("");
  return parseSite(bytes(`${siteYaml()}labels:\n${block}`)).issues.map(formatIssue);
}

describe("site.yaml labels", () => {
  it("reads the labels given, and keeps the English default of each one not given", () => {
    const { site, issues } = parseSite(bytes(siteYaml({ language: "tr", labels: { read_more: "Devamını okuyun", archive: "{title} (arşiv {page})" } })));
    expect(issues).toEqual([]);
    expect(siteLabels(site!)).toEqual({ ...DEFAULT_LABELS, read_more: "Devamını okuyun", archive: "{title} (arşiv {page})" });
    expect(siteLabels(parseSite(bytes(siteYaml())).site!)).toEqual({ read_more: "Read more", source: "Source: {source}", archive: "{title} (archive {page})", tag: "{title}: {tag}" });
  });

  it("names site.yaml, the line and the field of a template without the placeholder it needs", () => {
    // The test site.yaml has 5 lines, then `labels:`: the first label is on line 7.
    expect(told({ read_more: "Weiterlesen", source: "Quelle", archive: "{title} (Archiv)", tag: "{title}" })).toEqual([
      `site.yaml:8: labels.source: must hold {source}, where the build writes the source, like the default, "Source: {source}"`,
      `site.yaml:9: labels.archive: must hold {page}, where the build writes the page number, like the default, "{title} (archive {page})"`,
      `site.yaml:10: labels.tag: must hold {tag}, where the build writes the tag, like the default, "{title}: {tag}"`,
    ]);
  });

  it("refuses a placeholder a label does not take (a misspelt one), and a brace outside a placeholder", () => {
    expect(told({ read_more: "Devamı {title}", source: "Kaynak: {kaynak}", archive: "{title} (arşiv { page })", tag: "{title}: {tag}}" })).toEqual([
      `site.yaml:7: labels.read_more: has {title}, which is no placeholder of this label: it takes no placeholder, like the default, "Read more"`,
      `site.yaml:8: labels.source: has {kaynak}, which is no placeholder of this label: its placeholders are {source}, like the default, "Source: {source}"`,
      `site.yaml:9: labels.archive: has { page }, which is no placeholder of this label: its placeholders are {title} and {page}, like the default, "{title} (archive {page})"`,
      `site.yaml:10: labels.tag: has a "}" outside a placeholder: braces are for placeholders only, and its placeholders are {title} and {tag}`,
    ]);
  });

  it(`refuses a label over ${LIMITS.labelChars} characters, an empty one, and one that is not text`, () => {
    const issues = parseSite(bytes(`${siteYaml()}labels:\n  read_more: "${"x".repeat(LIMITS.labelChars + 1)}"\n  source: "  "\n  tag: [a]\n`)).issues.map(formatIssue);
    expect(issues).toEqual([
      `site.yaml:7: labels.read_more: must be at most ${LIMITS.labelChars} characters`,
      "site.yaml:8: labels.source: must not be empty",
      "site.yaml:9: labels.tag: expected the tag feeds' title as text",
    ]);
    expect(told({ read_more: "x".repeat(LIMITS.labelChars) })).toEqual([]);
  });

  it("says to quote a label that YAML reads as a mapping: braces at the start of a value, written without quotes", () => {
    // Valid YAML (`{source}` is a mapping, `{title}: {tag}` one keyed by another), so no YAML error says it.
    const issues = parseSite(bytes(`${siteYaml()}labels:\n  source: {source}   # the source alone\n  tag: {title}: {tag}\n`)).issues.map(formatIssue);
    // Nothing else: not the key "" that YAML also read on line 8, which the editor never wrote.
    expect(issues).toEqual([
      `site.yaml:7: labels.source: expected the source line as text: YAML reads {source} as a mapping (braces at the start of a value); put it in quotes, like "{source}"`,
      `site.yaml:8: labels.tag: expected the tag feeds' title as text: YAML reads {title}: {tag} as a mapping (braces at the start of a value); put it in quotes, like "{title}: {tag}"`,
    ]);
    // Within labels written in braces the line is not the label's own: no quotes to suggest there.
    expect(parseSite(bytes(`${siteYaml()}labels: {source: {source}}\n`)).issues.map(formatIssue)).toEqual(["site.yaml:6: labels.source: expected the source line as text"]);
  });

  it("refuses labels written as one text instead of a mapping, and reads `labels:` left empty as none", () => {
    expect(parseSite(bytes(`${siteYaml()}labels: Devamını okuyun\n`)).issues.map(formatIssue)).toEqual([
      "site.yaml:6: labels: expected a mapping of labels, like read_more: …, each on its own line indented below labels:",
    ]);
    const empty = parseSite(bytes(`${siteYaml()}labels:\n`));
    expect([empty.issues, siteLabels(empty.site!)]).toEqual([[], DEFAULT_LABELS]);
  });

  it("warns about an unknown label, like any unknown setting, naming the one meant, with its line", () => {
    const { site, issues } = parseSite(bytes(`${siteYaml()}labels:\n  read_mroe: Devamı\n  sources: "Kaynak: {source}"\n`));
    expect(site).toBeDefined();
    expect(issues.map(formatIssue)).toEqual([
      "site.yaml:7: warning: labels.read_mroe: unknown setting, ignored: did you mean read_more?",
      "site.yaml:8: warning: labels.sources: unknown setting, ignored: did you mean source?",
    ]);
    expect(siteLabels(site!)).toEqual(DEFAULT_LABELS);
  });

  it("warns about an HTML entity typed into a label (it is plain text, published as typed)", () => {
    expect(told({ read_more: "Q&amp;A" })).toEqual([expect.stringMatching(/^site\.yaml:7: warning: labels\.read_more: .*&amp;/)]);
  });

  it("fills placeholders in one pass: a value that holds a placeholder is written as it is", () => {
    expect(fillLabel("Kaynak: {source}", { source: "{source} & {page}" })).toBe("Kaynak: {source} & {page}");
    expect(fillLabel("{title} ({page}/{page})", { title: "Wire", page: 3 })).toBe("Wire (3/3)");
  });

  it("escapes a label as HTML text around the body", () => {
    const html = articleHtml({ body: "", related: [{ title: "R", url: "https://x.example/" }], source: "AA & <b>", labels: { read_more: "Q&A <i>", source: "« {source} »" } });
    expect(html).toBe(`<aside><p><strong>Q&amp;A &lt;i&gt;</strong></p><ul><li><a href="https://x.example/">R</a></li></ul></aside>\n<p><em>« AA &amp; &lt;b&gt; »</em></p>`);
  });
});

describe("published in the site's labels", () => {
  const ARTICLES: Record<string, Fields> = {
    older: { title: "Older", date: "2020-06-18T10:00:00Z", tags: ["Libya"] },
    newer: {
      title: "Newer",
      date: "2020-06-19T10:00:00Z",
      tags: ["Türkiye"],
      source: "TRT World & agencies",
      related: [{ title: "Earlier talks", url: "https://news.example.com/earlier" }],
    },
  };

  async function published(site: Fields) {
    const dir = await tempDir();
    const content = await writeTree(join(dir, "content"), tree(ARTICLES, { language: "tr", items_per_feed: 1, ...site }));
    return buildCase(content, join(dir, "out"));
  }

  it("writes the related links' heading and the source line in the labels, in RSS, Atom and JSON Feed", async () => {
    const b = await published({ labels: TURKISH });
    const contents = [
      b.feedparser["feed.xml"]!.items[0]!.content[0]!.value,
      b.feedparser["atom.xml"]!.items[0]!.content[0]!.value,
      b.json("feed.json").items[0]!.content_html,
    ];
    for (const html of contents) {
      expect(html).toContain("<strong>Devamını okuyun</strong>");
      expect(html).toContain("<em>Kaynak: TRT World &amp; agencies</em>");
      expect(html).not.toMatch(/Read more|Source:/);
    }
  });

  it("titles the archive pages and tag feeds in the labels, in every format and latest.json", async () => {
    const b = await published({ labels: TURKISH });
    const titles = (prefix: string) => [
      b.feedparser[`${prefix}feed.xml`]!.feed.title,
      b.feedparser[`${prefix}atom.xml`]!.feed.title,
      b.json(`${prefix}feed.json`).title,
      ...(prefix.startsWith("archive/") ? [] : [(JSON.parse(b.bytes[`${prefix}latest.json`]!.toString("utf8")) as { title: string }).title]),
    ];
    expect(titles("archive/1/")).toEqual(Array(3).fill("Test Wire (arşiv 1)"));
    expect(titles("tags/turkiye/")).toEqual(Array(4).fill("Test Wire – Türkiye"));
    expect(titles("tags/libya/")).toEqual(Array(4).fill("Test Wire – Libya"));
    expect(titles("")).toEqual(Array(4).fill("Test Wire"));
    // RSS's <image> carries the channel's title too.
    expect(b.bytes["archive/1/feed.xml"]!.toString("utf8")).not.toContain("(archive 1)");
  });

  it("publishes the same bytes with the English labels written out as with none (the defaults are what was always written)", async () => {
    const outputs = async (site: Fields) => {
      const dir = await tempDir();
      const content = await writeTree(join(dir, "content"), tree(ARTICLES, { items_per_feed: 1, ...site }));
      await build({ source: new DirectoryContent(content), store: new DirectoryStore(join(dir, "out")), now: Date.UTC(2030, 0, 1), cache: false });
      const files = await snapshot(join(dir, "out"));
      return Object.fromEntries(Object.entries(files).filter(([k]) => k !== "manifest.json" && !k.startsWith(".syndicate/")).map(([k, v]) => [k, Buffer.from(v.bytes, "base64").toString("utf8")]));
    };
    const none = await outputs({});
    expect(await outputs({ labels: DEFAULT_LABELS })).toEqual(none);
    expect(none["archive/1/feed.xml"]).toContain("<title>Test Wire (archive 1)</title>");
    expect(none["tags/turkiye/feed.json"]).toContain(`"title":"Test Wire: Türkiye"`);
    expect(none["feed.json"]).toContain("<strong>Read more</strong>");
    expect(none["feed.json"]).toContain("<em>Source: TRT World &amp; agencies</em>");
  });
});
