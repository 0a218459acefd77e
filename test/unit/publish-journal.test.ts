/**
 * A publish that fails midway (S3 writes object by object) leaves some objects of the failed
 * build in the store while the old manifest still describes the old ones. The publish journal
 * (publish.ts JOURNAL_KEY) makes the next build write those again, even when its content is what
 * the old manifest describes: a bad edit that failed to publish, then reverted, must not stay
 * published. And archive pages are written before the documents that link them.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { build } from "../../functions/pipeline/build.ts";
import { JOURNAL_KEY } from "../../functions/pipeline/publish.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { PublishError } from "../../functions/core/errors.ts";
import { siteYaml, tempDir, tree, writeTree, type Fields } from "../support/content-tree.ts";
import { RecordingStore } from "../support/recording-store.ts";

const NOW = Date.UTC(2030, 0, 1);

async function setUp(articles: Record<string, Fields> = { a: { title: "Item", date: "2020-01-01T00:00:00Z" } }, site: Fields = {}) {
  const dir = await tempDir();
  const content = await writeTree(join(dir, "content"), tree(articles, site));
  const store = new RecordingStore(new DirectoryStore(join(dir, "out")));
  const run = () => build({ source: new DirectoryContent(content), store, now: NOW });
  const title = async (key = "feed.xml") => /<title>([^<]*)<\/title>/.exec((await store.get(key))!.body.toString())![1];
  return { content, store, run, title };
}

describe("the publish journal", () => {
  it.each([true, false])("a failed bad edit, then reverted: the next build writes the good documents again (build cache %s)", async (cache) => {
    const { content, store, title } = await setUp();
    const run = () => build({ source: new DirectoryContent(content), store, now: NOW, cache });
    await run();
    await writeFile(join(content, "site.yaml"), siteYaml({ title: "BAD EDIT" }));
    store.failOn = "latest.json"; // feed.xml and the others are written before it fails
    await expect(run()).rejects.toBeInstanceOf(PublishError);
    expect(await title()).toBe("BAD EDIT");
    expect(await store.list(".syndicate/")).toContain(JOURNAL_KEY);

    store.failOn = undefined;
    await writeFile(join(content, "site.yaml"), siteYaml());
    const repaired = await run();
    expect(await title()).toBe("Test Wire");
    expect(repaired.documents.written).toBeGreaterThan(0);
    expect(await store.list(".syndicate/")).not.toContain(JOURNAL_KEY);
    // Once repaired, an unchanged rebuild writes nothing again.
    expect((await run()).documents.written).toBe(0);
  });

  it("a journal that cannot be read makes every document be written again", async () => {
    const { store, run } = await setUp();
    await run();
    await store.put(JOURNAL_KEY, Buffer.from("{ not json"), { contentType: "application/json", cacheControl: "no-store" });
    store.puts.length = 0;
    const r = await run();
    // Every document; not the manifest, which is the same as the one in place.
    expect(r.documents.written).toBe(r.documents.total - 1);
    expect(store.puts).toContain("feed.xml");
  });

  it("a journal that cannot be read makes no file of another tool one of ours: it is not deleted", async () => {
    const { store, run } = await setUp();
    await run();
    // Another tool's file, named as a tag feed of ours, put beside the feeds after the first build.
    await store.put("tags/foreign/feed.xml", Buffer.from("<rss/>"), { contentType: "application/rss+xml", cacheControl: "no-cache" });
    await store.put(JOURNAL_KEY, Buffer.from("{ not json"), { contentType: "application/json", cacheControl: "no-store" });
    const r = await run();
    expect(r.deleted).toEqual([]);
    expect((await store.get("tags/foreign/feed.xml"))?.body.toString()).toBe("<rss/>");
    // Nor does the journal of a publish that fails next name it.
    store.failOn = "feed.xml";
    await store.put(JOURNAL_KEY, Buffer.from("{ not json"), { contentType: "application/json", cacheControl: "no-store" });
    await expect(run()).rejects.toBeInstanceOf(PublishError);
    expect(JSON.parse((await store.get(JOURNAL_KEY))!.body.toString()).keys).not.toContain("tags/foreign/feed.xml");
    store.failOn = undefined;
    expect((await run()).deleted).toEqual([]);
    expect(await store.get("tags/foreign/feed.xml")).toBeDefined();
  });

  it("a journal that cannot be read for now (a network error) stops the build before anything is written", async () => {
    const { store, run } = await setUp();
    await run();
    await store.put(JOURNAL_KEY, Buffer.from(`${JSON.stringify({ keys: ["feed.xml"] })}\n`), { contentType: "application/json", cacheControl: "no-store" });
    store.failGet = JOURNAL_KEY;
    store.puts.length = 0;
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as Error).message).toContain("could not read the publish journal");
    expect(store.puts.filter((k) => !k.startsWith(".syndicate/lease") && k !== ".syndicate/lock.json")).toEqual([]);
    store.failGet = undefined;
    expect((await run()).written).toContain("feed.xml");
  });

  it("writes archive pages before the documents that link them", async () => {
    const articles = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`n${i}`, { title: `N${i}`, date: new Date(Date.UTC(2020, 0, 1 + i)).toISOString() }]));
    const { store, run } = await setUp(articles, { items_per_feed: 2 });
    await run();
    // The build lease and the cache are .syndicate/ objects too.
    const order = store.puts.filter((k) => k === JOURNAL_KEY || !k.startsWith(".syndicate/"));
    const lastArchive = Math.max(...order.map((k, i) => (k.startsWith("archive/") ? i : -1)));
    const firstOther = order.findIndex((k, i) => i > 0 && !k.startsWith("archive/"));
    expect(order[0]).toBe(JOURNAL_KEY);
    expect(lastArchive).toBeGreaterThan(1);
    expect(lastArchive).toBeLessThan(firstOther);
  });
});
