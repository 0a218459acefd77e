/**
 * One measured run in a fresh process, so that peak memory (maxRSS) is this run's alone.
 * Modes: `build <content> <out>` runs the real pipeline into a directory (the I/O floor it is
 * compared with is test/bench/floor.ts, a process that loads none of this code);
 * `warm <content> <out> <file> <rounds>` builds once, then edits <file>'s title and builds again
 * <rounds> times in this one process, as the local stack's rebuilds do (the file is restored at
 * the end); like the stack, it reads back and holds the cache the full build stored before the
 * first edit (cached-load.ts holdStoredCache), untimed, as the stack does it while it waits;
 * `rebuild <content> <out>` builds without the cache into an output an earlier build published
 * (what follows a deploy: new code makes the cache unusable, so every document is rendered again).
 * Prints one JSON line.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "../../functions/pipeline/build.ts";
import { holdStoredCache } from "../../functions/pipeline/cached-load.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";

const [mode, content, out, fileArg, roundsArg] = process.argv.slice(2);

async function warm(): Promise<Record<string, number | string | number[] | undefined>> {
  const file = fileArg!, rounds = Number(roundsArg);
  const original = await readFile(file, "utf8");
  const once = async () => {
    const t = performance.now();
    const r = await build({ source: new DirectoryContent(content!), store: new DirectoryStore(out!), now: Date.UTC(2030, 0, 1) });
    return { ms: performance.now() - t, rendered: r.documents.rendered, written: r.documents.written };
  };
  const first = await once();
  await holdStoredCache(new DirectoryStore(out!));
  const edits: number[] = [];
  let last: Awaited<ReturnType<typeof once>> | undefined;
  try {
    for (let r = 0; r < rounds; r++) {
      await writeFile(file, original.replace(/^title: (.*)$/m, `title: "Edited warm ${r}"`));
      last = await once();
      edits.push(last.ms);
    }
  } finally {
    await writeFile(file, original);
  }
  return { first_ms: first.ms, edits, documents_rendered: last?.rendered, documents_written: last?.written };
}

async function runBuild(cache = true): Promise<Record<string, number | string | undefined>> {
  const phases: Record<string, number> = {};
  let last = performance.now(), current = "start", faults = 0, system = 0;
  const onPhase = (p: string) => {
    const t = performance.now();
    phases[current] = (phases[current] ?? 0) + (t - last);
    if (process.env.BENCH_PHASES) {
      // Page faults: memory touched for the first time, ~10 µs each on the machines measured.
      const use = process.resourceUsage();
      phases[`rss MiB after ${current}`] = process.memoryUsage().rss / 1048576;
      phases[`page faults in ${current}`] = use.minorPageFault - faults;
      phases[`system ms in ${current}`] = (use.systemCPUTime - system) / 1000;
      faults = use.minorPageFault;
      system = use.systemCPUTime;
    }
    last = t;
    current = p;
  };
  const report = await build({ source: new DirectoryContent(content!), store: new DirectoryStore(out!), now: Date.UTC(2030, 0, 1), onPhase, cache });
  onPhase("end");
  if (process.env.BENCH_PHASES) process.stderr.write(`${JSON.stringify(Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(v)])))}\n`);
  const m = JSON.parse(await readFile(join(out!, "manifest.json"), "utf8")) as { outputs: Record<string, { bytes: number }> };
  const outputs = Object.values(m.outputs);
  return {
    items: report.items,
    files: outputs.length + 1,
    written_bytes: outputs.reduce((s, o) => s + o.bytes, 0),
    documents_written: report.documents.written,
    documents_rendered: report.documents.rendered,
    cache_saved_as: report.cache.savedAs,
    cache_parsed: report.cache.parsed,
    cache_unread: report.cache.unread,
  };
}

const t0 = performance.now();
const result = mode === "warm" ? await warm() : await runBuild(mode !== "rebuild");
const ms = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ mode, ms, max_rss_mib: process.resourceUsage().maxRSS / 1024, ...result })}\n`);
