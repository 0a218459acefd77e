import { describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "../../functions/pipeline/build.ts";
import { acquireLease } from "../../functions/pipeline/lease.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { articleText, snapshot, tempDir, tree, writeTree } from "../support/content-tree.ts";

const NOW = Date.UTC(2030, 0, 1);

describe("a build that waits for the lease", () => {
  it("reads the content as it is when it gets the lease, not as it was when it was started", async () => {
    const dir = await tempDir();
    const content = await writeTree(join(dir, "content"), tree({ a: { title: "Old title", date: "2020-01-01T00:00:00Z" } }));
    const store = new DirectoryStore(join(dir, "out"));
    const held = await acquireLease(store, { pollMs: 20, log: () => {} });
    // The edit comes once the build is waiting for the lease (its log says so), however slow the
    // machine: a build that read the content before the lease would have the old title.
    let isWaiting!: () => void;
    const waitingSeen = new Promise<void>((r) => (isWaiting = r));
    const waiting = build({ source: new DirectoryContent(content), store, now: NOW, lease: { pollMs: 20, log: (line) => line.includes("waiting for") && isWaiting() } });
    await waitingSeen;
    await writeFile(join(content, "articles", "a.md"), articleText({ title: "New title", date: "2020-01-01T00:00:00Z" }));
    await held.release();
    const report = await waiting;
    expect(report.items).toBe(1);
    const files = await snapshot(join(dir, "out"));
    const feed = Buffer.from(files["feed.json"]!.bytes, "base64").toString("utf8");
    expect(feed).toContain("New title");
    expect(feed).not.toContain("Old title");
  });
});
