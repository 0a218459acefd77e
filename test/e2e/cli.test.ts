/**
 * The real `syndicate` command (bin/syndicate.js) on temporary content trees: output format,
 * exit codes, the published layout (CONTRACT.md "Output layout"), and that a failed or invalid
 * build leaves the output directory byte-identical.
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFile, symlink, writeFile, copyFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { formatIssue, type ContentIssue } from "../../functions/core/errors.ts";
import { articleText, snapshot, tempDir, tree, writeTree, type Tree } from "../support/content-tree.ts";

const REPO = resolve(import.meta.dirname, "../..");
const BIN = join(REPO, "bin", "syndicate.js");
const NOW = "2024-01-01T00:00:00Z";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

const syndicate = (cwd: string, ...args: string[]) => exec(process.execPath, [BIN, ...args], cwd);

/** A temp working directory with `content/` written from a tree. */
async function project(t: Tree): Promise<string> {
  const cwd = await tempDir();
  await writeTree(join(cwd, "content"), t);
  return cwd;
}

const build = (cwd: string, ...extra: string[]) => syndicate(cwd, "build", "--content", "content", "--out", "out", "--now", NOW, ...extra);

const VALID: Tree = tree({
  "rome-talks": { title: "Rome talks", date: "2023-05-01T10:00:00Z", tags: ["Italy", "Libya"] },
  "ankara-brief": { title: "Ankara brief", date: "2023-06-01T10:00:00+03:00", tags: ["Türkiye"] },
});

/** Lists nested 40 deep (the limit is 32), from the body's first line. */
const TOO_DEEP = Array.from({ length: 40 }, (_, i) => `${"  ".repeat(i)}- item`).join("\n");

const INVALID: Tree = {
  ...tree({ a: { title: "", url: "javascript:alert(1)" }, c: { slug: "a" } }, { items_per_feed: 0 }),
  // Its front matter fails, and its body is checked all the same: every problem of every file.
  "articles/b.md": articleText({ date: "2021-02-30" }, TOO_DEEP),
  "articles/d.md": "no front matter\n",
};
/** Sorted by file, then line. */
const INVALID_ERRORS = [
  "content/articles/a.md:2: title: must not be empty",
  "content/articles/a.md:4: url: must be an absolute http(s) URL, like https://example.com/page",
  expect.stringMatching(/^content\/articles\/b\.md:3: date: "2021-02-30" is not a real date/),
  "content/articles/b.md:37: body: nested deeper than 32 levels (lists or blockquotes)",
  'content/articles/c.md:4: slug: "a" is also the slug of content/articles/a.md (from its file name); each article needs its own',
  expect.stringMatching(/^content\/articles\/d\.md:1: front matter: the file must start with a line '---'/),
  "content/site.yaml:6: items_per_feed: must be at least 1",
];

describe("syndicate validate", () => {
  it("exits 0 and prints no error for valid content", async () => {
    const r = await syndicate(await project(VALID), "validate", "--content", "content");
    expect([r.code, r.stdout]).toEqual([0, ""]);
  });

  it("prints every problem in every file, one per line, and exits 1", async () => {
    const r = await syndicate(await project(INVALID), "validate", "--content", "content");
    expect([r.code, r.stdout.trimEnd().split("\n")]).toEqual([1, INVALID_ERRORS]);
  });

  it("gives the same problems as JSON objects with --json", async () => {
    const cwd = await project(INVALID);
    const text = await syndicate(cwd, "validate", "--content", "content");
    const json = await syndicate(cwd, "validate", "--content", "content", "--json");
    const parsed = JSON.parse(json.stdout) as { ok: boolean; issues: ContentIssue[] };
    expect([json.code, parsed.ok, parsed.issues.filter((i) => i.severity === "error").map(formatIssue)]).toEqual([1, false, text.stdout.trimEnd().split("\n")]);
  });

  it("prints warnings on stderr and still exits 0", async () => {
    const r = await syndicate(await project(tree({ a: { colour: "blue" } })), "validate", "--content", "content");
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "", expect.stringContaining("content/articles/a.md:4: warning: colour: unknown field")]);
  });

  it("warns of raw HTML the allow-list removes, in valid files and in files whose front matter failed", async () => {
    const r = await syndicate(
      await project({ ...tree({ e: articleText({}, "Text\n\n<iframe src=\"https://v.example.com/\"></iframe>") }), "articles/f.md": articleText({ date: "someday" }, '<a href="javascript:x()">k</a>') }),
      "validate",
      "--content",
      "content",
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^content\/articles\/f\.md:3: date: /);
    expect(r.stderr).toContain("content/articles/e.md:7: warning: body: <iframe> is published as a link to https://v.example.com/: an embed is not kept in the feed (readers drop it), its link is; whatever is written between <iframe> and </iframe> is not published");
    expect(r.stderr).toContain("content/articles/f.md:5: warning: body: not published: the href of <a> (javascript: URLs are not allowed)");
  });

  it("rejects an article linked from outside the content directory", async () => {
    const cwd = await project(VALID);
    await writeFile(join(cwd, "secret.md"), articleText());
    await symlink(join(cwd, "secret.md"), join(cwd, "content", "articles", "leak.md"));
    const r = await syndicate(cwd, "validate", "--content", "content");
    expect([r.code, r.stdout]).toEqual([1, "content/articles/leak.md: file: is a symbolic link to a file outside the content directory: not read\n"]);
  });
});

