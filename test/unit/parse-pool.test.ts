/**
 * parse-pool.ts: parsing and Markdown on worker threads give exactly what the main thread
 * alone gives, issues and warnings included, and a worker that fails costs only time.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { BUFFER_BYTES, ParsePool } from "../../functions/pipeline/parse-pool.ts";
import { bodyOf, type Article, type ArticleResult } from "../../functions/core/article.ts";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent, type ContentSource, type ReadOptions } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { article as corpusArticle, siteYaml } from "../support/corpus.ts";
import { parseSite } from "../../functions/core/content.ts";
import { articleText, bytes, snapshot, tempDir, tree, writeTree, type Tree } from "../support/content-tree.ts";

const SITE_BYTES = bytes(siteYaml());
const SITE = parseSite(SITE_BYTES).site!;

/** A mixed set: generated articles, and some with errors, warnings and raw HTML. */
function mixedFiles(n: number): { path: string; bytes: Uint8Array }[] {
  const files = Array.from({ length: n }, (_, i) => ({ path: `articles/a-${String(i).padStart(4, "0")}.md`, bytes: bytes(corpusArticle(i, { articles: n })) }));
  files[3] = { path: files[3]!.path, bytes: bytes(articleText({ title: "No zone", date: "2020-06-19T10:00:00", mood: "unknown key" })) };
  files[7] = { path: files[7]!.path, bytes: bytes(articleText({ title: 123, date: "2020-02-30" })) };
  files[11] = { path: files[11]!.path, bytes: bytes("not front matter at all") };
  files[13] = { path: files[13]!.path, bytes: new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe]) };
  files[17] = { path: files[17]!.path, bytes: bytes(articleText({ title: "Raw HTML", date: "2020-06-19" }, `<script>x</script><a href="javascript:y" onclick="z">k</a> and [rel](/r) ![i](i.png)\n\n- a\n  - b`)) };
  return files;
}

/** A parse result without its Markdown (the pool drops it; renderBodies reads it again). */
function comparable(r: ArticleResult) {
  return { ...r, article: r.article && { ...r.article, markdown: undefined } };
}

async function parseAndRender(files: { path: string; bytes: Uint8Array }[], workers: number, siteBytes = SITE_BYTES, keepBytes?: number) {
  // mainThread: false: the workers parse everything, however slowly they start.
  const pool = new ParsePool(SITE, siteBytes, { workers, parallelMin: 1, mainThread: workers === 0, keepBytes });
  for (const f of files) pool.add(f.path, f.bytes);
  const parsed = await pool.finish();
  try {
    const articles = parsed.results.map((r) => r.result.article).filter((a): a is Article => a !== undefined);
    const issues = await parsed.renderBodies(articles);
    return { parsed, results: parsed.results.map((r) => ({ path: r.path, result: comparable(r.result) })), html: articles.map((a) => a.contentHtml), issues };
  } finally {
    await parsed.close();
  }
}

