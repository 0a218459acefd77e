/**
 * Parsing many articles, and converting their Markdown, on every core (issue 6, deliverable 3).
 *
 * A full build parses every file's front matter, which is CPU work in small independent pieces.
 * With `workers` > 0 and at least `parallelMin` files, the files' bytes go into one
 * SharedArrayBuffer (one copy; no per-file cloning), and the main thread and the workers
 * (parse-worker.ts) claim chunks of files from a shared counter until none are left, so a worker
 * still starting up simply claims fewer. Parse results come back without the Markdown (cloning
 * tens of megabytes of text costs more than it saves): a body is decoded again from the shared
 * bytes when it is rendered, and the bodies to render are shared out between the main thread and
 * the workers the same way. A worker that fails costs time, never output: whatever it did not
 * deliver is done on the main thread.
 *
 * Below `parallelMin` files, with no worker script beside this module (a bundle made without
 * one, like the build Lambda's at 1 vCPU), or with SYNDICATE_WORKERS=0, everything runs on the
 * main thread as before.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { bodyOf, parseArticle, renderBody, type Article, type ArticleResult } from "../core/article.ts";
import type { ContentIssue } from "../core/errors.ts";
import type { Site } from "../core/schema.ts";

/** Below this many files to parse, a worker's start-up (~0.1 s) costs more than it saves. */
export const PARALLEL_MIN = 2_000;
/** Files per claim: small enough to balance, large enough that claims and messages are few. */
export const CHUNK = 250;

/** What a worker is started with (parse-worker.ts). */
export interface PoolData {
  bytes: SharedArrayBuffer;
  /** For file i: its offset and length in `bytes`. */
  offsets: Int32Array;
  paths: string[];
  siteBytes: Uint8Array;
  chunk: number;
  /** One Int32 on a SharedArrayBuffer: the next chunk to claim. */
  counter: Int32Array;
}

/** What renderBody needs of an article besides its body (which the worker reads from `bytes`). */
export type RenderItem = Pick<Article, "file" | "url" | "image" | "related" | "source"> & { index: number };
type Rendered = { index: number; html: string } | { index: number; issue: ContentIssue };

export type WorkerMessage =
  | { type: "parsed"; chunk: number; results: ArticleResult[] }
  | { type: "idle" }
  | { type: "rendered"; out: Rendered[] };

export interface ParsedFiles {
  /** One result per file, in the order given. */
  results: ArticleResult[];
  /** Converts the Markdown of those of these articles that have no HTML yet. */
  renderBodies(articles: Iterable<Article>): Promise<ContentIssue[]>;
  /** Stops the workers (also safe to call twice, or when there were none). */
  close(): Promise<void>;
  /** Workers that took part (0: all on the main thread). */
  workers: number;
}

/** SYNDICATE_WORKERS when set (0 turns them off), else one fewer than the cores, at most 3. */
export function workerCount(): number {
  const env = process.env.SYNDICATE_WORKERS;
  if (env !== undefined && env.trim() !== "" && Number.isInteger(Number(env)) && Number(env) >= 0) return Math.min(Number(env), 8);
  return Math.max(0, Math.min(availableParallelism() - 1, 3));
}

