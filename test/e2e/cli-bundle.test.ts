/**
 * The bundled CLI (scripts/cli-bundle.ts) that bin/syndicate.js runs when it is fresh
 * (bin/fresh.js): it must be the same program as the sources, and a source edited after it was
 * made must never run stale.
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BUNDLE_DIR, BUNDLE_STAMP, CURRENT, freshBundle, sourceState } from "../../bin/fresh.js";
import { snapshot, tempDir } from "../support/content-tree.ts";

const REPO = resolve(import.meta.dirname, "../..");
const BIN = join(REPO, "bin", "syndicate.js");

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: "1", ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("bundled CLI", () => {
  it("is fresh for the tests (global setup) and builds content/ to the same bytes as the sources", async () => {
    expect(freshBundle()?.href).toMatch(new RegExp(`^${pathToFileURL(join(REPO, BUNDLE_DIR)).href}/[\\w.-]+/cli\\.mjs$`));
    const dir = await tempDir();
    const fromBundle = await run(["build", "--content", "content", "--out", join(dir, "bundle"), "--now", "2026-01-01T00:00:00Z"]);
    const fromSource = await run(["build", "--content", "content", "--out", join(dir, "source"), "--now", "2026-01-01T00:00:00Z"], { SYNDICATE_FROM_SOURCE: "1" });
    expect([fromBundle.code, fromSource.code]).toEqual([0, 0]);
    // The published documents, byte for byte (the build cache records file times and inodes).
    const published = async (out: string) =>
      Object.fromEntries(Object.entries(await snapshot(out)).filter(([k]) => !k.startsWith(".syndicate/")).map(([k, v]) => [k, v.bytes]));
    const a = await published(join(dir, "bundle"));
    expect(Object.keys(a).length).toBeGreaterThan(10);
    expect(a).toEqual(await published(join(dir, "source")));
    // Errors too: the same lines for invalid content.
    const bad = join(dir, "bad");
    await mkdir(join(bad, "articles"), { recursive: true });
    await writeFile(join(bad, "site.yaml"), "title: T\n");
    await writeFile(join(bad, "articles", "a.md"), "---\ntitle: [unclosed\n---\nBody\n");
    const [b, s] = await Promise.all([run(["validate", "--content", bad]), run(["validate", "--content", bad], { SYNDICATE_FROM_SOURCE: "1" })]);
    expect(b.code).toBe(1);
    expect([b.stdout, b.stderr]).toEqual([s.stdout, s.stderr]);
    expect(b.stdout).toMatch(/site\.yaml:1: description: /);
    expect(b.stdout).toMatch(/articles\/a\.md:2: title: a value that starts with "\[" is a list/);
  });

  it("holds one copy of htmlparser2 and the DOM packages under it, not an ES module and a CommonJS copy of each", async () => {
    const dir = fileURLToPath(new URL(".", freshBundle()!));
    const chunks = await Promise.all((await readdir(dir)).filter((f) => f.endsWith(".mjs")).map((f) => readFile(join(dir, f), "utf8")));
    // esbuild names each module it bundles in a comment: the folders they came from.
    const folders = new Set(chunks.flatMap((c) => [...c.matchAll(/^\/\/ (node_modules\/\S*(?:htmlparser2|domhandler|domutils|dom-serializer)\S*)\/[^/\s]+$/gm)].map((m) => m[1]!)));
    expect([...folders].filter((f) => f.startsWith("node_modules/htmlparser2/dist/"))).toEqual(["node_modules/htmlparser2/dist/esm"]);
    expect([...folders].filter((f) => /\/(?:commonjs|cjs)\b|^node_modules\/(?:domhandler|domutils|dom-serializer)\/lib$/.test(f))).toEqual([]);
  });

  it("is pure ASCII (scripts/esbuild-node.ts asciiOutput), so that V8 holds its source as one-byte text", async () => {
    const dir = fileURLToPath(new URL(".", freshBundle()!));
    const files = (await readdir(dir)).filter((f) => f.endsWith(".mjs"));
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) {
      const bytes = await readFile(join(dir, f));
      expect({ file: f, nonAscii: bytes.findIndex((b) => b > 0x7f) }).toEqual({ file: f, nonAscii: -1 });
    }
  });

  it("loads the AWS SDK only for a bucket: a build into a directory never does (~90 ms of every start)", async () => {
    const dir = await tempDir();
    const resolved = async (args: string[], name: string) => {
      const log = join(dir, `${name}.log`);
      await writeFile(log, "");
      const r = await run(args, { RESOLVE_LOG: log, NODE_OPTIONS: `--import ${join(REPO, "test", "support", "resolve-log.mjs")}` });
      return { ...r, specifiers: (await readFile(log, "utf8")).split("\n").filter(Boolean) };
    };
    const out = await resolved(["build", "--content", "content", "--out", join(dir, "out"), "--now", "2026-01-01T00:00:00Z"], "out");
    expect(out.code).toBe(0);
    expect(out.specifiers.length).toBeGreaterThan(3); // the hook saw the bundle's own chunks
    expect(out.specifiers.filter((s) => s.includes("@aws-sdk") || s.includes("@smithy"))).toEqual([]);
    // The same hook sees the SDK when a bucket needs it (nothing listens on port 9: the lease fails).
    const bucket = await resolved(["build", "--content", "content", "--bucket", "b", "--endpoint", "http://127.0.0.1:9"], "bucket");
    expect(bucket.code).toBe(1);
    expect(bucket.specifiers).toContain("@aws-sdk/client-s3");
  });

  it("is used only while the sources are exactly as it was made from: edits, restored older files, deletions, the lockfile", async () => {
    const root = await tempDir();
    const rootUrl = pathToFileURL(`${root}/`);
    const file = (rel: string) => join(root, ...rel.split("/"));
    await mkdir(file("functions/core"), { recursive: true });
    await mkdir(file("functions/local"), { recursive: true });
    for (const rel of ["functions/core/x.ts", "functions/local/s.ts", "functions/cli.ts", "package-lock.json"]) await writeFile(file(rel), "x");
    expect(freshBundle(rootUrl)).toBeUndefined(); // no bundle yet
    // A bundle as scripts/cli-bundle.ts leaves it: its folder with the sources' state, named by `current`.
    const bundle = async () => {
      await mkdir(file(`${BUNDLE_DIR}/b1`), { recursive: true });
      await writeFile(file(`${BUNDLE_DIR}/b1/${BUNDLE_STAMP}`), JSON.stringify(sourceState(rootUrl)));
      await writeFile(file(`${BUNDLE_DIR}/${CURRENT}`), "b1\n");
    };
    await bundle();
    const cli = pathToFileURL(file(`${BUNDLE_DIR}/b1/cli.mjs`)).href;
    expect(freshBundle(rootUrl)?.href).toBe(cli);
    await writeFile(file("functions/core/x.ts"), "edited"); // an edit in a subfolder
    expect(freshBundle(rootUrl)).toBeUndefined();
    await bundle();
    expect(freshBundle(rootUrl)?.href).toBe(cli);
    // The file replaced by an older copy (tar, cp -p, rsync -a): older time, another inode.
    await rm(file("functions/core/x.ts"));
    await writeFile(file("functions/core/x.ts"), "edited");
    await utimes(file("functions/core/x.ts"), 1_000, 1_000);
    expect(freshBundle(rootUrl)).toBeUndefined();
    await bundle();
    await rm(file("functions/local"), { recursive: true }); // a folder deleted right under functions/
    expect(freshBundle(rootUrl)).toBeUndefined();
    await bundle();
    await writeFile(file("package-lock.json"), "y"); // dependencies changed
    expect(freshBundle(rootUrl)).toBeUndefined();
    await bundle();
    await writeFile(file(`${BUNDLE_DIR}/${CURRENT}`), "../../elsewhere\n"); // a pointer out of the folder
    expect(freshBundle(rootUrl)).toBeUndefined();
  });

  it("is replaced without a gap: a CLI started while the bundle is rebuilt still runs", async () => {
    const runs = Array.from({ length: 6 }, () => run(["--help"]));
    let rebuilding = true;
    const rebuild = new Promise<number>((done) =>
      execFile(process.execPath, ["--import", "tsx", "scripts/cli-bundle.ts"], { cwd: REPO }, (err) => {
        rebuilding = false;
        done(err ? 1 : 0);
      }),
    );
    // CLIs keep starting for as long as the rebuild runs (at least 6; two at a time, each started
    // as one ends, so as not to crowd the machine), so that some start while the bundle is being
    // replaced, however long that takes here.
    const more: Awaited<ReturnType<typeof run>>[] = [];
    const keepStarting = async () => {
      while (rebuilding || more.length < 6) more.push(await run(["--help"]));
    };
    await Promise.all([keepStarting(), keepStarting()]);
    expect(await rebuild).toBe(0);
    expect(more.length).toBeGreaterThanOrEqual(6);
    for (const r of await Promise.all([...runs, ...more])) {
      expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|ENOENT/);
      expect(r.stdout + r.stderr).toMatch(/Usage:/);
    }
    expect(freshBundle()).toBeDefined();
  });
});
