/**
 * The bundled CLI (scripts/cli-bundle.ts) that bin/syndicate.js runs when it is fresh
 * (bin/fresh.js): it must be the same program as the sources, and a source edited after it was
 * made must never run stale.
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { BUNDLE_DIR, BUNDLE_STAMP, freshBundle } from "../../bin/fresh.js";
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
    expect(freshBundle()?.href).toBe(pathToFileURL(join(REPO, BUNDLE_DIR, "cli.mjs")).href);
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
    expect(b.stdout).toMatch(/articles\/a\.md:2: front matter: /);
  });

  it("is not used when a source file or the lockfile is newer than it, or when it is missing", async () => {
    const root = await tempDir();
    await mkdir(join(root, "functions", "core"), { recursive: true });
    await mkdir(join(root, BUNDLE_DIR), { recursive: true });
    const source = join(root, "functions", "core", "x.ts");
    const lock = join(root, "package-lock.json");
    const stamp = join(root, BUNDLE_DIR, BUNDLE_STAMP);
    const rootUrl = pathToFileURL(`${root}/`);
    expect(freshBundle(rootUrl)).toBeUndefined(); // no bundle yet
    for (const f of [source, lock, stamp]) await writeFile(f, "x");
    const at = (f: string, s: number) => utimes(f, s, s);
    // Folders count too: a file added, removed or renamed in one changes its time.
    await at(join(root, "functions", "core"), 1_000);
    await at(join(root, "functions"), 1_000);
    await at(source, 1_000);
    await at(lock, 1_000);
    await at(stamp, 2_000);
    expect(freshBundle(rootUrl)?.href).toBe(pathToFileURL(join(root, BUNDLE_DIR, "cli.mjs")).href);
    await at(source, 3_000); // edited after bundling (in a subfolder)
    expect(freshBundle(rootUrl)).toBeUndefined();
    await at(source, 1_000);
    await at(lock, 3_000); // dependencies changed
    expect(freshBundle(rootUrl)).toBeUndefined();
    await at(lock, 1_000);
    expect(freshBundle(rootUrl)).toBeDefined();
    await writeFile(join(root, "functions", "y.ts"), "y"); // a file added
    expect(freshBundle(rootUrl)).toBeUndefined();
  });
});
