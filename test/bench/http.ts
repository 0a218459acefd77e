/**
 * `GET /latest` under load (issue 5 deliverable 4, issue 6 deliverable 5; docs/bench-http.md):
 * the API served warm from memory side by side with Debian's nginx serving the same latest.json
 * bytes, measured in alternation in one run, then `/latest` while builds publish continuously.
 *
 * Processes, all on 127.0.0.1 and each stopped by its pid at the end:
 *   1. `syndicate serve --no-watch` on a generated corpus (test/support/corpus.ts): s3rver (its
 *      child), the first build into the feeds bucket, the API on @hono/node-server;
 *   2. nginx in the foreground with a generated config (test/bench/nginx/nginx.conf.template);
 *   3. the load tool: `wrk` (Debian; a Lua `done` hook prints the figures as JSON), or autocannon
 *      (devDependency) in its own node process;
 *   4. during the "under builds" window, `syndicate build --bucket … --endpoint …` in a loop, each
 *      on changed content (one more, newer article), publishing into the bucket the API reads.
 * The bench process itself only starts, polls and parses: it shares no event loop with any of them.
 *
 *   npx tsx test/bench/http.ts                          # 1,000 articles, 3 rounds × 10 s, 32 connections
 *   npx tsx test/bench/http.ts --duration 5 --rounds 1 --tool autocannon --json
 *
 *   import { runHttpBench } from "./http.ts";
 *   const report = await runHttpBench({ log: console.log });   // prints the table, returns the figures
 *
 * Numbers are printed, never asserted. The machine is shared: compare the ratios of one run.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { freePort } from "../support/net.ts";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { article, writeCorpus, type CorpusOptions } from "../support/corpus.ts";
import { latestDocumentSchema } from "../../functions/core/latest.ts";
import { FEEDS_BUCKET } from "../../functions/local/stack.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "../..");
const BIN = join(REPO, "bin", "syndicate.js");
const NGINX_TEMPLATE = join(HERE, "nginx", "nginx.conf.template");
const START_TIMEOUT_MS = 120_000;

export type LoadTool = "wrk" | "autocannon";

export interface HttpBenchOptions {
  /** Generated articles (default 1000; 50 per feed, archives on). */
  articles?: number;
  /** Seconds per measurement (default 10). */
  duration?: number;
  /** Open connections of the load tool (default 32). */
  connections?: number;
  /** wrk threads (default 2; autocannon runs in one process). */
  threads?: number;
  /** API/nginx pairs, alternating which goes first (default 3). */
  rounds?: number;
  /** Windows of `/latest` while builds run (default 1; 0 skips). */
  buildRounds?: number;
  /** Default wrk (installed with apt-get when missing); autocannon when wrk cannot be had. */
  tool?: LoadTool;
  /** nginx worker processes (default 1: like for like with one Node process). */
  nginxWorkers?: number;
  /** Also measure bare node:http writing the same bytes: the ceiling for any Node framework (default true). */
  baseline?: boolean;
  /** Where the run's files go (default a temporary directory, removed afterwards). */
  workDir?: string;
  /** Where progress and the table go (default console.log); `null` is silent. */
  log?: ((line: string) => void) | null;
}

/** One load-tool run against one URL. Latencies in milliseconds. */
export type Target = "api" | "nginx" | "node";

export interface LoadResult {
  target: Target;
  url: string;
  seconds: number;
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Connect/read/write errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Answers other than 2xx/3xx (wrk) or other than 2xx (autocannon). */
  non2xx: number;
}

export interface UnderBuildsResult extends LoadResult {
  builds_completed: number;
  builds_failed: number;
  /** Distinct latest.json versions (ETags) a poller saw from the API during the window. */
  versions_seen: number;
  /** Poller answers that were not 200 or whose body did not match latestDocumentSchema. */
  bad_answers: number;
  build_ms_median: number | null;
}

