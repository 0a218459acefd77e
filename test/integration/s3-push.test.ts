/** `syndicate push` and `syndicate build --bucket` against the real s3rver. */
import { describe, expect, it } from "vitest";
import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { S3Content, S3Store } from "../../functions/adapters/s3-store.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { build } from "../../functions/pipeline/build.ts";
import { article, writeCorpus } from "../support/corpus.ts";
import { runCli, useTestS3 } from "../support/s3.ts";

const ctx = useTestS3();

interface PushJson {
  ok: boolean;
  uploaded: string[];
  deleted: string[];
  unchanged: number;
  requests: { get: number; head: number; list: number; put: number; delete: number };
}

async function push(bucket: string, content: string, ...extra: string[]): Promise<PushJson> {
  const r = await runCli(["push", "--bucket", bucket, "--endpoint", ctx.s3.endpoint, "--content", content, "--json", ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as PushJson;
}

const file = (content: string, i: number) => join(content, "articles", `article-${String(i).padStart(6, "0")}.md`);

describe("syndicate push", () => {
  it("uploads every file once, then only what changed, and deletes what was removed", async () => {
    const content = await writeCorpus(join(ctx.work, "a"), { articles: 25 });
    const bucket = (await ctx.s3.bucket("push")).bucket;
    const first = await push(bucket, content, "--prefix", "site");
    expect(first.uploaded.length).toBe(26);
    expect(first.requests).toMatchObject({ put: 26, delete: 0 });

    const again = await push(bucket, content, "--prefix", "site");
    expect(again).toMatchObject({ uploaded: [], deleted: [], unchanged: 26 });
    expect(again.requests).toEqual({ get: 0, head: 0, list: 1, put: 0, delete: 0 });

    await writeFile(file(content, 3), (await readFile(file(content, 3), "utf8")).replace(/^title: .*$/m, "title: Edited"));
    await unlink(file(content, 7));
    await writeFile(join(content, "articles", "new-one.md"), article(999, { articles: 1 }));
    const third = await push(bucket, content, "--prefix", "site");
    expect(third.uploaded.sort()).toEqual(["articles/article-000003.md", "articles/new-one.md"]);
    expect(third.deleted).toEqual(["articles/article-000007.md"]);
    expect(third.requests).toMatchObject({ put: 2, delete: 1 });

    const remote = new S3Store({ client: ctx.s3.client, bucket, prefix: "site" });
    expect((await remote.get("articles/article-000003.md"))!.body.equals(await readFile(file(content, 3)))).toBe(true);
    expect(await remote.get("articles/article-000007.md")).toBeUndefined();
    expect((await remote.get("site.yaml"))!.contentType).toBe("application/yaml; charset=utf-8");
  });

  it("neither uploads hidden files nor reads hidden keys: an editor's lock file is no article", async () => {
    const content = await writeCorpus(join(ctx.work, "hidden"), { articles: 2 });
    await writeFile(join(content, "articles", ".#article-000000.md"), "lock");
    const store = await ctx.s3.bucket("hidden");
    const r = await push(store.bucket, content);
    expect(r.uploaded.sort()).toEqual(["articles/article-000000.md", "articles/article-000001.md", "site.yaml"]);
    // One put there by other means is left alone, and not read as an article.
    await store.put("articles/._article-000001.md", Buffer.from([0, 5, 22, 7]), { contentType: "application/octet-stream", cacheControl: "no-cache" });
    expect((await push(store.bucket, content)).deleted).toEqual([]);
    const read = await new S3Content({ client: ctx.s3.client, bucket: store.bucket }).read();
    expect(read.files.map((f) => f.path).sort()).toEqual(["articles/article-000000.md", "articles/article-000001.md", "site.yaml"]);
    expect(read.issues).toEqual([]);
  });

  it("uploads only what a build reads: editors' backups beside an article are told and left out, and removed where an earlier push put them", async () => {
    const content = await writeCorpus(join(ctx.work, "backups"), { articles: 2 });
    const backups = ["article-000000.md~", "#article-000000.md#", "article-000001.md.bak", "4913"];
    for (const name of backups) await writeFile(join(content, "articles", name), "backup");
    const store = await ctx.s3.bucket("backups");
    // As an earlier push (before this rule) left one.
    await store.put("articles/article-000000.md~", Buffer.from("old backup"), { contentType: "application/octet-stream", cacheControl: "no-cache" });
    const r = (await push(store.bucket, content)) as PushJson & { issues: { file: string; severity: string; message: string }[] };
    expect(r.uploaded.sort()).toEqual(["articles/article-000000.md", "articles/article-000001.md", "site.yaml"]);
    expect(r.deleted).toEqual(["articles/article-000000.md~"]);
    expect(r.issues.map((i) => [i.file.replace(/^.*?articles\//, ""), i.severity]).sort()).toEqual(backups.map((b) => [b, "warning"]).sort());
    expect((await store.list()).sort()).toEqual(["articles/article-000000.md", "articles/article-000001.md", "site.yaml"]);
    // In text: the warnings on stderr, the summary on stdout, exit 0.
    const text = await runCli(["push", "--bucket", store.bucket, "--endpoint", ctx.s3.endpoint, "--content", content]);
    expect([text.code, text.stderr.split("\n").filter((l) => l.includes("not pushed")).length]).toEqual([0, 4]);
  });

  it("leaves keys under the prefix that are not content files alone", async () => {
    const content = await writeCorpus(join(ctx.work, "b"), { articles: 3 });
    const store = await ctx.s3.bucket("foreign");
    await store.put("notes/todo.txt", Buffer.from("keep me"), { contentType: "text/plain", cacheControl: "no-cache" });
    const r = await push(store.bucket, content);
    expect(r.deleted).toEqual([]);
    expect(await store.list()).toContain("notes/todo.txt");
  });

  it("refuses a content directory that cannot be read whole, and changes nothing", async () => {
    const content = await writeCorpus(join(ctx.work, "c"), { articles: 3 });
    const store = await ctx.s3.bucket("refuse");
    await push(store.bucket, content);
    const before = (await store.list()).sort();
    const r = await runCli(["push", "--bucket", store.bucket, "--endpoint", ctx.s3.endpoint, "--content", join(ctx.work, "no-such-dir")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("was left as it was");
    expect((await store.list()).sort()).toEqual(before);
  });

  it("refuses the feeds bucket, and a build refuses the content bucket: neither writes beside the other's objects", async () => {
    const content = await writeCorpus(join(ctx.work, "mixed"), { articles: 3 });
    const feeds = await ctx.s3.bucket("mixed-feeds");
    const sources = await ctx.s3.bucket("mixed-content");
    expect((await runCli(["build", "--bucket", feeds.bucket, "--endpoint", ctx.s3.endpoint, "--content", content])).code).toBe(0);
    await push(sources.bucket, content);
    const feedKeys = (await feeds.list()).sort();
    const contentKeys = (await sources.list()).sort();
    const wrongPush = await runCli(["push", "--bucket", feeds.bucket, "--endpoint", ctx.s3.endpoint, "--content", content]);
    expect([wrongPush.code, wrongPush.stderr]).toEqual([1, expect.stringContaining("holds published feeds (manifest.json): it is the feeds bucket, where builds publish, not a content bucket; nothing was pushed")]);
    const wrongBuild = await runCli(["build", "--bucket", sources.bucket, "--endpoint", ctx.s3.endpoint, "--content", content]);
    expect([wrongBuild.code, wrongBuild.stderr]).toEqual([1, expect.stringContaining("holds content (articles/")]);
    expect([(await feeds.list()).sort(), (await sources.list()).sort()]).toEqual([feedKeys, contentKeys]);
    // A site's output folder with pages under articles/ (not Markdown) is no content: built into.
    const site = join(ctx.work, "mixed-site");
    await mkdir(join(site, "articles"), { recursive: true });
    await writeFile(join(site, "articles", "index.html"), "<html></html>");
    expect((await build({ source: new DirectoryContent(content), store: new DirectoryStore(site), now: Date.UTC(2030, 0, 1) })).items).toBe(3);
  });

  it("takes --prefix / as no prefix", async () => {
    const content = await writeCorpus(join(ctx.work, "slash"), { articles: 2 });
    const store = await ctx.s3.bucket("slash");
    expect((await push(store.bucket, content, "--prefix", "/")).uploaded).toHaveLength(3);
    expect((await store.list()).sort()).toEqual(["articles/article-000000.md", "articles/article-000001.md", "site.yaml"]);
  });

  it("exits 2 without --bucket", async () => {
    const r = await runCli(["push", "--endpoint", ctx.s3.endpoint]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--bucket");
  });

  it("pushed content builds to the same feeds as the directory it came from", async () => {
    const content = await writeCorpus(join(ctx.work, "d"), { articles: 30, itemsPerFeed: 10 });
    const contentBucket = (await ctx.s3.bucket("src")).bucket;
    await push(contentBucket, content, "--prefix", "tenant/x");
    const now = Date.UTC(2030, 0, 1);
    const fromS3 = await build({ source: new S3Content({ client: ctx.s3.client, bucket: contentBucket, prefix: "tenant/x" }), store: await ctx.s3.bucket("out"), now });
    const fromDir = await build({ source: new DirectoryContent(content), store: new DirectoryStore(join(ctx.work, "d-out")), now });
    expect(fromS3.build_id).toBe(fromDir.build_id);
  });
});

describe("syndicate build --bucket", () => {
  it("publishes, then reports an unchanged rebuild as 4 GET (manifest, build cache, its delta, the archive pages), 1 LIST and nothing written", async () => {
    const content = await writeCorpus(join(ctx.work, "e"), { articles: 20 });
    const bucket = (await ctx.s3.bucket("cli")).bucket;
    const args = ["build", "--content", content, "--bucket", bucket, "--endpoint", ctx.s3.endpoint, "--now", "2030-01-01T00:00:00Z"];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    // The DELETE: the publish journal, once the manifest is in place (publish.ts JOURNAL_KEY).
    expect(first.stdout).toMatch(/requests: 4 GET, 0 HEAD, 1 LIST, \d+ PUT, 1 DELETE/);
    const second = await runCli([...args, "--json"]);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as { documents: { written: number }; requests: Record<string, number> };
    expect(report.documents.written).toBe(0);
    expect(report.requests).toEqual({ get: 4, head: 0, list: 1, put: 0, delete: 0 });
  });
});
