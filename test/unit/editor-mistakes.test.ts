/**
 * Mistakes editors make in front matter and site.yaml (the editor-mistakes audit), each told
 * through `validate` as the command prints it (path:line: [warning: ]field: message): a key that
 * is a known one misspelt or capitalised (an error for `draft`, or the article meant to be held
 * back would be published), empty values from CMS exports, two authors written as one, a number
 * quoted as written, URLs of local copies, a date a year or more ahead, time zones that do not
 * do what their names suggest, and no warning drawn from the placeholder settings.
 */
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { parseArticle } from "../../functions/core/article.ts";
import { ContentError, formatIssue } from "../../functions/core/errors.ts";
import { build, validate } from "../../functions/pipeline/build.ts";
import { TEST_SITE, bytes, siteYaml, snapshot, tempDir, writeTree, type Fields } from "../support/content-tree.ts";

const DAY = 86_400_000;

/** An article file from its front matter lines (line 2 on). */
const article = (...lines: string[]) => `---\n${lines.join("\n")}\n---\nThe talks resumed on Thursday.\n`;
const TITLE = "title: Libya talks resume";
const DATE = "date: 2020-06-25T10:00:00+03:00";

async function contentDir(articles: Record<string, string>, site: string | Fields = {}): Promise<string> {
  const t: Record<string, string> = { "site.yaml": typeof site === "string" ? site : siteYaml(site) };
  for (const [slug, text] of Object.entries(articles)) t[`articles/${slug}.md`] = text;
  return writeTree(join(await tempDir(), "content"), t);
}

/** What validate tells of the tree, as the command prints it (without the directory's path). */
async function told(articles: Record<string, string>, site: string | Fields = {}): Promise<string[]> {
  return (await validate(new DirectoryContent(await contentDir(articles, site)))).issues.map(formatIssue);
}

/** Ordinary content: none of these checks says anything of it. */
const ORDINARY = {
  full: article(
    TITLE,
    DATE,
    "summary: Delegations met again.",
    "updated: 2020-06-26T09:00:00+03:00",
    "authors:",
    "  - name: Jane Doe",
    "    url: https://news.example.com/staff/jane",
    "  - Ali Veli",
    "tags: [Libya, Diplomacy]",
    "image:",
    "  url: https://news.example.com/images/a.jpg",
    "  alt: Delegates at the table",
    "related:",
    "  - title: Earlier talks",
    "    url: https://example.org/earlier",
    "source: Wire desk",
    "draft: false",
    "language: en",
    "url: https://news.example.com/2020/talks",
  ),
  plain: article(TITLE, "date: 2020-06-25", "authors: Jane Doe"),
};

describe("ordinary content", () => {
  it("draws none of these warnings, in front matter or site.yaml", async () => {
    const site = { authors: [{ name: "Desk", url: "https://example.com/about" }], icon: "https://example.com/i.png", timezone: "Europe/Istanbul" };
    expect(await told(ORDINARY, site)).toEqual([]);
  });
});

describe("0. a value that YAML reads as a mapping", () => {
  it("is told once, by its error: no warning for the key YAML also read on that line", async () => {
    // `{Breaking}: Libya talks` is a mapping keyed by a mapping: YAML also reads a key "null" there.
    expect(await told({ a: article("title: {Breaking}: Libya talks", DATE, "colour: red") })).toEqual([
      `articles/a.md:2: title: expected the title as text: YAML reads {Breaking}: Libya talks as a mapping (braces at the start of a value); put it in quotes, like "{Breaking}: Libya talks"`,
      // An unknown key on a line of its own is still told.
      "articles/a.md:4: warning: colour: unknown field, ignored (known: title, date, id, slug, url, summary, updated, authors, tags, image, source, draft, language, related)",
    ]);
  });
});

