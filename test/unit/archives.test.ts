import { describe, expect, it } from "vitest";
import { buildModel } from "../../functions/core/model.ts";
import { loadContent } from "../../functions/core/content.ts";
import { archivePagesOf, planDocuments, type ArchivePages, type FeedDocumentSpec } from "../../functions/core/documents.ts";
import type { FeedModel } from "../../functions/core/model.ts";
import { renderBody } from "../../functions/core/article.ts";
import { DEFAULT_LABELS } from "../../functions/core/labels.ts";
import { CACHE, renderOutputs } from "../../functions/core/render/index.ts";
import { contentFiles, tempDir, tree, writeTree, type Fields } from "../support/content-tree.ts";
import { join } from "node:path";
import { readFile, utimes, writeFile } from "node:fs/promises";
import { ARCHIVE_PAGES_KEY } from "../../functions/pipeline/archive-pages.ts";
import { RecordingStore } from "../support/recording-store.ts";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";

const NOW = Date.parse("2030-01-01T00:00:00Z");
/** The settings archivePagesOf reads, with the site_url of test/support/content-tree.ts. */
const siteOf = (items_per_feed: number, site_url = "https://news.example.com/") => ({ items_per_feed, site_url }) as FeedModel["site"];

/** `count` articles n0…n{count-1}, one a day from 2020-01-01, n0 the oldest (`edit`: fields over some). */
function model(count: number, site: Fields = {}, edit: Record<string, Fields> = {}) {
  const specs: Record<string, Fields> = {};
  for (let i = 0; i < count; i++) specs[`n${i}`] = { date: new Date(Date.UTC(2020, 0, 1 + i)).toISOString(), ...edit[`n${i}`] };
  const loaded = loadContent(contentFiles(tree(specs, site)));
  if (!loaded.site) throw new Error(JSON.stringify(loaded.issues));
  return buildModel(loaded.site, loaded.articles, NOW);
}

const plan = (count: number, site: Fields = {}) => planDocuments(model(count, site));

/** Every output's body and Cache-Control by key. */
function rendered(count: number, site: Fields, edit: Record<string, Fields> = {}) {
  const m = model(count, site, edit);
  for (const a of m.items) renderBody(a, DEFAULT_LABELS);
  return new Map(renderOutputs(m).map((o) => [o.key, o]));
}

const archives = (specs: FeedDocumentSpec[]) => specs.filter((s) => s.kind === "archive");
const page = (specs: FeedDocumentSpec[], n: number) => specs.find((s) => s.kind === "archive" && s.page === n);
const slugs = (s: FeedDocumentSpec | undefined) => s?.items.map((i) => i.slug);

