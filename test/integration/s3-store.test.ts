/** S3Store and S3Content against the real s3rver over HTTP (no mocked client). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { IncompleteReadError, mapLimit } from "../../functions/adapters/store.ts";
import { createS3Client, S3Content, S3Store } from "../../functions/adapters/s3-store.ts";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { formatIssue, type ContentError } from "../../functions/core/errors.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { writeCorpus } from "../support/corpus.ts";
import { isRunning, startTestS3, type TestS3 } from "../support/s3.ts";

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3?.stop();
  expect(isRunning(s3.pid)).toBe(false);
});

const META = { contentType: "application/octet-stream", cacheControl: "no-cache" };

describe("S3Store", () => {
  it("lists more than 1,000 keys across pages and deletes them in batches of 1,000", async () => {
    const store = await s3.bucket("many");
    const keys = Array.from({ length: 1205 }, (_, i) => `many/${String(i).padStart(5, "0")}.txt`);
    await mapLimit(keys, 16, (k) => store.put(k, Buffer.from(k), META));
    const before = { ...store.stats };
    const listed = await store.list();
    expect(listed.length).toBe(1205);
    expect(new Set(listed)).toEqual(new Set(keys));
    expect(store.stats.list - before.list).toBe(2);
    await store.delete(keys);
    expect(store.stats.delete - before.delete).toBe(2);
    expect(await store.list()).toEqual([]);
  });

  it("stores a binary body byte for byte and reads it back", async () => {
    const store = await s3.bucket("bytes");
    const body = randomBytes(100_000);
    await store.put("blob.bin", body, META);
    const got = await store.get("blob.bin");
    expect(got?.body.equals(body)).toBe(true);
    expect((await store.head("blob.bin"))?.size).toBe(body.byteLength);
  });

  it("round-trips Content-Type and Cache-Control", async () => {
    const store = await s3.bucket("meta");
    const meta = { contentType: "application/atom+xml; charset=utf-8", cacheControl: "public, max-age=86400" };
    await store.put("tags/x/atom.xml", Buffer.from("<feed/>"), meta);
    const got = await store.get("tags/x/atom.xml");
    expect({ contentType: got?.contentType, cacheControl: got?.cacheControl }).toEqual(meta);
  });

  it("answers undefined for a missing key and an error for a missing bucket", async () => {
    const store = await s3.bucket("missing");
    expect(await store.get("nothing.json")).toBeUndefined();
    expect(await store.head("nothing.json")).toBeUndefined();
    const noBucket = new S3Store({ client: s3.client, bucket: "syn-no-such-bucket" });
    await expect(noBucket.get("x.json")).rejects.toThrow(/NoSuchBucket/);
  });

  it("keeps keys under its prefix and reports them relative to it", async () => {
    const store = await s3.bucket("prefix");
    const scoped = new S3Store({ client: s3.client, bucket: store.bucket, prefix: "/site-a/" });
    await scoped.put("feed.xml", Buffer.from("a"), META);
    await store.put("feed.xml", Buffer.from("root"), META);
    expect(await scoped.list()).toEqual(["feed.xml"]);
    expect((await store.list()).sort()).toEqual(["feed.xml", "site-a/feed.xml"]);
    expect((await scoped.get("feed.xml"))?.body.toString()).toBe("a");
  });

  it("refuses unsafe keys before sending anything", async () => {
    const store = await s3.bucket("unsafe");
    await expect(store.put("../escape.xml", Buffer.from("x"), META)).rejects.toThrow(/unsafe object key/);
    expect(store.stats.put).toBe(0);
  });
});

describe("S3Content", () => {
  async function uploadTree(store: S3Store, root: string, files: Record<string, string | Buffer>) {
    for (const [path, body] of Object.entries(files)) {
      await store.put(`${root}/${path}`, Buffer.from(body), META);
    }
  }

  it("reads the same files and issues as the directory source for the same tree", async () => {
    const dir = await mkdtemp(join(tmpdir(), "syn-content-"));
    try {
      const content = await writeCorpus(join(dir, "content"), { articles: 12 });
      const big = Buffer.alloc(LIMITS.articleFileBytes + 1, "a");
      await writeFile(join(content, "articles", "too-big.md"), big);
      // Markdown no source reads, told by both; a README beside site.yaml and other files are not.
      const misplaced = { "articles/nested/deep.md": "x", "articles/2020/06/old.md": "x", "geneva.md": "x", "README.md": "x", "README.txt": "x", "articles/nested/notes.txt": "x" };
      for (const [path, body] of Object.entries(misplaced)) {
        await mkdir(join(content, dirname(path)), { recursive: true });
        await writeFile(join(content, path), body);
      }
      const local = await new DirectoryContent(content).read();
      const store = await s3.bucket("content");
      const files: Record<string, Buffer | string> = { ...misplaced };
      for (const f of local.files) files[f.path] = Buffer.from(f.bytes);
      await uploadTree(store, "tenant/one", { ...files, "articles/too-big.md": big });
      const remote = await new S3Content({ client: s3.client, bucket: store.bucket, prefix: "tenant/one" }).read();
      const byFile = (issues: typeof local.issues) => [...issues].sort((a, b) => (a.file < b.file ? -1 : 1));
      expect(byFile(remote.issues)).toEqual(byFile(local.issues));
      expect(byFile(remote.issues).map((i) => [i.file, i.severity, i.message])).toEqual([
        ["articles/2020/06/old.md", "warning", "is in a folder inside articles/, which is not read: move it to articles/old.md to publish it"],
        ["articles/nested/deep.md", "warning", "is in a folder inside articles/, which is not read: move it to articles/deep.md to publish it"],
        ["articles/too-big.md", "error", expect.stringContaining("bytes are allowed")],
        ["geneva.md", "warning", "is not read: articles are read from articles/<slug>.md only; move it to articles/geneva.md to publish it"],
      ]);
      // Both read site.yaml first, then the articles in order.
      expect(remote.files.map((f) => f.path)).toEqual(local.files.map((f) => f.path));
      expect(remote.files[0]?.path).toBe("site.yaml");
      for (const f of remote.files) expect(Buffer.from(f.bytes).equals(Buffer.from(local.files.find((l) => l.path === f.path)!.bytes))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads just the files asked for by their keys, without listing the tree, with the fingerprints a full read gives", async () => {
    const dir = await mkdtemp(join(tmpdir(), "syn-content-"));
    try {
      const content = await writeCorpus(join(dir, "content"), { articles: 6 });
      const local = await new DirectoryContent(content).read();
      const store = await s3.bucket("content");
      const big = Buffer.alloc(LIMITS.articleFileBytes + 1, "a");
      await uploadTree(store, "t", { ...Object.fromEntries(local.files.map((f) => [f.path, Buffer.from(f.bytes)])), "articles/too-big.md": big });
      const source = new S3Content({ client: s3.client, bucket: store.bucket, prefix: "t" });
      const all = await source.read();
      const only = new Set(["articles/article-000001.md", "articles/article-000004.md", "articles/gone.md", "articles/too-big.md", "../x.md"]);
      const lists = source.store.stats.list;
      const some = await source.read({ only });
      expect(source.store.stats.list).toBe(lists);
      expect(some.files.map((f) => [f.path, f.fingerprint])).toEqual(all.files.filter((f) => only.has(f.path)).map((f) => [f.path, f.fingerprint]));
      expect(some.issues).toEqual([expect.objectContaining({ file: "articles/too-big.md", field: "file" })]);
      // The directory source reads them by name too, with what a full read gives.
      const localSome = await new DirectoryContent(content).read({ only });
      expect(localSome.files.map((f) => [f.path, Buffer.from(f.bytes).toString()])).toEqual(local.files.filter((f) => only.has(f.path)).map((f) => [f.path, Buffer.from(f.bytes).toString()]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads a content file up to its limit and one byte more, never the rest (a Range request)", async () => {
    const store = await s3.bucket("content");
    await store.put("up/small.md", Buffer.from("x".repeat(100)), META);
    await store.put("up/big.md", Buffer.alloc(5 * 1024 * 1024, "a"), META);
    // The whole object when it fits: its bytes, checked against its ETag (the MD5) as get's are.
    const small = await store.getUpTo("up/small.md", 100);
    expect(small && "body" in small ? small.body.toString() : small).toBe("x".repeat(100));
    // Past the limit: its size from the ranged answer, no body.
    expect(await store.getUpTo("up/small.md", 10)).toEqual({ tooLarge: 100 });
    expect(await store.getUpTo("up/big.md", LIMITS.articleFileBytes)).toEqual({ tooLarge: 5 * 1024 * 1024 });
    expect(await store.getUpTo("up/none.md", 10)).toBeUndefined();
    // Through S3Content, by name (no listed size to check first): an error naming the file.
    await store.put("up/articles/big.md", Buffer.alloc(5 * 1024 * 1024, "a"), META);
    const r = await new S3Content({ client: s3.client, bucket: store.bucket, prefix: "up" }).read({ only: new Set(["articles/big.md"]) });
    expect([r.files, r.issues]).toEqual([[], [expect.objectContaining({ file: "articles/big.md", field: "file", message: `is ${5 * 1024 * 1024} bytes; at most ${LIMITS.articleFileBytes} bytes are allowed` })]]);
  });

  it("reads an empty file as empty, and the build names it, as for a directory (no ranged GET: S3 answers it 416, s3rver never)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "syn-content-"));
    try {
      const content = await writeCorpus(join(dir, "content"), { articles: 3 });
      await writeFile(join(content, "articles", "empty.md"), "");
      const local = await new DirectoryContent(content).read();
      const store = await s3.bucket("content");
      await uploadTree(store, "e", Object.fromEntries(local.files.map((f) => [f.path, Buffer.from(f.bytes)])));
      const source = new S3Content({ client: s3.client, bucket: store.bucket, prefix: "e" });
      const remote = await source.read();
      expect(remote.files.find((f) => f.path === "articles/empty.md")?.bytes.byteLength).toBe(0);
      expect(remote.files.map((f) => f.path)).toEqual(local.files.map((f) => f.path));
      // The build fails on it with the same error naming the file, from either source.
      const errorsOf = (source: S3Content | DirectoryContent) =>
        build({ source, store: new DirectoryStore(join(dir, `out-${randomBytes(4).toString("hex")}`)), now: Date.UTC(2030, 0, 1), cache: false }).then(
          () => [],
          (e: ContentError) => e.issues.map(formatIssue),
        );
      const fromBucket = await errorsOf(source);
      expect(fromBucket).toEqual(await errorsOf(new DirectoryContent(content)));
      expect(fromBucket).toEqual([expect.stringMatching(/^articles\/empty\.md:/)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads an object S3 refuses a Range for (416: an empty object) whole", async () => {
    // S3's answer to `Range: bytes=0-N` on an empty object; s3rver hangs instead, so a server of our own.
    const server = createServer((req, res) => {
      if (req.headers.range) {
        res.writeHead(416, { "content-type": "application/xml" });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message><ActualObjectSize>0</ActualObjectSize></Error>');
      } else {
        res.writeHead(200, { "content-length": "0", etag: '"d41d8cd98f00b204e9800998ecf8427e"', "content-type": "text/markdown" });
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const client = createS3Client({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, forcePathStyle: true, maxAttempts: 1 });
      const got = await new S3Store({ client, bucket: "b" }).getUpTo("articles/empty.md", 1000);
      expect(got && "body" in got ? got.body.byteLength : got).toBe(0);
      client.destroy();
    } finally {
      server.close();
    }
  });

  it("gives up on a GET body that stops arriving, tries it again, then fails naming it (the SDK's timeout ends with the headers)", async () => {
    const store = await s3.bucket("content");
    await store.put("stall/empty.md", Buffer.alloc(0), META);
    // s3rver answers a Range on an empty object with Content-Length: 1 and never sends the byte.
    const bounded = new S3Store({ client: s3.client, bucket: store.bucket, bodyTimeoutMs: 100 });
    const failure = await bounded.getUpTo("stall/empty.md", 100).then(() => undefined, (e: Error) => e);
    expect(failure).toBeInstanceOf(IncompleteReadError);
    expect(failure!.message).toMatch(/stall\/empty\.md: the body arrived incomplete 3 times \(no answer within 100 ms\)/);
    expect(bounded.stats.get).toBe(3);
  });

  it("reports a missing content bucket as an issue", async () => {
    const r = await new S3Content({ client: s3.client, bucket: "syn-no-such-content" }).read();
    expect(r.files).toEqual([]);
    expect(r.issues).toEqual([expect.objectContaining({ file: ".", severity: "error", message: expect.stringContaining("does not exist") })]);
  });
});