describe("1. a key that is a known key misspelt or capitalised", () => {
  it("names the key meant in its warning", async () => {
    expect(await told({ a: article(TITLE, DATE, "sumary: Delegations met again.", "author: Jane Doe", "Tags: [Libya]", "categroies: [Libya]") })).toEqual([
      "articles/a.md:4: warning: sumary: unknown field, ignored: did you mean summary?",
      "articles/a.md:5: warning: author: unknown field, ignored: did you mean authors?",
      "articles/a.md:6: warning: Tags: unknown field, ignored: did you mean tags?",
      // Not near a known key: the list of them.
      "articles/a.md:7: warning: categroies: unknown field, ignored (known: title, date, id, slug, url, summary, updated, authors, tags, image, source, draft, language, related)",
    ]);
  });

  it("is an error for a look-alike of draft asking to hold the article back: as written it would be published", async () => {
    expect(await told({ a: article(TITLE, DATE, "darft: true"), b: article(TITLE, DATE, "Draft: true"), c: article(TITLE, DATE, "DRAFTS: true"), d: article(TITLE, DATE, "drafts: yes") })).toEqual([
      "articles/a.md:4: darft: did you mean draft? As written, the article would be published",
      "articles/b.md:4: Draft: did you mean draft? As written, the article would be published",
      "articles/c.md:4: DRAFTS: did you mean draft? As written, the article would be published",
      "articles/d.md:4: drafts: did you mean draft? As written, the article would be published",
    ]);
    // Asking for publication, or a word two edits away (a key of the editor's own): a warning.
    expect(await told({ a: article(TITLE, DATE, "Draft: false"), b: article(TITLE, DATE, "grant: true"), c: article(TITLE, DATE, "dart: true") })).toEqual([
      "articles/a.md:4: warning: Draft: unknown field, ignored: did you mean draft?",
      "articles/b.md:4: warning: grant: unknown field, ignored: did you mean draft?",
      "articles/c.md:4: warning: dart: unknown field, ignored (known: title, date, id, slug, url, summary, updated, authors, tags, image, source, draft, language, related)",
    ]);
    // With draft itself set, the look-alike changes nothing: a warning.
    expect(await told({ a: article(TITLE, DATE, "draft: true", "Draft: true") })).toEqual(["articles/a.md:5: warning: Draft: unknown field, ignored: did you mean draft?"]);
  });

  it("is an error for another tool's way of holding an article back (published: false, status: draft): as written it would be published", async () => {
    // Jekyll, Hexo and Decap CMS write `published: false`; Pelican and Ghost exports `status: draft`.
    const held = { a: "published: false", b: "Published: no", c: "status: draft", d: "Status: Draft", e: 'published: "false"' };
    const files = Object.fromEntries(Object.entries(held).map(([slug, line]) => [slug, article(TITLE, DATE, line)]));
    expect(await told(files)).toEqual(
      Object.entries(held).map(([slug, line]) => `articles/${slug}.md:4: ${line.split(":")[0]}: is not read: Syndicate holds an article back with draft: true; as written, the article would be published (write draft: true instead)`),
    );
    // Asking for publication, another status, or draft itself written: a warning, as any key of one's own.
    const known = "unknown field, ignored (known: title, date, id, slug, url, summary, updated, authors, tags, image, source, draft, language, related)";
    expect(await told({ a: article(TITLE, DATE, "published: true"), b: article(TITLE, DATE, "status: publish"), c: article(TITLE, DATE, "draft: true", "published: false"), d: article(TITLE, DATE, "draft: false", "status: draft") })).toEqual([
      `articles/a.md:4: warning: published: ${known}`,
      `articles/b.md:4: warning: status: ${known}`,
      `articles/c.md:5: warning: published: ${known}`,
      `articles/d.md:5: warning: status: ${known}`,
    ]);
  });

  it("names the setting meant in site.yaml, and the nested key meant", async () => {
    const site = `${siteYaml()}items_per_feeds: 20\nTimeZone: UTC\nauthors:\n  - name: Desk\n    emial: desk@example.com\n`;
    expect(await told({ a: article(TITLE, DATE) }, site)).toEqual([
      "site.yaml:6: warning: items_per_feeds: unknown setting, ignored: did you mean items_per_feed?",
      "site.yaml:7: warning: TimeZone: unknown setting, ignored: did you mean timezone?",
      "site.yaml:10: warning: authors.0.emial: unknown setting, ignored: did you mean email?",
    ]);
  });

  it("suggests nothing for a key far from every known one, however short", async () => {
    // Two edits from date or tags (name, time, page) is too far for so short a key.
    const known = "unknown field, ignored (known: title, date, id, slug, url, summary, updated, authors, tags, image, source, draft, language, related)";
    expect(await told({ a: article(TITLE, DATE, "ok: 1", "colour: red", "name: N", "time: T", "page: 2") })).toEqual(
      ["ok", "colour", "name", "time", "page"].map((key, i) => `articles/a.md:${i + 4}: warning: ${key}: ${known}`),
    );
    expect(await told({ a: article(TITLE, DATE, "tag: Libya", "data: x") })).toEqual([
      "articles/a.md:4: warning: tag: unknown field, ignored: did you mean tags?",
      "articles/a.md:5: warning: data: unknown field, ignored: did you mean date?",
    ]);
  });
});