export interface HttpBenchReport {
  date: string;
  node: string;
  tool: LoadTool;
  tool_version: string;
  nginx_version: string;
  nginx_workers: number;
  articles: number;
  connections: number;
  threads: number;
  duration_s: number;
  /** Size of the latest.json both servers answer with (the same bytes). */
  body_bytes: number;
  api: LoadResult[];
  nginx: LoadResult[];
  /** Bare node:http (empty when `baseline` is false). */
  bare_node: LoadResult[];
  /**
   * Medians over the rounds; ratio = median API req/s ÷ median nginx req/s (target ≥ 0.5);
   * node_ratio = median API req/s ÷ median bare-node req/s (null without the baseline).
   */
  warm: {
    api_rps: number; nginx_rps: number; ratio: number; api_p99_ms: number; nginx_p99_ms: number; api_p50_ms: number; nginx_p50_ms: number;
    node_rps: number | null; node_p99_ms: number | null; node_ratio: number | null;
  };
  under_builds: UnderBuildsResult[];
}

// ---------------------------------------------------------------------------------------------
// Tools

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/** `apt-get install -y <pkgs>`; `apt-get update` first only if the install fails. */
function aptInstall(pkgs: string[]): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...pkgs], { stdio: ["ignore", "ignore", "inherit"], env }).status === 0;
  if (install()) return true;
  if (spawnSync("apt-get", ["update"], { stdio: ["ignore", "ignore", "inherit"], env }).status !== 0) return false;
  return install();
}

/** The binary's path, installing Debian's package when it is missing (needs root). */
export function ensureDebianTool(cmd: string, pkgs: string[], log: (l: string) => void = () => undefined): string | undefined {
  let path = which(cmd);
  if (!path) {
    log(`${cmd} not found: apt-get install -y ${pkgs.join(" ")}`);
    aptInstall(pkgs);
    path = which(cmd);
  }
  return path;
}

export function nginxVersion(nginx: string): string {
  return spawnSync(nginx, ["-v"], { encoding: "utf8" }).stderr.trim().replace(/^nginx version: /, "");
}

function wrkVersion(wrk: string): string {
  return (spawnSync(wrk, ["-v"], { encoding: "utf8" }).stdout.split("\n")[0] ?? "").replace(/\s+Copyright.*$/, "").trim();
}

const AUTOCANNON = (() => {
  const req = createRequire(import.meta.url);
  const pkg = req.resolve("autocannon/package.json");
  return { bin: join(dirname(pkg), "autocannon.js"), version: (req("autocannon/package.json") as { version: string }).version };
})();

// ---------------------------------------------------------------------------------------------
// Processes