export async function parseFiles(
  files: readonly { path: string; bytes: Uint8Array }[],
  site: Site,
  siteBytes: Uint8Array,
  /** mainThread: false leaves all parsing to the workers (tests use it to be sure they take part). */
  options: { workers?: number; parallelMin?: number; mainThread?: boolean } = {},
): Promise<ParsedFiles> {
  const count = options.workers ?? workerCount();
  const start = count > 0 && files.length >= (options.parallelMin ?? PARALLEL_MIN) ? workerStarter() : undefined;
  if (!start) {
    const results = files.map((f) => parseArticle(f.path, f.bytes, site));
    return { results, workers: 0, renderBodies: async (articles) => renderHere([...articles]), close: async () => {} };
  }

  let total = 0;
  for (const f of files) total += f.bytes.byteLength;
  const shared = new Uint8Array(new SharedArrayBuffer(total));
  const offsets = new Int32Array(2 * files.length);
  let at = 0;
  files.forEach((f, i) => {
    shared.set(f.bytes, at);
    offsets[2 * i] = at;
    offsets[2 * i + 1] = f.bytes.byteLength;
    at += f.bytes.byteLength;
  });
  const data: PoolData = { bytes: shared.buffer as SharedArrayBuffer, offsets, paths: files.map((f) => f.path), siteBytes, chunk: CHUNK, counter: new Int32Array(new SharedArrayBuffer(4)) };
  const bytesOf = (i: number) => shared.subarray(offsets[2 * i]!, offsets[2 * i]! + offsets[2 * i + 1]!);
  const chunks = Math.ceil(files.length / CHUNK);
  const byChunk: (ArticleResult[] | undefined)[] = new Array(chunks);
  let filled = 0;
  const parseChunk = (k: number) => {
    const out: ArticleResult[] = [];
    for (let i = k * CHUNK; i < Math.min(files.length, (k + 1) * CHUNK); i++) {
      const r = parseArticle(files[i]!.path, bytesOf(i), site);
      if (r.article) r.article.markdown = ""; // read again from `shared` when rendered
      out.push(r);
    }
    return out;
  };

  let settle: () => void = () => {};
  const allIn = new Promise<void>((resolve) => (settle = resolve));
  const check = () => {
    if (filled === chunks || helpers.every((h) => !h.alive || h.idle)) settle();
  };
  const t0 = performance.now();
  const debug = process.env.SYNDICATE_POOL_DEBUG ? (s: string) => process.stderr.write(`pool ${(performance.now() - t0).toFixed(0)} ms: ${s}\n`) : undefined;
  const helpers = Array.from({ length: count }, () => new Helper(start(data), (m) => {
    debug?.(m.type === "parsed" ? `worker chunk ${m.chunk}` : m.type);
    if (m.type === "parsed" && !byChunk[m.chunk]) {
      byChunk[m.chunk] = m.results;
      filled++;
    }
    check();
  }, check));

  for (let k = options.mainThread === false ? chunks : Atomics.add(data.counter, 0, 1); k < chunks; k = Atomics.add(data.counter, 0, 1)) {
    byChunk[k] = parseChunk(k);
    filled++;
  }
  debug?.("main thread done");
  check();
  await allIn;
  debug?.("all in");
  // Chunks a failed worker claimed but never delivered.
  for (let k = 0; k < chunks; k++) if (!byChunk[k]) byChunk[k] = parseChunk(k);
  const results = byChunk.flatMap((c) => c!);
  const index = new Map<Article, number>();
  results.forEach((r, i) => r.article && index.set(r.article, i));

  return {
    results,
    workers: helpers.filter((h) => h.delivered).length,
    async renderBodies(articles) {
      const todo = [...articles].filter((a) => a.contentHtml === undefined);
      const ready = helpers.filter((h) => h.alive && h.idle);
      const remote = todo.filter((a) => index.has(a));
      // An equal share for each thread, the main thread's included.
      const share = Math.floor((remote.length * ready.length) / (ready.length + 1));
      const sent = ready.map((h, w) => {
        const part = remote.slice(Math.floor((share * w) / ready.length), Math.floor((share * (w + 1)) / ready.length));
        const items = part.map((a): RenderItem => ({ index: index.get(a)!, file: a.file, url: a.url, image: a.image, related: a.related, source: a.source }));
        return { part, reply: h.render(items) };
      });
      const sentSet = new Set(sent.flatMap((s) => s.part));
      const here = todo.filter((a) => !sentSet.has(a));
      const issues = renderHere(here, (a) => (index.has(a) ? bodyOf(bytesOf(index.get(a)!)) : undefined));
      for (const { part, reply } of sent) {
        const out = await reply;
        if (!out) {
          issues.push(...renderHere(part, (a) => bodyOf(bytesOf(index.get(a)!))));
          continue;
        }
        const byIndex = new Map(part.map((a) => [index.get(a)!, a]));
        for (const r of out) {
          if ("html" in r) byIndex.get(r.index)!.contentHtml = r.html;
          else issues.push(r.issue);
        }
      }
      return issues;
    },
    async close() {
      await Promise.all(helpers.map((h) => h.stop()));
    },
  };
}

/** renderBody on this thread; `body` gives the Markdown of an article whose text was not kept. */
function renderHere(articles: Article[], body?: (a: Article) => { markdown: string; bodyLine: number } | undefined): ContentIssue[] {
  const issues: ContentIssue[] = [];
  for (const a of articles) {
    if (a.contentHtml !== undefined) continue;
    const b = body?.(a);
    if (b) {
      a.markdown = b.markdown;
      a.bodyLine = b.bodyLine;
    }
    const issue = renderBody(a);
    if (b) a.markdown = "";
    if (issue) issues.push(issue);
  }
  return issues;
}

/** One worker: alive until it fails or is stopped; idle once it has claimed its last chunk. */
class Helper {
  alive = true;
  idle = false;
  /** Whether it delivered anything (parse results or bodies). */
  delivered = false;
  private pending?: (out: Rendered[] | undefined) => void;
  constructor(
    private readonly worker: Worker,
    onMessage: (m: WorkerMessage) => void,
    onDown: () => void,
  ) {
    worker.unref(); // never what keeps a process alive
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "idle") this.idle = true;
      else this.delivered = true;
      if (m.type === "rendered") this.answer(m.out);
      onMessage(m);
    });
    const down = () => {
      this.alive = false;
      this.answer(undefined);
      onDown();
    };
    worker.on("error", (err) => {
      if (process.env.SYNDICATE_POOL_DEBUG) process.stderr.write(`pool: worker failed: ${err.stack ?? err}\n`);
      down();
    });
    worker.on("exit", down);
  }
  private answer(out: Rendered[] | undefined) {
    const p = this.pending;
    this.pending = undefined;
    p?.(out);
  }
  /** The rendered bodies, or undefined when the worker failed (the caller renders them itself). */
  render(items: RenderItem[]): Promise<Rendered[] | undefined> {
    if (!items.length) return Promise.resolve([]);
    if (!this.alive) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.pending = resolve;
      this.worker.postMessage({ type: "render", items });
    });
  }
  async stop() {
    if (this.alive) await this.worker.terminate();
  }
}

/**
 * How to start a worker here: the bundled script beside a bundle (`npm run bench` builds
 * parse-worker.mjs beside its child), or the TypeScript source through tsx when running from
 * source (the CLI, tests). Undefined when neither is there: no workers.
 */
function workerStarter(): ((data: PoolData) => Worker) | undefined {
  const bundled = new URL("./parse-worker.mjs", import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return (data) => new Worker(bundled, { workerData: data });
  const source = new URL("./parse-worker.ts", import.meta.url);
  if (!import.meta.url.endsWith(".ts") || !existsSync(fileURLToPath(source))) return undefined;
  // tsx's ESM entry (its CommonJS one cannot register hooks from a worker's eval code).
  let tsx: string;
  try {
    tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
    if (!existsSync(fileURLToPath(tsx))) return undefined;
  } catch {
    return undefined;
  }
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source.href)}); });`;
  return (data) => new Worker(code, { eval: true, workerData: data });
}