describe("usage errors exit 2", () => {
  it.each([
    ["no command", []],
    ["an unknown command", ["publish"]],
    ["an unknown option", ["validate", "--bogus"]],
    ["build without --out or --bucket", ["build"]],
    ["build with both --out and --bucket", ["build", "--out", "x", "--bucket", "y"]],
    ["an unreadable --now", ["build", "--out", "x", "--now", "soon"]],
    // Date.parse reads "1" as 2001 and "June 2020" as a day in it: either would publish feeds
    // that leave out every later article. --now is ISO 8601, as an article's date is.
    ["--now 1", ["build", "--out", "x", "--now", "1"]],
    ["--now June 2020", ["build", "--out", "x", "--now", "June 2020"]],
    ["an empty --content", ["validate", "--content", ""]],
    ["build --region without --bucket", ["build", "--out", "x", "--region", "eu-west-1"]],
    ["an --endpoint that is not a URL", ["build", "--bucket", "b", "--endpoint", "notaurl"]],
    ["a push --endpoint that is not http(s)", ["push", "--bucket", "b", "--endpoint", "ftp://127.0.0.1/"]],
  ])("%s", async (_, args) => {
    const r = await syndicate(await tempDir(), ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage:");
  });

  it("names the mistake first, then the usage of that command only", async () => {
    const r = await syndicate(await tempDir(), "build", "--bucket", "b", "--endpoint", "notaurl");
    expect(r.stderr.split("\n")).toEqual([
      "syndicate: --endpoint notaurl is not an http(s) URL, like http://127.0.0.1:4569",
      "",
      expect.stringMatching(/^Usage: syndicate build \[--content DIR\] \(--out DIR/),
      "(syndicate --help describes every option)",
      "",
    ]);
  });

  it("prints the version", async () => {
    const r = await syndicate(await tempDir(), "--version");
    const { version } = JSON.parse(await readFile(join(REPO, "package.json"), "utf8")) as { version: string };
    expect([r.code, r.stdout]).toEqual([0, `syndicate ${version}\n`]);
  });

  it("serve refuses a WEBHOOK_SECRET that cannot be used, before starting anything, without printing it", async () => {
    for (const secret of ["whsec_", "whsec_not-base64!!", "short"]) {
      const r = await exec(process.execPath, [BIN, "serve", "--port", "0"], await project(VALID), { WEBHOOK_SECRET: secret });
      expect([secret, r.code, r.stderr]).toEqual([secret, 2, expect.stringMatching(/^syndicate serve: WEBHOOK_SECRET cannot be used: [^\n]+\n$/)]);
      expect(r.stderr.replace("WEBHOOK_SECRET", "").replace(/a whsec_ secret/g, "")).not.toContain(secret);
    }
  });

  it("but --help after a command prints the usage and exits 0", async () => {
    for (const command of ["validate", "build", "push", "serve"]) {
      const r = await syndicate(await tempDir(), command, "--help");
      expect([command, r.code, r.stdout]).toEqual([command, 0, expect.stringContaining("syndicate serve [--port 3000] [--host 127.0.0.1]")]);
    }
  });
});

describe("an --out that cannot take the build", () => {
  it.each([
    ["the content folder", ["--out", "content/"], "--out content/ is the content folder itself: the outputs would be read as content; choose a folder outside it; nothing was written"],
    ["inside the content folder", ["--out", "content/public"], "--out content/public is inside the content folder content: the outputs would be read as content; choose a folder outside it; nothing was written"],
    ["a file", ["--out", "afile"], "--out afile is a file, not a folder; nothing was written"],
    ["below a file", ["--out", "afile/x"], "--out afile/x: CWD/afile is a file, not a folder; nothing was written"],
    ["inside the content folder through a symbolic link", ["--out", "linked/public"], "--out linked/public is inside the content folder content: the outputs would be read as content; choose a folder outside it; nothing was written"],
  ])("fails naming why: %s (exit 1), and writes nothing", async (_, args, message) => {
    const cwd = await project(VALID);
    await writeFile(join(cwd, "afile"), "not a folder");
    await symlink("content", join(cwd, "linked"));
    const before = await snapshot(cwd);
    const r = await syndicate(cwd, "build", "--content", "content", ...args);
    expect([r.code, r.stderr]).toEqual([1, `Build failed: ${message.replace("CWD", cwd)}\n`]);
    expect(await snapshot(cwd)).toEqual(before);
  });
});

describe("a content folder that is not one", () => {
  it("says a missing folder is missing, and nothing else", async () => {
    const r = await syndicate(await tempDir(), "validate", "--content", "nope");
    expect([r.code, r.stdout]).toEqual([1, "nope: file: content directory nope does not exist\n"]);
  });

  it("says a file given as the folder is not a folder", async () => {
    const cwd = await project(VALID);
    const r = await syndicate(cwd, "build", "--content", "content/site.yaml", "--out", "out");
    expect([r.code, r.stdout]).toEqual([1, "content/site.yaml: file: content directory content/site.yaml is not a folder: give the folder that holds site.yaml and articles/\n"]);
  });

  it("shows paths under an absolute --content as absolute paths", async () => {
    const cwd = await project(tree({ a: { colour: "blue" } }));
    const r = await syndicate(cwd, "validate", "--content", join(cwd, "content"));
    expect(r.stderr).toContain(`${join(cwd, "content", "articles", "a.md")}:4: warning: colour: unknown field`);
  });

  it("takes a --now that is ISO 8601, with or without a zone", async () => {
    const cwd = await project(VALID);
    for (const now of ["2024-01-01", "2024-01-01T00:00:00", "2024-01-01T03:00:00+03:00"]) expect((await build(cwd.toString(), "--now", now)).code, now).toBe(0);
  });
});

describe("syndicate build --out", () => {
  it("writes the layout of CONTRACT.md", async () => {
    const cwd = await project(VALID);
    expect((await build(cwd)).code).toBe(0);
    const published = Object.keys(await snapshot(join(cwd, "out"))).filter((k) => !k.startsWith(".syndicate/"));
    expect(published.sort()).toEqual(
      ["atom.xml", "feed.json", "feed.xml", "latest.json", "manifest.json"]
        .concat(...["italy", "libya", "turkiye"].map((t) => ["atom.xml", "feed.json", "feed.xml", "latest.json"].map((f) => `tags/${t}/${f}`)))
        .sort(),
    );
  });

  it("lists every output in the manifest with its sha256, size and content type", async () => {
    const cwd = await project(VALID);
    await build(cwd);
    const out = join(cwd, "out");
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as { outputs: Record<string, { sha256: string; bytes: number; content_type: string }> };
    const files = Object.keys(await snapshot(out)).filter((k) => k !== "manifest.json" && !k.startsWith(".syndicate/")).sort();
    const actual = await Promise.all(
      files.map(async (k) => {
        const body = await readFile(join(out, k));
        return [k, createHash("sha256").update(body).digest("hex"), body.byteLength];
      }),
    );
    expect(Object.entries(manifest.outputs).map(([k, v]) => [k, v.sha256, v.bytes])).toEqual(actual);
  });

  it("gives each output the content type of its format", async () => {
    const cwd = await project(VALID);
    await build(cwd);
    const { outputs } = JSON.parse(await readFile(join(cwd, "out", "manifest.json"), "utf8")) as { outputs: Record<string, { content_type: string }> };
    expect([outputs["feed.xml"]?.content_type, outputs["atom.xml"]?.content_type, outputs["feed.json"]?.content_type]).toEqual([
      "application/rss+xml; charset=utf-8",
      "application/atom+xml; charset=utf-8",
      "application/feed+json; charset=utf-8",
    ]);
  });

  it("writes the manifest last", async () => {
    const cwd = await project(VALID);
    await build(cwd);
    const files = await snapshot(join(cwd, "out"));
    // .syndicate/ holds the build cache, which is not an output.
    const others = Object.entries(files).filter(([k]) => k !== "manifest.json" && !k.startsWith(".syndicate/")).map(([, v]) => v.mtimeMs);
    expect(files["manifest.json"]!.mtimeMs).toBeGreaterThanOrEqual(Math.max(...others));
  });

  it("prints a summary of what it built", async () => {
    const cwd = await project({ ...VALID, "articles/later.md": articleText({ date: "2025-03-01T09:00:00Z" }), "articles/wip.md": articleText({ draft: true }) });
    const r = await build(cwd);
    expect(r.stdout).toMatch(/^Built 2 items \(1 draft left out, 1 scheduled \(next 2025-03-01T09:00:00Z\)\) into directory out\n {2}documents: 17 in all, 17 written, 0 unchanged, 0 deleted\n/);
  });

  it("prints the report as JSON with --json", async () => {
    const cwd = await project(VALID);
    const r = await build(cwd, "--json");
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, items: 2, drafts: 0, scheduled: 0, next_publication: null, documents: { total: 17, written: 17, deleted: 0 } });
  });

  it("prints every failure as one JSON object with --json: {ok: false, error}, and the issues of invalid content", async () => {
    const invalid = await build(await project(INVALID), "--json");
    const parsed = JSON.parse(invalid.stdout) as { ok: boolean; error: { name: string; message: string }; issues: ContentIssue[] };
    expect([invalid.code, parsed.ok, parsed.error]).toEqual([1, false, { name: "ContentError", message: "invalid content; directory out was left as it was" }]);
    // A build stops at the front matter's errors before converting any body (validate goes on).
    expect(parsed.issues.filter((i) => i.severity === "error").map(formatIssue)).toEqual(INVALID_ERRORS.filter((e) => typeof e !== "string" || !e.includes(": body: ")));
    // Publishing fails: the output is a file, not a folder.
    const cwd = await project(VALID);
    await writeFile(join(cwd, "out"), "a file");
    const failed = await build(cwd, "--json");
    expect([failed.code, JSON.parse(failed.stdout)]).toEqual([1, { ok: false, error: { name: expect.any(String), message: expect.any(String) } }]);
  });

  it("writes nothing when built again from unchanged content", async () => {
    const cwd = await project(VALID);
    await build(cwd);
    const before = await snapshot(join(cwd, "out"));
    const again = await build(cwd, "--json");
    expect([JSON.parse(again.stdout).written, await snapshot(join(cwd, "out"))]).toEqual([[], before]);
  });

  it("deletes a tag's folder when no article carries the tag any more", async () => {
    const cwd = await project(VALID);
    await build(cwd);
    await writeFile(join(cwd, "content", "articles", "ankara-brief.md"), articleText({ title: "Ankara brief", tags: ["Libya"] }));
    await build(cwd);
    expect(Object.keys(await snapshot(join(cwd, "out", "tags"))).filter((k) => k.startsWith("turkiye/"))).toEqual([]);
  });

  it("leaves the output byte-identical when the content is invalid", async () => {
    const cwd = await project(VALID);
    await build(cwd);
    const before = await snapshot(join(cwd, "out"));
    await writeTree(join(cwd, "content"), { "articles/bad.md": articleText({ date: "2021-02-30" }) });
    const r = await build(cwd);
    expect([r.code, await snapshot(join(cwd, "out"))]).toEqual([1, before]);
  });

  it("leaves the output byte-identical when writing fails", async () => {
    const cwd = await project(VALID);
    await build(cwd);
    await writeTree(join(cwd, "content"), { "articles/malta.md": articleText({ title: "Malta", date: "2023-07-01T00:00:00Z", tags: ["Malta"] }) });
    await writeFile(join(cwd, "out", "tags", "malta"), "a file where the new tag's folder must go");
    const before = await snapshot(join(cwd, "out"));
    const r = await build(cwd);
    expect([r.code, r.stderr, await snapshot(join(cwd, "out"))]).toEqual([1, expect.stringMatching(/^Build failed: /), before]);
  });
});

// `npm start` became the local stack (`syndicate serve`, a later issue); the directory build it
// ran is `npm run build:feeds`, with the same command line.
describe("npm run build:feeds", () => {
  it("builds content/ into dist/ and prints what it wrote", async () => {
    const cwd = await project(VALID);
    await copyFile(join(REPO, "package.json"), join(cwd, "package.json"));
    for (const d of ["functions", "node_modules", "bin"]) await symlink(join(REPO, d), join(cwd, d));
    const r = await exec("npm", ["run", "--silent", "build:feeds"], cwd);
    expect([r.code, r.stdout, Object.keys(await snapshot(join(cwd, "dist")))]).toEqual([
      0,
      expect.stringMatching(/^Built 2 items into directory dist\n {2}documents: 17 in all, 17 written/),
      expect.arrayContaining(["feed.xml", "atom.xml", "feed.json", "manifest.json", "tags/libya/feed.xml"]),
    ]);
  });
});