describe("2. an empty value from a CMS export", () => {
  it("of an optional field is read as absent", async () => {
    const a = article(TITLE, DATE, "tags:", "authors:", "related:", "summary:", "updated:", "source:", "image:", "id:", "slug:", "url:", "language:");
    expect(await told({ a })).toEqual([]);
    const dir = await contentDir({ a });
    const report = await build({ source: new DirectoryContent(dir), store: new DirectoryStore(join(dir, "..", "out")), now: Date.UTC(2021, 0, 1) });
    expect([report.items, report.warnings]).toEqual([1, []]);
  });

  it("of draft stays an error, and of title or date is required", async () => {
    expect(await told({ a: article(TITLE, DATE, "draft:"), b: article("title:", "date:") })).toEqual([
      "articles/a.md:4: draft: expected true or false",
      "articles/b.md:2: title: is required",
      "articles/b.md:3: date: is required",
    ]);
  });

  it("in site.yaml: an optional setting is absent, a required one is required, timezone says what to write", async () => {
    expect(await told({ a: article(TITLE, DATE) }, `${siteYaml()}authors:\ncopyright:\nicon:\nfavicon:\nwebsub_hub:\n`)).toEqual([]);
    expect(await told({ a: article(TITLE, DATE) }, siteYaml({ title: null, timezone: null }))).toEqual([
      "site.yaml:1: title: is required",
      "site.yaml:6: timezone: expected an IANA time zone like Europe/Istanbul or UTC",
    ]);
  });
});

describe("2b. a value YAML read as empty because it starts with #", () => {
  it("is told, with what to write: the value was a comment", async () => {
    expect(await told({ a: article(TITLE, DATE, "tags: #Libya #Turkey", "summary: #TODO", "source: # a comment meant"), b: article("title: #1 in Ankara", DATE) })).toEqual([
      'articles/a.md:4: warning: tags: is empty: "#" after a space starts a comment, so #Libya #Turkey is not read; write tags: [Libya, Turkey]',
      'articles/a.md:5: warning: summary: is empty: "#" after a space starts a comment, so #TODO is not read; put the value in quotes: summary: "#TODO"',
      'articles/b.md:2: title: is empty: "#" after a space starts a comment, so #1 in Ankara is not read; put the value in quotes: title: "#1 in Ankara"',
    ]);
    expect(await told({ a: article(TITLE, DATE) }, `${siteYaml()}copyright: #1 Wire\n`)).toEqual([
      'site.yaml:6: warning: copyright: is empty: "#" after a space starts a comment, so #1 Wire is not read; put the value in quotes: copyright: "#1 Wire"',
    ]);
  });
});

describe("3. two authors written as one", () => {
  it("warns with the list to write, like tags", async () => {
    expect(
      await told({
        a: article(TITLE, DATE, "authors: Jane Doe, John Smith"),
        b: article(TITLE, DATE, "authors: Jane Doe and John Smith"),
        c: article(TITLE, DATE, "authors: Jane Doe, John Smith and Ali Veli"),
        d: article(TITLE, DATE, "tags: Libya, Turkey"),
      }),
    ).toEqual([
      'articles/a.md:4: warning: authors: is one author, "Jane Doe, John Smith"; for 2 authors write a list: authors: [Jane Doe, John Smith]',
      'articles/b.md:4: warning: authors: is one author, "Jane Doe and John Smith"; for 2 authors write a list: authors: [Jane Doe, John Smith]',
      'articles/c.md:4: warning: authors: is one author, "Jane Doe, John Smith and Ali Veli"; for 3 authors write a list: authors: [Jane Doe, John Smith, Ali Veli]',
      'articles/d.md:4: warning: tags: is one tag, "Libya, Turkey"; for 2 tags write a list: tags: [Libya, Turkey]',
    ]);
    expect(await told({ a: article(TITLE, DATE) }, { authors: "Desk A, Desk B" })).toEqual([
      'site.yaml:6: warning: authors: is one author, "Desk A, Desk B"; for 2 authors write a list: authors: [Desk A, Desk B]',
    ]);
  });

  it("says nothing of one name (surname first too), or of a list", async () => {
    expect(await told({ a: article(TITLE, DATE, "authors: Anderson"), b: article(TITLE, DATE, "authors: [Jane Doe, John Smith]"), c: article(TITLE, DATE, "authors: Doe, Jane") })).toEqual([]);
  });
});

describe("4. a number where text is expected", () => {
  it("is to be quoted as written, not as the number YAML read", async () => {
    expect(await told({ a: article("title: 3.10", DATE), b: article(TITLE, DATE, "tags: [Libya, 1.50]"), c: article(TITLE, DATE, "id: 0012  # the CMS number") })).toEqual([
      'articles/a.md:2: title: expected the title as text: YAML reads 3.10 as a number; put it in quotes, like "3.10"',
      'articles/b.md:4: tags.1: expected a tag as text: YAML reads 1.50 as a number; put it in quotes, like "1.50"',
      'articles/c.md:4: id: expected the id as text: YAML reads 0012 as a number; put it in quotes, like "0012"',
    ]);
    expect(await told({ a: article(TITLE, DATE) }, `${siteYaml()}copyright: 2020.10\n`)).toEqual([
      'site.yaml:6: copyright: expected the copyright line as text: YAML reads 2020.10 as a number; put it in quotes, like "2020.10"',
    ]);
  });
});

