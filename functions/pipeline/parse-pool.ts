/**
 * Parsing articles as they are read, and converting their Markdown, on every core (issue 6,
 * deliverable 3), in bounded memory.
 *
 * Files are handed over one by one while the content source reads them (`add`), gathered in
 * chunks of CHUNK files, whose bytes are in shared buffers (SharedArrayBuffer): a directory
 * source reads them straight into one (`space`), others are copied in. A full chunk is parsed on the
 * main thread, or posted to a worker (parse-worker.ts) when one is up and has fewer than two
 * chunks waiting: the buffer is shared, not copied, and the worker reports progress through
 * shared counters, which the main thread reads without waiting. So reading, parsing here and
 * parsing there overlap, and a worker still starting up simply gets fewer chunks.
 *
 * Parse results come back without the Markdown text: a body is decoded again from its chunk's
 * bytes when it is rendered (bytes take a half to a quarter of the memory of decoded text, a
 * two-byte string as soon as a file has one character beyond Latin-1). Chunks are kept up to
 * KEEP_BYTES; the articles of chunks beyond it are `unkept`, and the caller reads those again
 * when their body is needed. So the files' bytes are never all in memory at once.
 *
 * Workers are opt-in (SYNDICATE_WORKERS=n) and start once PARALLEL_MIN files have been added,
 * when there is a worker script beside this module (a bundle made without one, like the build
 * Lambda's at 1 vCPU, runs everything here). A worker that fails costs time, never
 * output: what it did not deliver is done on the main thread.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { bodyOf, parseArticle, renderBody, type Article, type ArticleResult } from "../core/article.ts";
import type { ContentIssue } from "../core/errors.ts";
import type { FeedSafeHtml } from "../core/html.ts";
import type { Labels, Site } from "../core/schema.ts";
import { siteLabels } from "../core/labels.ts";

/**
 * Files added before workers start. Measured on 2 cores (docs/performance-history.md): at 10,000
 * articles a worker made the build 10–15% slower (its start-up and cold code against ~0.5 s of
 * parsing), at 50,000 15–25% faster.
 */
export const PARALLEL_MIN = 20_000;
/** Files per chunk: small enough to balance, large enough that messages are few. */
export const CHUNK = 250;
/**
 * Bytes of each shared buffer files are read into (`space`), or a file's size when larger;
 * consecutive chunks share a buffer until it is full. Measured at 50,000 articles (peak memory,
 * which moves with how the allocator serves buffers of this size): 1 MiB buffers peaked 70 MiB
 * higher than 4 MiB ones when rebuilt with archives (721–726 against 655–659 MiB); 4 MiB: 334
 * MiB with archives off, against 370 when every file had a buffer of its own and was copied.
 */
export const BUFFER_BYTES = 4 * 1024 * 1024;
/** The most bytes of files kept for rendering bodies later; beyond it they are read again. */
export const KEEP_BYTES = 64 * 1024 * 1024;

/** What a worker is started with: the site settings, and its slot in the shared counters. */
export interface WorkerSetup {
  siteBytes: Uint8Array;
  /** Per worker two Int32s: [ready (0/1), chunks parsed]. */
  control: Int32Array;
  slot: number;
}

/** A chunk's bytes: file i is `bytes` from offsets[2i], offsets[2i+1] long. */
export interface ChunkBytes {
  bytes: SharedArrayBuffer;
  offsets: Int32Array;
}

/**
 * What renderBody needs of an article besides its body (which the worker reads from `at`): every
 * field it reads, or a body converted on a worker differs from one converted here (the id names
 * its footnotes' anchors, the summary takes a bodiless brief's body's place, the title is
 * compared with a first heading), and a build with the cache, which converts here the bodies it
 * reads again, publishes other bytes than one without.
 */
export type RenderItem = Pick<Article, "file" | "id" | "url" | "title" | "summary" | "image" | "related" | "source"> & { at: ChunkBytes; i: number; n: number };
/** A body converted on a worker: its HTML, if it converted, and its issues (an error, or warnings). */
type Rendered = { n: number; html?: string; issues: ContentIssue[] };

