import { describe, expect, it } from "vitest";
import { articleUrl, parseArticle, REMOVED_HTML_WARNINGS, renderBody, slugFromFile } from "../../functions/core/article.ts";
import { DEFAULT_LABELS } from "../../functions/core/labels.ts";
import { asBase, joinUrl } from "../../functions/core/urls.ts";
import fc from "fast-check";
import { formatIssue } from "../../functions/core/errors.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { siteSchema } from "../../functions/core/schema.ts";
import { SITE_FIELDS, TEST_SITE, articleText, bytes, type Fields } from "../support/content-tree.ts";

const FILE = "articles/a.md";

function parse(text: string | Uint8Array, file = FILE, site = TEST_SITE) {
  return parseArticle(file, typeof text === "string" ? bytes(text) : text, site);
}

/** Formatted issues of one article file. */
function lines(text: string | Uint8Array, file = FILE): string[] {
  return parse(text, file).issues.map(formatIssue);
}

function article(fields: Fields = {}, body?: string) {
  const r = parse(articleText(fields, body));
  if (!r.article) throw new Error(`expected a valid article: ${r.issues.map(formatIssue).join("; ")}`);
  return r.article;
}

describe("parseArticle: accepted", () => {
  it("reads title, date and body", () => {
    expect(article({}, "Hello *world*")).toMatchObject({ title: "A title", published: Date.parse("2020-06-19T10:00:00Z"), markdown: "Hello *world*\n" });
  });

  it("takes the slug from the file name", () => {
    expect(article().slug).toBe("a");
  });

  it("derives id and url from the slug and site_url", () => {
    expect(article()).toMatchObject({ id: "https://news.example.com/articles/a", url: "https://news.example.com/articles/a" });
  });

  it("keeps an explicit id", () => {
    expect(article({ id: "urn:uuid:1" }).id).toBe("urn:uuid:1");
  });

  it("lets front matter set the slug", () => {
    expect(article({ slug: "other" })).toMatchObject({ slug: "other", url: "https://news.example.com/articles/other" });
  });

  it("uses the site's authors when the article names none", () => {
    const site = siteSchema.parse({ ...SITE_FIELDS, authors: ["Desk"] });
    expect(parseArticle(FILE, bytes(articleText()), site).article?.authors).toEqual([{ name: "Desk" }]);
  });

  it("merges tags that share a slug, keeping the first spelling", () => {
    expect(article({ tags: ["Türkiye", "turkiye", "TÜRKİYE", "Libya"] }).tags).toEqual([
      { name: "Türkiye", slug: "turkiye" },
      { name: "Libya", slug: "libya" },
    ]);
  });

  it("types an image from its extension", () => {
    expect(article({ image: { url: "https://news.example.com/p.JPG", alt: "x" } }).image?.type).toBe("image/jpeg");
  });

  it("reads a file with a byte-order mark", () => {
    expect(parse(`\uFEFF${articleText()}`).article?.title).toBe("A title");
  });

  it("reads CRLF line ends, and names lines as an editor counts them", () => {
    const text = articleText({ title: "" }).replace(/\n/g, "\r\n");
    expect(lines(text)).toEqual(["articles/a.md:2: title: must not be empty"]);
  });

  it("takes the body's first line after the closing fence", () => {
    expect(article({ summary: "S" }).bodyLine).toBe(6);
  });

  it("accepts '...' as the closing fence", () => {
    expect(parse("---\ntitle: T\ndate: 2020-01-01\n...\nBody\n").article?.title).toBe("T");
  });
});