describe("archives", () => {
  it("puts the newest items_per_feed items in the main documents", () => {
    expect(slugs(plan(7, { items_per_feed: 3 })[0])).toEqual(["n6", "n5", "n4"]);
  });

  it("pages older items from the oldest: page 1 holds the oldest items", () => {
    expect(slugs(page(plan(7, { items_per_feed: 3 }), 1))).toEqual(["n2", "n1", "n0"]);
  });

  it("leaves the newest archive page partial", () => {
    expect(slugs(page(plan(7, { items_per_feed: 3 }), 2))).toEqual(["n3"]);
  });

  it("marks full pages complete and the partial one not", () => {
    expect(archives(plan(7, { items_per_feed: 3 })).map((s) => s.complete)).toEqual([true, false]);
  });

  it("links the main documents to the newest archive page, and each page to the next older", () => {
    const specs = plan(10, { items_per_feed: 3 });
    expect([specs[0]?.prevArchive, ...archives(specs).map((s) => s.prevArchive)]).toEqual(["archive/3-1/", undefined, "archive/1/", "archive/2/"]);
  });

  it("names the filling page's count in its key, so no archive document ever gains items at its URL (RFC 5005 §4)", () => {
    const byPrefix = new Map<string, string[] | undefined>();
    for (let count = 4; count <= 12; count++) {
      for (const s of archives(plan(count, { items_per_feed: 3 }))) {
        const seen = byPrefix.get(s.prefix);
        if (seen) expect([s.prefix, slugs(s)]).toEqual([s.prefix, seen]);
        else byPrefix.set(s.prefix, slugs(s));
      }
    }
    expect([...byPrefix.keys()].sort()).toEqual(["archive/1-1/", "archive/1-2/", "archive/1/", "archive/2-1/", "archive/2-2/", "archive/2/", "archive/3-1/", "archive/3-2/", "archive/3/"]);
  });

  it("never changes a full page when new items arrive", () => {
    const before = page(plan(9, { items_per_feed: 3 }), 1);
    const after = page(plan(15, { items_per_feed: 3 }), 1);
    expect([slugs(after), after?.complete]).toEqual([slugs(before), true]);
  });

  it("keeps every item reachable exactly once across main and archive documents", () => {
    const specs = plan(11, { items_per_feed: 4 });
    const all = [specs[0]!, ...archives(specs)].flatMap((s) => slugs(s) ?? []);
    expect(all.sort()).toEqual(Array.from({ length: 11 }, (_, i) => `n${i}`).sort());
  });

  it("serves a full page for a day, not as immutable: it changes when one of its items is corrected", () => {
    const before = rendered(7, { items_per_feed: 3 });
    const after = rendered(7, { items_per_feed: 3 }, { n0: { title: "Corrected title" } });
    for (const file of ["feed.xml", "atom.xml", "feed.json"]) {
      // archive/1 is full (n0-n2), archive/2-1 filling (n3)
      expect([before.get(`archive/1/${file}`)?.cacheControl, before.get(`archive/2-1/${file}`)?.cacheControl]).toEqual([CACHE.archive, CACHE.current]);
      expect(after.get(`archive/1/${file}`)?.sha256).not.toBe(before.get(`archive/1/${file}`)?.sha256);
      expect(after.get(`archive/2-1/${file}`)?.sha256).toBe(before.get(`archive/2-1/${file}`)?.sha256);
    }
    expect(CACHE.archive).toBe("public, max-age=86400");
  });

  it("makes no archive when everything fits the main documents", () => {
    const specs = plan(3, { items_per_feed: 3 });
    expect([archives(specs).length, specs[0]?.prevArchive]).toEqual([0, undefined]);
  });

  it("makes no archive with archives: false, and the main documents keep only the newest", () => {
    const specs = plan(7, { items_per_feed: 3, archives: false });
    expect([archives(specs).length, specs[0]?.prevArchive, slugs(specs[0])]).toEqual([0, undefined, ["n6", "n5", "n4"]]);
  });

  it("caps tag feeds at items_per_feed", () => {
    const specs: Record<string, Fields> = {};
    for (let i = 0; i < 5; i++) specs[`n${i}`] = { date: new Date(Date.UTC(2020, 0, 1 + i)).toISOString(), tags: ["Libya"] };
    const loaded = loadContent(contentFiles(tree(specs, { items_per_feed: 2 })));
    const tag = planDocuments(buildModel(loaded.site!, loaded.articles, NOW)).find((s) => s.kind === "tag");
    expect([tag?.prefix, slugs(tag)]).toEqual(["tags/libya/", ["n4", "n3"]]);
  });
});

