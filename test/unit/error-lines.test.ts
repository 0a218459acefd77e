/**
 * The line and field of validation errors and warnings, as an editor meets them: the line of the
 * offending key or value in the file (the opening `---` is line 1), whatever came before it.
 */
import { describe, expect, it } from "vitest";
import { parseArticle } from "../../functions/core/article.ts";
import { parseSite } from "../../functions/core/content.ts";
import { formatIssue } from "../../functions/core/errors.ts";
import { TEST_SITE, bytes } from "../support/content-tree.ts";

const FILE = "articles/a.md";
const raw = (s: string) => Buffer.from(s, "latin1");

/** Formatted issues of one article file, by the fast path and by the careful parser alike. */
function lines(text: string | Uint8Array): string[] {
  const b = typeof text === "string" ? bytes(text) : text;
  const fast = parseArticle(FILE, b, TEST_SITE).issues.map(formatIssue);
  expect(parseArticle(FILE, b, TEST_SITE, { fastPath: false }).issues.map(formatIssue)).toEqual(fast);
  return fast;
}

describe("a byte that is not UTF-8 is named on its line", () => {
  it("with old Mac line ends (CR alone)", () => {
    expect(lines(raw("---\rtitle: A\rsummary: x\rsource: caf\xe9\rdate: 2020-01-01\r---\rBody\r"))).toEqual(["articles/a.md:4: file: is not valid UTF-8 text (save it as UTF-8)"]);
  });

  it("after a U+FFFD written in the file (valid UTF-8)", () => {
    const text = Buffer.concat([bytes("---\ntitle: A \uFFFD ok\nsummary: x\n"), raw("source: caf\xe9\ndate: 2020-01-01\n---\nBody\n")]);
    expect(lines(text)).toEqual(["articles/a.md:4: file: is not valid UTF-8 text (save it as UTF-8)"]);
  });

  it("after many U+FFFD written in the file, with one before a BOM-less body of multi-byte text", () => {
    // Each written U+FFFD is passed over from the one before: a file of 200,000 of them is read
    // once, not once per U+FFFD (a hostile file of them would otherwise hold validate for minutes).
    const many = "\uFFFDş".repeat(100_000);
    const text = Buffer.concat([bytes(`---\ntitle: A\nsummary: "${many}"\nnote: "\uFFFD"\n`), raw("source: caf\xe9\ndate: 2020-01-01\n---\nBody\n")]);
    expect(parseArticle(FILE, text, TEST_SITE).issues.map(formatIssue)).toEqual(["articles/a.md:5: file: is not valid UTF-8 text (save it as UTF-8)"]);
    // With a BOM before it all.
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]);
    expect(parseArticle(FILE, bom, TEST_SITE).issues.map(formatIssue)).toEqual(["articles/a.md:5: file: is not valid UTF-8 text (save it as UTF-8)"]);
  });

  it("in site.yaml with old Mac line ends", () => {
    const r = parseSite(raw("title: T\rdescription: D\rcopyright: caf\xe9\r"));
    expect(r.issues.map(formatIssue)).toEqual(["site.yaml:3: file: is not valid UTF-8 text (save it as UTF-8)"]);
  });
});

describe("a control character written as a YAML escape is told on the line of its value", () => {
  it("inside image", () => {
    expect(lines('---\ntitle: A\ndate: 2020-01-01\nimage:\n  url: https://news.example.com/a.jpg\n  alt: "a\\x07b"\n---\nBody\n')).toEqual([
      "articles/a.md:6: warning: image: characters XML cannot carry (control characters) were removed",
    ]);
  });

  it("in a tag list, after a block scalar", () => {
    expect(lines('---\ntitle: A\nsummary: |\n  one\n  two\ndate: 2020-01-01\ntags:\n  - Libya\n  - "Tur\\u0007key"\n---\nBody\n')).toEqual([
      "articles/a.md:9: warning: tags: characters XML cannot carry (control characters) were removed",
    ]);
  });

  it("at the top level, as before", () => {
    expect(lines('---\ntitle: "A\\x07"\ndate: 2020-01-01\n---\nBody\n')).toEqual(["articles/a.md:2: warning: title: characters XML cannot carry (control characters) were removed"]);
  });

  it("in site.yaml's authors", () => {
    const r = parseSite(bytes('title: T\ndescription: D\nsite_url: https://news.example.com/\nfeed_url: https://news.example.com/feeds/\nlanguage: en\nauthors:\n  - name: Desk\n  - name: "Jane\\x07"\n'));
    expect(r.issues.map(formatIssue)).toEqual(["site.yaml:8: warning: authors: characters XML cannot carry (control characters) were removed"]);
  });
});

describe("a value continued at the start of a line (not indented)", () => {
  // js-yaml (the fast path) reads these; YAML, and the careful parser, do not: both must say the same.
  it("a quoted summary: the unknown key below is on its own line, not on the continuation", () => {
    expect(lines('---\ntitle: A\nsummary: "Talks resumed.\nmood: the delegations met again."\nmood: calm\ndate: 2020-01-01\n---\nBody\n')).not.toContainEqual(
      expect.stringMatching(/^articles\/a\.md:4: warning: mood:/),
    );
  });

  it("a flow list", () => {
    expect(lines("---\ntitle: A\ntags: [Libya,\nTurkey]\ndate: 2020-01-01\n---\nBody\n")[0]).toMatch(/^articles\/a\.md:3: tags: /);
  });

  it("a quoted value: told as a value run on, to be indented", () => {
    expect(lines('---\ntitle: A\nsummary: "Talks resumed\nthe delegations met again."\ndate: 2020-01-01\n---\nBody\n')[0]).toBe(
      "articles/a.md:3: summary: a quoted value runs on to the next line, which must be indented further than this one (by a space) to continue it: indent it, or write the value on one line",
    );
  });

  it("a list item continuing a quoted value", () => {
    expect(lines('---\ntitle: A\nsummary: "Talks resumed\n- the delegations met again."\ndate: 2020-01-01\n---\nBody\n')[0]).toMatch(/^articles\/a\.md:3: summary: /);
  });

  it("but not a list at the start of the line under its key", () => {
    expect(lines("---\ntitle: A\ntags:\n- Libya\n# and\n- Turkey\n  # more\nmood: calm\ndate: 2020-01-01\n---\nBody\n")).toEqual([
      expect.stringMatching(/^articles\/a\.md:8: warning: mood: unknown field/),
    ]);
  });
});

describe("a key missing from a mapping is told on the line of the key that holds it", () => {
  it("image: without alt", () => {
    expect(lines("---\ntitle: A\ndate: 2020-01-01\nimage:\n  url: https://example.com/a.jpg\n  caption: C\nsummary: S\n---\nBody\n")).toEqual([
      "articles/a.md:4: image.alt: is required",
    ]);
  });

  it("an author without a name, in a list: the item's line", () => {
    expect(lines("---\ntitle: A\ndate: 2020-01-01\nauthors:\n  - email: a@example.com\n    url: https://example.com/a\n---\nBody\n")[0]).toBe("articles/a.md:5: authors.0.name: is required");
  });
});