describe("parseArticle: warnings", () => {
  it("warns about an unknown field with its line, and still accepts the article", () => {
    const r = parse(articleText({ colour: "blue" }));
    expect(r.article).toBeDefined();
    expect(r.issues.map(formatIssue)).toEqual([expect.stringMatching(/^articles\/a\.md:4: warning: colour: unknown field, ignored/)]);
  });

  it("warns that `tags: A, B` is one tag, with its line, by both parsers; a list or a lone tag draws nothing", () => {
    const text = "---\ntitle: T\ndate: 2020-06-19T10:00:00Z\ntags: Turkey, Diplomacy\n---\nBody\n";
    for (const r of [parse(text), parseArticle(FILE, bytes(text), TEST_SITE, { fastPath: false })]) {
      expect(r.article?.tags).toEqual([{ name: "Turkey, Diplomacy", slug: "turkey-diplomacy" }]);
      expect(r.issues.map(formatIssue)).toEqual(['articles/a.md:4: warning: tags: is one tag, "Turkey, Diplomacy"; for 2 tags write a list: tags: [Turkey, Diplomacy]']);
    }
    expect(parse(articleText({ tags: ["Smith, John", "Turkey"] })).issues).toEqual([]);
    // A block scalar's line break stays out of the message: one issue, one line.
    const block = parse("---\ntitle: T\ndate: 2020-06-19T10:00:00Z\ntags: |\n  Turkey,\n  Diplomacy\n---\nBody\n");
    expect(block.issues.map(formatIssue)).toEqual(['articles/a.md:4: warning: tags: is one tag, "Turkey, Diplomacy"; for 2 tags write a list: tags: [Turkey, Diplomacy]']);
    expect(parse(articleText({ tags: "Turkey" })).issues).toEqual([]);
  });

  it("warns that list items without a space after the dash (`  -Turkey`) are one tag, by both parsers; `- Turkey` or a tag that starts with a dash after a space draws nothing", () => {
    const text = "---\ntitle: T\ndate: 2020-06-19T10:00:00Z\ntags:\n  -Turkey\n  -Ankara talks\n---\nBody\n";
    for (const r of [parse(text), parseArticle(FILE, bytes(text), TEST_SITE, { fastPath: false })]) {
      expect(r.article?.tags.map((t) => t.name)).toEqual(["-Turkey -Ankara talks"]);
      expect(r.issues.map(formatIssue)).toEqual(['articles/a.md:4: warning: tags: is one tag, "-Turkey -Ankara talks": a list item needs a space after its dash ("- Turkey"); for 2 tags: tags: [Turkey, Ankara talks]']);
    }
    const one = parse("---\ntitle: T\ndate: 2020-06-19T10:00:00Z\ntags:\n  -Turkey\n---\nBody\n");
    expect(one.issues.map(formatIssue)).toEqual(['articles/a.md:4: warning: tags: is one tag, "-Turkey": a list item needs a space after its dash ("- Turkey")']);
    expect(parse("---\ntitle: T\ndate: 2020-06-19T10:00:00Z\ntags:\n  - Turkey\n  - Libya\n---\nBody\n").issues).toEqual([]);
    expect(parse(articleText({ tags: ["-10 °C"] })).issues).toEqual([]);
  });

  it("warns about unknown keys of the image, an author and a related link, each with its line", () => {
    const text = [
      "---", "title: T", "date: 2020-06-19T10:00:00Z",
      "image:", "  url: https://news.example.com/a.jpg", "  alt: A", "  captoin: Misspelt",
      "authors:", "  - Desk", "  - name: Ayşe", "    emial: a@example.com",
      "related:", "  - title: R", "    link: https://news.example.com/r", "    url: https://news.example.com/r2",
      "---", "Body",
    ].join("\n");
    // The fast path has no line for a nested key: the careful parser gives it (the default), and
    // both paths give the same issues.
    for (const fastPath of [true, false]) {
      const r = parseArticle(FILE, bytes(text), TEST_SITE, { fastPath });
      expect(r.article).toMatchObject({ image: { alt: "A" }, authors: [{ name: "Desk" }, { name: "Ayşe" }], related: [{ title: "R" }] });
      expect(r.issues.map(formatIssue).sort()).toEqual([
        // A key near a known one names it; one near none (`link`) lists them.
        "articles/a.md:11: warning: authors.1.emial: unknown field, ignored: did you mean email?",
        "articles/a.md:14: warning: related.0.link: unknown field, ignored (known: title, url)",
        "articles/a.md:7: warning: image.captoin: unknown field, ignored: did you mean caption?",
      ]);
    }
  });

  it("removes NUL and other control characters with a warning naming the line", () => {
    const r = parse(`---\ntitle: A\u0000B\ndate: 2020-01-01\n---\nx\u0007y\n`);
    expect(r.article?.title).toBe("AB");
    expect(r.article?.markdown).toBe("xy\n");
    expect(r.issues.map(formatIssue)).toEqual([expect.stringMatching(/^articles\/a\.md:2: warning: file: characters XML cannot carry/)]);
  });

  it("warns about a date-time without a zone and reads it in the site's zone", () => {
    const site = siteSchema.parse({ ...SITE_FIELDS, timezone: "Europe/Istanbul" });
    const r = parseArticle(FILE, bytes(articleText({ date: "2020-06-19T10:00:00" })), site);
    expect(r.article?.published).toBe(Date.parse("2020-06-19T07:00:00Z"));
    expect(r.issues.map(formatIssue)).toEqual(["articles/a.md:3: warning: date: has no time zone; read as Europe/Istanbul, +03:00 on that day: write it, 2020-06-19T10:00:00+03:00"]);
    // The advice is the offset it was read with, summer or winter, and following it changes nothing.
    const berlin = siteSchema.parse({ ...SITE_FIELDS, timezone: "Europe/Berlin" });
    for (const [date, offset] of [["2020-06-19T10:00:00", "+02:00"], ["2020-01-19T10:00:00", "+01:00"]] as const) {
      const told = parseArticle(FILE, bytes(articleText({ date })), berlin);
      expect(told.issues[0]?.message).toContain(`write it, ${date}${offset}`);
      expect(parseArticle(FILE, bytes(articleText({ date: `${date}${offset}` })), berlin).article?.published).toBe(told.article?.published);
    }
  });

  it("does not warn about a date without a time", () => {
    expect(parse(articleText({ date: "2020-06-19" })).issues).toEqual([]);
  });
});

