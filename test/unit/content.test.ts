import { describe, expect, it } from "vitest";
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hasErrors, loadContent } from "../../functions/core/content.ts";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { formatIssue } from "../../functions/core/errors.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { build, validate } from "../../functions/pipeline/build.ts";
import type { ContentError } from "../../functions/core/errors.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { articleText, contentFiles, tempDir, tree, writeTree, type Tree } from "../support/content-tree.ts";

const load = (t: Tree) => loadContent(contentFiles(t));
const errors = (t: Tree) => load(t).issues.filter((i) => i.severity === "error").map(formatIssue);

describe("loadContent", () => {
  it("loads the site and every article", () => {
    const r = load(tree({ a: {}, b: {} }));
    expect([r.site?.title, r.articles.map((a) => a.slug), r.issues]).toEqual(["Test Wire", ["a", "b"], []]);
  });

  it("reports a duplicate slug naming both files", () => {
    expect(errors(tree({ a: { slug: "same" }, b: { slug: "same" } }))).toEqual([
      'articles/b.md:4: slug: "same" is also the slug of articles/a.md:4; each article needs its own',
    ]);
  });

  it("reports a slug set in front matter that another file's name gives, in the file that set it, with its line", () => {
    // a.md sets it and comes first; z.md sets it and comes last: either way the setter is told.
    expect(errors(tree({ a: { slug: "b" }, b: {} }))).toEqual(['articles/a.md:4: slug: "b" is also the slug of articles/b.md (from its file name); each article needs its own']);
    expect(errors(tree({ b: {}, z: { slug: "b" } }))).toEqual(['articles/z.md:4: slug: "b" is also the slug of articles/b.md (from its file name); each article needs its own']);
  });

  it("reports a duplicate id naming both files", () => {
    expect(errors(tree({ a: { id: "urn:x:1" }, b: { id: "urn:x:1" } }))).toEqual([
      'articles/b.md:4: id: "urn:x:1" is also the id of articles/a.md:4; each article needs its own',
    ]);
  });

  it("reports an explicit id equal to another article's derived id", () => {
    expect(errors(tree({ a: {}, b: { id: "https://news.example.com/articles/a" } }))).toEqual([
      'articles/b.md:4: id: "https://news.example.com/articles/a" is also the id of articles/a.md (derived from its slug); each article needs its own',
    ]);
  });

  it("reports a duplicate slug even when the other file is invalid", () => {
    expect(errors(tree({ a: { title: "" }, b: { slug: "a" } }))).toEqual([
      "articles/a.md:2: title: must not be empty",
      'articles/b.md:4: slug: "a" is also the slug of articles/a.md (from its file name); each article needs its own',
    ]);
  });

  it("names the other file of a duplicate as a field, for tools", () => {
    const [issue] = load(tree({ a: { id: "urn:x" }, b: { id: "urn:x" } })).issues;
    expect(issue?.other).toEqual({ file: "articles/a.md", line: 4 });
  });

  it("reports every problem in every file in one pass", () => {
    const t = tree({ a: { title: "" }, b: { date: "2021-02-30", url: "data:x" }, c: "no front matter\n" }, { language: "??" });
    expect(errors(t).map((l) => l.split(": ").slice(0, 2).join(": "))).toEqual([
      "site.yaml:5: language",
      "articles/a.md:2: title",
      "articles/b.md:3: date",
      "articles/b.md:4: url",
      "articles/c.md:1: front matter",
    ]);
  });

  it("names a duplicate key in site.yaml, on the line of the second one", () => {
    const t = tree({ a: {} });
    t["site.yaml"] = `${t["site.yaml"]}title: Again\n`;
    const line = String(t["site.yaml"]).split("\n").length - 1;
    expect(errors(t)).toEqual([`site.yaml:${line}: file: the key "title" appears twice`]);
  });

  it("still checks articles when site.yaml is missing", () => {
    const t = tree({ a: { title: "" } });
    delete t["site.yaml"];
    expect(errors(t)).toEqual([expect.stringMatching(/^site\.yaml: file: is missing/), "articles/a.md:2: title: must not be empty"]);
  });

  it("tells an editor to quote a number written where site.yaml wants text", () => {
    expect(errors(tree({}, { title: 2020 }))).toEqual(['site.yaml:1: title: expected the feed title as text: YAML reads 2020 as a number; put it in quotes, like "2020"']);
  });

  it("warns once per tag written more than one way, naming each spelling and its first file", () => {
    const r = load(tree({ a: { tags: ["Turkey", "Libya"] }, b: { tags: ["turkey"] }, c: { tags: ["Türkiye"] }, d: { tags: ["Turkiye", "Turkey"] }, e: { tags: ["Libya"] } }));
    expect(r.issues.map(formatIssue)).toEqual([
      'articles/b.md: warning: tags: "Turkey" (articles/a.md), "turkey" (articles/b.md) share one slug, so one tag and one feed, tags/turkey/, titled after the newest article\'s spelling: write the tag one way, or, if they are different tags, name one differently',
      'articles/d.md: warning: tags: "Türkiye" (articles/c.md), "Turkiye" (articles/d.md) share one slug, so one tag and one feed, tags/turkiye/, titled after the newest article\'s spelling: write the tag one way, or, if they are different tags, name one differently',
    ]);
    expect(r.articles).toHaveLength(5);
    expect(load(tree({ a: { tags: ["Libya", "Italy"] }, b: { tags: ["Libya"] } })).issues).toEqual([]);
  });

  it("warns about a file that is neither site.yaml nor an article", () => {
    expect(load({ ...tree({}), "articles/notes.txt": "x" }).issues.map(formatIssue)).toEqual([
      "articles/notes.txt: warning: file: not site.yaml or articles/<slug>.md: ignored",
    ]);
  });

  it("orders articles by path, whatever order the files come in", () => {
    const files = contentFiles(tree({ c: {}, a: {}, b: {} })).reverse();
    expect(loadContent(files).articles.map((a) => a.file)).toEqual(["articles/a.md", "articles/b.md", "articles/c.md"]);
  });
});