describe("archives, planned with the full pages an earlier build published", () => {
  // Pages of 3; n0…n8 one a day: main n8-n6, archive/1 n0-n2 and archive/2 n3-n5, both full.
  const per = 3;
  const pagesOf = (count: number, edit: Record<string, Fields> = {}) => archivePagesOf(planDocuments(model(count, { items_per_feed: per }, edit)), siteOf(per));
  const planWith = (count: number, published: ArchivePages | undefined, edit: Record<string, Fields> = {}) => planDocuments(model(count, { items_per_feed: per }, edit), published);

  it("records each full page's item ids, oldest page first, and not the filling page", () => {
    const pages = pagesOf(10); // archive/1 n0-n2, archive/2 n3-n5, archive/3-1 n6
    expect(pages.itemsPerFeed).toBe(per);
    expect(pages.pages.map((p) => p.map((id) => id.match(/\/(n\d+)\/?$/)?.[1]))).toEqual([
      ["n0", "n1", "n2"],
      ["n3", "n4", "n5"],
    ]);
  });

  it("puts an item that arrives back-dated in the filling page, and leaves every full page as it was", () => {
    const published = pagesOf(9);
    // n9 arrives dated before n1: by date it would land in archive/1 and push n2 into archive/2, and n5 out to a new page.
    const back = { n9: { date: "2020-01-01T12:00:00Z" } };
    const byDate = planDocuments(model(10, { items_per_feed: per }, back));
    expect(slugs(page(byDate, 1))).toEqual(["n1", "n9", "n0"]);
    const specs = planWith(10, published, back);
    expect([1, 2, 3].map((n) => [page(specs, n)?.prefix, slugs(page(specs, n))])).toEqual([
      ["archive/1/", ["n2", "n1", "n0"]],
      ["archive/2/", ["n5", "n4", "n3"]],
      ["archive/3-1/", ["n9"]],
    ]);
    expect(slugs(specs[0])).toEqual(["n8", "n7", "n6"]);
  });

  it("puts an item that arrives with the very date of archived items in the filling page", () => {
    const published = pagesOf(9);
    // Same date and time as n1; its id (explicit, sorting first) would otherwise put it among page 1's.
    const specs = planWith(10, published, { n9: { date: new Date(Date.UTC(2020, 0, 2)).toISOString(), id: "urn:a:first" } });
    expect([slugs(page(specs, 1)), slugs(page(specs, 2)), slugs(page(specs, 3))]).toEqual([["n2", "n1", "n0"], ["n5", "n4", "n3"], ["n9"]]);
  });

  it("leaves a removed item's page shorter, still full at its URL, and the pages after it as they were", () => {
    const published = pagesOf(12); // archive/1 n0-n2, archive/2 n3-n5, archive/3 n6-n8; main n11-n9
    const specs = planWith(12, published, { n1: { draft: true } });
    expect(archives(specs).map((s) => [s.prefix, slugs(s), s.complete])).toEqual([
      ["archive/1/", ["n2", "n0"], true],
      ["archive/2/", ["n5", "n4", "n3"], true],
      ["archive/3/", ["n8", "n7", "n6"], true],
    ]);
    expect(archivePagesOf(specs, siteOf(per)).pages.map((p) => p.length)).toEqual([2, 3, 3]);
  });

  it("drops the newest full pages none of whose items is left, and keeps an emptied page before others, empty, at its URL", () => {
    const published = pagesOf(12); // archive/1 n0-n2, archive/2 n3-n5, archive/3 n6-n8
    const draft = (n: number[]) => Object.fromEntries(n.map((i) => [`n${i}`, { draft: true }]));
    const middle = planWith(12, published, draft([3, 4, 5]));
    expect(archives(middle).map((s) => [s.prefix, slugs(s)])).toEqual([
      ["archive/1/", ["n2", "n1", "n0"]],
      ["archive/2/", []],
      ["archive/3/", ["n8", "n7", "n6"]],
    ]);
    const newest = planWith(12, published, draft([3, 4, 5, 6, 7, 8]));
    expect([archives(newest).map((s) => s.prefix), newest[0]?.prevArchive]).toEqual([["archive/1/"], "archive/1/"]);
    const none = planWith(12, published, draft([0, 1, 2, 3, 4, 5, 6, 7, 8]));
    expect([archives(none), none[0]?.prevArchive, archivePagesOf(none, siteOf(per)).pages]).toEqual([[], undefined, []]);
  });

  it("pages the items no full page holds by date after the full pages, and records the pages that filled", () => {
    const published = pagesOf(9);
    // Four more arrive: n9, n10, n11 newest (n6-n8 move to the archive) and n12 back-dated.
    const specs = planWith(13, published, { n12: { date: "2019-06-01T00:00:00Z" } });
    expect(archives(specs).map((s) => [s.prefix, slugs(s)])).toEqual([
      ["archive/1/", ["n2", "n1", "n0"]],
      ["archive/2/", ["n5", "n4", "n3"]],
      ["archive/3/", ["n7", "n6", "n12"]],
      ["archive/4-1/", ["n8"]],
    ]);
    expect(archivePagesOf(specs, siteOf(per)).pages).toHaveLength(3);
    expect(specs[0]?.prevArchive).toBe("archive/4-1/");
  });

  it("moves an archived item whose date became one of the newest to the main documents, out of its page", () => {
    const published = pagesOf(9);
    const specs = planWith(9, published, { n0: { date: "2021-01-01T00:00:00Z" } });
    expect([slugs(specs[0]), slugs(page(specs, 1))]).toEqual([["n0", "n8", "n7"], ["n2", "n1"]]);
    expect(slugs(page(specs, 3))).toEqual(["n6"]);
  });

  it("plans by date when the pages were made for another items_per_feed, or archives are off", () => {
    const published = pagesOf(9);
    const other = planDocuments(model(9, { items_per_feed: 2 }), published);
    expect(slugs(page(other, 1))).toEqual(["n1", "n0"]);
    expect(archives(planDocuments(model(9, { items_per_feed: per, archives: false }), published))).toEqual([]);
  });

  it("plans by date when site_url changed (every derived id with it), rather than leaving the full pages empty before new ones", () => {
    const published = pagesOf(9); // archive/1 n0-n2, archive/2 n3-n5
    const moved = (pages: ArchivePages) => planDocuments(model(9, { items_per_feed: per, site_url: "https://moved.example.org/" }), pages);
    expect(archives(moved(published)).map((s) => [s.prefix, slugs(s)])).toEqual([
      ["archive/1/", ["n2", "n1", "n0"]],
      ["archive/2/", ["n5", "n4", "n3"]],
    ]);
    expect(archivePagesOf(moved(published), siteOf(per, "https://moved.example.org/")).siteUrl).toBe("https://moved.example.org/");
    // A record written before it named its site_url is still followed.
    const old = { itemsPerFeed: per, pages: published.pages };
    const back = { n9: { date: "2020-01-01T12:00:00Z" } };
    expect(slugs(page(planWith(10, old, back), 3))).toEqual(["n9"]);
  });

  it("keeps every item reachable exactly once across main and archive documents", () => {
    const published = pagesOf(12);
    const specs = planWith(16, published, { n13: { date: "2019-01-01T00:00:00Z" }, n4: { draft: true }, n14: { date: "2020-01-05T00:00:00Z" } });
    const all = [specs[0]!, ...archives(specs)].flatMap((s) => slugs(s) ?? []);
    expect(all.sort()).toEqual(Array.from({ length: 16 }, (_, i) => `n${i}`).filter((n) => n !== "n4").sort());
  });
});

