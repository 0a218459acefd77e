/**
 * Ctrl-C during `syndicate build --out` (functions/commands/interrupt.ts): before publishing, the
 * output stays exactly as it was; while publishing, the publish is finished, so the output is the
 * new build whole, never documents of both builds side by side. The child sends itself SIGINT at
 * a named moment (test/support/interrupt-child.ts), from the sources, through the CLI's main.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCorpus } from "../support/corpus.ts";
import { snapshot, tempDir } from "../support/content-tree.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CHILD = fileURLToPath(new URL("../support/interrupt-child.ts", import.meta.url));

function run(args: string[], at?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", CHILD, ...args], { cwd: REPO, env: { ...process.env, ...(at && { INTERRUPT_AT: at }) } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The published documents (the store's private folder left out), bytes only. */
async function published(dir: string): Promise<Record<string, string>> {
  const all = await snapshot(dir);
  return Object.fromEntries(Object.entries(all).filter(([k]) => !k.startsWith(".syndicate/")).map(([k, v]) => [k, v.bytes]));
}

let a: string, b: string, cleanB: Record<string, string>;

let root: string;
beforeAll(async () => {
  // Shared by the tests (tempDir is per test).
  root = await mkdtemp(join(tmpdir(), "syndicate-interrupt-"));
  // Archives on, few items a page: a few hundred documents, every one different between A and B.
  a = await writeCorpus(join(root, "a"), { articles: 120, itemsPerFeed: 5, tags: 6, seed: 7 });
  b = await writeCorpus(join(root, "b"), { articles: 120, itemsPerFeed: 5, tags: 6, seed: 8 });
  const clean = join(root, "clean-b");
  expect((await run(["build", "--content", b, "--out", clean])).code).toBe(0);
  cleanB = await published(clean);
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

async function publishedA(): Promise<{ out: string; before: Record<string, string> }> {
  const out = join(await tempDir(), "out");
  expect((await run(["build", "--content", a, "--out", out])).code).toBe(0);
  return { out, before: await published(out) };
}

describe("Ctrl-C during build --out", () => {
  it("before publishing: stops at once (exit 130), the output exactly as it was", async () => {
    const { out, before } = await publishedA();
    const r = await run(["build", "--content", b, "--out", out], "reading");
    expect([r.code, r.stderr.trim()]).toEqual([130, `Interrupted (SIGINT): nothing was published; directory ${out} was left as it was.`]);
    expect(await published(out)).toEqual(before);
    // The next build is not held up by the lease the stopped one left.
    expect((await run(["build", "--content", b, "--out", out])).code).toBe(0);
    expect(await published(out)).toEqual(cleanB);
  }, 60_000);

  it("while publishing: finishes the publish, then stops (exit 130): the new build whole, no temporary file, no journal", async () => {
    const { out, before } = await publishedA();
    expect(Object.keys(before).length).toBeGreaterThan(100);
    const r = await run(["build", "--content", b, "--out", out], "publishing");
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`Interrupted (SIGINT) while publishing: finishing it, so that directory ${out} holds the new build whole`);
    expect(r.stderr).toContain(`Stopped after publishing into directory ${out}, as asked (SIGINT); the build cache was not stored.`);
    expect(await published(out)).toEqual(cleanB);
    expect((await readdir(out, { recursive: true })).filter((f) => String(f).includes("syndicate-tmp") || String(f).endsWith("publishing.json"))).toEqual([]);
  }, 60_000);
});
