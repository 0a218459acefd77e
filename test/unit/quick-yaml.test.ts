import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { parseArticle } from "../../functions/core/article.ts";
import { parseSite } from "../../functions/core/content.ts";
import { quickYaml, topLevelKeyLine } from "../../functions/core/quick-yaml.ts";
import { article } from "../support/corpus.ts";

const site = parseSite(readFileSync("content/site.yaml")).site!;
const bytes = (s: string) => Buffer.from(s, "utf8");

describe("front matter fast path", () => {
  it("gives the same article as the careful parser for every article in content/", () => {
    for (const name of readdirSync("content/articles")) {
      const b = readFileSync(`content/articles/${name}`);
      expect(parseArticle(`articles/${name}`, b, site)).toEqual(parseArticle(`articles/${name}`, b, site, { fastPath: false }));
    }
  });

  it("gives the same article as the careful parser for 300 generated articles", () => {
    let fast = 0;
    for (let i = 0; i < 300; i++) {
      const b = bytes(article(i, { articles: 300 }));
      // The fast path is taken at all (else both sides are the careful parser's): count it.
      const frontMatter = b.toString("utf8").split("\n---\n")[0]!.slice(4);
      if (quickYaml(frontMatter) !== undefined) fast++;
      expect(parseArticle(`articles/a-${i}.md`, b, site)).toEqual(parseArticle(`articles/a-${i}.md`, b, site, { fastPath: false }));
    }
    expect(fast).toBeGreaterThan(250);
  });

  it.each([
    ["an anchor and alias", "a: &x [1]\nb: *x\n"],
    ["a tag", "title: !!binary aGk=\n"],
    ["a custom tag", "title: !foo bar\n"],
    ["a merge key", "a: {x: 1}\nb:\n  <<: {x: 2}\n"],
    ["a duplicate key", "title: a\ntitle: b\n"],
    ["a sequence at the top", "- a\n- b\n"],
    ["nesting past the limit", "a: [[[[[[[[[[1]]]]]]]]]]\n"],
    ["invalid YAML", "title: [unclosed\n"],
  ])("leaves %s to the careful parser", (_, text) => {
    expect(quickYaml(text)).toBeUndefined();
  });

  it("reports problems with the careful parser's lines even when the fast path could read the YAML", () => {
    const b = bytes("---\ntitle: Fine\ndate: 2020-02-30\nextra: 1\n---\nBody\n");
    const r = parseArticle("articles/x.md", b, site);
    expect(r.article).toBeUndefined();
    expect(r.issues).toEqual(parseArticle("articles/x.md", b, site, { fastPath: false }).issues);
    expect(r.issues.map((i) => [i.field, i.line, i.severity])).toEqual([["extra", 4, "warning"], ["date", 3, "error"]]);
  });

  it.each([
    ["a date without a zone", "---\ntitle: Fine\ndate: 2020-02-03T10:00:00\n---\nBody\n"],
    ["an unknown key and an update without a zone", "---\ntitle: Fine\nmood: calm\ndate: 2020-02-03T10:00:00Z\nupdated: 2020-02-04T10:00\n---\n"],
    ["a quoted unknown key", "---\n\"title\": Fine\n'mood': calm\ndate: 2020-02-03\n---\n"],
    ["a flow mapping (no key lines: the careful parser's)", "---\n{title: Fine, date: 2020-02-03T10:00:00, mood: calm}\n---\n"],
  ])("gives warnings (%s) exactly as the careful parser does", (_, text) => {
    const b = bytes(text);
    const r = parseArticle("articles/x.md", b, { ...site, timezone: "Europe/Istanbul" });
    expect(r.issues.some((i) => i.severity === "warning")).toBe(true);
    expect(r).toEqual(parseArticle("articles/x.md", b, { ...site, timezone: "Europe/Istanbul" }, { fastPath: false }));
  });

  it("finds the line of a top-level key, quoted or not", () => {
    expect(topLevelKeyLine("title: a\n'id': b\n  slug: nested\nslug: c\n", "id")).toBe(2);
    expect(topLevelKeyLine("title: a\n'id': b\n  slug: nested\nslug: c\n", "slug")).toBe(4);
    expect(topLevelKeyLine("title: a\n", "url")).toBeUndefined();
  });
});
