/**
 * Crash mid-publish (issue 5, deliverable 3): `syndicate build` as a child process, SIGKILLed at
 * a chosen point of publishing, many times, alternating between two content versions so each
 * kill interrupts a real change. Over S3 the kill is deterministic: when the fault proxy sees
 * the nth write of the build (seeded), before forwarding it, halfway through its upload, or after
 * forwarding it. After each kill every object must be a whole document of one of the builds,
 * and the served manifest must describe exactly what is served; then a following build
 * completes and the set equals a clean build of that content. The directory store is killed
 * at seeded delays once its lock (publishing) has begun.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import type { ObjectStore } from "../../functions/adapters/store.ts";
import { MANIFEST_KEY, parseManifest } from "../../functions/core/manifest.ts";
import { build } from "../../functions/pipeline/build.ts";
import { JOURNAL_KEY } from "../../functions/pipeline/publish.ts";
import { seededRandom, type Fault } from "../support/fault-proxy.ts";
import { useTestS3 } from "../support/s3.ts";
import { spawnCli, type CliChild } from "../support/cli-child.ts";
import { NOW, completeness, publishedSet, twoVersions, type CleanBuild } from "../support/published-set.ts";

const S3_ITERATIONS = 20;
const DIR_ITERATIONS = 8;

const ctx = useTestS3({ workPrefix: "syn-crash-", faultProxy: {} });
let A: CleanBuild;
let B: CleanBuild;
const figures: string[] = [];

beforeAll(async () => {
  [A, B] = await twoVersions(ctx.work);
});

afterAll(async () => {
  if (figures.length) console.log(`crash mid-publish:\n  ${figures.join("\n  ")}`);
});

/**
 * Every object whole (old or new bytes), and nothing the served manifest lists is missing:
 * objects are replaced before the manifest and deleted only after it, so a crash in between
 * leaves a mix of old and new documents under the old manifest, never a gap.
 */
async function consistent(store: ObjectStore): Promise<{ incomplete: string[]; lost: string[] }> {
  const { incomplete } = await completeness(store, [A, B]);
  const manifest = parseManifest((await store.get(MANIFEST_KEY))?.body);
  const keys = new Set(await store.list());
  const lost = manifest ? Object.keys(manifest.outputs).filter((k) => !keys.has(k)) : [MANIFEST_KEY];
  return { incomplete, lost };
}

const ISO_NOW = new Date(NOW).toISOString();

describe("SIGKILL during publishing", () => {
  it(`over S3: ${S3_ITERATIONS} kills at seeded writes, alternating content; every object whole, the next build converges`, async () => {
    const store = await ctx.s3.bucket("crash");
    await build({ source: new DirectoryContent(A.content), store, now: NOW });
    const random = seededRandom(2024);
    const modes: { fault: Fault | undefined; label: string }[] = [
      { fault: "reset", label: "before the write is sent on" },
      { fault: "truncate-request", label: "halfway through its upload" },
      { fault: undefined, label: "after the write is sent on" },
    ];
    let killed = 0, incomplete = 0, lost = 0;
    for (let i = 0; i < S3_ITERATIONS; i++) {
      const target = i % 2 === 0 ? B : A;
      // A change writes every document (~40) and the manifest, then deletes: aim across all of it.
      const nth = 1 + Math.floor(random() * 42);
      const mode = modes[i % modes.length]!;
      let writes = 0;
      let child: CliChild | undefined;
      ctx.proxy.onRequest = (e) => {
        if ((e.op !== "PUT" && e.op !== "DELETE") || e.key.startsWith(".syndicate/") || ++writes !== nth) return undefined;
        child?.kill();
        return mode.fault;
      };
      child = spawnCli(["build", "--content", target.content, "--bucket", store.bucket, "--endpoint", ctx.proxy.endpoint, "--now", ISO_NOW]);
      const exit = await child.exit;
      ctx.proxy.onRequest = undefined;
      await new Promise((r) => setTimeout(r, 50)); // let a forwarded half-upload reach s3rver and be aborted
      if (exit.signal === "SIGKILL") killed++;
      else expect(exit.code, exit.stderr).toBe(0); // fewer writes than nth: it finished
      const after = await consistent(store);
      incomplete += after.incomplete.length;
      lost += after.lost.length;
      expect(after, `iteration ${i}: killed at write ${nth} ${mode.label}`).toEqual({ incomplete: [], lost: [] });
      // The next build (its lease left by the killed process is stale at once) converges.
      await build({ source: new DirectoryContent(target.content), store, now: NOW, lease: { log: () => undefined } });
      expect(await publishedSet(store)).toEqual(target.set);
    }
    figures.push(`S3: ${S3_ITERATIONS} runs, ${killed} killed mid-publish (the rest finished before their write number), ${incomplete} incomplete and ${lost} lost objects, every following build converged`);
    expect(killed).toBeGreaterThanOrEqual(S3_ITERATIONS / 2);
  }, 150_000);

  it(`into a directory: ${DIR_ITERATIONS} kills at seeded delays once publishing has begun; every document whole, the next build converges`, async () => {
    const out = join(ctx.work, "dir-crash");
    const dir = new DirectoryStore(out);
    await build({ source: new DirectoryContent(A.content), store: dir, now: NOW });
    const random = seededRandom(77);
    let killed = 0, inPublish = 0, incomplete = 0, lost = 0, litter = 0;
    const journal = join(out, ...JOURNAL_KEY.split("/"));
    for (let i = 0; i < DIR_ITERATIONS; i++) {
      const target = i % 2 === 0 ? B : A;
      const delay = random() * 15;
      const child = spawnCli(["build", "--content", target.content, "--out", out, "--now", ISO_NOW]);
      // Publishing has begun once the publish journal exists (the lock is taken before the
      // content is even read, ~150 ms earlier); then a seeded pause, then SIGKILL.
      const watching = (async () => {
        while (child.child.exitCode === null && !(await stat(journal).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 1));
        await new Promise((r) => setTimeout(r, delay));
        child.kill();
      })();
      const exit = await child.exit;
      await watching;
      if (exit.signal === "SIGKILL") killed++;
      // The journal is removed once the manifest is in place: still there, the kill came mid-publish.
      if (exit.signal === "SIGKILL" && (await stat(journal).then(() => true, () => false))) inPublish++;
      const after = await consistent(dir);
      incomplete += after.incomplete.length;
      lost += after.lost.length;
      expect(after, `iteration ${i}: killed ${delay.toFixed(1)} ms into publishing`).toEqual({ incomplete: [], lost: [] });
      await build({ source: new DirectoryContent(target.content), store: dir, now: NOW, lease: { log: () => undefined } });
      expect(await publishedSet(dir)).toEqual(target.set);
      const left = (await readdir(out, { recursive: true })).filter((f) => /(^|\/)\.syndicate-tmp-/.test(String(f)));
      litter += left.length;
      expect(left, "temporary files left after the converging build").toEqual([]);
    }
    figures.push(`directory: ${DIR_ITERATIONS} runs, ${killed} killed, ${inPublish} of them mid-publish (the publish journal left), ${incomplete} incomplete and ${lost} lost documents, ${litter} temporary files left after converging`);
    expect(inPublish).toBeGreaterThanOrEqual(DIR_ITERATIONS / 4);
  }, 90_000);
});
