/**
 * `npm run bench`: build generated corpora of 1,000 and 10,000 articles several times and
 * print the median wall time, peak memory and the ratio to an I/O floor measured in the same
 * run (issue 2 "Performance"). Floor and build alternate, each in a fresh process; the machine
 * is shared and noisy, so compare ratios, not absolute times. Nothing here is asserted.
 *
 * BENCH_SIZES=1000,10000 BENCH_ROUNDS=5 npm run bench
 */
import { execFileSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeCorpus, siteYaml } from "../support/corpus.ts";

const root = join(process.cwd(), ".bench");
const sizes = (process.env.BENCH_SIZES ?? "1000,10000").split(",").map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

interface Run { ms: number; max_rss_mib: number; written_bytes: number; files?: number; items?: number }

function child(args: string[]): Run {
  const out = execFileSync(process.execPath, ["--import", "tsx", join("test", "bench", "child.ts"), ...args], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").pop()!) as Run;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

console.log(`Syndicate bench ${new Date().toISOString()} node ${process.version}, ${rounds} rounds, sizes ${sizes.join(", ")}`);
for (const n of sizes) {
  const content = await writeCorpus(join(root, `corpus-${n}`), { articles: n });
  for (const archives of [false, true]) {
    await writeFile(join(content, "site.yaml"), siteYaml({ archives }));
    const builds: Run[] = [], floors: Run[] = [];
    for (let r = 0; r < rounds; r++) {
      const out = join(root, `out-${n}`);
      await rm(out, { recursive: true, force: true });
      const b = child(["build", content, out]);
      builds.push(b);
      await rm(out, { recursive: true, force: true });
      floors.push(child(["floor", content, out, String(b.written_bytes), String(b.files)]));
    }
    await rm(join(root, `out-${n}`), { recursive: true, force: true });
    const bm = median(builds.map((b) => b.ms)), fm = median(floors.map((f) => f.ms));
    console.log(
      `${String(n).padStart(6)} articles, archives ${archives ? "on " : "off"}: build ${fmt(builds.map((b) => b.ms))}, ` +
        `floor ${fmt(floors.map((f) => f.ms))}, ratio ${(bm / fm).toFixed(2)}x, ` +
        `peak ${Math.max(...builds.map((b) => b.max_rss_mib)).toFixed(0)} MiB (floor ${Math.max(...floors.map((f) => f.max_rss_mib)).toFixed(0)} MiB), ` +
        `${builds[0]!.files} files, ${(builds[0]!.written_bytes / 1048576).toFixed(1)} MiB out`,
    );
  }
}
