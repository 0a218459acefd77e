import { describe, expect, it } from "vitest";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { JOURNAL_KEY, publish } from "../../functions/pipeline/publish.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { buildManifest, STORAGE_VERSION } from "../../functions/core/manifest.ts";
import { output, type Output } from "../../functions/core/render/index.ts";
import { PublishError } from "../../functions/core/errors.ts";
import { snapshot, tempDir } from "../support/content-tree.ts";
import { RecordingStore } from "../support/recording-store.ts";

const XML = "application/rss+xml; charset=utf-8";

/** A set of outputs: the main feed plus a feed per tag, with `version` in every body. */
function outputs(tags: string[], version = "v1"): Output[] {
  return ["feed.xml", ...tags.map((t) => `tags/${t}/feed.xml`)].map((key) => output(key, `<rss>${key} ${version}</rss>`, XML, "public, max-age=300"));
}

const manifestOf = (o: Output[]) => buildManifest(o, o.length, undefined);

async function store() {
  const root = join(await tempDir(), "out");
  return { root, store: new DirectoryStore(root) };
}

describe("publish into a directory", () => {
  it("writes every output, then the manifest", async () => {
    const { store: s } = await store();
    const rec = new RecordingStore(s);
    const o = outputs(["libya", "italy"]);
    await publish(rec, o, manifestOf(o), { concurrency: 1 });
    // The journal first, removed once the manifest is in place.
    expect(rec.puts).toEqual([JOURNAL_KEY, "feed.xml", "tags/libya/feed.xml", "tags/italy/feed.xml", "manifest.json"]);
    expect(await s.list(".syndicate/")).toEqual([]);
  });

  it("writes a manifest with the sha256, size and content type of every output", async () => {
    const { root, store: s } = await store();
    const o = outputs(["libya"]);
    await publish(s, o, manifestOf(o));
    const manifest = JSON.parse(await readFile(join(root, "manifest.json"), "utf8"));
    const onDisk = await Promise.all(
      o.map(async (x) => {
        const body = await readFile(join(root, ...x.key.split("/")));
        return [x.key, { sha256: createHash("sha256").update(body).digest("hex"), bytes: body.byteLength, content_type: XML }];
      }),
    );
    expect(manifest.outputs).toMatchObject(Object.fromEntries(onDisk));
  });

  it("writes nothing when nothing changed", async () => {
    const { root, store: s } = await store();
    const o = outputs(["libya"]);
    await publish(s, o, manifestOf(o));
    const before = await snapshot(root);
    const again = await publish(s, outputs(["libya"]), manifestOf(outputs(["libya"])));
    expect([again.written, await snapshot(root)]).toEqual([[], before]);
  });

  it("rewrites only the outputs whose bytes changed, and the manifest", async () => {
    const { store: s } = await store();
    await publish(s, outputs(["libya"]), manifestOf(outputs(["libya"])));
    const next = [outputs([], "v2")[0]!, outputs(["libya"])[1]!];
    expect((await publish(s, next, manifestOf(next))).written).toEqual(["feed.xml", "manifest.json"]);
  });

  it("rewrites every object once when the manifest records another way of storing them (an upgrade), or none", async () => {
    const { root, store: s } = await store();
    const o = outputs(["libya"]);
    await publish(s, o, manifestOf(o));
    expect(JSON.parse(await readFile(join(root, "manifest.json"), "utf8")).storage).toBe(STORAGE_VERSION);
    for (const storage of [STORAGE_VERSION - 1, undefined]) {
      const older = { ...manifestOf(o), storage };
      await writeFile(join(root, "manifest.json"), JSON.stringify(older));
      // Same bytes, types and policies: only the way they were stored differs.
      expect((await publish(s, o, manifestOf(o))).written).toEqual(["feed.xml", "tags/libya/feed.xml", "manifest.json"]);
      expect((await publish(s, o, manifestOf(o))).written).toEqual([]);
    }
  });

  it("rewrites an output deleted behind its back", async () => {
    const { root, store: s } = await store();
    const o = outputs([]);
    await publish(s, o, manifestOf(o));
    await s.delete(["feed.xml"]);
    expect((await publish(s, o, manifestOf(o))).written).toEqual(["feed.xml"]);
    expect(await readFile(join(root, "feed.xml"), "utf8")).toBe("<rss>feed.xml v1</rss>");
  });

  it("deletes a removed tag's documents and its folder", async () => {
    const { root, store: s } = await store();
    await publish(s, outputs(["libya", "italy"]), manifestOf(outputs(["libya", "italy"])));
    const r = await publish(s, outputs(["libya"]), manifestOf(outputs(["libya"])));
    expect([r.deleted, (await readdir(join(root, "tags"))).sort()]).toEqual([["tags/italy/feed.xml"], ["libya"]]);
  });

  it("never deletes a file it does not own", async () => {
    const { root, store: s } = await store();
    await mkdir(join(root, "tags", "x"), { recursive: true });
    await writeFile(join(root, "index.html"), "mine");
    await writeFile(join(root, "tags", "x", "notes.txt"), "mine");
    const o = outputs([]);
    await publish(s, o, manifestOf(o));
    expect((await s.list()).sort()).toEqual(["feed.xml", "index.html", "manifest.json", "tags/x/notes.txt"]);
  });

  it("never deletes a document-named file no build of its own wrote (a first build into another tool's folder)", async () => {
    const { root, store: s } = await store();
    await mkdir(join(root, "tags", "old"), { recursive: true });
    await mkdir(join(root, "archive", "1"), { recursive: true });
    await writeFile(join(root, "tags", "old", "feed.xml"), "another tool's");
    await writeFile(join(root, "archive", "1", "feed.xml"), "another tool's");
    const o = outputs(["libya"]);
    expect((await publish(s, o, manifestOf(o))).deleted).toEqual([]);
    // Nor later: no manifest of its own ever listed them.
    const o2 = outputs([]);
    expect((await publish(s, o2, manifestOf(o2))).deleted).toEqual(["tags/libya/feed.xml"]);
    expect((await s.list()).sort()).toEqual(["archive/1/feed.xml", "feed.xml", "manifest.json", "tags/old/feed.xml"]);
  });

  it("deletes every document-named file it no longer writes when its manifest is there but cannot be read", async () => {
    const { root, store: s } = await store();
    const o = outputs(["libya", "italy"]);
    await publish(s, o, manifestOf(o));
    await writeFile(join(root, "manifest.json"), "{ cut sho");
    const o2 = outputs(["libya"]);
    expect((await publish(s, o2, manifestOf(o2))).deleted).toEqual(["tags/italy/feed.xml"]);
  });

  it("leaves the directory exactly as it was when a file cannot be put in place", async () => {
    const { root, store: s } = await store();
    await publish(s, outputs(["libya"]), manifestOf(outputs(["libya"])));
    await mkdir(join(root, "tags", "malta", "feed.xml", "x"), { recursive: true }); // a folder where a file must go
    const before = await snapshot(root);
    const next = outputs(["libya", "italy", "malta"], "v2");
    await expect(publish(s, next, manifestOf(next), { concurrency: 1 })).rejects.toThrow(PublishError);
    expect(await snapshot(root)).toEqual(before);
  });

  it("leaves the directory exactly as it was when a folder cannot be made", async () => {
    const { root, store: s } = await store();
    await publish(s, outputs([]), manifestOf(outputs([])));
    await writeFile(join(root, "tags"), "a file where a folder must go");
    const before = await snapshot(root);
    const next = outputs(["libya"], "v2");
    await expect(publish(s, next, manifestOf(next))).rejects.toThrow(PublishError);
    expect(await snapshot(root)).toEqual(before);
  });

  it("leaves no folder behind when a write into a new folder fails", async () => {
    const { root, store: s } = await store();
    await publish(s, outputs([]), manifestOf(outputs([])));
    await mkdir(join(root, "tags", "libya", "feed.xml"), { recursive: true }); // a folder where a file must go
    const next = outputs(["italy", "libya"], "v2");
    await expect(publish(s, next, manifestOf(next), { concurrency: 1 })).rejects.toThrow(PublishError);
    expect((await readdir(join(root, "tags"))).sort()).toEqual(["libya"]);
  });
});