describe("5. a URL of a local or staging copy", () => {
  it("warns in front matter, naming the host", async () => {
    const a = article(
      TITLE,
      DATE,
      "url: http://127.0.0.1:4000/talks",
      "image:",
      "  url: http://localhost:8080/a.jpg",
      "  alt: A photo",
      "related:",
      "  - title: Earlier",
      "    url: https://staging.newsroom.internal/earlier",
      "authors:",
      "  - name: Jane",
      "    url: http://[::1]/jane",
      "  - name: Ali",
      "    url: http://192.168.1.20/ali",
    );
    const b = article(TITLE, DATE, "url: https://cms.local/b", "image:", "  url: http://10.1.2.3/b.png", "  alt: B");
    const c = article(TITLE, DATE, "url: https://news.test/c", "related:", "  - title: X", "    url: http://172.20.0.5/x", "  - title: Y", "    url: http://172.32.0.5/y");
    const d = article(TITLE, DATE, "url: http://0.0.0.0/d", "related:", "  - title: X", "    url: http://preview.localhost/x", "  - title: Y", "    url: http://127.1/y");
    const warning = (where: string, host: string) => `${where}: warning: ${host}, an address readers cannot reach (a staging or local copy?)`;
    expect(await told({ a, b, c, d })).toEqual([
      warning("articles/a.md:4", "url: points at 127.0.0.1:4000"),
      warning("articles/a.md:6", "image.url: points at localhost:8080"),
      warning("articles/a.md:10", "related.0.url: points at staging.newsroom.internal"),
      warning("articles/a.md:13", "authors.0.url: points at [::1]"),
      warning("articles/a.md:15", "authors.1.url: points at 192.168.1.20"),
      warning("articles/b.md:4", "url: points at cms.local"),
      warning("articles/b.md:6", "image.url: points at 10.1.2.3"),
      warning("articles/c.md:4", "url: points at news.test"),
      warning("articles/c.md:7", "related.0.url: points at 172.20.0.5"),
      warning("articles/d.md:4", "url: points at 0.0.0.0"),
      warning("articles/d.md:7", "related.0.url: points at preview.localhost"),
      warning("articles/d.md:9", "related.1.url: points at 127.0.0.1"),
    ]);
  });

  it("warns in site.yaml", async () => {
    const site = siteYaml({
      site_url: "http://localhost:3000/",
      feed_url: "http://localhost:3000/feeds/",
      icon: "http://192.168.0.9/icon.png",
      favicon: "https://assets.internal/favicon.png",
      authors: [{ name: "Desk", url: "http://desk.local/" }],
    });
    expect(await told({ a: article(TITLE, DATE) }, site)).toEqual([
      "site.yaml:3: warning: site_url: points at localhost:3000, an address readers cannot reach (a staging or local copy?)",
      "site.yaml:4: warning: feed_url: points at localhost:3000, an address readers cannot reach (a staging or local copy?)",
      "site.yaml:6: warning: icon: points at 192.168.0.9, an address readers cannot reach (a staging or local copy?)",
      "site.yaml:7: warning: favicon: points at assets.internal, an address readers cannot reach (a staging or local copy?)",
      "site.yaml:8: warning: authors.0.url: points at desk.local, an address readers cannot reach (a staging or local copy?)",
    ]);
  });

  it("says nothing of public hosts, example.com and example.org included", async () => {
    const a = article(TITLE, DATE, "url: https://example.com/a", "related:", "  - title: X", "    url: http://172.15.0.1/x", "  - title: Y", "    url: https://local.example.org/y", "  - title: Z", "    url: https://testing.com/z");
    expect(await told({ a }, { site_url: "https://example.org/", feed_url: "https://example.org/feeds/" })).toEqual([]);
  });
});

describe("6. a date more than a year ahead", () => {
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19) + "Z";
  it("is told by validate and by a build, most likely a typo", async () => {
    const far = article(TITLE, `date: ${iso(Date.now() + 400 * DAY)}`);
    expect(await told({ far })).toEqual(["articles/far.md:3: warning: date: is more than a year ahead: a typo? The article stays unpublished until then"]);
    const dir = await contentDir({ far, now: article(TITLE, DATE) });
    const report = await build({ source: new DirectoryContent(dir), store: new DirectoryStore(join(dir, "..", "out")), now: Date.now() });
    // The build reads its articles through the parse results (no lines kept there): the line is
    // found by reading the file again (build.ts clockWarningLines).
    expect(report.warnings.map(formatIssue)).toEqual(["articles/far.md:3: warning: date: is more than a year ahead: a typo? The article stays unpublished until then"]);
  });

  it("is measured from the build's own clock (build --now), not the machine's", async () => {
    const dir = await contentDir({ a: article(TITLE, "date: 2020-06-19T10:00:00Z"), b: article(TITLE, "date: 2019-01-01T10:00:00Z") });
    const report = await build({ source: new DirectoryContent(dir), store: new DirectoryStore(join(dir, "..", "out")), now: Date.UTC(2019, 0, 2) });
    expect(report.warnings.map(formatIssue)).toEqual(["articles/a.md:3: warning: date: is more than a year ahead: a typo? The article stays unpublished until then"]);
  });

  it("says nothing of a date scheduled within the year", async () => {
    expect(await told({ soon: article(TITLE, `date: ${iso(Date.now() + 360 * DAY)}`) })).toEqual([]);
  });
});

