/**
 * The local stack holds the cache a build stored whole (cached-load.ts holdStoredCache): after
 * its first build, which stores the cache whole, it reads it back while it waits, so that the
 * first edit finds it held, as every edit after it does. Real s3rver (the cache is gzip'd in the
 * bucket), real builds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startLocalStack, type LocalStack } from "../../functions/local/stack.ts";
import { articleText, tempDir, tree, writeTree } from "../support/content-tree.ts";
import { ARTICLES } from "../support/api.ts";

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe("local stack build cache", () => {
  it("holds the cache its first build stored, so the first edit does not parse it", async () => {
    const dir = await tempDir("syn-stack-cache-");
    const content = await writeTree(join(dir, "content"), tree(ARTICLES));
    stack = await startLocalStack({ contentDir: content, dataDir: join(dir, "data"), port: 0, watch: false, log: () => undefined });
    const first = await stack.firstBuild;
    expect(first.state).toBe("succeeded");
    expect(first.result?.cache).toMatchObject({ savedAs: "full" });
    expect(await stack.cacheHeld()).toBe(true);

    await writeFile(join(content, "articles", "fourth.md"), articleText({ title: "Fourth", date: "2020-06-04T10:00:00Z" }));
    const edited = await stack.builds.request({ trigger: "watch", received_at: new Date().toISOString() }).done;
    expect(edited.state).toBe("succeeded");
    expect(edited.result?.cache).toMatchObject({ state: "used", held: true, parsed: 1, savedAs: "delta" });
    // A delta was stored: nothing new to read back.
    expect(await stack.cacheHeld()).toBe(true);
  });
});
