import { afterEach, describe, expect, it, vi } from "vitest";
import { articleSchema, siteSchema } from "../../functions/core/schema.ts";
import { parseSite } from "../../functions/core/content.ts";
import { formatIssue } from "../../functions/core/errors.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { SITE_FIELDS, bytes, siteYaml, type Fields } from "../support/content-tree.ts";

const ARTICLE = { title: "A title", date: "2020-06-19T10:00:00Z" };

/** The zod issues of an article's fields, as `path: message`. */
function articleIssues(fields: Fields): string[] {
  const r = articleSchema.safeParse({ ...ARTICLE, ...fields });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

function siteIssues(fields: Fields): string[] {
  const r = siteSchema.safeParse({ ...SITE_FIELDS, ...fields });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("article schema", () => {
  it.each(["https://example.com/a/1", "tag:example.com,2020:1", "urn:uuid:2f1c", "urn:x:a&b'c;d=e", "x-odd:foo/bar#baz%3C%3E", "https://example.com/çay"])("accepts the id %s (an IRI)", (id) => {
    expect(articleIssues({ id })).toEqual([]);
  });

  it("refuses an id with characters no IRI holds (RFC 3987), naming them and the id percent-encoded", () => {
    expect(articleIssues({ id: `x-odd:foo/bar#baz<>&'"` })).toEqual([
      `id: has <, > and ", which an id cannot hold (it is an IRI, RFC 4287 §4.2.6): percent-encode them, writing x-odd:foo/bar#baz%3C%3E&'%22`,
    ]);
  });

  it.each([["{", "%7B"], ["}", "%7D"], ["|", "%7C"], ["\\", "%5C"], ["^", "%5E"], ["`", "%60"], ["\u007f", "%7F"], ["\u0085", "%C2%85"]])(
    "refuses %j in an id (written %s)",
    (c, encoded) => {
      const shown = c.charCodeAt(0) >= 0x7f ? `U+00${c.charCodeAt(0).toString(16).toUpperCase()}` : c;
      expect(articleIssues({ id: `urn:x:a${c}b` })).toEqual([`id: has ${shown}, which an id cannot hold (it is an IRI, RFC 4287 §4.2.6): percent-encode it, writing urn:x:a${encoded}b`]);
    },
  );

  it.each(["my article 1", "article-1", "/articles/1", "urn:uuid: 1"])("rejects the id %j: Atom needs an IRI (RFC 4287 §4.2.6)", (id) => {
    expect(articleIssues({ id })).toEqual([expect.stringMatching(/^id: must be a URI/)]);
  });

  it("accepts the two required fields alone", () => {
    expect(articleSchema.parse(ARTICLE)).toMatchObject({ title: "A title", draft: false });
  });

  it("accepts every optional field", () => {
    expect(
      articleIssues({
        id: "urn:x:1", slug: "a-b", url: "https://news.example.com/a", summary: "S", updated: "2020-06-20",
        authors: [{ name: "A", url: "https://a.example/", email: "a@example.com" }], tags: ["x"],
        image: { url: "https://news.example.com/i.jpg", alt: "A", caption: "C", credit: "K" },
        source: "AA", draft: true, language: "tr", related: [{ title: "R", url: "https://news.example.com/r" }],
      }),
    ).toEqual([]);
  });

  it("names a missing title", () => {
    const r = articleSchema.safeParse({ date: ARTICLE.date });
    expect(r.success ? [] : r.error.issues.map((i) => i.path.join("."))).toEqual(["title"]);
  });

  it("rejects an impossible date", () => {
    expect(articleIssues({ date: "2021-02-30" })).toEqual([expect.stringMatching(/^date: .*not a real date/)]);
  });

  it("rejects a date given as a number", () => {
    expect(articleIssues({ date: 20200619 })).toEqual([expect.stringMatching(/^date: expected an ISO 8601/)]);
  });

  it(`rejects a title over ${LIMITS.titleChars} characters`, () => {
    expect(articleIssues({ title: "x".repeat(10_000) })).toEqual([`title: must be at most ${LIMITS.titleChars} characters`]);
  });

  it("rejects a title that is only spaces and control characters", () => {
    expect(articleIssues({ title: " \u0000 \u0007 " })).toEqual(["title: must not be empty"]);
  });

  it("normalises a title's whitespace and removes control characters", () => {
    expect(articleSchema.parse({ ...ARTICLE, title: "  AT&T\u0000  <b>x</b>\n" }).title).toBe("AT&T <b>x</b>");
  });

  it(`rejects more than ${LIMITS.tagsPerArticle} tags`, () => {
    expect(articleIssues({ tags: Array.from({ length: 3000 }, (_, i) => `t${i}`) })).toEqual([
      `tags: at most ${LIMITS.tagsPerArticle} tags are allowed`,
    ]);
  });

  it("reads a lone tag as a list of one", () => {
    expect(articleSchema.parse({ ...ARTICLE, tags: "Libya" }).tags).toEqual(["Libya"]);
  });

  it("reads an author given as a bare name", () => {
    expect(articleSchema.parse({ ...ARTICLE, authors: "Ayşe" }).authors).toEqual([{ name: "Ayşe" }]);
  });

  it("rejects an author's malformed e-mail", () => {
    expect(articleIssues({ authors: [{ name: "A", email: "not-an-email" }] })).toEqual([expect.stringMatching(/^authors\.0\.email: /)]);
  });

  it.each([
    ["javascript:", "javascript:alert(1)"],
    ["data:", "data:text/html,<script>alert(1)</script>"],
    ["a relative path", "/articles/x"],
    ["a protocol-relative URL", "//evil.example/x"],
    ["ftp:", "ftp://example.com/x"],
    ["a URL without a host", "https://"],
  ])("rejects %s as the url", (_, url) => {
    expect(articleIssues({ url })).toEqual(["url: must be an absolute http(s) URL, like https://example.com/page"]);
  });

  it.each([
    ["news.example.com", "https://news.example.com/"],
    ["www.example.com/articles/a", "https://www.example.com/articles/a"],
    ["news.example.com:8080/a", "https://news.example.com:8080/a"],
  ])("names the URL to write for %j, a host without its scheme", (url, href) => {
    expect(articleIssues({ url })).toEqual([`url: must be an absolute http(s) URL, like https://example.com/page: write ${href} (with its scheme)`]);
  });

  it("rejects javascript: as an image URL", () => {
    expect(articleIssues({ image: { url: "javascript:alert(1)", alt: "x" } })).toEqual([expect.stringMatching(/^image\.url: must be an absolute/)]);
  });

  it("rejects a relative related link", () => {
    expect(articleIssues({ related: [{ title: "R", url: "../r" }] })).toEqual([expect.stringMatching(/^related\.0\.url: must be an absolute/)]);
  });

  it("normalises an accepted URL", () => {
    expect(articleSchema.parse({ ...ARTICLE, url: "HTTPS://News.Example.com/a b" }).url).toBe("https://news.example.com/a%20b");
  });

  it(`rejects a URL over ${LIMITS.urlChars} characters`, () => {
    expect(articleIssues({ url: `https://example.com/${"a".repeat(LIMITS.urlChars)}` })).toEqual([`url: must be at most ${LIMITS.urlChars} characters`]);
  });

  it(`rejects a non-URL over ${LIMITS.urlChars} characters for both reasons`, () => {
    expect(articleIssues({ url: "x".repeat(LIMITS.urlChars + 1) })).toEqual([
      `url: must be at most ${LIMITS.urlChars} characters`,
      "url: must be an absolute http(s) URL, like https://example.com/page",
    ]);
  });

  it.each(["../../etc/passwd", "a/b", "A-Title", "a--b", "-a", "a_b", "ça"])("rejects the slug %j", (slug) => {
    expect(articleIssues({ slug })).toEqual([expect.stringMatching(/^slug: must be lowercase letters/)]);
  });

  it("rejects an image without alt text", () => {
    expect(articleIssues({ image: { url: "https://news.example.com/i.jpg" } })).toEqual(["image.alt: expected the image's alternative text as text"]);
  });

  it("rejects an unknown language tag", () => {
    expect(articleIssues({ language: "not a language" })).toEqual([expect.stringMatching(/^language: must be a BCP 47/)]);
  });

  it("rejects a well-formed tag whose language is no 2- or 3-letter code (`english`), saying what a language code is", () => {
    expect(articleIssues({ language: "english" })).toEqual(["language: must be a BCP 47 language tag like en, en-GB or tr: it starts with a language code of 2 or 3 letters (ISO 639)"]);
    expect(articleIssues({ language: "Turkish-TR" })).toEqual([expect.stringMatching(/^language: must be a BCP 47 .*\(ISO 639\)$/)]);
    for (const language of ["tr", "en-GB", "zh-Hant-TW", "es-419", "de-CH-1996", "tlh"]) expect(articleIssues({ language })).toEqual([]);
  });

  it("names the tag to write for a locale written with an underscore (en_US, as WordPress and system locales write it)", () => {
    for (const [language, tag] of [["en_US", "en-US"], ["EN_us", "en-US"], ["tr_TR", "tr-TR"], ["zh_Hant_TW", "zh-Hant-TW"]]) {
      expect(articleIssues({ language })).toEqual([`language: must be a BCP 47 language tag like en, en-GB or tr: write ${tag} (a hyphen, not an underscore)`]);
    }
    // No tag to name when the hyphen makes none.
    expect(articleIssues({ language: "english_US" })).toEqual(["language: must be a BCP 47 language tag like en, en-GB or tr"]);
  });

  it("canonicalises a language tag", () => {
    expect(articleSchema.parse({ ...ARTICLE, language: "EN-gb" }).language).toBe("en-GB");
  });

  describe("parses each value once", () => {
    afterEach(() => {
      vi.unstubAllGlobals();
      vi.restoreAllMocks();
    });

    /** `new URL` calls made while `run` runs. */
    function urlParses(run: () => void): number {
      let n = 0;
      vi.stubGlobal("URL", class extends URL {
        constructor(...args: ConstructorParameters<typeof URL>) {
          super(...args);
          n++;
        }
      });
      run();
      return n;
    }

    it.each([
      ["an accepted URL", "https://news.example.com/once-accepted", true],
      ["a rejected URL", "ftp://news.example.com/once-rejected", false],
    ])("parses %s with new URL once", (_, url, ok) => {
      expect(urlParses(() => expect(articleSchema.safeParse({ ...ARTICLE, url }).success).toBe(ok))).toBe(1);
    });

    it.each([
      ["an accepted tag", "EN-au", true],
      ["a rejected tag", "not a tag once", false],
    ])("canonicalises %s once", (_, language, ok) => {
      const spy = vi.spyOn(Intl, "getCanonicalLocales");
      expect(articleSchema.safeParse({ ...ARTICLE, language }).success).toBe(ok);
      expect(spy).toHaveBeenCalledTimes(1);
    });

    it("gives the same URL to the next value, not the previous one", () => {
      const urls = ["https://a.example.com/1", "https://b.example.com/2", "https://a.example.com/1"];
      expect(urls.map((url) => articleSchema.parse({ ...ARTICLE, url }).url)).toEqual(urls);
    });
  });

  it("rejects a draft flag that is not a boolean", () => {
    expect(articleIssues({ draft: "yes" })).toEqual(["draft: expected true or false"]);
  });

  it("reports every invalid field at once", () => {
    expect(articleIssues({ title: "", date: "nope", url: "javascript:x" }).map((i) => i.split(":")[0])).toEqual(["title", "date", "url"]);
  });
});

describe("site schema", () => {
  it("fills in defaults", () => {
    expect(siteSchema.parse(SITE_FIELDS)).toMatchObject({ items_per_feed: 50, archives: true, timezone: "UTC" });
  });

  it.each([
    [0, "must be at least 1"],
    [-1, "must be at least 1"],
    [1e9, `must be at most ${LIMITS.itemsPerFeedMax}`],
    [2.5, "must be a whole number"],
    ["ten", "expected a whole number"],
  ])("rejects items_per_feed %j", (value, message) => {
    expect(siteIssues({ items_per_feed: value })).toEqual([`items_per_feed: ${message}`]);
  });

  it("says of items_per_feed: \"20\" that the quotes make it text (in site.yaml, with its line)", () => {
    const { issues } = parseSite(bytes(`${siteYaml()}items_per_feed: "20"\n`));
    expect(issues.map(formatIssue)).toEqual(['site.yaml:6: items_per_feed: expected a whole number, without quotes: "20" in quotes is text; write 20']);
  });

  it("accepts archives: false", () => {
    expect(siteSchema.parse({ ...SITE_FIELDS, archives: false }).archives).toBe(false);
  });

  it("rejects a made-up time zone", () => {
    expect(siteIssues({ timezone: "Mars/Olympus" })).toEqual([expect.stringMatching(/^timezone: must be an IANA time zone/)]);
  });

  it.each([
    ["https://news.example.com/feed.xml", "https://news.example.com/"],
    ["https://news.example.com/feeds/atom.xml", "https://news.example.com/feeds/"],
    ["https://news.example.com/RSS.XML", "https://news.example.com/"],
    ["https://news.example.com/index.rss", "https://news.example.com/"],
  ])("rejects a feed_url that is a feed's own address, %s, naming the folder to write", (value, folder) => {
    // The feeds' addresses are made under feed_url: feed.xml's would be …/feed.xml/feed.xml.
    expect(siteIssues({ feed_url: value })).toEqual([
      `feed_url: is the address of a feed, not of the folder the feeds are published in (the feed would be ${value}/feed.xml): write ${folder}`,
    ]);
  });

  it.each(["https://news.example.com/feeds", "https://news.example.com/feed/", "https://news.example.com/v1.2/", "https://cdn.example.com/news.example.com"])(
    "accepts a feed_url folder, %s, with a dot or without a closing slash",
    (value) => {
      expect(siteIssues({ feed_url: value })).toEqual([]);
    },
  );

  it("rejects a relative feed_url", () => {
    expect(siteIssues({ feed_url: "/feeds/" })).toEqual([expect.stringMatching(/^feed_url: must be an absolute/)]);
  });
});

describe("parseSite", () => {
  it("reports one error per missing required field, each with file and field", () => {
    const { issues } = parseSite(bytes("copyright: x\n"));
    expect(issues.map(formatIssue)).toEqual(
      ["title", "description", "site_url", "feed_url", "language"].map((f) => `site.yaml:1: ${f}: is required`),
    );
  });

  it("names the line of an invalid setting", () => {
    const { issues } = parseSite(bytes(siteYaml({ items_per_feed: -1 })));
    expect(issues.map(formatIssue)).toEqual(["site.yaml:6: items_per_feed: must be at least 1"]);
  });

  it("warns about an unknown setting without failing", () => {
    const { site, issues } = parseSite(bytes(siteYaml({ colour: "blue" })));
    expect(site).toBeDefined();
    expect(issues).toEqual([expect.objectContaining({ field: "colour", severity: "warning", line: 6 })]);
  });

  it("warns when it removes characters XML cannot carry, raw or written as YAML escapes, with the line", () => {
    const raw = parseSite(bytes(`title: Wire\u0007 desk\n${siteYaml().split("\n").slice(1).join("\n")}`));
    expect(raw.site?.title).toBe("Wire desk");
    expect(raw.issues.map(formatIssue)).toEqual(["site.yaml:1: warning: file: characters XML cannot carry (control characters) were removed"]);
    const escaped = parseSite(bytes(siteYaml({ title: "Wire\u0007 desk" })));
    expect(escaped.site?.title).toBe("Wire desk");
    expect(escaped.issues.map(formatIssue)).toEqual([expect.stringMatching(/^site\.yaml:\d+: warning: title: characters XML cannot carry \(control characters\) were removed$/)]);
  });

  it("warns about an unknown key of an author, with its line", () => {
    const { site, issues } = parseSite(bytes(`${siteYaml()}authors:\n  - name: Desk\n    urll: https://desk.example.com/\n`));
    expect(site?.authors).toEqual([{ name: "Desk" }]);
    expect(issues.map(formatIssue)).toEqual(["site.yaml:8: warning: authors.0.urll: unknown setting, ignored: did you mean url?"]);
  });

  it("reports a missing site.yaml", () => {
    expect(parseSite(undefined).issues.map(formatIssue)).toEqual([expect.stringMatching(/^site\.yaml: file: is missing/)]);
  });

  it("rejects a site.yaml that is a list", () => {
    expect(parseSite(bytes("- a\n- b\n")).issues.map(formatIssue)).toEqual([expect.stringMatching(/^site\.yaml:1: file: must be a YAML mapping/)]);
  });

  it(`rejects a site.yaml over ${LIMITS.siteFileBytes} bytes`, () => {
    const big = siteYaml() + `# ${"x".repeat(LIMITS.siteFileBytes)}\n`;
    expect(parseSite(bytes(big)).issues.map(formatIssue)).toEqual([expect.stringMatching(/^site\.yaml: file: is \d+ bytes; at most/)]);
  });

  it("reads a site.yaml with a BOM and CRLF line ends", () => {
    const text = "\uFEFF" + siteYaml().replace(/\n/g, "\r\n");
    expect(parseSite(bytes(text)).site?.title).toBe("Test Wire");
  });
});