describe("parseArticle: rejected", () => {
  it("names file, line and field of a schema error", () => {
    expect(lines(articleText({ url: "javascript:alert(1)" }))).toEqual([
      "articles/a.md:4: url: must be an absolute http(s) URL, like https://example.com/page",
    ]);
  });

  it("names a missing required field", () => {
    expect(lines(articleText({ title: undefined }))).toEqual(["articles/a.md:2: title: is required"]);
    // Text to an editor, a number or true/false to YAML: say so, and how to quote it.
    expect(lines(articleText({ title: 2020 }))).toEqual(['articles/a.md:2: title: expected the title as text: YAML reads 2020 as a number; put it in quotes, like "2020"']);
    expect(lines(articleText({ date: 2020 }))).toEqual(["articles/a.md:3: date: expected an ISO 8601 date like 2020-06-19, or a date-time like 2020-06-19T10:30:00+03:00: YAML reads 2020 as a number"]);
    expect(lines(articleText({ updated: true }))).toEqual(["articles/a.md:4: updated: expected an ISO 8601 date like 2020-06-19, or a date-time like 2020-06-19T10:30:00+03:00: YAML reads true as a true/false value"]);
    expect(lines(articleText({ source: true }))).toEqual(['articles/a.md:4: source: expected the source line as text: YAML reads true as a true/false value; put it in quotes, like "true"']);
    expect(lines("")).toEqual(["articles/a.md:1: front matter: the file is empty: it must start with a line '---', then YAML fields (title, date…), then '---'"]);
    expect(lines(articleText({ image: "https://news.example.com/a.jpg" }))).toEqual([
      "articles/a.md:4: image: expected an image: its url and alt (and optionally caption and credit), each on its own line indented below image:",
    ]);
  });

  it("names the line of a nested field", () => {
    expect(lines("---\ntitle: T\ndate: 2020-01-01\nimage:\n  alt: A\n  url: data:image/png;base64,AAAA\n---\n")).toEqual([
      "articles/a.md:6: image.url: must be an absolute http(s) URL, like https://example.com/page",
    ]);
  });

  it(`rejects a file over ${LIMITS.articleFileBytes} bytes`, () => {
    expect(lines(articleText({}, "x".repeat(5 * 1024 * 1024)))).toEqual([
      expect.stringMatching(/^articles\/a\.md: file: is \d+ bytes; at most 1048576 bytes/),
    ]);
  });

  it(`rejects front matter over ${LIMITS.frontMatterBytes} characters`, () => {
    expect(lines(articleText({ note: "x".repeat(LIMITS.frontMatterBytes) }))).toEqual([expect.stringMatching(/^articles\/a\.md:1: front matter: is \d+ characters/)]);
  });

  it("rejects a 10 KB title", () => {
    expect(lines(articleText({ title: "T".repeat(10_240) }))).toEqual([`articles/a.md:2: title: must be at most ${LIMITS.titleChars} characters`]);
  });

  it("rejects thousands of tags", () => {
    expect(lines(articleText({ tags: Array.from({ length: 2000 }, (_, i) => `t${i}`) }))).toEqual([`articles/a.md:4: tags: at most ${LIMITS.tagsPerArticle} tags are allowed`]);
  });

  it("rejects bytes that are not UTF-8, naming the line", () => {
    const good = bytes("---\ntitle: T\ndate: 2020-01-01\n---\nline\n");
    const file = new Uint8Array([...good, 0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café" in Latin-1
    expect(lines(file)).toEqual(["articles/a.md:6: file: is not valid UTF-8 text (save it as UTF-8)"]);
  });

  it("rejects a file saved as UTF-16, with or without its byte-order mark, saying so: read as UTF-8, its text would be mangled", () => {
    // Without the mark every other byte is a NUL, removed as a control character: "Şahin" was
    // published as "^ahin" (U+015E is the bytes 5E 01), "İstanbul" as "0stanbul".
    const text = "---\ntitle: Şahin in İstanbul\ndate: 2020-06-19\n---\nBody.\n";
    const utf16be = (s: string) => Buffer.from(s, "utf16le").swap16();
    const told = 'articles/a.md:1: file: is not valid UTF-8 text: it is UTF-16 (Windows\' "Unicode"); save it as UTF-8';
    expect(lines(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]))).toEqual([told]);
    expect(lines(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]))).toEqual([told]);
    expect(lines(Buffer.from(text, "utf16le"))).toEqual([told]);
    expect(lines(utf16be(text))).toEqual([told]);
    // A NUL or two in UTF-8 text is removed with a warning, as before.
    expect(lines(`---\ntitle: T\u0000\ndate: 2020-06-19\n---\nBody\u0000.\n`)).toEqual(["articles/a.md:2: warning: file: characters XML cannot carry (control characters) were removed"]);
  });

  it("rejects a file without front matter", () => {
    expect(lines("# Just Markdown\n")).toEqual([expect.stringMatching(/^articles\/a\.md:1: front matter: the file must start with a line '---'/)]);
    // Front matter as Hugo writes it (TOML between +++, or JSON): said, with what to write instead.
    expect(lines('+++\ntitle = "Talks"\ndate = 2020-06-19\n+++\nBody.\n')).toEqual([
      "articles/a.md:1: front matter: TOML front matter (between '+++' lines, as Hugo writes it) is not read: write the fields as YAML between two lines '---' (title: …, date: …)",
    ]);
    expect(lines('\n{\n  "title": "Talks",\n  "date": "2020-06-19"\n}\nBody.\n')).toEqual([
      "articles/a.md:2: front matter: JSON front matter is not read: write the fields as YAML between two lines '---' (title: …, date: …)",
    ]);
    expect(lines('{"title": "Talks", "date": "2020-06-19"}\nBody.\n')).toEqual([expect.stringMatching(/^articles\/a\.md:1: front matter: JSON front matter is not read/)]);
    // Text in braces is no JSON.
    expect(lines("{Breaking} Talks resume\n")).toEqual([expect.stringMatching(/^articles\/a\.md:1: front matter: the file must start with a line '---'/)]);
  });

  it("rejects unterminated front matter", () => {
    expect(lines("---\ntitle: T\ndate: 2020-01-01\nBody\n")).toEqual([expect.stringMatching(/^articles\/a\.md:1: front matter: front matter is not closed/)]);
  });

  it.each([
    ["a list", "---\n- a\n- b\n---\n"],
    ["a string", "---\njust text\n---\n"],
    ["empty", "---\n---\n"],
  ])("rejects front matter that is %s", (_, text) => {
    expect(lines(text)).toEqual([expect.stringMatching(/^articles\/a\.md:2: front matter: must be a YAML mapping/)]);
  });

  it("rejects a YAML alias bomb", () => {
    const bomb = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) bomb.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(",")}]`);
    // Line 6 (a2): its first alias of a1 passes the limit.
    expect(lines(`---\ntitle: T\ndate: 2020-01-01\n${bomb.join("\n")}\n---\n`)).toEqual([expect.stringMatching(/^articles\/a\.md:6: front matter: too many YAML aliases/)]);
  });

  it("names a duplicate key, on the file line of the second one", () => {
    expect(lines("---\ntitle: T\ndate: 2020-01-01\ntitle: U\n---\n")).toEqual(['articles/a.md:4: front matter: the key "title" appears twice']);
  });

  it("gives the file line of front matter nested too deep", () => {
    expect(lines(`---\ntitle: T\ndate: 2020-01-01\nx: ${"[".repeat(LIMITS.yamlDepth + 1)}1${"]".repeat(LIMITS.yamlDepth + 1)}\n---\n`)).toEqual([
      `articles/a.md:4: front matter: nested deeper than ${LIMITS.yamlDepth} levels`,
    ]);
  });

  it("rejects a custom YAML tag, naming the line", () => {
    expect(lines("---\ntitle: T\ndate: !!js/date 2020-01-01\n---\n")).toEqual([expect.stringMatching(/^articles\/a\.md:3: front matter: YAML tags are not allowed/)]);
  });

  it("rejects an impossible date with its line", () => {
    expect(lines(articleText({ date: "2021-02-30" }))).toEqual([expect.stringMatching(/^articles\/a\.md:3: date: "2021-02-30" is not a real date/)]);
  });

  it("rejects an impossible hour", () => {
    expect(lines(articleText({ date: "2021-01-01T25:00:00Z" }))).toEqual([expect.stringMatching(/^articles\/a\.md:3: date: .* is not a real date/)]);
  });

  it("rejects updated before date", () => {
    expect(lines(articleText({ updated: "2020-01-01" }))).toEqual(["articles/a.md:4: updated: is earlier than date"]);
  });

  it("rejects an image URL whose type cannot be told", () => {
    expect(lines(articleText({ image: { url: "https://news.example.com/photo", alt: "x" } }))).toEqual([expect.stringMatching(/^articles\/a\.md:4: image\.type: the image URL has no known extension/)]);
  });

  it("rejects a slug that tries path traversal", () => {
    expect(lines(articleText({ slug: "../../etc/passwd" }))).toEqual([expect.stringMatching(/^articles\/a\.md:4: slug: must be lowercase/)]);
  });

  it("reports a front-matter error and an unknown field together", () => {
    const found = lines(articleText({ title: "", extra: 1 }));
    expect(found).toHaveLength(2);
    expect(found).toEqual(
      expect.arrayContaining(["articles/a.md:2: title: must not be empty", expect.stringMatching(/^articles\/a\.md:4: warning: extra: unknown field/)]),
    );
  });
});

describe("articleUrl", () => {
  it("is URL resolution of articles/<slug> against the site's URL, for any site URL and slug", () => {
    const siteUrls = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.constantFrom("https://Example.COM", "https://example.com:443/news", "http://example.com:8080/a/b/", "https://xn--tst-qla.example/é/", "https://example.com/a%20b/", "https://example.com/./x/../"),
    );
    const slugs = fc.oneof(fc.stringMatching(/^[a-z0-9]+(?:-[a-z0-9]+)*$/), fc.string(), fc.constantFrom("..", ".", "a/b", "a?b", "%41", "é"));
    fc.assert(
      fc.property(siteUrls, slugs, (site, slug) => {
        expect(articleUrl(site, slug)).toBe(joinUrl(asBase(site), `articles/${slug}`));
      }),
      { numRuns: 500 },
    );
  });
});

describe("slugFromFile", () => {
  it("keeps a file name that is already a slug", () => {
    expect(slugFromFile("articles/rome-talks.md")).toBe("rome-talks");
  });

  it("slugifies a file name with spaces and capitals", () => {
    expect(slugFromFile("articles/Ankara Talks.md")).toBe("ankara-talks");
  });

  it("turns a file name that tries path traversal into a harmless slug", () => {
    expect(slugFromFile("articles/..%2F..%2Fetc.md")).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
  });

  it("gives a dot-only file name a hash slug, not an empty one", () => {
    expect(slugFromFile("articles/...md")).toMatch(/^t-[0-9a-f]{12}$/);
  });
});

describe("renderBody", () => {
  it("renders the body once, with image, related links and source around it", () => {
    const a = article({ image: { url: "https://news.example.com/p.png", alt: "Alt", credit: "AA" }, related: [{ title: "R", url: "https://news.example.com/r" }], source: "Wire" }, "Text");
    expect(renderBody(a, DEFAULT_LABELS)).toEqual([]);
    expect(a.contentHtml).toMatch(/^<figure><img src="https:\/\/news\.example\.com\/p\.png" alt="Alt"><figcaption><small>AA<\/small><\/figcaption><\/figure>\n<p>Text<\/p>\n<aside>.*<a href="https:\/\/news\.example\.com\/r">R<\/a>.*<\/aside>\n<p><em>Source: Wire<\/em><\/p>$/s);
  });

  it("puts the summary of an article without a body in its content, in the body's place, when an image, related links or a source line give it one (readers show the content, not the summary)", () => {
    const extras = { image: { url: "https://news.example.com/p.png", alt: "Alt", caption: "Cap" }, related: [{ title: "R", url: "https://news.example.com/r" }], source: "AFP" };
    const a = article({ summary: "Talks resume in Rome & Ankara <today>.", ...extras }, "");
    expect(renderBody(a, DEFAULT_LABELS)).toEqual([]);
    expect(a.contentHtml).toMatch(/^<figure>.*<\/figure>\n<p>Talks resume in Rome &amp; Ankara &lt;today&gt;\.<\/p>\n<aside>.*<\/aside>\n<p><em>Source: AFP<\/em><\/p>$/s);
    for (const only of [{ image: extras.image }, { related: extras.related }, { source: extras.source }]) {
      const b = article({ summary: "Brief.", ...only }, "\n");
      renderBody(b, DEFAULT_LABELS);
      expect(b.contentHtml, Object.keys(only)[0]).toContain("<p>Brief.</p>");
    }
    // A link post with nothing else has no content (JSON Feed's content_text carries the summary),
    // and an article with a body keeps its summary out of the content.
    const linkPost = article({ summary: "Brief." }, "");
    renderBody(linkPost, DEFAULT_LABELS);
    expect(linkPost.contentHtml).toBe("");
    const withBody = article({ summary: "Brief.", source: "AFP" }, "Text");
    renderBody(withBody, DEFAULT_LABELS);
    expect(withBody.contentHtml).not.toContain("Brief.");
  });

  it("gives every format the same HTML: no character XML cannot carry, a CR as &#13;, caption included", () => {
    const a = article({ image: { url: "https://news.example.com/p.png", alt: "Alt", caption: "Cap\rtion" } }, "<p>a&#1;b</p>\n\nc&#13;d");
    expect(renderBody(a, DEFAULT_LABELS)).toEqual([]);
    expect(a.contentHtml).not.toMatch(/[\u0001\r]/);
    expect(a.contentHtml).toContain("Cap&#13;tion");
    expect(a.contentHtml).toContain("<p>ab</p>");
  });

  it("warns of each piece of raw HTML the allow-list removes, on its own line; allowed HTML draws none", () => {
    // Body from line 5 (articleText: three fields, then the fence).
    const body = [
      "Intro with <b>bold</b> and <abbr title=\"t\">abbr</abbr>.", // 5: allowed
      "",
      "<iframe src=\"javascript:play()\"></iframe>", // 7: dropped (an https src becomes a link: markdown.test.ts)
      "",
      "A <a href=\"javascript:alert(1)\" onclick=\"steal()\">link</a> and <font color=red>old</font>.", // 9
      "",
      "<div>", // 11
      "<script>alert(1)</script>", // 12: inside the block, on its own line
      "<img src=\"data:image/png;base64,AAAA\" alt=\"x\" style=\"width:1px\">", // 13
      "</div>",
    ].join("\n");
    const a = article({}, body);
    const issues = renderBody(a, DEFAULT_LABELS);
    expect(issues.map((i) => [i.line, i.severity, i.message.replace(/; README.*$/, "")])).toEqual([
      [7, "warning", "not published: <iframe> and its content"],
      [9, "warning", "not published: the href of <a> (javascript: URLs are not allowed)"],
      [9, "warning", "not published: the onclick attribute of <a>"],
      [9, "warning", "not published: <font> (its text is kept)"],
      [12, "warning", "not published: <script> and its content"],
      [13, "warning", "not published: the src of <img> (data: URLs are not allowed)"],
      [13, "warning", "not published: the style attribute of <img>"],
    ]);
    expect(issues.every((i) => i.file === FILE && i.field === "body")).toBe(true);
    // The HTML is as before: the warnings tell, they change nothing.
    expect(a.contentHtml).not.toMatch(/iframe|script|onclick|javascript|data:|style=|font/);
    expect(a.contentHtml).toContain("<abbr title=\"t\">abbr</abbr>");
    expect(renderBody(article({}, "Only <b>allowed</b> <em>HTML</em> and <a href=\"https://x.example/\">links</a>."), DEFAULT_LABELS)).toEqual([]);
  });

  it("treats cite (<q>, <blockquote>) as a URL: made absolute, a refused scheme dropped and told, no scheme rejoined after an illegal character", () => {
    const view = (body: string) => {
      const a = article({}, body);
      const told = renderBody(a, DEFAULT_LABELS).map((i) => [i.line, i.message.replace(/; README.*$/, "")]);
      return { html: a.contentHtml, told };
    };
    const rel = view('<q cite="rel.html">q</q> <blockquote cite="/abs.html">b</blockquote>');
    expect(rel.html).toContain('<q cite="https://news.example.com/articles/rel.html">');
    expect(rel.html).toContain('<blockquote cite="https://news.example.com/abs.html">');
    expect(rel.told).toEqual([]);
    // U+FFFF is no URL character (sanitize-html saw no scheme) and feedSafeHtml removes it, which
    // joined "javascript:" back together: now the URL is resolved first, so it stays a path.
    for (const sneaky of ['<q cite="java&#xFFFF;script:alert(1)">q</q>', '<blockquote cite="da&#xFFFE;ta:text/html,x">b</blockquote>', '<q cite="&#xFFFF;//evil.example/x">q</q>']) {
      const { html } = view(sneaky);
      expect(html).not.toMatch(/cite="(?:javascript:|data:|\/\/)/);
      expect(html).toMatch(/cite="https:\/\/news\.example\.com\//);
    }
    const refused = view('<q cite="javascript:alert(1)">q</q>');
    expect([refused.html, refused.told]).toEqual(["<p><q>q</q></p>", [[5, "not published: the cite of <q> (javascript: URLs are not allowed)"]]]);
  });

  it("warns that an HTML comment or CDATA section never closed hides the rest of the body", () => {
    const told = (body: string) => renderBody(article({}, body), DEFAULT_LABELS).map((i) => [i.line, i.message.replace(/; README.*$/, "")]);
    expect(told("Intro paragraph.\n\n<!-- editor note\n\nRest of the article.")).toEqual([[7, "not published: everything after an HTML comment that is never closed (<!-- without -->)"]]);
    expect(told("Intro.\n\n<![CDATA[\n\nRest")).toEqual([[7, "not published: everything after a <![CDATA[ section that is never closed (no ]]>)"]]);
    expect(told("Ok <!-- closed --> fine\n\n<!--\nblock\n-->\n\nand <b>bold</b>")).toEqual([]);
  });

  it("warns that a closed CDATA section's text is not published (HTML has none), on its line", () => {
    const body = "Intro.\n\n<pre>\nline\n<![CDATA[ x < y ]]></pre>\n\nMore.";
    const r = renderBody(article({}, body), DEFAULT_LABELS);
    expect(r.map((i) => [i.line, i.message.replace(/; README.*$/, "")])).toEqual([[9, "not published: the text of a <![CDATA[ … ]]> section (HTML has none: write the text itself, code in a code block)"]]);
  });

  it("warns of a Markdown link or image whose URL is refused, with or without raw HTML in the body", () => {
    const links = "[file](ftp://files.example.com/a)\n\n![pixel](data:image/png;base64,AAAA)\n\n[ref]\n\n[ref]: ftp://x.example.com/\n\n[fine](https://x.example.com/) [mail](mailto:a@x.example.com)";
    const expected = [
      [5, "not published: the link's URL (ftp: URLs are not allowed)"],
      [7, "not published: the image's URL (data: URLs are not allowed)"],
      [9, "not published: the link's URL (ftp: URLs are not allowed)"],
    ];
    const view = (body: string) => renderBody(article({}, body), DEFAULT_LABELS).map((i) => [i.line, i.message.replace(/; README.*$/, "")]);
    expect(view(links)).toEqual(expected);
    // A scheme written as a character reference (markdown-it decodes it: still refused, still
    // told), and an autolink: two ftp: links on one line are told once.
    expect(view("[a](&#x66;tp://x.example.com/) and <ftp://y.example.com/>")).toEqual([[5, "not published: the link's URL (ftp: URLs are not allowed)"]]);
    expect(view("<ftp://y.example.com/>")).toEqual([[5, "not published: the link's URL (ftp: URLs are not allowed)"]]);
    expect(view("[a](&#x66;tp://x.example.com/)")).toEqual([[5, "not published: the link's URL (ftp: URLs are not allowed)"]]);
    // With raw HTML the body takes the sanitize-html path: the same warnings, in line order.
    expect(view(`${links}\n\n<font>x</font>`)).toEqual([...expected, [15, "not published: <font> (its text is kept)"]]);
  });

  it("names the line of a link or tag inside a paragraph of several lines, and tells one thing on one line once", () => {
    const body = ["line one", "line two [a](ftp://x.example.com/a) [b](ftp://x.example.com/b)", "line three <iframe src=data:x></iframe>", "line four  ", "line five <font>f</font>"].join("\n");
    expect(renderBody(article({}, body), DEFAULT_LABELS).map((i) => [i.line, i.message.replace(/; README.*$/, "")])).toEqual([
      [6, "not published: the link's URL (ftp: URLs are not allowed)"],
      [7, "not published: <iframe> and its content"],
      [9, "not published: <font> (its text is kept)"],
    ]);
  });

  it("finds the lines of the tags of a long HTML block, the last one's too", () => {
    // 40,000 lines of one HTML block (under the file limit). Its time is not asserted (no timed
    // tests here); counting from the block's start for every tag took ~6 s, a cursor ~0.3 s.
    const n = 40_000;
    const body = `<div>\n${Array.from({ length: n }, (_, i) => (i === 7 ? "<p onclick=x>x</p>" : "<p>x</p>")).join("\n")}\n<font>last</font>\n</div>`;
    expect(renderBody(article({}, body), DEFAULT_LABELS).map((i) => [i.line, i.message.replace(/; README.*$/, "")])).toEqual([
      [5 + 1 + 7, "not published: the onclick attribute of <p>"],
      [5 + n + 1, "not published: <font> (its text is kept)"],
    ]);
  });

  it("counts a closing tag that opens an HTML block: what follows the dropped element is told again", () => {
    // An <iframe> left open in one block and closed at the start of a later one: sanitize-html
    // drops what lies between; the <font> after the close is removed with its text kept.
    const body = ["<iframe src=\"https://v.example.com/\">", "", "fallback", "", "</iframe>", "<font>after</font>"].join("\n");
    expect(renderBody(article({}, body), DEFAULT_LABELS).map((i) => [i.line, i.message.replace(/; README.*$/, "")])).toEqual([
      [5, "<iframe> is published as a link to https://v.example.com/: an embed is not kept in the feed (readers drop it), its link is; whatever is written between <iframe> and </iframe> is not published"],
      [10, "not published: <font> (its text is kept)"],
    ]);
  });

  it("caps the raw-HTML warnings of one file, counting the rest", () => {
    const a = article({}, Array.from({ length: 15 }, (_, i) => `<font>${i}</font>`).join("\n\n"));
    const issues = renderBody(a, DEFAULT_LABELS);
    expect(issues).toHaveLength(REMOVED_HTML_WARNINGS + 1);
    expect(issues.at(-1)!.message).toBe("not published: 5 more pieces from here on");
    expect(issues.at(-1)!.line).toBe(5 + 2 * REMOVED_HTML_WARNINGS);
  });

  it("names the body line of the first list nested too deep", () => {
    // Body from line 5: "Intro", a blank line, then one list level per line from line 7.
    const a = article({}, `Intro\n\n${Array.from({ length: 40 }, (_, i) => `${"  ".repeat(i)}- x`).join("\n")}`);
    expect(renderBody(a, DEFAULT_LABELS)).toMatchObject([{ file: FILE, field: "body", line: 7 + LIMITS.bodyNestingDepth, severity: "error", message: expect.stringContaining("nested deeper than") }]);
  });
});