describe("DirectoryContent", () => {
  async function readDir(t: Tree, setup?: (content: string, outside: string) => Promise<void>) {
    const dir = await tempDir();
    const content = await writeTree(join(dir, "content"), t);
    await mkdir(join(content, "articles"), { recursive: true });
    const outside = join(dir, "outside");
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, "secret.md"), articleText({ title: "Secret" }));
    await setup?.(content, outside);
    return new DirectoryContent(content).read();
  }

  it("takes a file deleted between the listing and its reading as gone, not as an error (an rm of many files under way)", async () => {
    const dir = await tempDir();
    const content = await writeTree(join(dir, "content"), tree({ a: {}, b: {}, c: {} }));
    // Asked about a.md (listed first), the file after it is deleted: listed, then gone.
    // Read as if written long before: only a trusted change marker is offered to `skip` (RACY_MS).
    const r = await new DirectoryContent(content, () => Date.now() + 60_000).read({
      skip: (path) => {
        if (path === "articles/a.md") rmSync(join(content, "articles", "b.md"));
        return false;
      },
    });
    expect([r.issues, r.files.map((f) => f.path)]).toEqual([[], ["site.yaml", "articles/a.md", "articles/c.md"]]);
  });

  it("reads site.yaml, first (ReadOptions.onFile needs the settings first), and the articles", async () => {
    const r = await readDir(tree({ a: {} }));
    expect(r.files.map((f) => f.path)).toEqual(["site.yaml", "articles/a.md"]);
  });

  it("rejects an article that is a symbolic link to a file outside the content directory", async () => {
    const r = await readDir(tree({}), (content, outside) => symlink(join(outside, "secret.md"), join(content, "articles", "leak.md")));
    expect([r.files.map((f) => f.path), r.issues.map(formatIssue)]).toEqual([
      ["site.yaml"],
      ["articles/leak.md: file: is a symbolic link to a file outside the content directory: not read"],
    ]);
  });

  it("rejects an articles folder that is a symbolic link to a folder outside the content directory", async () => {
    const r = await readDir(tree({}), async (content, outside) => {
      await rm(join(content, "articles"), { recursive: true });
      await symlink(outside, join(content, "articles"));
    });
    expect([r.files.map((f) => f.path), r.issues.map(formatIssue)]).toEqual([
      ["site.yaml"],
      ["articles/secret.md: file: is a symbolic link to a file outside the content directory: not read"],
    ]);
  });

  it("reads an empty articles/ folder as no articles", async () => {
    const r = await readDir(tree({}));
    expect([r.files.map((f) => f.path), r.issues]).toEqual([["site.yaml"], []]);
  });

  it.each([
    ["missing", (content: string) => rm(join(content, "articles"), { recursive: true }), "articles/: file: is missing: the content directory needs an articles/ folder"],
    ["a file", async (content: string) => (await rm(join(content, "articles"), { recursive: true }), writeFile(join(content, "articles"), "")), "articles/: file: is not a folder"],
  ])("reports an articles/ folder that is %s, never reads it as no articles (which would publish empty feeds)", async (_n, setup, message) => {
    const r = await readDir(tree({}), setup);
    expect(r.issues.map(formatIssue)).toEqual([expect.stringContaining(message)]);
    expect(hasErrors(r.issues)).toBe(true);
  });

  it("reports a site.yaml that is a FIFO without opening it (opening one waits for a writer)", async () => {
    const r = await readDir(tree({}), async (content) => {
      await rm(join(content, "site.yaml"));
      execFileSync("mkfifo", [join(content, "site.yaml")]);
    });
    expect(r.files.map((f) => f.path)).toEqual([]);
    expect(r.issues.map(formatIssue)).toEqual(["site.yaml: file: is not a regular file"]);
  });

  it("leaves hidden files in articles/ unread: an Emacs lock (a link to nothing) and ._x.md warn, .DS_Store passes unsaid", async () => {
    const r = await readDir(tree({ a: {} }), async (content) => {
      await symlink("root@host.1234:1700000000", join(content, "articles", ".#a.md"));
      await writeFile(join(content, "articles", "._a.md"), Buffer.from([0, 5, 22, 7, 0, 2, 0, 0]));
      await writeFile(join(content, "articles", ".DS_Store"), "\u0000\u0000\u0000\u0001Bud1");
    });
    expect(r.files.map((f) => f.path)).toEqual(["site.yaml", "articles/a.md"]);
    expect(r.issues.map(formatIssue)).toEqual([
      "articles/.#a.md: warning: file: is a hidden file (its name starts with '.', as editors' lock and backup files do): not read",
      "articles/._a.md: warning: file: is a hidden file (its name starts with '.', as editors' lock and backup files do): not read",
    ]);
    expect(hasErrors(r.issues)).toBe(false);
  });

  it("follows a symbolic link that stays inside the content directory", async () => {
    const r = await readDir(tree({ a: {} }), (content) => symlink(join(content, "articles", "a.md"), join(content, "articles", "b.md")));
    expect(r.files.map((f) => f.path)).toEqual(["site.yaml", "articles/a.md", "articles/b.md"]);
  });

  it("reports a dangling symbolic link, and one that loops, each in its own words", async () => {
    const r = await readDir(tree({}), async (content) => {
      await symlink(join(content, "nowhere.md"), join(content, "articles", "gone.md"));
      await symlink(join(content, "articles", "loop.md"), join(content, "articles", "loop.md"));
    });
    expect(r.issues.map(formatIssue)).toEqual([
      "articles/gone.md: file: is a symbolic link to nothing (its target does not exist): not read",
      "articles/loop.md: file: is a symbolic link that loops (its chain of links leads back to itself): not read",
    ]);
  });

  it(`reports an article over ${LIMITS.articleFileBytes} bytes without reading it`, async () => {
    const r = await readDir(tree({ big: articleText({}, "x".repeat(LIMITS.articleFileBytes)) }));
    expect([r.files.map((f) => f.path), r.issues.map(formatIssue)]).toEqual([["site.yaml"], [expect.stringMatching(/^articles\/big\.md: file: is \d+ bytes; at most/)]]);
  });

  it(`reports a site.yaml over ${LIMITS.siteFileBytes} bytes once, not also as missing, in validate and in a build`, async () => {
    const t = tree({ a: articleText({}) });
    const content = await writeTree(join(await tempDir(), "content"), { ...t, "site.yaml": `${t["site.yaml"]}#${"x".repeat(LIMITS.siteFileBytes)}\n` });
    const told = [expect.stringMatching(/^site\.yaml: file: is \d+ bytes; at most \d+ bytes are allowed$/)];
    expect((await validate(new DirectoryContent(content))).issues.map(formatIssue)).toEqual(told);
    const failure = await build({ source: new DirectoryContent(content), store: new DirectoryStore(join(content, "..", "out")), now: Date.UTC(2030, 0, 1) }).catch((e: unknown) => e);
    expect((failure as ContentError).issues.map(formatIssue)).toEqual(told);
  });

  it("warns of an updated: later than the build's time (the feed would say it changed in the future), and builds", async () => {
    const content = await writeTree(join(await tempDir(), "content"), tree({ a: { title: "A", date: "2020-06-19T10:00:00Z", updated: "2030-01-01T00:00:00Z" }, b: { title: "B", date: "2020-06-18T10:00:00Z" } }));
    const report = await build({ source: new DirectoryContent(content), store: new DirectoryStore(join(content, "..", "out")), now: Date.UTC(2025, 0, 1) });
    expect(report.warnings.map(formatIssue)).toEqual(["articles/a.md:4: warning: updated: is later than the time of this build (2025-01-01T00:00:00Z): readers would see the article, and the feed, modified in the future; write the time the correction was made"]);
    const later = await build({ source: new DirectoryContent(content), store: new DirectoryStore(join(content, "..", "out2")), now: Date.UTC(2031, 0, 1) });
    expect(later.warnings).toEqual([]);
  });

  it("reports a content directory that does not exist", async () => {
    const dir = await tempDir();
    const r = await new DirectoryContent(join(dir, "missing")).read();
    expect(r.issues.map(formatIssue)).toEqual([expect.stringMatching(/does not exist/)]);
  });
});
