import { describe, expect, it } from "vitest";
import { cp, readFile, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { codeFiles, codeKey, codeKeyOf, holdStoredCache } from "../../functions/pipeline/cached-load.ts";
import { ARCHIVE_PAGES_KEY } from "../../functions/pipeline/archive-pages.ts";
import { build, READS_WHILE_CHANGING, type BuildReport } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import type { ObjectMeta } from "../../functions/adapters/store.ts";
import { CACHE_DELTA_KEY, CACHE_FORMAT, CACHE_KEY, cacheChunks, cacheContext, decodeCache, decodeDelta, encodeCache, entriesOf, entryResult, toEntry } from "../../functions/core/cache.ts";
import { parseArticle, renderBody } from "../../functions/core/article.ts";
import { DEFAULT_LABELS } from "../../functions/core/labels.ts";
import { createHash } from "node:crypto";
import { ContentError } from "../../functions/core/errors.ts";
import { articleText, bytes, siteYaml, snapshot, tempDir, TEST_SITE, tree, writeTree } from "../support/content-tree.ts";

const NOW = Date.UTC(2030, 0, 1);
/** A clock a minute ahead: files written by a test read as long unchanged (content-dir.ts RACY_MS). */
const LATER = () => Date.now() + 60_000;
const REPO_ROOT = resolve(import.meta.dirname, "../..");

/** Where a store key lives in a directory store. */
const keyPath = (dir: string, key: string) => join(dir, ...key.split("/"));

async function run(content: string, out: string, cache = true): Promise<BuildReport> {
  // Read as if the files were written long before (content-dir.ts RACY_MS), so that their
  // change markers are trusted; "gives a file changed within RACY_MS of a build no marker" reads them now.
  return build({ source: new DirectoryContent(content, LATER), store: new DirectoryStore(out), now: NOW, cache });
}

/** The published outputs (not the cache) with their bytes. */
async function outputs(dir: string): Promise<Record<string, string>> {
  const files = await snapshot(dir);
  return Object.fromEntries(Object.entries(files).filter(([k]) => !k.startsWith(".syndicate/")).map(([k, v]) => [k, v.bytes]));
}

/**
 * Builds `content` into a fresh directory without a cache and returns its outputs. `history`: an
 * output directory whose record of the full archive pages the build starts from (they keep
 * their items: documents.ts planDocuments), as a build into that directory does.
 */
async function clean(content: string, history?: string): Promise<Record<string, string>> {
  const out = join(await tempDir(), "clean");
  if (history) await cp(keyPath(history, ARCHIVE_PAGES_KEY), keyPath(out, ARCHIVE_PAGES_KEY));
  await run(content, out, false);
  return outputs(out);
}

function articles(n: number, extra: Record<string, object> = {}): Record<string, object> {
  const a: Record<string, object> = {};
  for (let i = 0; i < n; i++) a[`a${i}`] = { title: `Article ${i}`, date: `2020-01-${String(i + 1).padStart(2, "0")}T00:00:00Z`, tags: [`T${i % 3}`] };
  return { ...a, ...extra };
}

async function setup(t: Record<string, object>, site: Record<string, unknown> = {}) {
  const dir = await tempDir();
  const content = await writeTree(join(dir, "content"), tree(t as never, site));
  return { content, out: join(dir, "out") };
}

describe("build cache", () => {
  it("tells a file renamed (a new file with the title of one gone): its derived id changed; not when the id is kept, nor for a new article", async () => {
    const { content, out } = await setup(articles(12));
    await run(content, out);
    const told = (r: BuildReport) => r.warnings.filter((w) => w.field === "id").map((w) => `${w.file}: ${w.message}`);
    await rename(join(content, "articles", "a3.md"), join(content, "articles", "moved.md"));
    expect(told(await run(content, out))).toEqual([
      "articles/moved.md: has the title of articles/a3.md, which is gone: if this is that article renamed, readers see it as a new item, since its id changed from https://news.example.com/articles/a3 to https://news.example.com/articles/moved; to keep the old one, write id: https://news.example.com/articles/a3 in its front matter",
    ]);
    // Once built, the rename is the past: not told again.
    expect(told(await run(content, out))).toEqual([]);
    // Renamed with its id written: the same item, nothing to tell.
    await writeFile(join(content, "articles", "moved.md"), articleText({ title: "Article 3", date: "2020-01-04T00:00:00Z", id: "https://news.example.com/articles/moved" }));
    await run(content, out);
    await rename(join(content, "articles", "moved.md"), join(content, "articles", "moved-again.md"));
    expect(told(await run(content, out))).toEqual([]);
    // A new article beside the others, another title: nothing.
    await writeFile(join(content, "articles", "new.md"), articleText({ title: "Something new", date: "2020-02-01T00:00:00Z" }));
    expect(told(await run(content, out))).toEqual([]);
  });

  it("reuses every article on an unchanged rebuild without reading them, and writes nothing", async () => {
    const { content, out } = await setup(articles(12));
    const first = await run(content, out);
    expect(first.cache).toMatchObject({ state: "absent", parsed: 12, saved: true });
    const second = await run(content, out);
    expect(second.cache).toMatchObject({ state: "used", reused: 12, parsed: 0, unread: 12, saved: false });
    expect(second.documents.written).toBe(0);
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("gives a file changed within RACY_MS of a build no change marker: the next build reads it again and tells it unchanged by its bytes", async () => {
    const { content, out } = await setup(articles(3));
    const skipped: number[] = [];
    class Counting extends DirectoryContent {
      override async read(options?: Parameters<DirectoryContent["read"]>[0]) {
        const r = await super.read(options);
        if (!options?.only) skipped.push(r.unchanged.length);
        return r;
      }
    }
    const build1 = (clock?: () => number) => build({ source: new Counting(content, clock), store: new DirectoryStore(out), now: NOW });
    // Just written: read by a build within RACY_MS of their last change, they get no marker, and
    // the next build, as soon after, reads them all again (a same-size write within one tick of
    // the file system's clock would have left their times as they were).
    await build1();
    const second = await build1();
    expect(second.cache).toMatchObject({ state: "used", reused: 3, parsed: 0 });
    // Later, the markers recorded while they were recent are still none: read again once more,
    // and this time their markers are recorded; the build after that skips them.
    await build1(LATER);
    await build1(LATER);
    expect(skipped).toEqual([0, 0, 0, 3]);
  });

  it("parses only the edited article and publishes what a clean build publishes", async () => {
    const { content, out } = await setup(articles(12));
    await run(content, out);
    await writeFile(join(content, "articles", "a5.md"), articleText({ title: "Edited", date: "2020-01-06T00:00:00Z", tags: ["T2", "New"] }));
    const r = await run(content, out);
    expect(r.cache).toMatchObject({ state: "used", parsed: 1, reused: 11 });
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("reports a body's raw-HTML warning on every build, once, though later builds reuse its HTML from the cache", async () => {
    const embed = articleText({ title: "Embed", date: "2020-03-01T00:00:00Z" }, "Text\n\n<iframe src=\"https://video.example.com/x\"></iframe>");
    const { content, out } = await setup(articles(3, {}), {});
    await writeFile(join(content, "articles", "embed.md"), embed);
    const bodyWarnings = (r: BuildReport) => r.warnings.filter((w) => w.field === "body").map((w) => `${w.file}:${w.line}: ${w.message.replace(/;.*$/, "")}`);
    const expected = ["articles/embed.md:7: <iframe> is published as a link to https://video.example.com/x: an embed is not kept in the feed (readers drop it), its link is"];
    const first = await run(content, out);
    expect(bodyWarnings(first)).toEqual(expected);
    const second = await run(content, out);
    expect(second.cache).toMatchObject({ state: "used", parsed: 0, reused: 4 });
    expect(bodyWarnings(second)).toEqual(expected);
    // Another article edited: the embed's body is reused again, its warning still told once.
    await writeFile(join(content, "articles", "a1.md"), articleText({ title: "Edited", date: "2020-01-02T00:00:00Z" }));
    expect(bodyWarnings(await run(content, out))).toEqual(expected);
    // Without the cache the body is converted again: the same one warning.
    expect(bodyWarnings(await run(content, out, false))).toEqual(expected);
    // An archived body converted again when its page is rendered again (its HTML is not kept):
    // the warning from the cache and the conversion's are one warning.
    const archived = await setup(articles(8, { embed: { title: "Embed", date: "2020-01-01T12:00:00Z" } }), { items_per_feed: 2, archives: true });
    await writeFile(join(archived.content, "articles", "embed.md"), articleText({ title: "Embed", date: "2020-01-01T12:00:00Z" }, "Text\n\n<iframe src=\"https://video.example.com/x\"></iframe>"));
    expect(bodyWarnings(await run(archived.content, archived.out))).toEqual(expected);
    await writeFile(join(archived.content, "articles", "a0.md"), articleText({ title: "Archived, edited", date: "2020-01-01T00:00:00Z" }));
    const again = await run(archived.content, archived.out);
    expect(again.written).toContain("archive/1/feed.xml");
    expect(bodyWarnings(again)).toEqual(expected);
    // The raw HTML gone: no warning, from the cache or otherwise.
    await writeFile(join(content, "articles", "embed.md"), articleText({ title: "Embed", date: "2020-03-01T00:00:00Z" }, "Text"));
    expect(bodyWarnings(await run(content, out))).toEqual([]);
    expect(bodyWarnings(await run(content, out))).toEqual([]);
  });

  it("in a warm process, reuses the cache it read without parsing it again, once its bytes check out", async () => {
    const { content, out } = await setup(articles(12, { a20: { title: "Big", date: "2020-02-01T00:00:00Z", tags: ["T0"] } }));
    const first = await run(content, out);
    expect(first.cache).toMatchObject({ state: "absent", saved: true, savedAs: "full" });
    const edit = (name: string, title: string) => writeFile(join(content, "articles", `${name}.md`), articleText({ title, date: "2020-01-06T00:00:00Z", tags: ["T2", "New"] }));
    // A cache this process stored is not held (its entries were never all made): parsed, then held.
    await edit("a5", "Edited");
    const second = await run(content, out);
    expect(second.cache.held).toBeUndefined();
    expect(second.cache).toMatchObject({ state: "used", parsed: 1, savedAs: "delta" });
    // The base is unchanged beside the delta: taken from memory, yet the result is a clean build's.
    await edit("a6", "Edited too");
    const third = await run(content, out);
    expect(third.cache).toMatchObject({ state: "used", held: true, parsed: 1, reused: 12 });
    expect(await outputs(out)).toEqual(await clean(content));
    // The same payload in other bytes (gzip'd, as a bucket holds it): checked whole, then known by its checksum.
    const cachePath = keyPath(out, CACHE_KEY);
    await writeFile(cachePath, gzipSync(await readFile(cachePath)));
    await rm(keyPath(out, CACHE_DELTA_KEY), { force: true });
    const fourth = await run(content, out);
    expect(fourth.cache).toMatchObject({ state: "used", held: true, parsed: 2 });
    // Another payload (here: the same entries without the documents' records): parsed, not taken from memory.
    const decoded = decodeCache(await readFile(cachePath));
    if (!decoded.ok) throw new Error(decoded.reason);
    await writeFile(cachePath, encodeCache({ ...decoded.data, documents: {} }, false));
    await rm(keyPath(out, CACHE_DELTA_KEY), { force: true });
    const fifth = await run(content, out);
    expect(fifth.cache.held).toBeUndefined();
    expect(fifth.cache).toMatchObject({ state: "used", reused: 11, parsed: 2 });
    expect(fifth.documents.rendered).toBeGreaterThan(0);
    // A byte of the stored cache changed: checked, found corrupt, never taken from memory.
    const good = await readFile(cachePath);
    const bad = Buffer.from(good);
    bad[bad.length - 5]! ^= 1;
    await writeFile(cachePath, bad);
    const sixth = await run(content, out);
    expect(sixth.cache.held).toBeUndefined();
    expect(sixth.cache.state).toMatch(/^corrupt/);
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("holds a cache a build stored whole once it is read back (holdStoredCache), so the next build does not parse it", async () => {
    const { content, out } = await setup(articles(12));
    const first = await run(content, out);
    expect(first.cache).toMatchObject({ savedAs: "full" });
    expect(await holdStoredCache(new DirectoryStore(out))).toBe(true);
    await writeFile(join(content, "articles", "a5.md"), articleText({ title: "Edited", date: "2020-01-06T00:00:00Z", tags: ["T2"] }));
    const second = await run(content, out);
    expect(second.cache).toMatchObject({ state: "used", held: true, parsed: 1, reused: 11, savedAs: "delta" });
    expect(await outputs(out)).toEqual(await clean(content));
    // A cache that does not check out is not held; nor is one that is absent.
    const cachePath = keyPath(out, CACHE_KEY);
    const bad = Buffer.from(await readFile(cachePath));
    bad[bad.length - 5]! ^= 1;
    await writeFile(cachePath, bad);
    expect(await holdStoredCache(new DirectoryStore(out))).toBe(false);
    await rm(cachePath);
    expect(await holdStoredCache(new DirectoryStore(out))).toBe(false);
  });

  it("renders only the documents an edit changes, and keeps the rest as published", async () => {
    const { content, out } = await setup(articles(12), { items_per_feed: 4 });
    const first = await run(content, out);
    expect(first.documents.rendered).toBe(first.documents.total - 1); // all but manifest.json
    const again = await run(content, out);
    expect(again.documents).toMatchObject({ rendered: 0, written: 0 });
    // a5 is tagged T2 and sits on archive page 2 (items_per_feed 4: pages of a0-a3, a4-a7; current a8-a11).
    await writeFile(join(content, "articles", "a5.md"), articleText({ title: "Edited", date: "2020-01-06T00:00:00Z", tags: ["T2"] }));
    const edited = await run(content, out);
    // archive/2's three formats and tags/t2's four documents; nothing else.
    expect(edited.documents.rendered).toBe(7);
    expect(edited.written.filter((k) => k !== "manifest.json").sort()).toEqual(
      ["archive/2/atom.xml", "archive/2/feed.json", "archive/2/feed.xml", "tags/t2/atom.xml", "tags/t2/feed.json", "tags/t2/feed.xml", "tags/t2/latest.json"].sort(),
    );
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("renders again the documents of a file renamed without a change of bytes (its slug and URL come from the name)", async () => {
    const { content, out } = await setup(articles(6));
    await run(content, out);
    await rename(join(content, "articles", "a5.md"), join(content, "articles", "renamed.md"));
    const r = await run(content, out);
    expect(r.documents.rendered).toBeGreaterThan(0);
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("gives an article with an empty body its figure and source line when its bytes were not kept", async () => {
    const { content, out } = await setup({ bare: { title: "Bare", date: "2020-01-01T00:00:00Z", source: "Reuters", image: { url: "https://news.example.com/i.jpg", alt: "Alt" } } });
    await writeFile(join(content, "articles", "bare.md"), articleText({ title: "Bare", date: "2020-01-01T00:00:00Z", source: "Reuters", image: { url: "https://news.example.com/i.jpg", alt: "Alt" } }, ""));
    await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: NOW, cache: false, keepBytes: 0 });
    const feed = await readFile(join(out, "feed.json"), "utf8");
    expect(feed).toContain("Source: Reuters");
    expect(feed).toContain("<figure>");
  });

  it("renders a kept document again when the store no longer holds what the cache recorded", async () => {
    const { content, out } = await setup(articles(6));
    await run(content, out);
    await rm(join(out, "tags", "t1", "atom.xml"));
    const r = await run(content, out);
    expect(r.documents.rendered).toBeGreaterThanOrEqual(1);
    expect(r.written).toEqual(expect.arrayContaining(["tags/t1/atom.xml"]));
    expect((await outputs(out))["tags/t1/atom.xml"]).toEqual((await clean(content))["tags/t1/atom.xml"]);
  });

  it("stores an edit as a small delta beside the base, and the next build reads both", async () => {
    const { content, out } = await setup(articles(12));
    await run(content, out);
    const baseBefore = await readFile(keyPath(out, CACHE_KEY));
    await writeFile(join(content, "articles", "a5.md"), articleText({ title: "Edited", date: "2020-01-06T00:00:00Z", tags: ["T2"] }));
    const edited = await run(content, out);
    expect(edited.cache).toMatchObject({ saved: true, savedAs: "delta", parsed: 1 });
    // The base is untouched; the delta holds the one change.
    expect(await readFile(keyPath(out, CACHE_KEY))).toEqual(baseBefore);
    const delta = decodeDelta(await readFile(keyPath(out, CACHE_DELTA_KEY)));
    expect(delta.ok && Object.keys(delta.data.entries)).toEqual(["articles/a5.md"]);
    const next = await run(content, out);
    expect(next.cache).toMatchObject({ state: "used", delta: 1, parsed: 0, reused: 12, saved: false });
    expect(next.documents.written).toBe(0);
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("rewrites the base when much changed, and removes the delta", async () => {
    const { content, out } = await setup(articles(12));
    await run(content, out);
    await writeFile(join(content, "articles", "a5.md"), articleText({ title: "Edited", date: "2020-01-06T00:00:00Z", tags: ["T2"] }));
    await run(content, out);
    // Every article changed: more than the delta's share.
    for (let i = 0; i < 12; i++) await writeFile(join(content, "articles", `a${i}.md`), articleText({ title: `Again ${i}`, date: `2020-01-${String(i + 1).padStart(2, "0")}T00:00:00Z`, tags: ["T0"] }));
    const r = await run(content, out);
    expect(r.cache).toMatchObject({ saved: true, savedAs: "delta" }); // 12 changes are within DELTA_MIN
    const day = (i: number) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().replace(".000Z", "Z");
    const many = await setup(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`a${i}`, { title: `Article ${i}`, date: day(i) }])));
    await run(many.content, many.out);
    for (let i = 0; i < 100; i++) await writeFile(join(many.content, "articles", `a${i}.md`), articleText({ title: `Changed ${i}`, date: "2020-02-01T00:00:00Z" }));
    const big = await run(many.content, many.out);
    expect(big.cache).toMatchObject({ saved: true, savedAs: "full" });
    await expect(readFile(keyPath(many.out, CACHE_DELTA_KEY))).rejects.toThrow();
    expect(await outputs(many.out)).toEqual(await clean(many.content, many.out));
  });

  it("ignores a delta that is corrupt or made for another base", async () => {
    const { content, out } = await setup(articles(12));
    await run(content, out);
    await writeFile(join(content, "articles", "a5.md"), articleText({ title: "Edited", date: "2020-01-06T00:00:00Z", tags: ["T2"] }));
    await run(content, out);
    const deltaPath = keyPath(out, CACHE_DELTA_KEY);
    const good = await readFile(deltaPath);
    await writeFile(deltaPath, good.subarray(0, good.length - 9));
    const corrupt = await run(content, out);
    // The base alone: a5's change is parsed again, and the outputs are still right.
    expect(corrupt.cache).toMatchObject({ state: "used", parsed: 1 });
    expect(corrupt.cache.delta).toBeUndefined();
    expect(await outputs(out)).toEqual(await clean(content));
    // A well-formed delta whose base is another file's.
    const raw = good.toString("utf8");
    const payload = JSON.parse(raw.slice(0, raw.lastIndexOf("\n", raw.length - 2))) as { base: string };
    payload.base = "0".repeat(64);
    const text = JSON.stringify(payload);
    await writeFile(deltaPath, gzipSync(`${text}\nsyndicate-cache ${createHash("sha256").update(text).digest("hex")}\n`));
    const other = await run(content, out);
    expect(other.cache.delta).toBeUndefined();
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("reads an unread archived article again when it must be rendered for the first time", async () => {
    // archives off: only the 3 newest are rendered; deleting them brings older ones into the feed.
    const untagged = Object.fromEntries(Object.entries(articles(8)).map(([k, v]) => [k, { ...v, tags: undefined }]));
    const { content, out } = await setup(untagged, { items_per_feed: 3, archives: false });
    await run(content, out);
    const cached = decodeCache(await readFile(keyPath(out, CACHE_KEY)));
    expect(cached.ok && cached.data.entries["articles/a2.md"]?.html).toBeUndefined();
    for (const i of [5, 6, 7]) await rm(join(content, "articles", `a${i}.md`));
    const r = await run(content, out);
    expect(r.cache).toMatchObject({ state: "used", parsed: 0, unread: 5 });
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("keeps the HTML of current items only: an item only in archive pages is converted again when its page is", async () => {
    const untagged = Object.fromEntries(Object.entries(articles(10)).map(([k, v]) => [k, { ...v, tags: undefined }]));
    const { content, out } = await setup(untagged, { items_per_feed: 3, archives: true });
    const first = await run(content, out);
    expect(first.documents.rendered).toBeGreaterThan(4); // main, archive pages, latest.json
    const cached = decodeCache(await readFile(keyPath(out, CACHE_KEY)));
    if (!cached.ok) throw new Error(cached.reason);
    const withHtml = Object.entries(cached.data.entries).filter(([, e]) => e.html !== undefined).map(([k]) => k).sort();
    // The three newest (the main feed); a0-a6 are in archive pages only.
    expect(withHtml).toEqual(["articles/a7.md", "articles/a8.md", "articles/a9.md"]);
    // Every file with a new change marker and the same bytes (as after a fresh checkout): nothing
    // is parsed, and items in no document to render are not even converted.
    const now = Date.now() / 1000 + 5;
    for (let i = 0; i < 10; i++) await utimes(join(content, "articles", `a${i}.md`), now, now);
    const touched = await run(content, out);
    expect(touched.cache).toMatchObject({ state: "used", parsed: 0, reused: 10 });
    expect(touched.documents.written).toBe(0);
    // An archived article edited: its page is rendered again, its neighbours read and converted again.
    await writeFile(join(content, "articles", "a1.md"), articleText({ title: "Archived, edited", date: "2020-01-02T00:00:00Z" }));
    const r = await run(content, out);
    expect(r.cache).toMatchObject({ state: "used", parsed: 1 });
    expect(r.written.some((k) => k.startsWith("archive/"))).toBe(true);
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("renders archive pages a group at a time, letting each group's HTML go: the same bytes, bodies read again or not", async () => {
    const { content, out } = await setup(articles(25), { items_per_feed: 2 });
    const whole = await run(content, out, false);
    expect(whole.written.filter((k) => k.startsWith("archive/")).length).toBe(3 * 12);
    const expected = await outputs(out);
    for (const keepBytes of [undefined, 0]) {
      const grouped = join(await tempDir(), "grouped");
      // Groups of one page (2 items); keepBytes 0: every body is read again, group by group.
      const r = await build({ source: new DirectoryContent(content), store: new DirectoryStore(grouped), now: NOW, cache: false, archiveGroupItems: 2, keepBytes });
      expect(r.documents.rendered).toBe(whole.documents.rendered);
      expect(await outputs(grouped)).toEqual(expected);
    }
  });

  it("reports the body problems of every archive group in one run, and publishes nothing", async () => {
    const deep = Array.from({ length: 40 }, (_, i) => `${"  ".repeat(i)}- x`).join("\n");
    const { content, out } = await setup(articles(12), { items_per_feed: 2 });
    await run(content, out);
    const before = await outputs(out);
    // a1 and a6 are on archive pages 1 and 3: groups of one page put them in different groups.
    for (const n of [1, 6]) await writeFile(join(content, "articles", `a${n}.md`), articleText({ title: `Deep ${n}`, date: `2020-01-0${n + 1}T00:00:00Z` }, deep));
    const err = await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: NOW, cache: false, archiveGroupItems: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentError);
    expect((err as ContentError).issues.filter((i) => i.field === "body").map((i) => i.file)).toEqual(["articles/a1.md", "articles/a6.md"]);
    expect(await outputs(out)).toEqual(before);
  });

  it("without the cache, renders and checks every document again but holds only the bodies that changed", async () => {
    const { content, out } = await setup(articles(12), { items_per_feed: 2 });
    const first = await run(content, out);
    const again = await run(content, out, false);
    expect(again.documents).toMatchObject({ rendered: first.documents.rendered, written: 0 });
    await writeFile(join(content, "articles", "a3.md"), articleText({ title: "Edited", date: "2020-01-04T00:00:00Z", tags: ["T0"] }));
    const edited = await run(content, out, false);
    expect(edited.documents.rendered).toBe(first.documents.rendered);
    expect(edited.written).toContain("archive/2/feed.xml"); // a2 and a3 are archive page 2
    expect(await outputs(out)).toEqual(await clean(content));
  });

  /**
   * Eight untagged articles built once into `out`, three of them then removed, so that a4.md's body
   * (never held by the cache) is read a second time by the next build; `save` gives a4.md's title
   * written before each such read. `local`: a folder's source (parsed files' bytes let go too).
   */
  async function savedDuringReads(save: () => string, local: boolean) {
    const untagged = Object.fromEntries(Object.entries(articles(8)).map(([k, v]) => [k, { ...v, tags: undefined }]));
    const { content, out } = await setup(untagged, { items_per_feed: 3, archives: false });
    await run(content, out);
    for (const i of [5, 6, 7]) await rm(join(content, "articles", `a${i}.md`));
    const dir = new DirectoryContent(content);
    const counts = { reads: 0 };
    const source = {
      description: dir.description,
      local,
      read: async (o?: Parameters<DirectoryContent["read"]>[0]) => {
        counts.reads++;
        if (o?.only?.has("articles/a4.md")) await writeFile(join(content, "articles", "a4.md"), articleText({ title: save(), date: "2020-01-05T00:00:00Z" }));
        return dir.read(o);
      },
    };
    return { content, out, source, counts, before: await outputs(out) };
  }

  it("reads the content again when a file changed while the build ran, instead of publishing its new body under its old metadata", async () => {
    const { content, out, source, counts } = await savedDuringReads(() => "Edited meanwhile", false);
    const report = await build({ source, store: new DirectoryStore(out), now: NOW });
    expect(report.warnings).toContainEqual(expect.objectContaining({ file: "articles/a4.md", field: "file", message: expect.stringMatching(/changed while the build ran: the content was read again/) }));
    expect(counts.reads).toBeGreaterThan(2);
    // Published as it is now, title and body alike: the same bytes as a build from scratch.
    expect(await readFile(join(out, "feed.xml"), "utf8")).toContain("Edited meanwhile");
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("names a file that keeps changing while the build runs, and publishes nothing", async () => {
    let saves = 0;
    const { out, source, before } = await savedDuringReads(() => `Saved ${++saves}`, true);
    const err = await build({ source, store: new DirectoryStore(out), now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentError);
    expect((err as ContentError).issues).toEqual([expect.objectContaining({ file: "articles/a4.md", field: "file", severity: "error", message: expect.stringMatching(/changed or was removed while the build ran, 3 times in a row: build again/) })]);
    expect(saves).toBe(READS_WHILE_CHANGING);
    expect(await outputs(out)).toEqual(before);
  });

  it("reports why the cache could not be stored, and the build still succeeds", async () => {
    const { content, out } = await setup(articles(3));
    const dirStore = new DirectoryStore(out);
    const full = (key: string) => (key === CACHE_KEY ? Promise.reject(new Error("disk full")) : undefined);
    const store = Object.assign(Object.create(dirStore) as DirectoryStore, {
      put: (key: string, body: Buffer, meta: ObjectMeta) => full(key) ?? dirStore.put(key, body, meta),
      putChunks: (key: string, chunks: Iterable<Uint8Array>, meta: ObjectMeta) => full(key) ?? dirStore.putChunks(key, chunks, meta),
    });
    const r = await build({ source: new DirectoryContent(content), store, now: NOW });
    expect(r.items).toBe(3);
    expect(r.cache).toMatchObject({ saved: false, saveError: "disk full" });
  });

  it.each([
    ["garbage bytes", (_b: Buffer) => Buffer.from("not a cache")],
    ["a truncated file", (b: Buffer) => b.subarray(0, b.length >> 1)],
    ["a flipped bit in the payload", (b: Buffer) => {
      const raw = Buffer.from(b);
      raw[raw.length - 10] = raw[raw.length - 10]! ^ 1;
      return raw;
    }],
    ["a flipped bit in a gzip'd payload", (b: Buffer) => {
      const raw = Buffer.from(b);
      raw[raw.length - 10] = raw[raw.length - 10]! ^ 1;
      return gzipSync(raw);
    }],
  ])("ignores a corrupt cache (%s) and still builds correctly", async (_, corrupt) => {
    const { content, out } = await setup(articles(6));
    await run(content, out);
    const path = keyPath(out, CACHE_KEY);
    await writeFile(path, corrupt(await readFile(path)));
    await writeFile(join(content, "articles", "a2.md"), articleText({ title: "Changed", date: "2020-01-03T00:00:00Z" }));
    const r = await run(content, out);
    expect(r.cache.state).toMatch(/^corrupt/);
    expect(r.cache.parsed).toBe(6);
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("ignores a stale cache when site.yaml changes (every URL and id may change)", async () => {
    const { content, out } = await setup(articles(4));
    await run(content, out);
    await writeFile(join(content, "site.yaml"), siteYaml({ site_url: "https://other.example.com/" }));
    const r = await run(content, out);
    expect(r.cache).toMatchObject({ state: "stale (site.yaml or code changed)", parsed: 4, reused: 0 });
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("converts every body again when only site.yaml's labels change: no HTML in the old words is kept", async () => {
    const related = { title: "With related", date: "2020-02-01T00:00:00Z", source: "AA", related: [{ title: "R", url: "https://news.example.com/r" }] };
    const { content, out } = await setup(articles(4, { r: related }), { items_per_feed: 2 });
    await run(content, out);
    // A warm process: this build reads the cache and holds it for the next (cached-load.ts `held`).
    expect((await run(content, out)).cache).toMatchObject({ state: "used", reused: 5 });
    await writeFile(join(content, "site.yaml"), siteYaml({ items_per_feed: 2, labels: { read_more: "Devamını okuyun", source: "Kaynak: {source}", archive: "{title} (arşiv {page})" } }));
    const r = await run(content, out);
    expect(r.cache).toMatchObject({ state: "stale (site.yaml or code changed)", parsed: 5, reused: 0 });
    const published = await outputs(out);
    const text = (key: string) => Buffer.from(published[key]!, "base64").toString("utf8");
    expect(text("feed.json")).toContain("<strong>Devamını okuyun</strong>");
    expect(text("feed.json")).toContain("<em>Kaynak: AA</em>");
    expect(Object.keys(published).filter((k) => /Read more|Source:|\(archive /.test(text(k)))).toEqual([]);
    expect(text("archive/1/atom.xml")).toContain("<title type=\"text\">Test Wire (arşiv 1)</title>");
    expect(published).toEqual(await clean(content));
  });

  it("never stores drafts or future-dated articles (the cache sits beside public outputs)", async () => {
    const { content, out } = await setup(
      articles(3, { secret: { title: "Unpublished draft title", date: "2020-01-01T00:00:00Z", draft: true }, later: { title: "Embargoed title", date: "2099-01-01T00:00:00Z" } }),
    );
    await run(content, out);
    // Stored uncompressed in a directory (nothing travels): the text itself.
    const raw = (await readFile(keyPath(out, CACHE_KEY))).toString("utf8");
    expect(raw).toMatch(/^\{"format":\d+,.*\n(syndicate-cache [0-9a-f]{64})\n$/s);
    expect(raw).not.toContain("Unpublished draft title");
    expect(raw).not.toContain("Embargoed title");
    const decoded = decodeCache(await readFile(keyPath(out, CACHE_KEY)));
    expect(decoded.ok && Object.keys(decoded.data.entries).sort()).toEqual(["articles/a0.md", "articles/a1.md", "articles/a2.md"]);
    // A draft and an embargoed article added later, with an edit: stored as a delta, still without them.
    await writeFile(join(content, "articles", "secret2.md"), articleText({ title: "Second draft title", date: "2020-01-02T00:00:00Z", draft: true }));
    await writeFile(join(content, "articles", "later2.md"), articleText({ title: "Second embargoed title", date: "2099-02-01T00:00:00Z" }));
    await writeFile(join(content, "articles", "a0.md"), articleText({ title: "A0 edited", date: "2020-06-01T00:00:00Z" }));
    const second = await run(content, out);
    expect(second.cache.savedAs).toBe("delta");
    const delta = (await readFile(keyPath(out, CACHE_DELTA_KEY))).toString("utf8");
    expect(delta).toContain("A0 edited");
    for (const secret of ["Unpublished draft title", "Embargoed title", "Second draft title", "Second embargoed title"]) expect(delta).not.toContain(secret);
  });

  it("publishes a scheduled article when it becomes due, from a cache that never held it", async () => {
    const { content, out } = await setup(articles(3, { later: { title: "Due later", date: "2029-06-01T00:00:00Z" } }));
    await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: Date.UTC(2029, 0, 1) });
    const r = await run(content, out);
    expect(r.items).toBe(4);
    expect(await outputs(out)).toEqual(await clean(content));
  });

  it("builds without the cache when asked, and reports it", async () => {
    const { content, out } = await setup(articles(3));
    await run(content, out);
    const r = await run(content, out, false);
    expect(r.cache).toMatchObject({ state: "disabled", parsed: 3, reused: 0 });
  });

  it("gives back every field of an article it stored (through JSON, as on disk)", () => {
    const r = parseArticle(
      "articles/full.md",
      bytes(articleText({
        title: "Full", date: "2020-06-19T10:00:00+03:00", updated: "2020-06-20T00:00:00Z", id: "tag:example.com,2020:full", slug: "full-one",
        url: "https://example.com/elsewhere", summary: "S", authors: [{ name: "A", email: "a@example.com" }], tags: ["Libya", "Türkiye"],
        image: { url: "https://example.com/i.jpg", alt: "Alt", caption: "Cap", credit: "Cr" }, source: "Src", language: "tr",
        related: [{ title: "R", url: "https://example.com/r" }],
      }, "Body *text*.")),
      TEST_SITE,
    );
    expect(r.issues).toEqual([]);
    renderBody(r.article!, DEFAULT_LABELS);
    const back = entryResult("articles/full.md", JSON.parse(JSON.stringify(toEntry("fp", "0".repeat(32), r, true, TEST_SITE.site_url))) as ReturnType<typeof toEntry>, TEST_SITE.site_url);
    expect(back).toEqual({ ...r, article: { ...r.article, markdown: "" } });
  });

  it("gives back what it leaves out of an entry, derived as the parse derives it (format 6)", () => {
    const cases: [string, Record<string, unknown>][] = [
      ["articles/plain-one.md", { title: "Plain", date: "2020-06-19T10:00:00Z" }],
      // A file name that is no slug: the slug is made from it, then the id and URL from that.
      ["articles/Ankara Talks Ş.md", { title: "Named", date: "2020-06-19T10:00:00Z", tags: ["Libya"] }],
      // An explicit id equal to the derived one: left out, but its line is kept.
      ["articles/same-id.md", { title: "Same", date: "2020-06-19", id: `${TEST_SITE.site_url}articles/same-id` }],
      // An explicit URL with a derived id, an explicit slug with a derived id and URL.
      ["articles/url-only.md", { title: "Url", date: "2020-06-19", url: "https://example.com/x?y=1" }],
      ["articles/slug-only.md", { title: "Slug", date: "2020-06-19", slug: "other-slug", updated: "2020-06-21" }],
    ];
    for (const [file, fields] of cases) {
      const r = parseArticle(file, bytes(articleText(fields, "Body.")), TEST_SITE);
      // The one warning: a file name read as another slug (told, kept with the entry).
      expect(r.issues.map((i) => i.field), file).toEqual(file.includes(" ") ? ["file"] : []);
      const entry = toEntry(undefined, "0".repeat(64), r, false, TEST_SITE.site_url);
      const back = entryResult(file, JSON.parse(JSON.stringify(entry)) as typeof entry, TEST_SITE.site_url);
      expect(back, file).toEqual({ ...r, article: { ...r.article, markdown: "" } });
      // What is derived is not stored.
      expect(entry.article!.url === undefined, file).toBe(r.article!.url === `${TEST_SITE.site_url}articles/${r.article!.slug}`);
      expect(entry.issues === undefined, file).toBe(r.issues.length === 0);
    }
  });

  it("reads a gzip'd cache (as stored in a bucket) as well as a plain one", async () => {
    const { content, out } = await setup(articles(6));
    await run(content, out);
    const path = keyPath(out, CACHE_KEY);
    await writeFile(path, gzipSync(await readFile(path)));
    const r = await run(content, out);
    expect(r.cache).toMatchObject({ state: "used", reused: 6, parsed: 0 });
  });

  it("encodes, slice by slice, the same JSON as the data itself", () => {
    const data = {
      format: CACHE_FORMAT, context: "c", documents: { "feed.xml": { input: "i", sha256: "s" } },
      entries: Object.fromEntries(Array.from({ length: 2_345 }, (_, i) => [`articles/a${i}.md`, { sha256: "0".repeat(64), issues: [], html: i % 2 ? "<p>ş \"q\"</p>" : undefined }])),
    };
    const text = encodeCache(data, false).toString("utf8");
    const payload = text.slice(0, text.lastIndexOf("\n", text.length - 2));
    expect(JSON.parse(payload)).toEqual(JSON.parse(JSON.stringify(data)));
    expect(text.slice(payload.length)).toBe(`\nsyndicate-cache ${createHash("sha256").update(payload).digest("hex")}\n`);
    const back = decodeCache(encodeCache(data));
    expect(back.ok && Object.keys(back.data.entries).length).toBe(2_345);
    // Compressed chunk by chunk: gzip members one after another, which gunzip reads back whole.
    const gz = encodeCache(data);
    expect(gz.indexOf(Buffer.from([0x1f, 0x8b, 8]), 10)).toBeGreaterThan(0);
    expect(gunzipSync(gz).equals(encodeCache(data, false))).toBe(true);
    // Chunk by chunk (as a directory store writes it, never whole): the same bytes and checksum.
    const { entries, ...head } = data;
    const made: string[] = [];
    const file = cacheChunks(head, Object.keys(entries), (k) => (made.push(k), entries[k]!), 8192);
    expect(() => file.sum()).toThrow(/before the chunks were consumed/);
    // Entries are made a slice (100) at a time, as the chunks are taken.
    const it = file.chunks[Symbol.iterator]();
    const first = it.next().value!;
    expect(made.length).toBeGreaterThan(0);
    expect(made.length).toBeLessThan(2_345);
    expect(made.length % 100).toBe(0);
    // Each chunk is a view of one buffer reused from chunk to chunk: the consumer copies or writes it first.
    const chunks = [Buffer.from(first)];
    const memory = new Set([first.buffer]);
    for (let c = it.next(); !c.done; c = it.next()) chunks.push(Buffer.from(c.value)), memory.add(c.value.buffer);
    expect(made.length).toBe(2_345);
    expect(chunks.length).toBeGreaterThan(10);
    expect(memory.size).toBeLessThan(chunks.length / 2);
    expect(Buffer.concat(chunks).equals(encodeCache(data, false))).toBe(true);
    expect(back.ok && back.sum).toBe(file.sum());
    // An entry bigger than the buffer gets a buffer of its own, whole.
    const big = { ...data, entries: { "articles/big.md": { sha256: "0".repeat(64), issues: [], html: "ş".repeat(50_000) } } };
    const bigText = Buffer.concat(Array.from(cacheChunks(head, ["articles/big.md"], () => big.entries["articles/big.md"], 1024).chunks, (c) => Buffer.from(c))).toString("utf8");
    expect(JSON.parse(bigText.slice(0, bigText.lastIndexOf("\n", bigText.length - 2)))).toEqual(JSON.parse(JSON.stringify(big)));
  });

  it("looks entries up through a delta without copying or changing the base", () => {
    const e = (n: number) => ({ sha256: String(n).repeat(64), issues: [] });
    const base = { format: CACHE_FORMAT, context: "c", entries: { "articles/a.md": e(1), "articles/b.md": e(2), "articles/c.md": e(3) } };
    const before = JSON.stringify(base);
    const view = entriesOf(base, { format: CACHE_FORMAT, context: "c", base: "0".repeat(64), entries: { "articles/b.md": e(4), "articles/c.md": null, "articles/d.md": e(5), "articles/gone.md": null } });
    expect(["articles/a.md", "articles/b.md", "articles/c.md", "articles/d.md", "articles/gone.md", "constructor", "__proto__"].map((p) => view.get(p)?.sha256.slice(0, 1))).toEqual(["1", "4", undefined, "5", undefined, undefined, undefined]);
    expect(view.size).toBe(3); // a, b (replaced), d (added); c removed, gone was never there
    expect(JSON.stringify(base)).toBe(before);
    expect(entriesOf(base).size).toBe(3);
    expect(entriesOf(base).get("articles/c.md")?.sha256.slice(0, 1)).toBe("3");
  });

  it("ignores a cache in the format before (checksum line first) as stale, not corrupt", () => {
    const text = JSON.stringify({ format: 3, context: "c", entries: {} });
    const old = decodeCache(Buffer.from(`syndicate-cache ${createHash("sha256").update(text).digest("hex")}\n${text}`));
    expect(old).toEqual({ ok: false, reason: "stale (another format)" });
    expect(decodeCache(Buffer.from(`${text}\n`))).toEqual({ ok: false, reason: "corrupt (no checksum line)" });
  });

  it("keys the cache on site.yaml's bytes and the code version", () => {
    const a = cacheContext("v1", Buffer.from("title: a\n"));
    expect(cacheContext("v1", Buffer.from("title: a\n"))).toBe(a);
    expect(cacheContext("v1", Buffer.from("title: b\n"))).not.toBe(a);
    expect(cacheContext("v2", Buffer.from("title: a\n"))).not.toBe(a);
  });
});

describe("the code's key (cache context)", () => {
  it("is made from the files the build runs from: every source file and the lockfile, or a bundle's files", async () => {
    const files = codeFiles()!;
    const rel = files.map((f) => relative(REPO_ROOT, f));
    expect(rel).toEqual(expect.arrayContaining(["functions/pipeline/cached-load.ts", "functions/core/render/rss.ts", "functions/core/markdown.ts", "package-lock.json"]));
    expect(rel.every((f) => f === "package-lock.json" || /^functions\/.*\.(ts|json|mjs)$/.test(f))).toBe(true);
    expect(codeKey()).toBe(codeKeyOf(files));
    // A bundle: its script files beside the module, nothing else.
    const dir = await tempDir();
    for (const [name, text] of [["cli.mjs", "a"], ["chunk-1.mjs", "b"], ["notes.txt", "c"]] as const) await writeFile(join(dir, name), text);
    const bundle = codeFiles(pathToFileURL(join(dir, "cli.mjs")).href)!;
    expect(bundle.map((f) => relative(dir, f))).toEqual(["chunk-1.mjs", "cli.mjs"]);
    const key = codeKeyOf(bundle);
    expect(codeKeyOf(bundle)).toBe(key);
    await writeFile(join(dir, "chunk-1.mjs"), "b2"); // the code changed
    expect(codeKeyOf(bundle)).not.toBe(key);
    await writeFile(join(dir, "notes.txt"), "c2"); // not code
    expect(codeKeyOf(codeFiles(pathToFileURL(join(dir, "cli.mjs")).href))).toBe(codeKeyOf(bundle));
    // Not code: editors' lock, swap and backup files (an Emacs lock is a dangling link), dotfiles.
    await symlink("user@host.1:1", join(dir, ".#cli.mjs"));
    for (const name of [".cli.mjs.swp", "cli.mjs~", "cli.mjs.map"]) await writeFile(join(dir, name), "x");
    expect(codeFiles(pathToFileURL(join(dir, "cli.mjs")).href)!.map((f) => relative(dir, f))).toEqual(["chunk-1.mjs", "cli.mjs"]);
    // Where no files can be read, the probe decides (parsing, converting and rendering a probe article).
    expect(codeKeyOf(undefined)).toMatch(/^\S+ [0-9a-f]{32}$/);
    expect(codeKeyOf(undefined)).not.toBe(key);
    expect(codeKeyOf([...bundle, join(dir, "gone.mjs")])).toBe(codeKeyOf(undefined));
  });
});
