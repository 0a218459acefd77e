/**
 * A feed document's item content is bounded (LIMITS.documentItemChars): articles each within
 * their own limits must not make a feed too large for readers, or a build run out of memory.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { ContentError, formatIssue } from "../../functions/core/errors.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { articleText, siteYaml, snapshot, tempDir, tree, writeTree } from "../support/content-tree.ts";

const NOW = Date.UTC(2030, 0, 1);

describe("document size limit", () => {
  it("stops a build whose feed would carry more item content than the limit, naming items_per_feed and the largest items", async () => {
    // Each body just under the 1 MiB file limit: one paragraph per line, nothing to escape.
    const body = Array.from({ length: 10_000 }, (_, i) => `Paragraph ${i} of a very long article, in plain words only, to fill it up to size.`).join("\n\n");
    expect(body.length).toBeLessThan(LIMITS.articleFileBytes - 1000);
    const count = Math.ceil(LIMITS.documentItemChars / body.length) + 1;
    const dir = await tempDir();
    const content = await writeTree(join(dir, "content"), tree({ small: { title: "Small", date: "2020-01-01T00:00:00Z" } }));
    const out = join(dir, "out");
    await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: NOW });
    const before = await snapshot(out);
    await writeTree(content, Object.fromEntries(Array.from({ length: count }, (_, i) => [`articles/big-${i}.md`, articleText({ title: `Big ${i}`, date: `2021-01-${String(i + 1).padStart(2, "0")}T00:00:00Z` }, body)])));
    const failed = await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: NOW }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ContentError);
    const lines = (failed as ContentError).issues.map(formatIssue);
    expect(lines).toEqual([
      expect.stringMatching(/^site\.yaml: items_per_feed: the documents at \/ \(feed\.xml, atom\.xml, feed\.json\) would each carry [\d,]+ characters of item content; at most 10,485,760 are allowed per document: lower items_per_feed \(now 50\) or shorten its largest items: articles\/big-\d+\.md/),
    ]);
    expect(await snapshot(out)).toEqual(before);
    // items_per_feed written in site.yaml: the error has its line.
    const site = siteYaml({ items_per_feed: 40 });
    await writeTree(content, { "site.yaml": site });
    const line = site.split("\n").findIndex((l) => l.startsWith("items_per_feed:")) + 1;
    const again = await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: NOW }).catch((e: unknown) => e);
    expect((again as ContentError).issues.map(formatIssue)).toEqual([expect.stringMatching(new RegExp(`^site\\.yaml:${line}: items_per_feed: .*\\(now 40\\)`))]);
    expect(line).toBeGreaterThan(1);
  });

  it("lets a large feed under the limit through (20 items, ~1.4 million characters)", async () => {
    const body = Array.from({ length: 2_000 }, (_, i) => `Paragraph ${i} of a long article.`).join("\n\n");
    const dir = await tempDir();
    const content = await writeTree(join(dir, "content"), tree(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`a${i}`, { title: `A${i}` }]))));
    for (let i = 0; i < 20; i++) await writeTree(content, { [`articles/a${i}.md`]: articleText({ title: `A${i}` }, body) });
    const r = await build({ source: new DirectoryContent(content), store: new DirectoryStore(join(dir, "out")), now: NOW });
    expect(r.items).toBe(20);
  });
});