describe("parse pool", () => {
  const files = mixedFiles(1_200);

  it("gives the same results, issues and HTML with workers as on the main thread alone", async () => {
    const alone = await parseAndRender(files, 0);
    const pooled = await parseAndRender(files, 2);
    expect(alone.parsed.workers).toBe(0);
    expect(pooled.parsed.workers).toBeGreaterThan(0);
    expect(pooled.results).toEqual(alone.results);
    expect(pooled.html).toEqual(alone.html);
    expect(pooled.issues).toEqual(alone.issues);
    // The mixed files did produce what they were made for: proof the comparison covers them.
    expect(alone.results.map((r) => r.path)).toEqual(files.map((f) => f.path));
    const issues = alone.results.flatMap((r) => r.result.issues);
    expect(issues.some((i) => i.severity === "warning" && i.field === "mood")).toBe(true);
    expect(issues.some((i) => i.severity === "error" && i.field === "title")).toBe(true);
    expect(issues.some((i) => i.file === files[13]!.path && /UTF-8/.test(i.message))).toBe(true);
    expect(alone.html[alone.html.length - 1]).toContain("https://corpus.example.com/related/");
    const raw = alone.html.find((h) => h?.includes("Raw HTML") || h?.includes(">k</a>"));
    expect(raw).toBeDefined();
    expect(raw).not.toMatch(/script|javascript|onclick/);
  });

  it("finishes on the main thread when every worker fails", async () => {
    // The workers cannot read these site settings and stop at once; the main thread can.
    const alone = await parseAndRender(files, 0);
    const failed = await parseAndRender(files, 2, bytes("title: [unclosed"));
    expect(failed.parsed.workers).toBe(0);
    expect(failed.results).toEqual(alone.results);
    expect(failed.html).toEqual(alone.html);
  });

  it("lets bytes beyond keepBytes go: those articles are unkept, their bodies left for the caller to read again", async () => {
    const some = files.slice(0, 600);
    const kept = await parseAndRender(some, 0);
    // The first chunk (250 files of ~2.9 KB) fits the limit; the chunks after it do not.
    const pool = new ParsePool(SITE, SITE_BYTES, { workers: 0, keepBytes: 800_000 });
    for (const f of some) pool.add(f.path, f.bytes);
    const parsed = await pool.finish();
    const articles = parsed.results.map((r) => r.result.article).filter((a): a is Article => a !== undefined);
    expect(parsed.unkept.size).toBeGreaterThan(0);
    expect(parsed.unkept.size).toBeLessThan(articles.length);
    // The caller reads an unkept article's body again (cached-load does, from the source).
    for (const a of parsed.unkept) Object.assign(a, bodyOf(some.find((f) => f.path === a.file)!.bytes));
    await parsed.renderBodies(articles);
    articles.forEach((a, n) => expect(a.contentHtml).toBe(kept.html[n]));
    // Past the keep limit, closing asks for a full collection: the kept shared buffers (~1 MB
    // here) are freed now, not at some later collection (at 50,000 articles: the build's peak).
    // V8 releases the backing stores of collected buffers on a background thread, a moment after
    // the collection: waited for (a few milliseconds; without the collection they stay).
    const before = process.memoryUsage().arrayBuffers;
    await parsed.close();
    const freed = () => before - process.memoryUsage().arrayBuffers;
    for (let waited = 0; freed() <= 250_000 && waited < 2_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(freed()).toBeGreaterThan(250_000);
  });

  it("past the keep limit, reads file after file into the same memory once each chunk is parsed, not into new buffers", async () => {
    const some = files.slice(0, 1_000);
    const kept = await parseAndRender(some, 0);
    const run = async (workers: number) => {
      const pool = new ParsePool(SITE, SITE_BYTES, { workers, parallelMin: 1, mainThread: workers === 0, keepBytes: 0 });
      const views: Uint8Array[] = [];
      for (const f of some) {
        const room = pool.space(f.bytes.byteLength);
        room.set(f.bytes);
        views.push(room);
        pool.add(f.path, room);
      }
      const parsed = await pool.finish();
      try {
        const articles = parsed.results.map((r) => r.result.article).filter((a): a is Article => a !== undefined);
        expect(parsed.unkept.size).toBe(articles.length);
        for (const a of parsed.unkept) Object.assign(a, bodyOf(some.find((f) => f.path === a.file)!.bytes));
        const issues = await parsed.renderBodies(articles);
        expect(parsed.results.map((r) => ({ path: r.path, result: comparable(r.result) }))).toEqual(kept.results);
        expect(articles.map((a) => a.contentHtml)).toEqual(kept.html);
        expect(issues).toEqual(kept.issues);
      } finally {
        await parsed.close();
      }
      return views;
    };
    // On the main thread: ~2.9 MB of files in four chunks, all in the first ~750 KB of one buffer.
    const here = await run(0);
    expect(new Set(here.map((v) => v.buffer)).size).toBe(1);
    expect(Math.max(...here.map((v) => v.byteOffset + v.byteLength))).toBeLessThan(1_000_000);
    // A chunk posted to a worker keeps its bytes until the worker is done: no room is given out
    // again over them, and the results are the same.
    const posted = await run(1);
    expect(Math.max(...posted.map((v) => v.byteOffset + v.byteLength))).toBeGreaterThan(2_000_000);
  });

  it("in a build from a directory without archives, keeps no file's bytes: reads again only the bodies of the items its documents carry", async () => {
    const dir = await tempDir();
    const articles = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`a${i}`, { title: `A ${i}`, date: `2020-01-${String(i + 1).padStart(2, "0")}T00:00:00Z`, tags: i % 2 ? ["Odd"] : [] }]));
    const reads: (string[] | undefined)[] = [];
    class Spy extends DirectoryContent {
      override read(options: Parameters<DirectoryContent["read"]>[0] = {}) {
        reads.push(options.only && [...options.only].sort());
        return super.read(options);
      }
    }
    // A source whose reads are requests (a bucket): what the build reads once, it keeps.
    class Remote implements ContentSource {
      readonly description = "a remote source";
      constructor(private readonly inner: Spy) {}
      read(options?: ReadOptions) {
        return this.inner.read(options);
      }
    }
    const run = async (archives: boolean, local = true) => {
      const content = join(dir, `content-${archives}-${local}`);
      await writeTree(content, tree(articles, { items_per_feed: 3, archives }));
      reads.length = 0;
      await build({ source: local ? new Spy(content) : new Remote(new Spy(content)), store: new DirectoryStore(join(dir, `out-${archives}-${local}`)), now: Date.UTC(2030, 0, 1) });
      return [...reads];
    };
    // The main feed's newest three (a11, a10, a9) and the tag feed's (a11, a9, a7), read again.
    expect(await run(false)).toEqual([undefined, ["articles/a10.md", "articles/a11.md", "articles/a7.md", "articles/a9.md"]]);
    // With archives every body is converted: the bytes read first are kept, nothing read again.
    expect(await run(true)).toEqual([undefined]);
    expect(await run(false, false)).toEqual([undefined]);
  });

  it("parses files read straight into its shared buffer as it parses copies, and gives room not taken out again", async () => {
    const some = files.slice(0, 300);
    const copied = await parseAndRender(some, 0);
    const pool = new ParsePool(SITE, SITE_BYTES, { workers: 0 });
    const big = bytes(articleText({ title: "Big", date: "2020-06-19" }, "word ".repeat(BUFFER_BYTES / 4)));
    const views: Uint8Array[] = [];
    for (const f of [...some, { path: "articles/zz-big.md", bytes: big }]) {
      // Room asked for and not taken (as for a file the cache knows): the same room comes back.
      const unused = pool.space(f.bytes.byteLength);
      unused.fill(0x78);
      const room = pool.space(f.bytes.byteLength);
      expect(room.buffer).toBe(unused.buffer);
      expect(room.byteOffset).toBe(unused.byteOffset);
      expect(room.buffer).toBeInstanceOf(SharedArrayBuffer);
      room.set(f.bytes);
      views.push(room);
      pool.add(f.path, room);
    }
    // A file larger than a buffer gets one of its own size.
    expect(views.at(-1)!.buffer.byteLength).toBe(big.byteLength);
    // The others (~870 KB in all, two chunks) share one buffer: consecutive chunks share a buffer until it is full.
    expect(new Set(views.slice(0, -1).map((v) => v.buffer)).size).toBe(1);
    const parsed = await pool.finish();
    try {
      const articles = parsed.results.map((r) => r.result.article).filter((a): a is Article => a !== undefined);
      await parsed.renderBodies(articles);
      expect(parsed.results.slice(0, -1).map((r) => ({ path: r.path, result: comparable(r.result) }))).toEqual(copied.results);
      expect(articles.map((a) => a.contentHtml)).toEqual(copied.html);
      // The big file was read whole (a buffer is as large as the file limit): it is over the limit.
      expect(parsed.results.at(-1)!.result.issues[0]).toMatchObject({ file: "articles/zz-big.md", field: "file", message: expect.stringMatching(/at most/) });
    } finally {
      await parsed.close();
    }
  });

  // Every fifth article with a source line and a related link: the labels' words are in its HTML.
  const LABELS = `labels:\n  read_more: Devamını okuyun\n  source: "Kaynak: {source}"\n  archive: "{title} (arşiv {page})"\n  tag: "{title} – {tag}"\n`;
  it.each([
    ["in the default labels", ""],
    ["in the site's labels (the workers read them from site.yaml's bytes)", LABELS],
  ])("builds byte-identical outputs with and without workers, %s", async (_, labels) => {
    const root = await tempDir();
    const t: Tree = { "site.yaml": siteYaml({ archives: true, itemsPerFeed: 20 }) + labels };
    for (let i = 0; i < 300; i++) {
      const text = corpusArticle(i, { articles: 300 });
      t[`articles/article-${String(i).padStart(4, "0")}.md`] = i % 5 ? text : text.replace("\n---\n", `\nsource: Wire ${i}\nrelated: [{title: Related ${i}, url: "https://corpus.example.com/r/${i}"}]\n---\n`);
    }
    const content = await writeTree(join(root, "content"), t);
    const outs: Record<string, string>[] = [];
    for (const workers of [0, 2]) {
      const out = join(root, `out-${workers}`);
      // mainThread: false with workers: they parse everything (the main thread would otherwise
      // finish 300 files before a worker is up, and the comparison be of the main thread with itself).
      const report = await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: Date.UTC(2030, 0, 1), workers, cache: false, parallelMin: 1, mainThread: workers === 0 });
      if (workers) expect(report.cache.workers ?? 0).toBeGreaterThan(0);
      else expect(report.cache.workers).toBeUndefined();
      const files = await snapshot(out);
      outs.push(Object.fromEntries(Object.entries(files).filter(([k]) => k !== "manifest.json").map(([k, v]) => [k, v.bytes])));
    }
    expect(Object.keys(outs[0]!).length).toBeGreaterThan(30);
    expect(outs[1]).toEqual(outs[0]);
    const feed = Buffer.from(outs[0]!["feed.json"]!, "base64").toString("utf8");
    expect(feed).toContain(labels ? "<em>Kaynak: Wire " : "<em>Source: Wire ");
    expect(feed).toContain(labels ? "<strong>Devamını okuyun</strong>" : "<strong>Read more</strong>");
    await rm(root, { recursive: true, force: true });
  });
});