describe("7. a time zone that does not do what its name suggests", () => {
  it("warns for Etc/GMT±N, whose sign is inverted", async () => {
    expect(await told({ a: article(TITLE, DATE) }, { timezone: "Etc/GMT+3" })).toEqual([
      "site.yaml:6: warning: timezone: Etc/GMT+3 is UTC-03:00 (the sign is inverted in these names); for UTC+03:00 write Etc/GMT-3 or a city zone such as Europe/Istanbul",
    ]);
    expect(await told({ a: article(TITLE, DATE) }, { timezone: "Etc/GMT-5" })).toEqual([
      "site.yaml:6: warning: timezone: Etc/GMT-5 is UTC+05:00 (the sign is inverted in these names); for UTC-05:00 write Etc/GMT+5 or a city zone such as America/Bogota",
    ]);
    // Etc/GMT+14 does not exist: only a city's zone is offered.
    expect(await told({ a: article(TITLE, DATE) }, { timezone: "Etc/GMT-14" })).toEqual([
      "site.yaml:6: warning: timezone: Etc/GMT-14 is UTC+14:00 (the sign is inverted in these names); for UTC-14:00 write a city's zone (Area/City)",
    ]);
  });

  it("warns for EST, MST and HST, which never change to daylight saving time", async () => {
    expect(await told({ a: article(TITLE, DATE) }, { timezone: "EST" })).toEqual([
      "site.yaml:6: warning: timezone: EST is a fixed -05:00 all year, no daylight saving; for New York write America/New_York",
    ]);
    expect(await told({ a: article(TITLE, DATE) }, { timezone: "MST" })).toEqual([
      "site.yaml:6: warning: timezone: MST is a fixed -07:00 all year, no daylight saving; for Denver write America/Denver (Arizona: America/Phoenix)",
    ]);
    expect(await told({ a: article(TITLE, DATE) }, { timezone: "HST" })).toEqual([
      "site.yaml:6: warning: timezone: HST is a fixed -10:00 all year, no daylight saving; write Pacific/Honolulu for Hawaii",
    ]);
  });

  it("says nothing of city zones, UTC, Etc/GMT or zones that keep daylight saving", async () => {
    for (const timezone of ["UTC", "Etc/UTC", "Etc/GMT", "Etc/GMT+0", "America/New_York", "EST5EDT", "Europe/Istanbul"]) {
      expect(await told({ a: article(TITLE, DATE) }, { timezone })).toEqual([]);
    }
  });
});

describe("8. articles checked against the placeholder settings (site.yaml invalid)", () => {
  it("draw no warning about a date without a zone, read in the placeholder's UTC", async () => {
    const a = article(TITLE, "date: 2020-06-25T10:00:00");
    expect(await told({ a }, { timezone: "Mars/Olympus" })).toEqual(["site.yaml:6: timezone: must be an IANA time zone like Europe/Istanbul or UTC"]);
    // Their own mistakes are still told, and a date without a zone once site.yaml is valid.
    expect(await told({ a, b: article("title: 3.10", DATE) }, { timezone: "Mars/Olympus" })).toEqual([
      'articles/b.md:2: title: expected the title as text: YAML reads 3.10 as a number; put it in quotes, like "3.10"',
      "site.yaml:6: timezone: must be an IANA time zone like Europe/Istanbul or UTC",
    ]);
    expect(await told({ a }, { timezone: "Europe/Istanbul" })).toEqual([
      "articles/a.md:3: warning: date: has no time zone; read as Europe/Istanbul, +03:00 on that day: write it, 2020-06-25T10:00:00+03:00",
    ]);
  });
});