describe("DirectoryStore", () => {
  // The order files are put in place (renamed): test/unit/publish-dir-order.test.ts.

  it("leaves no temporary file after a build", async () => {
    const { root, store: s } = await store();
    const o = outputs(["libya"]);
    await publish(s, o, manifestOf(o));
    await publish(s, outputs(["libya"], "v2"), manifestOf(outputs(["libya"], "v2")));
    expect(Object.keys(await snapshot(root)).filter((k) => k.includes(".syndicate-tmp-"))).toEqual([]);
  });

  it("leaves no temporary file after a write", async () => {
    const { root, store: s } = await store();
    await s.put("a/feed.xml", Buffer.from("x"), { contentType: XML, cacheControl: "no-cache" });
    expect(await readdir(join(root, "a"))).toEqual(["feed.xml"]);
  });

  it.each(["../escape.xml", "/abs.xml", "a//b.xml", "a/./b.xml", "a\\b.xml", "a/../../b.xml"])("refuses the unsafe key %j", async (key) => {
    const { store: s } = await store();
    await expect(s.put(key, Buffer.from("x"), { contentType: XML, cacheControl: "no-cache" })).rejects.toThrow(/unsafe object key/);
  });

  it("lists nothing for a directory that does not exist yet", async () => {
    const { store: s } = await store();
    expect(await s.list()).toEqual([]);
  });
});