export type ToWorker = { type: "parse"; chunk: number; at: ChunkBytes; paths: string[] } | { type: "render"; items: RenderItem[] };
export type FromWorker = { type: "parsed"; chunk: number; results: ArticleResult[] } | { type: "rendered"; out: Rendered[] };

export function fileBytes(at: ChunkBytes, i: number): Uint8Array {
  return new Uint8Array(at.bytes, at.offsets[2 * i]!, at.offsets[2 * i + 1]!);
}

/** A parse result whose Markdown is read again from the bytes when needed (bodyOf). */
export function dropText(r: ArticleResult): ArticleResult {
  if (r.article) r.article.markdown = "";
  return r;
}

/**
 * SYNDICATE_WORKERS, at most one fewer than the cores (and 8); none unless it is set. Measured on
 * 2 cores (docs/performance-history.md): a worker made 50,000 articles 10–15% faster but added ~80 MiB
 * to the peak (past the 400 MiB budget), and did not pay at 10,000.
 */
export function workerCount(): number {
  const env = process.env.SYNDICATE_WORKERS;
  if (env === undefined || env.trim() === "" || !Number.isInteger(Number(env)) || Number(env) < 0) return 0;
  return Math.min(Number(env), Math.max(availableParallelism() - 1, 1), 8);
}

export interface PoolOptions {
  workers?: number;
  parallelMin?: number;
  keepBytes?: number;
  /** false: every chunk goes to a worker, waiting for one to be up (tests: they must take part). */
  mainThread?: boolean;
}

export interface ParsedFiles {
  /** Each added file's result, in the order added. */
  results: { path: string; result: ArticleResult }[];
  /** Articles whose bytes were not kept (over KEEP_BYTES): the caller reads their bodies again. */
  unkept: ReadonlySet<Article>;
  /** Converts the Markdown of those of these articles that have no HTML yet. */
  renderBodies(articles: Iterable<Article>): Promise<ContentIssue[]>;
  /** Stops the workers and lets the kept bytes go (safe to call twice). */
  close(): Promise<void>;
  /** Workers that took part (0: all on the main thread). */
  workers: number;
}

interface Chunk {
  at?: ChunkBytes;
  paths: string[];
  results?: ArticleResult[];
  /** The worker it was posted to, until its results arrive. */
  worker?: Helper;
  keep: boolean;
}

export class ParsePool {
  private readonly count: number;
  private readonly chunks: Chunk[] = [];
  private pendingPaths: string[] = [];
  /** Offset and length in `buffer` of each pending file. */
  private pendingOffsets: number[] = [];
  private pendingSize = 0;
  /**
   * The shared buffer files are read or copied into, and how much of it they take; `held` once a
   * chunk in it is kept or posted to a worker. A buffer none of whose chunks is held is reused
   * from its start once they are parsed (see flush).
   */
  private buffer?: { bytes: SharedArrayBuffer; used: number; held: boolean };
  private added = 0;
  private kept = 0;
  private helpers: Helper[] = [];
  private control?: Int32Array;
  private started = false;
  private arrived?: () => void;

  constructor(
    private readonly site: Site,
    private readonly siteBytes: Uint8Array,
    private readonly options: PoolOptions = {},
  ) {
    this.count = options.workers ?? workerCount();
    const env = Number(process.env.SYNDICATE_PARALLEL_MIN);
    this.parallelMin = options.parallelMin ?? (Number.isInteger(env) && env > 0 ? env : PARALLEL_MIN);
  }

  /** Files before workers start: the option, else SYNDICATE_PARALLEL_MIN, else PARALLEL_MIN. */
  private readonly parallelMin: number;