describe("archives, published", () => {
  /**
   * `count` articles n0… one a day, pages of 3, built into one directory; `publish(minutesLater)`
   * builds them as they are then, as if the last build had been that long ago (its manifest's
   * time is what counts), and gives the archive pages the store holds and the main feed's link.
   */
  async function published(count: number) {
    const articles: Record<string, Fields> = {};
    const add = (i: number) => (articles[`n${i}`] = { title: `N${i}`, date: new Date(Date.UTC(2020, 0, 1 + i)).toISOString() });
    for (let i = 0; i < count; i++) add(i);
    const dir = await tempDir("syn-arch-pub-");
    const out = join(dir, "out");
    const store = new DirectoryStore(out);
    let n = 0;
    const publish = async (minutesLater: number) => {
      const then = new Date(Date.now() - minutesLater * 60_000);
      await utimes(join(out, "manifest.json"), then, then).catch(() => undefined);
      const content = await writeTree(join(dir, `content-${n++}`), tree(articles, { items_per_feed: 3 }));
      await build({ source: new DirectoryContent(content), store, now: NOW });
      const pages = (await store.list()).filter((k) => k.startsWith("archive/")).map((k) => k.split("/")[1]!);
      const main = JSON.parse(await readFile(join(out, "feed.json"), "utf8")) as { next_url?: string };
      return { pages: [...new Set(pages)].sort(), linked: main.next_url?.replace(/^.*\/archive\/(.*)\/feed\.json$/, "$1") };
    };
    return { articles, add, publish };
  }

  it("keeps the filling page a new item superseded while the main feeds readers may hold link it (10 minutes after the last manifest)", async () => {
    const { add, publish } = await published(7);
    const second = async (minutesLater: number) => (await publish(minutesLater)).pages.filter((p) => p.startsWith("2"));
    expect(await second(0)).toEqual(["2-1"]);
    add(7);
    expect(await second(60)).toEqual(["2-1", "2-2"]); // the feeds of a minute ago link 2-1
    add(8);
    expect(await second(1)).toEqual(["2", "2-1", "2-2"]); // a minute later: both still linked from feeds readers hold
    expect(await second(9)).toEqual(["2", "2-1", "2-2"]);
    expect(await second(11)).toEqual(["2"]); // no main feed readers may hold links them now
  });

  it("keeps the newest full pages emptied by a deletion while the main feeds readers may hold link them, then deletes them", async () => {
    const { articles, publish } = await published(9);
    expect(await publish(0)).toEqual({ pages: ["1", "2"], linked: "2" });
    for (const i of [3, 4, 5]) articles[`n${i}`] = { ...articles[`n${i}`], draft: true };
    expect(await publish(1)).toEqual({ pages: ["1", "2"], linked: "1" }); // archive/2 is no page now, but feeds of a minute ago link it
    expect(await publish(11)).toEqual({ pages: ["1"], linked: "1" });
  });

  it("stops, writing nothing, when the record of the full pages cannot be read (planning by date would move them for good)", async () => {
    const articles: Record<string, Fields> = {};
    for (let i = 0; i < 9; i++) articles[`n${i}`] = { title: `N${i}`, date: new Date(Date.UTC(2020, 0, 1 + i)).toISOString() };
    const dir = await tempDir("syn-arch-unread-");
    const store = new RecordingStore(new DirectoryStore(join(dir, "out")));
    const content = await writeTree(join(dir, "content"), tree(articles, { items_per_feed: 3 }));
    await build({ source: new DirectoryContent(content), store, now: NOW });
    store.failGet = ARCHIVE_PAGES_KEY;
    store.puts.length = 0;
    await writeFile(join(content, "articles", "late.md"), "---\ntitle: Late\ndate: 2020-01-01T12:00:00Z\n---\nBody.\n");
    const err = await build({ source: new DirectoryContent(content), store, now: NOW }).catch((e: unknown) => e);
    expect([(err as Error).name, (err as Error).message]).toEqual(["PublishError", expect.stringContaining(`could not read ${ARCHIVE_PAGES_KEY}`)]);
    expect(store.puts.filter((k) => !k.startsWith(".syndicate/lease") && k !== ".syndicate/lock.json")).toEqual([]);
  });

  it("never puts an item at a filling page's URL that was not there before: a removal leaves the page shorter at its URL, an arrival after it takes a new one", async () => {
    const articles: Record<string, Fields> = {};
    for (let i = 0; i < 8; i++) articles[`n${i}`] = { title: `N${i}`, date: new Date(Date.UTC(2020, 0, 1 + i)).toISOString() };
    const dir = await tempDir("syn-arch-fill-");
    const out = join(dir, "out");
    const store = new DirectoryStore(out);
    let n = 0;
    // What a reader that stops walking at a page it has seen got at each URL.
    const seen = new Map<string, string[]>();
    const publish = async () => {
      const content = await writeTree(join(dir, `content-${n++}`), tree(articles, { items_per_feed: 3 }));
      await build({ source: new DirectoryContent(content), store, now: NOW });
      const main = JSON.parse(await readFile(join(out, "feed.json"), "utf8")) as { next_url?: string };
      const key = main.next_url!.replace(/^.*\/(archive\/[^/]+)\/feed\.json$/, "$1");
      const page = JSON.parse(await readFile(join(out, key, "feed.json"), "utf8")) as { items: { title: string }[] };
      const titles = page.items.map((i) => i.title);
      const before = seen.get(key);
      if (before) expect(titles.filter((t) => !before.includes(t)), `${key}, where a reader got ${before.join(", ")}`).toEqual([]);
      seen.set(key, titles);
      return [key, titles];
    };
    const draft = (...slugs: string[]) => slugs.forEach((s) => (articles[s] = { ...articles[s], draft: true }));
    expect(await publish()).toEqual(["archive/2-2", ["N4", "N3"]]);
    draft("n4");
    expect(await publish()).toEqual(["archive/2-2", ["N3"]]);
    articles.late = { title: "Filed late", date: "2020-01-04T12:00:00Z" };
    expect(await publish()).toEqual(["archive/2-3", ["Filed late", "N3"]]);
    draft("n3", "late");
    expect(await publish()).toEqual(["archive/1", ["N2", "N1", "N0"]]);
    articles.later = { title: "Filed later", date: "2020-01-04T18:00:00Z" };
    expect(await publish()).toEqual(["archive/2-4", ["Filed later"]]);
    // Full once it holds items_per_feed items; the next page's keys count from its own first item.
    articles.n3 = { ...articles.n3, draft: false };
    articles.late = { ...articles.late, draft: false };
    expect(await publish()).toEqual(["archive/2", ["Filed later", "Filed late", "N3"]]);
    articles.n8 = { title: "N8", date: new Date(Date.UTC(2020, 0, 9)).toISOString() };
    expect(await publish()).toEqual(["archive/3-1", ["N5"]]);
  });

  it("keeps a published full page's bytes when an article arrives back-dated, and tells its place to the next build through the store", async () => {
    const articles: Record<string, Fields> = {};
    for (let i = 0; i < 9; i++) articles[`n${i}`] = { title: `N${i}`, date: new Date(Date.UTC(2020, 0, 1 + i)).toISOString() };
    const dir = await tempDir("syn-arch-back-");
    const out = join(dir, "out");
    const store = new DirectoryStore(out);
    let n = 0;
    const publish = async () => {
      const content = await writeTree(join(dir, `content-${n++}`), tree(articles, { items_per_feed: 3 }));
      return build({ source: new DirectoryContent(content), store, now: NOW });
    };
    const read = (key: string) => readFile(join(out, key), "utf8");
    await publish();
    const page1 = await read("archive/1/feed.json");
    const stored = JSON.parse(await read(ARCHIVE_PAGES_KEY)) as { version: number; items_per_feed: number; pages: string[][] };
    expect([stored.version, stored.items_per_feed, stored.pages.map((p) => p.length)]).toEqual([1, 3, [3, 3]]);
    // Nothing changed: nothing written, the pages' object included.
    const again = await publish();
    expect(again.written).toEqual([]);
    articles.late = { title: "Filed late", date: "2020-01-01T12:00:00Z" };
    const report = await publish();
    expect(await read("archive/1/feed.json")).toBe(page1);
    expect(report.written.filter((k) => k.startsWith("archive/1/") || k.startsWith("archive/2/"))).toEqual([]);
    expect(report.written).not.toContain(ARCHIVE_PAGES_KEY);
    const filling = JSON.parse(await read("archive/3-1/feed.json")) as { items: { title: string }[] };
    expect(filling.items.map((i) => i.title)).toEqual(["Filed late"]);
    // An unreadable record of the pages: planned by date (the late article moves into page 1), and recorded again.
    await writeFile(join(out, ARCHIVE_PAGES_KEY), "{not json");
    await publish();
    expect(await read("archive/1/feed.json")).not.toBe(page1);
    expect(JSON.parse(await read(ARCHIVE_PAGES_KEY))).toMatchObject({ version: 1, items_per_feed: 3 });
  });
});
