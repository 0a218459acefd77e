/** Building into the real s3rver: what is written, what is not, and what reads back. */
import { ARCHIVE_PAGES_KEY } from "../../functions/pipeline/archive-pages.ts";
import { CACHE_KEY } from "../../functions/core/cache.ts";
import { describe, expect, it } from "vitest";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { parseManifest, type Manifest } from "../../functions/core/manifest.ts";
import type { S3Store } from "../../functions/adapters/s3-store.ts";
import { writeCorpus } from "../support/corpus.ts";
import { sha256, useTestS3 } from "../support/s3.ts";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { cdnCompresses } from "../../functions/adapters/cdn-types.ts";

const NOW = Date.UTC(2030, 0, 1);
const CORPUS = { articles: 90, itemsPerFeed: 20, tags: 3 };

const ctx = useTestS3();

let n = 0;
async function freshCorpus(): Promise<string> {
  return writeCorpus(join(ctx.work, `content-${++n}`), CORPUS);
}

async function manifestOf(store: S3Store): Promise<Manifest> {
  return parseManifest((await store.get("manifest.json"))?.body)!;
}

const publishTo = (content: string, store: S3Store | DirectoryStore) => build({ source: new DirectoryContent(content), store, now: NOW });

describe("publishing to S3", () => {
  it("writes every document with the bytes, Content-Type and Cache-Control that were rendered", async () => {
    const content = await freshCorpus();
    const store = await ctx.s3.bucket("first");
    const report = await publishTo(content, store);
    const manifest = await manifestOf(store);
    const keys = Object.keys(manifest.outputs);
    // Besides the outputs and the manifest, the bucket holds the build cache and the record of the full archive pages (.syndicate/).
    expect((await store.list()).sort()).toEqual([...keys, "manifest.json", CACHE_KEY, ARCHIVE_PAGES_KEY].sort());
    // Every document and the manifest, the build cache, the archive pages and the publish journal; the journal deleted after.
    expect(report.requests).toMatchObject({ put: keys.length + 4, delete: 1 });
    // The same build into a directory gives the reference bytes.
    const dir = join(ctx.work, `reference-${n}`);
    await publishTo(content, new DirectoryStore(dir));
    for (const key of keys) {
      const got = (await store.get(key))!;
      expect(got.body.equals(await readFile(join(dir, key))), key).toBe(true);
      expect(sha256(got.body)).toBe(manifest.outputs[key]!.sha256);
      expect({ contentType: got.contentType, cacheControl: got.cacheControl }).toEqual({
        contentType: manifest.outputs[key]!.content_type,
        cacheControl: manifest.outputs[key]!.cache_control,
      });
    }
    const types = Object.fromEntries(await Promise.all(["feed.xml", "atom.xml", "feed.json", "latest.json"].map(async (k) => [k, (await store.get(k))!.contentType])));
    expect(types).toEqual({
      "feed.xml": "application/rss+xml; charset=utf-8",
      "atom.xml": "application/atom+xml; charset=utf-8",
      "feed.json": "application/feed+json; charset=utf-8",
      "latest.json": "application/json",
    });
    expect((await store.get("feed.xml"))!.cacheControl).toBe("public, max-age=300");
    expect((await store.get("archive/1/atom.xml"))!.cacheControl).toBe("public, max-age=86400");
  });

  it("stores every document with a type the CDN compresses: Atom and JSON Feed as their generic twins, their own type in the metadata", async () => {
    const content = await freshCorpus();
    const store = await ctx.s3.bucket("types");
    await publishTo(content, store);
    const manifest = await manifestOf(store);
    const raw = async (Key: string) => ctx.s3.client.send(new HeadObjectCommand({ Bucket: store.bucket, Key }));
    // CloudFront decides from the origin's Content-Type: every published object must be on its list.
    for (const key of [...Object.keys(manifest.outputs), "manifest.json"]) expect(cdnCompresses((await raw(key)).ContentType!), key).toBe(true);
    expect(await raw("atom.xml")).toMatchObject({ ContentType: "application/xml; charset=utf-8", Metadata: { "served-type": "application/atom+xml; charset=utf-8" } });
    const tagFeed = Object.keys(manifest.outputs).find((k) => /^tags\/[^/]+\/feed\.json$/.test(k))!;
    expect(await raw(tagFeed)).toMatchObject({ ContentType: "application/json; charset=utf-8", Metadata: { "served-type": "application/feed+json; charset=utf-8" } });
    expect((await raw("feed.xml")).Metadata ?? {}).toEqual({});
    // As S3 answers a GET (the CDN's origin request): the served type travels as x-amz-meta-served-type.
    const got = await ctx.s3.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: "archive/1/atom.xml" }));
    await got.Body!.transformToByteArray();
    expect(got.Metadata).toEqual({ "served-type": "application/atom+xml; charset=utf-8" });
  });

  it("republishes unchanged content with no PUT and no DELETE", async () => {
    const content = await freshCorpus();
    const store = await ctx.s3.bucket("same");
    const first = await publishTo(content, store);
    const second = await publishTo(content, store);
    expect(second.build_id).toBe(first.build_id);
    expect(second.documents.written).toBe(0);
    // Reads: the previous manifest, the build cache and its delta (absent: a 404), the full archive pages; the listing; nothing written.
    expect(second.requests).toEqual({ get: 4, head: 0, list: 1, put: 0, delete: 0 });
  });

  it("rewrites only the documents an edited article appears in, then the manifest", async () => {
    const content = await freshCorpus();
    const store = await ctx.s3.bucket("edit");
    await publishTo(content, store);
    const before = await manifestOf(store);
    const newest = join(content, "articles", `article-${String(CORPUS.articles - 1).padStart(6, "0")}.md`);
    await writeFile(newest, (await readFile(newest, "utf8")).replace(/^title: .*$/m, 'title: "An edited title"'));
    const report = await publishTo(content, store);
    const after = await manifestOf(store);
    const changed = Object.keys(after.outputs).filter((k) => after.outputs[k]!.sha256 !== before.outputs[k]?.sha256);
    expect(report.written.sort()).toEqual([...changed, "manifest.json"].sort());
    expect(report.requests?.put).toBe(changed.length + 3); // + manifest + build cache + the publish journal
    expect(report.requests?.delete).toBe(1); // the journal, once the manifest is in place
    expect(await store.list(".syndicate/publishing")).toEqual([]);
    expect(changed).toContain("feed.xml");
    expect(changed.some((k) => k.startsWith("archive/"))).toBe(false);
    expect(changed.length).toBeLessThan(Object.keys(after.outputs).length / 2);
    expect((await store.get("atom.xml"))!.body.toString()).toContain("An edited title");
  });

  it("writes again an object cut or damaged in the bucket since (its size is not the manifest's), with or without the cache", async () => {
    const content = await freshCorpus();
    const store = await ctx.s3.bucket("damaged");
    await publishTo(content, store);
    const whole = (await store.get("tags/topic-1/feed.xml"))!;
    for (const cache of [true, false]) {
      await store.put("tags/topic-1/feed.xml", whole.body.subarray(0, 500), { contentType: whole.contentType!, cacheControl: whole.cacheControl! });
      const report = await build({ source: new DirectoryContent(content), store, now: NOW, cache });
      expect(report.written).toEqual(["tags/topic-1/feed.xml"]);
      expect((await store.get("tags/topic-1/feed.xml"))!.body.equals(whole.body)).toBe(true);
    }
    // And nothing more once repaired.
    expect((await publishTo(content, store)).written).toEqual([]);
  });

  it("deletes a removed tag's feeds after the new manifest is in place", async () => {
    const content = await freshCorpus();
    const store = await ctx.s3.bucket("tag");
    await publishTo(content, store);
    const tagKeys = (await store.list()).filter((k) => k.startsWith("tags/topic-2/"));
    expect(tagKeys).toEqual(expect.arrayContaining(["tags/topic-2/feed.xml", "tags/topic-2/atom.xml", "tags/topic-2/feed.json", "tags/topic-2/latest.json"]));
    for (const name of await readdir(join(content, "articles"))) {
      const path = join(content, "articles", name);
      await writeFile(path, (await readFile(path, "utf8")).replace('"Topic 2"', '"Topic 1"'));
    }
    // The order of what the bucket was asked: each put once answered, each delete as asked.
    const events: string[] = [];
    const put = store.put.bind(store), del = store.delete.bind(store);
    store.put = async (key, body, meta) => {
      await put(key, body, meta);
      events.push(`put ${key}`);
    };
    store.delete = async (keys) => {
      events.push(`delete ${keys.join(" ")}`);
      return del(keys);
    };
    const report = await publishTo(content, store);
    expect(report.deleted).toEqual([...tagKeys].sort());
    expect(report.requests?.delete).toBe(2); // the removed feeds (one batch), then the publish journal
    const manifestPut = events.indexOf("put manifest.json"), tagsDeleted = events.findIndex((e) => e.startsWith("delete tags/topic-2/"));
    expect(manifestPut).toBeGreaterThanOrEqual(0);
    expect(tagsDeleted).toBeGreaterThan(manifestPut);
    const left = await store.list();
    expect(left.filter((k) => k.startsWith("tags/topic-2/"))).toEqual([]);
    expect(left).toContain("tags/topic-1/feed.xml");
    expect(Object.keys((await manifestOf(store)).outputs).some((k) => k.startsWith("tags/topic-2/"))).toBe(false);
  });

  it("leaves objects it does not own in the bucket", async () => {
    const content = await freshCorpus();
    const store = await ctx.s3.bucket("foreign");
    await store.put("robots.txt", Buffer.from("User-agent: *\n"), { contentType: "text/plain", cacheControl: "no-cache" });
    await publishTo(content, store);
    await publishTo(content, store);
    expect(await store.list()).toContain("robots.txt");
  });
});