  /**
   * Room for a file of `size` bytes in the shared buffer, for a content source to read it into
   * (ReadOptions.into): a file then handed over (`add`) with these very bytes is neither
   * allocated on its own nor copied. Room given out and not taken by an `add` is given out again.
   */
  space(size: number): Buffer {
    const fits = () => this.buffer !== undefined && this.buffer.used + size <= this.buffer.bytes.byteLength;
    if (!fits()) {
      // The pending files are in the buffer being left: parsed (or posted) first, which may
      // free it for reuse (flush).
      this.flush();
      if (!fits()) this.buffer = { bytes: new SharedArrayBuffer(Math.max(BUFFER_BYTES, size)), used: 0, held: false };
    }
    return Buffer.from(this.buffer!.bytes, this.buffer!.used, size);
  }

  /**
   * Hands over one file: its bytes belong to the pool now. Bytes read into `space` stay where
   * they are; any others are copied into the shared buffer.
   */
  add(path: string, bytes: Uint8Array): void {
    const n = bytes.byteLength;
    if (!(this.buffer && bytes.buffer === this.buffer.bytes && bytes.byteOffset === this.buffer.used)) this.space(n).set(bytes);
    const buffer = this.buffer!;
    this.pendingPaths.push(path);
    this.pendingOffsets.push(buffer.used, n);
    buffer.used += n;
    this.pendingSize += n;
    if (++this.added >= this.parallelMin && !this.started) this.startWorkers();
    if (this.pendingPaths.length >= CHUNK) this.flush();
  }

  private startWorkers(): void {
    this.started = true;
    const start = this.count > 0 ? workerStarter() : undefined;
    if (!start) return;
    this.control = new Int32Array(new SharedArrayBuffer(8 * this.count));
    for (let slot = 0; slot < this.count; slot++) {
      this.helpers.push(new Helper(start({ siteBytes: this.siteBytes, control: this.control, slot }), this.control, slot, (m) => this.onParsed(m)));
    }
  }

  private onParsed(m: { chunk: number; results: ArticleResult[] } | undefined): void {
    if (m) {
      const c = this.chunks[m.chunk]!;
      if (!c.results) c.results = m.results;
      c.worker = undefined;
      if (!c.keep) c.at = undefined;
    }
    this.arrived?.();
  }

  /**
   * Makes the pending files a chunk, and parses it here or posts it to an idle worker. The files
   * are in one shared buffer already (read into it, or copied when added): a directory's files
   * are read straight into it, so that neither a buffer per file (thousands of small allocations
   * freed late: +23 MiB at 50,000 articles when they were kept instead of packed) nor a copy
   * (~30 ms at 10,000, when every file was read into its own buffer, then packed) is made.
   */
  private flush(): void {
    if (!this.pendingPaths.length) return;
    const offsets = Int32Array.from(this.pendingOffsets);
    const keep = this.kept + this.pendingSize <= (this.options.keepBytes ?? KEEP_BYTES);
    if (keep) this.kept += this.pendingSize;
    const buffer = this.buffer!;
    const chunk: Chunk = { at: { bytes: buffer.bytes, offsets }, paths: this.pendingPaths, keep };
    const k = this.chunks.push(chunk) - 1;
    this.pendingPaths = [];
    this.pendingOffsets = [];
    this.pendingSize = 0;
    const here = !this.dispatch(k) && this.options.mainThread !== false;
    if (here) this.parseHere(chunk);
    // Past the keep limit, with no worker, every chunk's bytes are let go as soon as it is parsed:
    // the next files are read into the same memory. A new buffer would be memory touched for the
    // first time, a page fault per 4 KiB (~10 µs each on the machines measured, README
    // "Performance"): ~8,000 fewer at 50,000 articles, measured.
    if (keep || !here) buffer.held = true;
    else if (!buffer.held) buffer.used = 0;
  }

  /** Posts chunk k to a worker with room, if one is up; false when none is. */
  private dispatch(k: number): boolean {
    const chunk = this.chunks[k]!;
    const idle = this.helpers.find((h) => h.canTake());
    if (!idle) return false;
    chunk.worker = idle;
    idle.post({ type: "parse", chunk: k, at: chunk.at!, paths: chunk.paths });
    return true;
  }

