/**
 * One measured run in a fresh process, so that peak memory (maxRSS) is this run's alone.
 * Modes: `build <content> <out>` runs the real pipeline into a directory; `floor <content> <out>
 * <bytes> <files>` only reads every content file and writes the same number of bytes in the same
 * number of files: the I/O the build cannot avoid. Prints one JSON line.
 */
import { readFile, writeFile, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { mapLimit } from "../../functions/adapters/store.ts";

const [mode, content, out, bytesArg, filesArg] = process.argv.slice(2);

async function floor(): Promise<Record<string, number>> {
  const names = (await readdir(join(content!, "articles"))).map((n) => join(content!, "articles", n));
  let read = (await readFile(join(content!, "site.yaml"))).byteLength;
  await mapLimit(names, 32, async (p) => {
    read += (await readFile(p)).byteLength;
  });
  const files = Number(filesArg), bytes = Number(bytesArg);
  const chunk = Buffer.alloc(Math.ceil(bytes / files), 120);
  await mkdir(out!, { recursive: true });
  await mapLimit(Array.from({ length: files }, (_, i) => i), 8, (i) => writeFile(join(out!, `f${i}`), chunk));
  return { read_bytes: read, written_bytes: chunk.byteLength * files };
}

async function runBuild(): Promise<Record<string, number>> {
  const phases: Record<string, number> = {};
  let last = performance.now(), current = "start";
  const onPhase = (p: string) => {
    const t = performance.now();
    phases[current] = (phases[current] ?? 0) + (t - last);
    last = t;
    current = p;
  };
  const report = await build({ source: new DirectoryContent(content!), store: new DirectoryStore(out!), now: Date.UTC(2030, 0, 1), onPhase });
  onPhase("end");
  if (process.env.BENCH_PHASES) process.stderr.write(`${JSON.stringify(Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(v)])))}\n`);
  const m = JSON.parse(await readFile(join(out!, "manifest.json"), "utf8")) as { outputs: Record<string, { bytes: number }> };
  const outputs = Object.values(m.outputs);
  return { items: report.items, files: outputs.length + 1, written_bytes: outputs.reduce((s, o) => s + o.bytes, 0) };
}

const t0 = performance.now();
const result = mode === "floor" ? await floor() : await runBuild();
const ms = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ mode, ms, max_rss_mib: process.resourceUsage().maxRSS / 1024, ...result })}\n`);
