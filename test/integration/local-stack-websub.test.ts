/**
 * The local stack (functions/local/stack.ts) and WebSub: after each build it reads the published
 * feed.json once, for both the discovery Link headers and the hub pings (it used to read it twice:
 * once for the headers, once more inside pingAfterPublish). Real s3rver, real builds, a local hub.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { join } from "node:path";
import { S3Store } from "../../functions/adapters/s3-store.ts";
import { FEEDS_BUCKET, startLocalStack, type LocalStack } from "../../functions/local/stack.ts";
import { articleText, tempDir, tree, writeTree } from "../support/content-tree.ts";
import { ARTICLES, startHub } from "../support/api.ts";
import { writeFile } from "node:fs/promises";

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  vi.restoreAllMocks();
});

/** Waits until `check` holds (polling), failing after `ms`. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("local stack WebSub", () => {
  it("reads feed.json once per build for the Link headers and the hub pings", async () => {
    const hub = await startHub();
    const dir = await tempDir("syn-stack-websub-");
    const content = await writeTree(join(dir, "content"), tree(ARTICLES, { websub_hub: hub.url }));
    const get = vi.spyOn(S3Store.prototype, "get");
    const feedJsonReads = () => get.mock.calls.filter((call, i) => call[0] === "feed.json" && (get.mock.contexts[i] as S3Store).bucket === FEEDS_BUCKET).length;

    stack = await startLocalStack({ contentDir: content, dataDir: join(dir, "data"), port: 0, watch: false, log: () => undefined });
    expect((await stack.firstBuild).state).toBe("succeeded");
    // Main feed and two tags, three formats each.
    await until(() => hub.pings.length === 9);
    expect(hub.pings.map((p) => p.url)).toContain("https://news.example.com/feeds/feed.xml");
    // One read when the stack starts (nothing published yet), one after the first build.
    expect(feedJsonReads()).toBe(2);
    const feed = await fetch(`${stack.url}/feed.xml`);
    await feed.arrayBuffer();
    expect(feed.headers.get("link")).toBe(`<${hub.url}>; rel="hub", <https://news.example.com/feeds/feed.xml>; rel="self"`);

    // A build that changes nothing: one read, no ping.
    const same = await stack.builds.request({ trigger: "webhook", received_at: new Date().toISOString() }).done;
    expect(same.state).toBe("succeeded");
    expect(same.result?.written).toEqual([]);
    expect(feedJsonReads()).toBe(3);

    // A new article without tags: the main feeds change, the tags' do not.
    await writeFile(join(content, "articles", "fourth.md"), articleText({ title: "Fourth", date: "2020-06-04T10:00:00Z" }));
    const changed = await stack.builds.request({ trigger: "watch", received_at: new Date().toISOString() }).done;
    expect(changed.state).toBe("succeeded");
    await until(() => hub.pings.length === 12);
    expect(hub.pings.slice(9).map((p) => p.url).sort()).toEqual(["atom.xml", "feed.json", "feed.xml"].map((f) => `https://news.example.com/feeds/${f}`));
    expect(feedJsonReads()).toBe(4);
  });
});