  private parseHere(chunk: Chunk): void {
    chunk.results = chunk.paths.map((path, i) => dropText(parseArticle(path, fileBytes(chunk.at!, i), this.site, { keepBody: false })));
    chunk.worker = undefined;
    if (!chunk.keep) chunk.at = undefined;
  }

  /** Every file parsed: waits for the workers' chunks (doing a failed worker's here). */
  async finish(): Promise<ParsedFiles> {
    this.flush();
    if (process.env.SYNDICATE_POOL_DEBUG) process.stderr.write(`parse pool: ${this.chunks.length} chunks, ${this.chunks.filter((c) => c.worker).length} posted to workers\n`);
    for (;;) {
      // Chunks not parsed anywhere yet (mainThread: false) go to a worker as one is free.
      for (const [k, c] of this.chunks.entries()) {
        if (!c.results && !c.worker && !this.dispatch(k) && !this.helpers.some((h) => h.alive)) this.parseHere(c);
      }
      for (const c of this.chunks) if (c.worker && !c.worker.alive) this.parseHere(c);
      if (this.chunks.every((c) => c.results)) break;
      await new Promise<void>((resolve) => {
        this.arrived = resolve;
        for (const h of this.helpers) h.onChange = resolve;
        setTimeout(resolve, 50); // a worker coming up (shared flag) sends no message
      });
    }
    return this.parsed();
  }

  private parsed(): ParsedFiles {
    const results: ParsedFiles["results"] = [];
    const where = new Map<Article, { at: ChunkBytes; i: number }>();
    const unkept = new Set<Article>();
    for (const c of this.chunks) {
      c.results!.forEach((result, i) => {
        results.push({ path: c.paths[i]!, result });
        if (!result.article) return;
        if (c.at) where.set(result.article, { at: c.at, i });
        else unkept.add(result.article);
      });
    }
    const helpers = this.helpers;
    // The workers find the same labels in the site.yaml bytes they were started with (parse-worker.ts).
    const labels = siteLabels(this.site);
    const bodyOfArticle = (a: Article) => {
      const w = where.get(a);
      return w ? bodyOf(fileBytes(w.at, w.i)) : undefined;
    };
    return {
      results,
      unkept,
      workers: helpers.filter((h) => h.delivered).length,
      async renderBodies(articles) {
        // An unkept article's body is the caller's to read again first (cached-load does).
        const todo = [...articles].filter((a) => a.contentHtml === undefined);
        const ready = helpers.filter((h) => h.alive && h.ready());
        const shareable = todo.filter((a) => where.has(a));
        // An equal share for each thread, the main thread's included.
        const share = Math.floor((shareable.length * ready.length) / (ready.length + 1));
        const sent = ready.map((h, w) => {
          const part = shareable.slice(Math.floor((share * w) / ready.length), Math.floor((share * (w + 1)) / ready.length));
          const items = part.map((a, n): RenderItem => ({ ...where.get(a)!, n, file: a.file, id: a.id, url: a.url, title: a.title, summary: a.summary, image: a.image, related: a.related, source: a.source }));
          return { part, reply: h.render(items) };
        });
        const sentSet = new Set(sent.flatMap((s) => s.part));
        const issues = renderHere(todo.filter((a) => !sentSet.has(a)), bodyOfArticle, labels);
        for (const { part, reply } of sent) {
          const out = await reply;
          if (!out) {
            issues.push(...renderHere(part, bodyOfArticle, labels));
            continue;
          }
          for (const r of out) {
            // renderBody's output on the worker (feedSafeHtml), as on this thread.
            if (r.html !== undefined) part[r.n]!.contentHtml = r.html as FeedSafeHtml;
            issues.push(...r.issues);
          }
        }
        return issues;
      },
      close: async () => {
        const overLimit = this.kept > 0 && this.chunks.some((c) => !c.keep);
        where.clear();
        // The kept bytes go now, not when the build lets go of the pool.
        for (const c of this.chunks) c.at = undefined;
        this.chunks.length = 0;
        await Promise.all(helpers.map((h) => h.stop()));
        // Up to KEEP_BYTES of shared buffers just became garbage, but V8 frees them only in a full
        // collection, which the young garbage of rendering does not bring before the build's
        // peak (storing the cache): at 50,000 articles they were still held then (~80 MB). So
        // a build past the keep limit asks for one here (~0.1 s at 50,000); a smaller build
        // (everything kept, e.g. 10,000 articles) does not pay for it.
        if (overLimit) fullCollection();
      },
    };
  }
}

