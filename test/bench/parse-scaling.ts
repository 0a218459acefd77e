/**
 * `npm run bench:parse`: why a build of 10,000 articles does not get faster on two cores, in
 * figures (issue 6.3; docs/performance-history.md, "Both cores"). Prints, never asserts.
 *
 * Every measurement parses the articles of one generated corpus (test/support/corpus.ts) with
 * the build's own parseArticle, from bytes already in memory (no file-system calls), each in a
 * fresh process running an esbuild bundle of this file under plain node, as the bench's child does:
 *   - warm-up: one thread; the time of each batch of 500 articles, from the first. A fresh
 *     process runs cold code (interpreted, then compiled and optimised as it gets hot): what the
 *     first thousands of articles cost above the steady rate is paid again by every new thread;
 *   - threads: the articles split between 1 or 2 worker threads of one process, each parsing
 *     its share (nothing sent back but a count), against the first half alone on one worker;
 *   - processes: two processes each parsing every article at the same time, against one alone.
 *
 *   npm run bench:parse                       # 10,000 articles, 3 rounds
 *   SCALING_ARTICLES=50000 SCALING_ROUNDS=5 npm run bench:parse
 */
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { parseArticle } from "../../functions/core/article.ts";
import { parseSite } from "../../functions/core/content.ts";

const BATCH = 500;

interface Share {
  dir: string;
  from: number;
  to: number;
}

/** Parses articles [from, to) of the corpus, read into memory first; the time of each batch. */
function parseShare({ dir, from, to }: Share): { n: number; ms: number; batches: number[] } {
  const { site } = parseSite(readFileSync(join(dir, "site.yaml")));
  if (!site) throw new Error(`${dir}/site.yaml does not parse`);
  const names = readdirSync(join(dir, "articles")).sort().slice(from, to);
  const bytes = names.map((n) => readFileSync(join(dir, "articles", n)));
  const batches: number[] = [];
  const t0 = performance.now();
  let t = t0;
  let n = 0;
  for (let i = 0; i < names.length; i++) {
    if (parseArticle(`articles/${names[i]}`, bytes[i]!, site, { keepBody: false }).article) n++;
    if ((i + 1) % BATCH === 0 || i === names.length - 1) {
      const now = performance.now();
      batches.push(now - t);
      t = now;
    }
  }
  return { n, ms: performance.now() - t0, batches };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** In a child process (the bundle): one measurement, printed as one JSON line. */
async function child(mode: string, dir: string, count: number, threads: number): Promise<void> {
  const t0 = performance.now();
  let result: unknown;
  if (mode === "one") result = parseShare({ dir, from: 0, to: count });
  else {
    const shares = Array.from({ length: threads }, (_, k): Share => ({ dir, from: Math.floor((k * count) / threads), to: Math.floor(((k + 1) * count) / threads) }));
    const self = fileURLToPath(import.meta.url);
    result = await Promise.all(
      shares.map(
        (share) =>
          new Promise((resolve, reject) => {
            const w = new Worker(self, { workerData: share });
            w.once("message", resolve);
            w.once("error", reject);
          }),
      ),
    );
  }
  process.stdout.write(`${JSON.stringify({ wall: performance.now() - t0, result })}\n`);
}

async function main(): Promise<void> {
  const { build } = await import("esbuild");
  const { NODE_ESM } = await import("../../scripts/esbuild-node.ts");
  const { writeCorpus } = await import("../support/corpus.ts");
  const root = join(process.cwd(), ".bench");
  const count = Number(process.env.SCALING_ARTICLES ?? 10_000);
  const rounds = Number(process.env.SCALING_ROUNDS ?? 3);
  const dir = await writeCorpus(join(root, `scaling-${count}`), { articles: count, itemsPerFeed: 50 });
  // In a folder of its own: a bundle beside the bench's child would count as the child's code
  // (functions/pipeline/cached-load.ts codeFiles), and change its cache's key.
  const out = join(root, "parse-scaling");
  await build({ entryPoints: { "parse-scaling": join("test", "bench", "parse-scaling.ts") }, outdir: out, ...NODE_ESM, external: [...NODE_ESM.external, "esbuild"] });
  const bundle = join(out, "parse-scaling.mjs");
  const args = (mode: string, threads = 1, n = count) => ["--max-semi-space-size=16", bundle, mode, dir, String(n), String(threads)];
  const run = (mode: string, threads = 1, n = count) => JSON.parse(execFileSync(process.execPath, args(mode, threads, n), { encoding: "utf8" }).trim()) as { wall: number; result: unknown };
  const concurrently = (k: number) =>
    Promise.all(
      Array.from({ length: k }, () => {
        const t0 = performance.now();
        return new Promise<number>((resolve, reject) => {
          const p = spawn(process.execPath, args("one"), { stdio: ["ignore", "ignore", "inherit"] });
          p.once("error", reject);
          p.once("exit", (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`exit ${code}`))));
        });
      }),
    );

  console.log(`parse scaling ${new Date().toISOString()}, node ${process.version}, ${count} articles in memory, ${rounds} rounds (medians)`);
  const curves: number[][] = [], one: number[] = [], threads: Record<number, { wall: number[]; each: number[] }> = { 1: { wall: [], each: [] }, 2: { wall: [], each: [] } };
  const solo: number[] = [], pair: number[] = [], half: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const o = run("one") as { wall: number; result: { ms: number; batches: number[] } };
    curves.push(o.result.batches);
    one.push(o.result.ms);
    // What one thread's share of two costs when it runs alone: the first half, on one worker.
    half.push((run("threads", 1, Math.floor(count / 2)) as { result: { ms: number }[] }).result[0]!.ms);
    for (const k of [1, 2]) {
      const t = run("threads", k) as { wall: number; result: { ms: number }[] };
      threads[k]!.wall.push(t.wall);
      threads[k]!.each.push(Math.max(...t.result.map((x) => x.ms)));
    }
    solo.push(...(await concurrently(1)));
    pair.push(Math.max(...(await concurrently(2))));
  }
  const batches = curves[0]!.map((_, i) => median(curves.map((c) => c[i] ?? 0)));
  const full = batches.slice(0, -1); // the last batch may be short
  const steady = median(full.slice(Math.floor(full.length / 2)));
  const excess = full.reduce((s, b) => s + Math.max(0, b - steady), 0);
  const us = (ms: number) => ((1000 * ms) / BATCH).toFixed(0);
  console.log(`one thread: ${median(one).toFixed(0)} ms; per article ${us(batches[0]!)} µs in the first ${BATCH}, ${us(steady)} µs once warm (median of the later half); warm-up ${excess.toFixed(0)} ms above the steady rate`);
  console.log(`  batches of ${BATCH} (ms): ${batches.map((b) => b.toFixed(0)).join(" ")}`);
  console.log(`1 worker thread, the first ${Math.floor(count / 2)} articles alone: ${median(half).toFixed(0)} ms`);
  for (const k of [1, 2]) {
    console.log(`${k} worker thread${k > 1 ? "s" : ""}, ${count / k} articles each: slowest thread ${median(threads[k]!.each).toFixed(0)} ms, process ${median(threads[k]!.wall).toFixed(0)} ms (start-up of the workers included)`);
  }
  console.log(`processes, each parsing all ${count} (start-up included): one alone ${median(solo).toFixed(0)} ms, two at once ${median(pair).toFixed(0)} ms (the later of the two)`);
}

if (!isMainThread) parentPort!.postMessage(parseShare(workerData as Share));
else if (process.argv[2] === "one" || process.argv[2] === "threads") await child(process.argv[2], process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
else await main();