/** Children of this run, stopped by pid (SIGTERM, SIGKILL after 10 s) in reverse order. */
class Children {
  private readonly list: { name: string; child: ChildProcess; exited: Promise<void> }[] = [];
  add(name: string, child: ChildProcess): Promise<void> {
    const exited = new Promise<void>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) r();
      else child.once("exit", () => r());
    });
    this.list.push({ name, child, exited });
    return exited;
  }
  async stopAll(): Promise<void> {
    for (const { child, exited } of this.list.splice(0).reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      try {
        process.kill(child.pid!, "SIGTERM");
      } catch {
        continue; // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(child.pid!, "SIGKILL");
        } catch {
          /* gone */
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

/** Resolves with the output so far once `match` finds something in it; rejects if the child exits first. */
function waitForOutput(child: ChildProcess, what: string, match: (out: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => done(new Error(`${what}: not ready within ${START_TIMEOUT_MS} ms:\n${out.slice(-2000)}`)), START_TIMEOUT_MS);
    const onData = (d: Buffer) => {
      out += d.toString("utf8");
      if (match(out)) done();
    };
    const onExit = (code: number | null) => done(new Error(`${what} exited (code ${code}) before it was ready:\n${out.slice(-2000)}`));
    function done(err?: Error) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      // Keep draining, so a full pipe never blocks the child.
      child.stdout?.resume();
      child.stderr?.resume();
      if (err) reject(err);
      else resolve(out);
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

async function untilAnswering(url: string): Promise<void> {
  const end = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`${url} does not answer`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Api {
  url: string;
  s3: string;
  pid: number;
}

/** `syndicate serve --no-watch` on `content`: s3rver, the first build, the API. */
async function startApi(children: Children, content: string, data: string): Promise<Api> {
  const child = spawn(process.execPath, [BIN, "serve", "--content", content, "--data", data, "--port", "0", "--no-watch"], {
    cwd: REPO,
    env: { ...process.env, WEBHOOK_SECRET: "", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add("syndicate serve", child);
  const out = await waitForOutput(child, "syndicate serve", (o) => o.includes("Press Ctrl-C to stop."));
  const url = /local stack at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  const s3 = /S3 store\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  if (!url || !s3) throw new Error(`cannot read the URLs from syndicate serve:\n${out}`);
  if (/build \S+ \([^)]*\) failed/.test(out)) throw new Error(`the first build failed:\n${out}`);
  await untilAnswering(`${url}/latest`);
  return { url, s3, pid: child.pid! };
}

/** nginx in the foreground on a free port, serving `root` (latest.json) with the template's config. */
async function startNginx(children: Children, nginx: string, dir: string, root: string, workers: number): Promise<string> {
  const port = await freePort();
  const conf = (await readFile(NGINX_TEMPLATE, "utf8"))
    .replaceAll("{{DIR}}", dir)
    .replaceAll("{{ROOT}}", root)
    .replaceAll("{{PORT}}", String(port))
    .replaceAll("{{WORKERS}}", String(workers));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "nginx.conf"), conf);
  const args = ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")];
  const test = spawnSync(nginx, [...args, "-t"], { encoding: "utf8" });
  if (test.status !== 0) throw new Error(`nginx -t failed:\n${test.stderr}`);
  const child = spawn(nginx, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = children.add("nginx", child);
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    untilAnswering(`${url}/latest.json`),
    exited.then(() => {
      throw new Error(`nginx exited: ${stderr}`);
    }),
  ]);
  return url;
}

/** Bare node:http answering every request with the file's bytes and the API's headers. */
const NODE_BASELINE = `
const body = require("node:fs").readFileSync(process.argv[1]);
const etag = '"' + require("node:crypto").createHash("sha256").update(body).digest("base64url").slice(0, 32) + '"';
const headers = { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=60", etag,
  "access-control-allow-origin": "*", "access-control-expose-headers": "ETag,Link,Retry-After", "x-content-type-options": "nosniff", "content-length": body.length };
const server = require("node:http").createServer((req, res) => { res.writeHead(200, headers); res.end(body); });
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
`;

async function startNodeBaseline(children: Children, file: string): Promise<string> {
  const child = spawn(process.execPath, ["-e", NODE_BASELINE, file], { stdio: ["ignore", "pipe", "pipe"] });
  children.add("node baseline", child);
  const out = await waitForOutput(child, "node baseline", (o) => /"port":\d+/.test(o));
  return `http://127.0.0.1:${/"port":(\d+)/.exec(out)![1]}`;
}

// ---------------------------------------------------------------------------------------------
// Load

/** wrk's Lua `done` hook: the figures as one JSON line (latencies in microseconds). */
const WRK_DONE = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\n{"requests":%.0f,"duration_us":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50_us":%.0f,"p99_us":%.0f,"max_us":%.0f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

function run(children: Children, cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    children.add(cmd, child);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-8000)));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface LoadSpec {
  tool: LoadTool;
  wrk?: string;
  script: string;
  seconds: number;
  connections: number;
  threads: number;
}

async function load(children: Children, spec: LoadSpec, target: Target, url: string, seconds = spec.seconds): Promise<LoadResult> {
  if (spec.tool === "wrk") {
    const r = await run(children, spec.wrk!, ["-t", String(spec.threads), "-c", String(spec.connections), "-d", `${seconds}s`, "--timeout", "5s", "-s", spec.script, url]);
    const line = r.stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
    if (r.code !== 0 || !line) throw new Error(`wrk failed (${r.code}): ${r.stderr}${r.stdout}`);
    const j = JSON.parse(line) as Record<string, number>;
    const secs = j.duration_us! / 1e6;
    return {
      target, url, seconds: secs, requests: j.requests!, rps: j.requests! / secs,
      p50_ms: j.p50_us! / 1000, p99_ms: j.p99_us! / 1000, max_ms: j.max_us! / 1000,
      errors: j.connect! + j.read! + j.write! + j.timeout!, timeouts: j.timeout!, non2xx: j.status!,
    };
  }
  const r = await run(children, process.execPath, [AUTOCANNON.bin, "-j", "-c", String(spec.connections), "-d", String(seconds), "-t", "5", url]);
  const line = r.stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (r.code !== 0 || !line) throw new Error(`autocannon failed (${r.code}): ${r.stderr}`);
  const j = JSON.parse(line) as { duration: number; requests: { total: number; average: number }; latency: { p50: number; p99: number; max: number }; errors: number; timeouts: number; non2xx: number };
  return {
    target, url, seconds: j.duration, requests: j.requests.total, rps: j.requests.total / j.duration,
    p50_ms: j.latency.p50, p99_ms: j.latency.p99, max_ms: j.latency.max,
    errors: j.errors, timeouts: j.timeouts, non2xx: j.non2xx,
  };
}

// ---------------------------------------------------------------------------------------------
// Builds and a poller, for the "under builds" window

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

/** Builds with `syndicate build --bucket` until `stop` is called; each adds one newer article. */
function buildLoop(children: Children, api: Api, content: string, corpus: CorpusOptions, first: number) {
  let stopping = false;
  let windowEnd = Infinity;
  const results: { ok: boolean; end: number; ms: number; stderr: string }[] = [];
  const done = (async () => {
    for (let k = first; !stopping; k++) {
      // A newer article each time: latest.json, the main feeds and a tag's feeds change.
      await writeFile(join(content, "articles", `live-${String(k).padStart(6, "0")}.md`), article(corpus.articles + k, corpus));
      const t0 = performance.now();
      const r = await run(children, process.execPath, [BIN, "build", "--content", content, "--bucket", FEEDS_BUCKET, "--endpoint", api.s3]);
      results.push({ ok: r.code === 0, end: Date.now(), ms: performance.now() - t0, stderr: r.stderr });
    }
  })();
  return {
    results,
    /** No new build after this; waits for the running one to finish. */
    stop: async () => {
      windowEnd = Date.now();
      stopping = true;
      await done;
      return { within: results.filter((r) => r.end <= windowEnd), all: results };
    },
  };
}

/** GETs /latest every 200 ms; counts distinct ETags and answers that are not a valid latest.json. */
function poller(url: string) {
  let stopping = false;
  const etags = new Set<string>();
  let bad = 0;
  const problems: string[] = [];
  const done = (async () => {
    while (!stopping) {
      try {
        const res = await fetch(`${url}/latest`, { signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        if (res.status !== 200 || !latestDocumentSchema.safeParse(JSON.parse(text)).success) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
        etags.add(res.headers.get("etag") ?? "");
      } catch (err) {
        bad++;
        if (problems.length < 5) problems.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await done;
      return { versions: etags.size, bad, problems };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The run

export async function runHttpBench(opts: HttpBenchOptions = {}): Promise<HttpBenchReport> {
  const log = opts.log === null ? () => undefined : (opts.log ?? ((l: string) => console.log(l)));
  const articles = opts.articles ?? 1000;
  const seconds = opts.duration ?? 10;
  const connections = opts.connections ?? 32;
  const threads = opts.threads ?? 2;
  const rounds = opts.rounds ?? 3;
  const buildRounds = opts.buildRounds ?? 1;
  const workers = opts.nginxWorkers ?? 1;

  const nginx = ensureDebianTool("nginx", ["nginx-light"], log) ?? ensureDebianTool("nginx", ["nginx"], log);
  if (!nginx) throw new Error("nginx is missing and apt-get install -y nginx-light failed");
  let tool: LoadTool = opts.tool ?? "wrk";
  let wrk: string | undefined;
  if (tool === "wrk") {
    wrk = ensureDebianTool("wrk", ["wrk"], log);
    if (!wrk) {
      log("wrk is not available: measuring with autocannon instead");
      tool = "autocannon";
    }
  }
  const toolVersion = tool === "wrk" ? wrkVersion(wrk!) : `autocannon ${AUTOCANNON.version}`;

  const work = opts.workDir ?? (await mkdtemp(join(tmpdir(), "syn-bench-http-")));
  const children = new Children();
  const onSignal = () => void children.stopAll().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await mkdir(work, { recursive: true });
    const corpus: CorpusOptions = { articles, itemsPerFeed: 50, archives: true };
    log(`writing ${articles} articles; starting syndicate serve (s3rver, first build, API)…`);
    const content = await writeCorpus(join(work, "content"), corpus);
    const api = await startApi(children, content, join(work, "data"));

    // The same bytes for nginx: what the API answers for /latest right now.
    const res = await fetch(`${api.url}/latest`);
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`GET /latest answered ${res.status}`);
    const www = join(work, "www");
    await mkdir(www, { recursive: true });
    await writeFile(join(www, "latest.json"), body);
    // nginx's workers run as nobody when started as root: they must be able to read the file.
    for (const d of [work, www]) await chmod(d, 0o755);
    await chmod(join(www, "latest.json"), 0o644);
    const nginxUrl = await startNginx(children, nginx, join(work, "nginx"), www, workers);
    const fromNginx = Buffer.from(await (await fetch(`${nginxUrl}/latest.json`)).arrayBuffer());
    if (!fromNginx.equals(body)) throw new Error("nginx does not serve the bytes the API serves");
    const nodeUrl = opts.baseline === false ? undefined : await startNodeBaseline(children, join(www, "latest.json"));

    const spec: LoadSpec = { tool, wrk, script: join(work, "done.lua"), seconds, connections, threads };
    await writeFile(spec.script, WRK_DONE);
    const apiTarget = `${api.url}/latest`;
    const nginxTarget = `${nginxUrl}/latest.json`;
    const targets: [Target, string][] = [["api", apiTarget], ["nginx", nginxTarget]];
    if (nodeUrl) targets.push(["node", `${nodeUrl}/latest.json`]);
    log(`${toolVersion}; nginx ${nginxVersion(nginx)} (${workers} worker${workers === 1 ? "" : "s"}); node ${process.version}; body ${body.length} bytes`);
    log(`warming up (2 s each)…`);
    for (const [target, url] of targets) await load(children, spec, target, url, 2);

    const runs: Record<Target, LoadResult[]> = { api: [], nginx: [], node: [] };
    for (let r = 0; r < rounds; r++) {
      // Each round starts with the next target: none is always first or always last.
      const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
      for (const [target, url] of order) {
        const m = await load(children, spec, target, url);
        runs[target].push(m);
        log(`  round ${r + 1} ${target.padEnd(5)} ${fmtRps(m.rps)} req/s, p50 ${fmtMs(m.p50_ms)}, p99 ${fmtMs(m.p99_ms)}, errors ${m.errors}, non-2xx ${m.non2xx}`);
      }
    }

    const underBuilds: UnderBuildsResult[] = [];
    for (let r = 0; r < buildRounds; r++) {
      log(`/latest while builds run (${seconds} s)…`);
      const loop = buildLoop(children, api, content, corpus, r * 1000);
      const poll = poller(api.url);
      const m = await load(children, spec, "api", apiTarget);
      const [builds, seen] = await Promise.all([loop.stop(), poll.stop()]);
      const failed = builds.within.filter((b) => !b.ok);
      if (failed.length) log(`  a build failed:\n${failed[0]!.stderr.slice(-1500)}`);
      if (seen.problems.length) log(`  poller problems: ${seen.problems.join(" | ")}`);
      const u: UnderBuildsResult = {
        ...m,
        builds_completed: builds.within.filter((b) => b.ok).length,
        builds_failed: failed.length,
        versions_seen: seen.versions,
        bad_answers: seen.bad,
        build_ms_median: builds.within.length ? median(builds.within.map((b) => b.ms)) : null,
      };
      underBuilds.push(u);
      log(`  ${fmtRps(u.rps)} req/s, p99 ${fmtMs(u.p99_ms)}, errors ${u.errors}, non-2xx ${u.non2xx}, builds ${u.builds_completed} (+${u.builds_failed} failed), versions seen ${u.versions_seen}`);
    }

    const med = (t: Target, k: "rps" | "p50_ms" | "p99_ms") => median(runs[t].map((m) => m[k]));
    const warm = {
      api_rps: med("api", "rps"),
      nginx_rps: med("nginx", "rps"),
      ratio: med("api", "rps") / med("nginx", "rps"),
      api_p50_ms: med("api", "p50_ms"),
      nginx_p50_ms: med("nginx", "p50_ms"),
      api_p99_ms: med("api", "p99_ms"),
      nginx_p99_ms: med("nginx", "p99_ms"),
      node_rps: runs.node.length ? med("node", "rps") : null,
      node_p99_ms: runs.node.length ? med("node", "p99_ms") : null,
      node_ratio: runs.node.length ? med("api", "rps") / med("node", "rps") : null,
    };
    const report: HttpBenchReport = {
      date: new Date().toISOString(),
      node: process.version,
      tool,
      tool_version: toolVersion,
      nginx_version: nginxVersion(nginx),
      nginx_workers: workers,
      articles,
      connections,
      threads: tool === "wrk" ? threads : 1,
      duration_s: seconds,
      body_bytes: body.length,
      api: runs.api,
      nginx: runs.nginx,
      bare_node: runs.node,
      warm,
      under_builds: underBuilds,
    };
    for (const line of formatHttpReport(report)) log(line);
    return report;
  } finally {
    await children.stopAll();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (!opts.workDir) await rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Output

const fmtRps = (n: number) => Math.round(n).toLocaleString("en-US");
const fmtMs = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
const span = (xs: number[]) => `${fmtRps(Math.min(...xs))}–${fmtRps(Math.max(...xs))}`;

/** The compact table printed at the end of a run. */
export function formatHttpReport(r: HttpBenchReport): string[] {
  const row = (name: string, runs: LoadResult[]) => {
    const rps = runs.map((m) => m.rps);
    return `${name.padEnd(22)} ${`${fmtRps(median(rps))} (${span(rps)})`.padEnd(26)} ${fmtMs(median(runs.map((m) => m.p50_ms))).padStart(9)} ${fmtMs(median(runs.map((m) => m.p99_ms))).padStart(9)} ${String(runs.reduce((s, m) => s + m.errors, 0)).padStart(7)} ${String(runs.reduce((s, m) => s + m.non2xx, 0)).padStart(8)}`;
  };
  const lines = [
    `GET /latest on 127.0.0.1, ${r.date}: ${r.tool_version}, ${r.threads} thread${r.threads === 1 ? "" : "s"}, ${r.connections} connections, ${r.duration_s} s per run, ${r.api.length} round${r.api.length === 1 ? "" : "s"} alternating; nginx ${r.nginx_version} (${r.nginx_workers} worker${r.nginx_workers === 1 ? "" : "s"}); node ${r.node}; ${r.articles} articles, latest.json ${r.body_bytes} bytes`,
    `${"".padEnd(22)} ${"req/s median (min–max)".padEnd(26)} ${"p50".padStart(9)} ${"p99".padStart(9)} ${"errors".padStart(7)} ${"non-2xx".padStart(8)}`,
    row("API /latest (warm)", r.api),
    row("nginx /latest.json", r.nginx),
    ...(r.bare_node.length ? [row("bare node:http", r.bare_node)] : []),
    `API/nginx req/s: ${r.warm.ratio.toFixed(2)}× (target ≥ 0.5×)` +
      (r.warm.node_ratio !== null ? `; API/bare node ${r.warm.node_ratio.toFixed(2)}×; bare node/nginx ${(r.warm.node_rps! / r.warm.nginx_rps).toFixed(2)}×` : ""),
  ];
  for (const u of r.under_builds) {
    lines.push(
      `${row("API /latest, builds", [u])}   builds ${u.builds_completed} done${u.builds_failed ? `, ${u.builds_failed} failed` : ""}` +
        `${u.build_ms_median !== null ? ` (median ${(u.build_ms_median / 1000).toFixed(1)} s)` : ""}, ${u.versions_seen} versions served, ${u.bad_answers} bad answers`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Stand-alone

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      articles: { type: "string" },
      duration: { type: "string" },
      connections: { type: "string" },
      threads: { type: "string" },
      rounds: { type: "string" },
      "build-rounds": { type: "string" },
      tool: { type: "string" },
      "nginx-workers": { type: "string" },
      "no-baseline": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  if (values.tool !== undefined && values.tool !== "wrk" && values.tool !== "autocannon") throw new Error("--tool is wrk or autocannon");
  const report = await runHttpBench({
    articles: num(values.articles),
    duration: num(values.duration),
    connections: num(values.connections),
    threads: num(values.threads),
    rounds: num(values.rounds),
    buildRounds: num(values["build-rounds"]),
    tool: values.tool as LoadTool | undefined,
    nginxWorkers: num(values["nginx-workers"]),
    baseline: !values["no-baseline"],
    log: values.json ? (l) => process.stderr.write(`${l}\n`) : undefined,
  });
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