/**
 * A full garbage collection, best effort: through `gc` when node runs with --expose-gc, else
 * exposed once on demand (v8 flag, then `gc` from a new context; kept here, not made global). A
 * runtime that refuses either gets no collection, never a failed build.
 */
let collect: (() => void) | null | undefined;
function fullCollection(): void {
  if (collect === undefined) {
    try {
      collect = (globalThis as { gc?: () => void }).gc ?? (setFlagsFromString("--expose-gc"), runInNewContext("gc") as () => void);
    } catch {
      collect = null;
    }
  }
  try {
    collect?.();
  } catch {
    collect = null;
  }
}

/** renderBody on this thread; `body` gives the Markdown of an article whose text was not kept. */
function renderHere(articles: Article[], body: (a: Article) => { markdown: string; bodyLine: number } | undefined, labels: Labels): ContentIssue[] {
  const issues: ContentIssue[] = [];
  for (const a of articles) {
    if (a.contentHtml !== undefined) continue;
    const b = body(a);
    if (b) {
      a.markdown = b.markdown;
      a.bodyLine = b.bodyLine;
    }
    issues.push(...renderBody(a, labels));
    a.markdown = ""; // converted: the text can go (a body read again from the source too)
  }
  return issues;
}

/** One worker: alive until it fails or is stopped. */
class Helper {
  alive = true;
  /** Whether it delivered anything (parse results or bodies). */
  delivered = false;
  onChange?: () => void;
  private posted = 0;
  private pending?: (out: Rendered[] | undefined) => void;
  constructor(
    private readonly worker: Worker,
    private readonly control: Int32Array,
    private readonly slot: number,
    onParsed: (m: { chunk: number; results: ArticleResult[] } | undefined) => void,
  ) {
    worker.unref(); // never what keeps a process alive
    worker.on("message", (m: FromWorker) => {
      this.delivered = true;
      if (m.type === "rendered") this.answer(m.out);
      else onParsed(m);
    });
    // A message that cannot be read back: treat the worker as failed (its work is done here).
    worker.on("messageerror", () => void worker.terminate());
    worker.on("error", (err) => {
      if (process.env.SYNDICATE_POOL_DEBUG) process.stderr.write(`parse pool: worker failed: ${err.stack ?? err}\n`);
    });
    worker.on("exit", () => {
      this.alive = false;
      this.answer(undefined);
      onParsed(undefined);
      this.onChange?.();
    });
  }
  /** Up, and fewer than two chunks waiting: read from the shared counters, without waiting. */
  canTake(): boolean {
    return this.alive && this.ready() && this.posted - Atomics.load(this.control, 2 * this.slot + 1) < 2;
  }
  ready(): boolean {
    return Atomics.load(this.control, 2 * this.slot) === 1;
  }
  post(m: ToWorker): void {
    if (m.type === "parse") this.posted++;
    this.worker.postMessage(m);
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
      this.post({ type: "render", items });
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
function workerStarter(): ((setup: WorkerSetup) => Worker) | undefined {
  const bundled = new URL("./parse-worker.mjs", import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return (setup) => new Worker(bundled, { workerData: setup });
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
  return (setup) => new Worker(code, { eval: true, workerData: setup });
}
