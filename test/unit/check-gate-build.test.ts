/**
 * The check gate stops a build (issue 2.7): a rendered document that does not parse back aborts
 * the build before anything is written, naming the document and the item, and the CLI exits 1
 * with "Build failed: …". The renderers are correct, so the faults are injected: an RSS item
 * fragment that is not well-formed (a `</title>` dropped; the gate parses each item's fragment
 * once), and a JSON Feed document without its `version` (the JSON Feed 1.1 schema requires it).
 */
import { describe, expect, it, vi } from "vitest";
import { join } from "node:path";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { RenderCheckError } from "../../functions/core/errors.ts";
import { articleUrl } from "../../functions/core/article.ts";
import { snapshot, tempDir, tree, writeTree, TEST_SITE } from "../support/content-tree.ts";
import { runInProcess } from "../support/hostile.ts";

/** Titles that make the mocked renderers misbehave. */
const BREAK_RSS = "Break the RSS item";
const BREAK_JSON = "Break the JSON Feed";

// Every document takes an item's fragment from the build's FragmentCache, and the gate checks
// that very fragment: the broken one goes into the RSS document and to the gate alike.
vi.mock("../../functions/core/render/context.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../functions/core/render/context.ts")>();
  class BreakingFragments extends real.FragmentCache {
    override get(format: Parameters<typeof real.FragmentCache.prototype.get>[0], id: string, render: () => string): string {
      const text = super.get(format, id, render);
      return format === "rss" && text.includes(BREAK_RSS) ? text.replace("</title>", "") : text;
    }
  }
  return { ...real, FragmentCache: BreakingFragments };
});
vi.mock("../../functions/core/render/json-feed.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../functions/core/render/json-feed.ts")>();
  return {
    ...real,
    // The build renders a document as its parts (render/index.ts): the version is in the first.
    jsonFeedParts: (...args: Parameters<typeof real.jsonFeedParts>) => {
      const parts = real.jsonFeedParts(...args);
      return parts.some((p) => p.includes(BREAK_JSON)) ? [parts[0]!.replace(/"version":"[^"]*",?/, ""), ...parts.slice(1)] : parts;
    },
  };
});

const NOW = Date.UTC(2030, 0, 1);
const GOOD = { kept: { title: "Kept", date: "2020-01-01T00:00:00Z" } };

async function setUp(extra: Record<string, { title: string; date: string }>) {
  const dir = await tempDir();
  const content = join(dir, "content"), out = join(dir, "out");
  await writeTree(content, tree(GOOD));
  await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: NOW });
  const before = await snapshot(out);
  await writeTree(content, tree({ ...GOOD, ...extra }));
  return { content, out, before };
}

describe("the check gate stops the build", () => {
  it("on an item fragment that is not well-formed XML: names the document and the item, writes nothing", async () => {
    const { content, out, before } = await setUp({ bad: { title: BREAK_RSS, date: "2021-01-01T00:00:00Z" } });
    const failed = build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: NOW });
    await expect(failed).rejects.toBeInstanceOf(RenderCheckError);
    await expect(failed).rejects.toMatchObject({ document: "feed.xml", itemId: articleUrl(TEST_SITE.site_url, "bad"), detail: expect.stringContaining("not well-formed XML") });
    expect(await snapshot(out)).toEqual(before);
  });

  it("on a JSON Feed the schema rejects; the CLI exits 1 with Build failed and leaves the output as it was", async () => {
    const { content, out, before } = await setUp({ bad: { title: BREAK_JSON, date: "2021-01-01T00:00:00Z" } });
    const r = await runInProcess(["build", "--content", content, "--out", out, "--now", new Date(NOW).toISOString()]);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/^Build failed: feed\.json: not a valid JSON Feed 1\.1: .*version/m);
    expect(await snapshot(out)).toEqual(before);
  });
});