describe("the fast path and the careful parser", () => {
  it("tell the same of each of these mistakes", () => {
    const texts = [
      article(TITLE, DATE, "darft: true", "sumary: S"),
      article(TITLE, DATE, "tags:", "authors:", "image:"),
      article(TITLE, DATE, "tags: #Libya #Turkey"),
      article(TITLE, DATE, "authors: Jane Doe and John Smith"),
      article("title: 3.10", DATE),
      article(TITLE, DATE, "url: http://localhost/a", "image:", "  url: http://10.0.0.1/a.jpg", "  alt: A"),
      article(TITLE, DATE, "tags: [C++, C#, C]"),
      article("title: Fish &amp; Chips", DATE, "authors:", "  - name: Ann &amp; Bo", "image:", "  url: https://news.example.com/a.jpg", "  alt: A &lt;b&gt; tag"),
      ORDINARY.full,
    ];
    for (const text of texts) {
      const fast = parseArticle("articles/a.md", bytes(text), TEST_SITE);
      expect(parseArticle("articles/a.md", bytes(text), TEST_SITE, { fastPath: false }).issues).toEqual(fast.issues);
    }
  });
});

describe("8. every article gone while the feeds hold items", () => {
  it("is refused, naming the way to do it on purpose, and the published feeds stay", async () => {
    const dir = await contentDir({ a: article(TITLE, DATE), b: article(TITLE, "date: 2020-06-20T10:00:00Z") });
    const out = join(dir, "..", "out");
    const store = new DirectoryStore(out);
    await build({ source: new DirectoryContent(dir), store, now: Date.now() });
    const before = await snapshot(out);
    await rm(join(dir, "articles"), { recursive: true });
    await mkdir(join(dir, "articles"));
    const err = await build({ source: new DirectoryContent(dir), store, now: Date.now() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentError);
    expect((err as ContentError).issues.map(formatIssue)).toEqual([
      "articles/: file: no articles, while the published feeds hold 2 items: this build would empty them (a content folder not mounted, a checkout gone wrong, a wrong content prefix?). To empty the feeds on purpose, run syndicate build --allow-empty",
    ]);
    expect(await snapshot(out)).toEqual(before);
    // What an unmounted volume may leave (macOS's ._ files, an editor's lock): no article, refused alike.
    await writeFile(join(dir, "articles", "._a.md"), "\u0000\u0005\u0016\u0007");
    expect(await build({ source: new DirectoryContent(dir), store, now: Date.now() }).catch((e: unknown) => e)).toBeInstanceOf(ContentError);
    expect(await snapshot(out)).toEqual(before);
    // On purpose: published, no items.
    expect((await build({ source: new DirectoryContent(dir), store, now: Date.now(), allowEmpty: true })).items).toBe(0);
    // And from then on, an empty folder builds as any other (nothing left to lose).
    expect((await build({ source: new DirectoryContent(dir), store, now: Date.now() })).items).toBe(0);
  });

  it("is refused too when the manifest cannot be read (cut, damaged, of another version) but the store holds feeds", async () => {
    const dir = await contentDir({ a: article(TITLE, DATE) });
    const out = join(dir, "..", "out");
    const store = new DirectoryStore(out);
    await build({ source: new DirectoryContent(dir), store, now: Date.now() });
    await writeFile(join(out, "manifest.json"), '{"version": 1, "build_id": "cut sh');
    const before = await snapshot(out);
    await rm(join(dir, "articles", "a.md"));
    const err = await build({ source: new DirectoryContent(dir), store, now: Date.now() }).catch((e: unknown) => e);
    expect((err as ContentError).issues?.map(formatIssue)).toEqual([
      "articles/: file: no articles, while the store holds published feeds (its manifest could not be read): this build would empty them (a content folder not mounted, a checkout gone wrong, a wrong content prefix?). To empty the feeds on purpose, run syndicate build --allow-empty",
    ]);
    expect(await snapshot(out)).toEqual(before);
  });

  it("is no error for a new site, nor when the articles are all drafts", async () => {
    const dir = await contentDir({});
    await mkdir(join(dir, "articles"));
    const store = new DirectoryStore(join(dir, "..", "out"));
    expect((await build({ source: new DirectoryContent(dir), store, now: Date.now() })).items).toBe(0);
    const drafts = await contentDir({ a: article(TITLE, DATE) });
    const store2 = new DirectoryStore(join(drafts, "..", "out"));
    await build({ source: new DirectoryContent(drafts), store: store2, now: Date.now() });
    await writeFile(join(drafts, "articles", "a.md"), article(TITLE, DATE, "draft: true"));
    expect((await build({ source: new DirectoryContent(drafts), store: store2, now: Date.now() })).drafts).toBe(1);
  });
});

describe("9. a file name that is not its slug, and a link beside its target", () => {
  it("tells the slug a file name is read as: the article's URL and id", async () => {
    expect(await told({ "Rome talks": article(TITLE, DATE), "日本語": article(TITLE, "date: 2020-06-20T10:00:00Z"), ok: article(TITLE, "date: 2020-06-21T10:00:00Z") })).toEqual([
      "articles/Rome talks.md: warning: file: the file name is read as the slug rome-talks: the article's URL, and its id unless id: is written. Name the file rome-talks.md (the same slug: readers see no change), so that its name shows it",
      "articles/日本語.md: warning: file: the file name has nothing a URL slug keeps (Latin letters, digits), so the slug is t-77710aedc74e: the article's URL, and its id unless id: is written. Write slug: in the front matter, or name the file in Latin letters",
    ]);
  });

  it("says nothing when slug: is written, whatever the file is named", async () => {
    expect(await told({ "Rome talks": article(TITLE, DATE, "slug: rome-talks-2020") })).toEqual([]);
  });

  it("tells a symbolic link beside its target: one article published twice", async () => {
    const dir = await contentDir({ "new-name": article(TITLE, DATE) });
    await symlink("new-name.md", join(dir, "articles", "old-name.md"));
    expect((await validate(new DirectoryContent(dir))).issues.map(formatIssue)).toEqual([
      "articles/old-name.md: warning: file: is a symbolic link to articles/new-name.md: the article is published twice, under two slugs (and two ids)",
    ]);
  });
});

describe("10. a content folder set up wrong", () => {
  it("names site.yml as not read, and a folder named like an article as a folder", async () => {
    const dir = await contentDir({ a: article(TITLE, DATE) });
    await rm(join(dir, "site.yaml"));
    await writeFile(join(dir, "site.yml"), siteYaml());
    await mkdir(join(dir, "articles", "x.md"));
    expect((await validate(new DirectoryContent(dir))).issues.map(formatIssue)).toEqual([
      "articles/x.md: file: is a folder, not a file: an article is one Markdown file in articles/",
      "site.yaml: file: is missing: the content directory needs a site.yaml with title, description, site_url, feed_url and language",
      "site.yml: warning: file: is not read: the settings file is named site.yaml (rename it)",
    ]);
  });

  it("points from an articles/ folder given as the content folder to its parent", async () => {
    const dir = await contentDir({ a: article(TITLE, DATE) });
    const issues = (await validate(new DirectoryContent(join(dir, "articles")))).issues.map(formatIssue);
    expect(issues).toContain(`articles/: file: is missing: the content directory needs an articles/ folder (an empty one for a site with no articles yet); ${join(dir, "articles")} is itself an articles/ folder: give its parent, the folder that holds site.yaml`);
  });

  it('says of draft: "false" that the quotes make it text', async () => {
    expect(await told({ a: article(TITLE, DATE, 'draft: "false"') })).toEqual(['articles/a.md:4: draft: expected true or false, without quotes: "false" in quotes is text; write false']);
  });
});

describe("11. an article with nothing to read", () => {
  it("is told when it has neither body nor summary; a summary is enough", async () => {
    const empty = `---\ntitle: ${JSON.stringify("Talks")}\ndate: 2020-06-19T10:00:00Z\n---\n`;
    expect(await told({ a: empty })).toEqual(["articles/a.md:5: warning: body: is empty, and there is no summary: readers show the title alone"]);
    expect(await told({ a: `---\ntitle: Talks\ndate: 2020-06-19T10:00:00Z\nsummary: A link post.\n---\n` })).toEqual([]);
  });
});

describe("12. the title again as the body's first heading", () => {
  it("is told: readers show the title above the content already", async () => {
    const a = `---\ntitle: Libya talks resume\ndate: 2020-06-19T10:00:00Z\n---\n\n# Libya talks resume\n\nThe talks resumed.\n`;
    expect(await told({ a })).toEqual(["articles/a.md:6: warning: body: begins with the title as a heading: readers show the title above the content already, so it appears twice; remove the heading"]);
    expect(await told({ a: a.replace("# Libya talks resume", "# Background") })).toEqual([]);
  });
});

describe("13. tags of one article whose slugs meet", () => {
  it("keeps the first and names the others dropped, the one kept and the slug, at the first dropped", async () => {
    expect(await told({ a: article(TITLE, DATE, "tags: [C++, C#, C]") })).toEqual([
      `articles/a.md:4: warning: tags.1: "C#" and "C" are dropped: the slug c is also "C++"'s, which is kept (one tag, and one feed, tags/c/, per slug); write the tag one way, or, if they are different tags, name one differently`,
    ]);
    const text = article(TITLE, DATE, "tags:", "  - Libya", "  - Node.js", "  - node-js");
    expect(await told({ a: text })).toEqual([
      `articles/a.md:7: warning: tags.2: "node-js" is dropped: the slug node-js is also "Node.js"'s, which is kept (one tag, and one feed, tags/node-js/, per slug); write the tag one way, or, if they are different tags, name one differently`,
    ]);
    // The behaviour is kept: one category per slug, the first spelling.
    expect(parseArticle("articles/a.md", bytes(text), TEST_SITE).article!.tags.map((t) => t.name)).toEqual(["Libya", "Node.js"]);
  });

  it("says nothing of one tag written twice (nothing is lost), or of different slugs", async () => {
    expect(await told({ a: article(TITLE, DATE, "tags: [Libya, Libya, Turkey]") })).toEqual([]);
  });
});

describe("14. an HTML entity typed into plain text", () => {
  it("is told in each plain-text field, with its line, the entity and the character to write; the text is kept", async () => {
    const text = article(
      "title: Fish &amp; Chips",
      DATE,
      "summary: Caf&eacute; talks &#8211; day two",
      "authors:",
      "  - name: Ann &amp; Bo",
      "  - Li &amp; Wu",
      "tags: [R&amp;D]",
      "image:",
      "  url: https://news.example.com/a.jpg",
      "  alt: A &lt;b&gt; tag",
      "  caption: Caption&nbsp;here",
      "  credit: AT&amp;T",
      "source: Wire &#x26; desk",
      "related:",
      "  - title: Earlier &quot;talks&quot;",
      "    url: https://example.org/earlier",
    );
    const also = "HTML entity in plain text: Atom and JSON Feed readers show it as typed, some RSS readers as the character";
    const both = "HTML entities in plain text: Atom and JSON Feed readers show them as typed, some RSS readers as the character";
    expect(await told({ a: text })).toEqual([
      `articles/a.md:2: warning: title: has &amp;, an ${also}; write & instead`,
      `articles/a.md:4: warning: summary: has &eacute; and &#8211;, ${both}; write é and – instead`,
      `articles/a.md:6: warning: authors.0.name: has &amp;, an ${also}; write & instead`,
      `articles/a.md:7: warning: authors.1: has &amp;, an ${also}; write & instead`,
      `articles/a.md:8: warning: tags.0: has &amp;, an ${also}; write & instead`,
      `articles/a.md:11: warning: image.alt: has &lt; and &gt;, ${both}; write < and > instead`,
      `articles/a.md:12: warning: image.caption: has &nbsp;, an ${also}; write U+00A0 instead`,
      `articles/a.md:13: warning: image.credit: has &amp;, an ${also}; write & instead`,
      `articles/a.md:14: warning: source: has &#x26;, an ${also}; write & instead`,
      `articles/a.md:16: warning: related.0.title: has &quot;, an ${also}; write " instead`,
    ]);
    const { article: a } = parseArticle("articles/a.md", bytes(text), TEST_SITE);
    expect([a!.title, a!.authors[0]!.name]).toEqual(["Fish &amp; Chips", "Ann &amp; Bo"]);
  });

  it("is told in site.yaml's plain text too", async () => {
    const site = `${siteYaml()}copyright: "&copy; 2020 R&D"\nauthors:\n  - Desk &amp; Wire\n`;
    expect(await told({ a: article(TITLE, DATE) }, site)).toEqual([
      "site.yaml:6: warning: copyright: has &copy;, an HTML entity in plain text: Atom and JSON Feed readers show it as typed, some RSS readers as the character; write © instead",
      "site.yaml:8: warning: authors.0: has &amp;, an HTML entity in plain text: Atom and JSON Feed readers show it as typed, some RSS readers as the character; write & instead",
    ]);
  });

  it("is not told of an ampersand that begins no entity, or of a name no HTML entity has", async () => {
    expect(await told({ a: article("title: R&D at AT&T; Fish & Chips &c. &notanentity; &#;", DATE, "summary: Q&A &amp without its semicolon") })).toEqual([]);
  });
});

describe("15. markup from WordPress or Obsidian in a body", () => {
  it("is told on its line as published as text, with what to write; a fenced quote of it is not", async () => {
    const text = [
      "---",
      TITLE,
      DATE,
      "---",
      "The talks resumed on Thursday.",
      "",
      '[caption id="attachment_12" align="aligncenter" width="640"]<img src="https://news.example.com/a.jpg" alt="Delegates" /> Delegates at the table[/caption]',
      "",
      "See [[Earlier talks|the earlier talks]] [sic].",
      "",
      "```",
      "[embed]https://www.youtube.com/watch?v=abc[/embed]",
      "```",
      "",
    ].join("\n");
    expect(await told({ a: text })).toEqual([
      'articles/a.md:7: warning: body: [caption id="attachment_12" align="aligncenter" width="640"] is published as text: a WordPress shortcode, which Markdown does not read; write the image as Markdown, ![description](https://…), and the caption as text under it (the lead photo: front matter image: with its caption:)',
      "articles/a.md:9: warning: body: [[Earlier talks|the earlier talks]] is published as text: a wiki link (Obsidian's), which Markdown does not read; write a Markdown link, [the earlier talks](https://…)",
    ]);
  });
});
