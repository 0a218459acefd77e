import { describe, expect, it } from "vitest";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { writeCorpus } from "../support/corpus.ts";

describe("build", () => {
  it("builds a generated corpus into a directory and is byte-stable on rebuild", async () => {
    const dir = await mkdtemp(join(tmpdir(), "syn-"));
    const content = await writeCorpus(join(dir, "content"), { articles: 120, itemsPerFeed: 50 });
    const store = new DirectoryStore(join(dir, "out"));
    const now = Date.UTC(2030, 0, 1);
    const first = await build({ source: new DirectoryContent(content), store, now });
    expect(first.items).toBe(120);
    const feed = await readFile(join(dir, "out", "feed.xml"));
    const second = await build({ source: new DirectoryContent(content), store, now });
    expect(second.documents.written).toBe(0);
    expect(second.build_id).toBe(first.build_id);
    expect(await readFile(join(dir, "out", "feed.xml"))).toEqual(feed);
    expect(first.written).toContain("archive/1/atom.xml");
    // Rendered again from nothing (a fresh output, no cache): the very same bytes, every file.
    const again = await build({ source: new DirectoryContent(content), store: new DirectoryStore(join(dir, "out2")), now, cache: false });
    expect(again.build_id).toBe(first.build_id);
    expect(again.documents.written).toBe(first.documents.written);
    for (const key of first.written) expect((await readFile(join(dir, "out2", key))).equals(await readFile(join(dir, "out", key))), key).toBe(true);
  });
});
