/**
 * The local stack rebuilds on every way an editor saves, and the feed ends as the content is:
 * a save by rename (vim, `sed -i`, `git checkout`) and then edits in place and a deletion of the
 * same file (Node 20's recursive fs.watch lost such a file after its first rename: later edits
 * went unseen and the feed stayed stale); a broken save fixed in place; an editor's backup file,
 * which is told and never pushed. Real watcher, real s3rver, the feed read over HTTP.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startLocalStack, type LocalStack } from "../../functions/local/stack.ts";
import { CONTENT_BUCKET } from "../../functions/local/stack.ts";
import { articleText, tempDir, tree, writeTree } from "../support/content-tree.ts";
import { ARTICLES } from "../support/api.ts";

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** Polls the served feed until `check` holds (the watcher's debounce and a build: seconds). */
async function until(what: string, check: (titles: string[]) => boolean): Promise<string[]> {
  const end = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${stack!.url}/feed.json`).catch(() => undefined);
    const titles = res?.ok ? ((await res.json()) as { items: { title: string }[] }).items.map((i) => i.title) : [];
    if (check(titles)) return titles;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the feed has ${JSON.stringify(titles)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Writes articles/fourth.md in two steps, `gapMs` apart, after `alongside` changed something
 * else, and checks that the feed only ever shows the article whole.
 */
async function writtenInTwoSteps(alongside?: (content: string) => Promise<unknown>, gapMs = 300): Promise<void> {
  const dir = await tempDir("syn-stack-steps-");
  const content = await writeTree(join(dir, "content"), tree(ARTICLES));
  stack = await startLocalStack({ contentDir: content, dataDir: join(dir, "data"), port: 0, log: () => undefined });
  expect((await stack.firstBuild).state).toBe("succeeded");
  await until("the first build", (t) => t.includes("Third"));
  const file = join(content, "articles", "fourth.md");
  const text = articleText({ title: "Fourth, whole", date: "2020-06-04T10:00:00Z" }) + "\nThe second half of the body.\n";
  const seen = new Set<string>();
  const watchFeed = (async () => {
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      const res = await fetch(`${stack!.url}/feed.json`).catch(() => undefined);
      const feed = res?.ok ? ((await res.json()) as { items: { title: string; content_html?: string }[] }) : undefined;
      const fourth = feed?.items.find((i) => i.title === "Fourth, whole");
      if (fourth) {
        seen.add(fourth.content_html ?? "");
        if (fourth.content_html?.includes("second half")) return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  // The first half, then the rest gapMs later: longer than the watcher's debounce, shorter than WATCH_STABLE_MS.
  const cut = text.indexOf("The second half");
  await alongside?.(content);
  await writeFile(file, text.slice(0, cut + 4));
  await new Promise((r) => setTimeout(r, gapMs));
  await writeFile(file, text);
  await watchFeed;
  expect([...seen].every((html) => html.includes("The second half of the body."))).toBe(true);
  expect(seen.size).toBe(1);
}

describe("local stack watcher", () => {
  it("builds a file written in two steps once it is whole, never the first half", async () => {
    await writtenInTwoSteps();
  });

  it("never builds a file half-written when another file is deleted as it is written", async () => {
    // The deletion's event comes at once (no size to wait for): it must not start a build that
    // reads the other file between its two writes.
    await writtenInTwoSteps((content) => rm(join(content, "articles", "first.md")), 400);
  });

  it("follows saves by rename, then edits in place and a deletion of the same file, and a broken save fixed in place", async () => {
    const dir = await tempDir("syn-stack-watch-");
    const content = await writeTree(join(dir, "content"), tree(ARTICLES));
    stack = await startLocalStack({ contentDir: content, dataDir: join(dir, "data"), port: 0, log: () => undefined });
    expect(stack.watching).toBe(true);
    expect((await stack.firstBuild).state).toBe("succeeded");
    await until("the first build", (t) => t.includes("Third"));

    const third = join(content, "articles", "third.md");
    const save = (title: string) => articleText({ title, date: "2020-06-03T10:00:00Z" });
    // A save by rename, as vim and sed -i make it.
    await writeFile(`${third}.tmp`, save("Third (renamed in)"));
    await rename(`${third}.tmp`, third);
    await until("the save by rename", (t) => t.includes("Third (renamed in)"));
    // Then the same file written in place, twice.
    await writeFile(third, save("Third (in place)"));
    await until("the edit in place after a rename", (t) => t.includes("Third (in place)"));
    await writeFile(third, save("Third (in place again)"));
    await until("a second edit in place", (t) => t.includes("Third (in place again)"));
    // A broken save by rename, then the fix written in place.
    const whole = await readFile(third, "utf8");
    await writeFile(`${third}.tmp`, whole.slice(0, 20));
    await rename(`${third}.tmp`, third);
    const end = Date.now() + 30_000;
    while (stack.builds.last?.state !== "failed" && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(stack.builds.last?.state).toBe("failed");
    await writeFile(third, save("Third (fixed)"));
    await until("the fix in place", (t) => t.includes("Third (fixed)"));
    // Published before its run ends (the cache is stored after): the run then finishes ok.
    await stack.builds.idle();
    expect(stack.builds.last?.state).toBe("succeeded");
    // Deleted after all that: gone from the feed.
    await rm(third);
    await until("the deletion", (t) => t.length === 2 && !t.some((x) => x.startsWith("Third")));
  });

  it("watches the content folder again once it is back after being moved away (or unreadable), and says so", async () => {
    const dir = await tempDir("syn-stack-root-");
    const content = await writeTree(join(dir, "content"), tree(ARTICLES));
    const logs: string[] = [];
    stack = await startLocalStack({ contentDir: content, dataDir: join(dir, "data"), port: 0, log: (l) => logs.push(l) });
    expect((await stack.firstBuild).state).toBe("succeeded");
    await until("the first build", (t) => t.includes("Third"));
    // The whole folder goes (moved away, replaced, or chmod 000: chokidar drops its root alike).
    await rename(content, `${content}.away`);
    const end = Date.now() + 30_000;
    while (stack.builds.last?.state !== "failed" && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(stack.builds.last?.state).toBe("failed");
    expect(((await (await fetch(`${stack.url}/health`)).json()) as { status: string }).status).toBe("degraded");
    expect(logs.join("\n")).toMatch(/content folder .* cannot be read/);
    // Back, then edited: rebuilt and published, and /health recovers.
    await rename(`${content}.away`, content);
    await until("the folder back", () => stack!.builds.last?.state === "succeeded");
    await writeFile(join(content, "articles", "third.md"), articleText({ title: "Third, after the folder came back", date: "2020-06-03T10:00:00Z" }));
    await until("the edit after the folder came back", (t) => t.includes("Third, after the folder came back"));
    await stack.builds.idle();
    expect(((await (await fetch(`${stack.url}/health`)).json()) as { status: string }).status).toBe("ok");
    expect(logs.join("\n")).toMatch(/watching .* again/);
  });

  it("leaves an editor's backup beside an article out of the content bucket, and says so", async () => {
    const dir = await tempDir("syn-stack-backup-");
    const content = await writeTree(join(dir, "content"), tree(ARTICLES));
    stack = await startLocalStack({ contentDir: content, dataDir: join(dir, "data"), port: 0, log: () => undefined });
    await stack.firstBuild;
    await writeFile(join(content, "articles", "first.md~"), articleText({ title: "Backup", date: "2020-06-01T10:00:00Z" }));
    await writeFile(join(content, "articles", "first.md"), articleText({ title: "First, edited", date: "2020-06-01T10:00:00Z", tags: ["Libya"] }));
    await until("the edit", (t) => t.includes("First, edited"));
    await stack.builds.idle();
    const last = stack.builds.last!;
    expect(last.result?.warnings.map((w) => [w.file, w.message])).toContainEqual(["articles/first.md~", "not pushed: not site.yaml or articles/<slug>.md (an editor's backup?)"]);
    const listed = await fetch(`${stack.s3.endpoint}/${CONTENT_BUCKET}?list-type=2`).then((r) => r.text());
    expect(listed).toContain("<Key>articles/first.md</Key>");
    expect(listed).not.toContain("first.md~");
  });
});

describe("local stack stopping", () => {
  it("stops a build that has not begun publishing at its next phase, writing nothing, and says so", async () => {
    const dir = await tempDir("syn-stack-stop-");
    const content = await writeTree(join(dir, "content"), tree(ARTICLES));
    const finished: { id: string; error?: string; message?: string }[] = [];
    stack = await startLocalStack({
      contentDir: content, dataDir: join(dir, "data"), port: 0, watch: false, log: () => undefined,
      onBuild: (run) => finished.push({ id: run.id, error: (run.error as Error | undefined)?.name, message: (run.error as Error | undefined)?.message }),
    });
    expect((await stack.firstBuild).state).toBe("succeeded");
    const before = await (await fetch(`${stack.url}/feed.xml`)).text();
    await writeFile(join(content, "articles", "third.md"), articleText({ title: "Not to be published", date: "2020-06-03T10:00:00Z" }));
    const { id } = stack.builds.request({ trigger: "watch", received_at: new Date().toISOString() });
    const started = Date.now();
    const stopped = stack;
    stack = undefined;
    await stopped.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(finished.find((f) => f.id === id)).toMatchObject({ error: "BuildStoppedError", message: expect.stringMatching(/^stopped before/) });
    // The feed s3rver holds is the one published before (its object file: s3rver's own layout).
    expect(await readFile(join(dir, "data", "s3", "syndicate-feeds", "feed.xml._S3rver_object"), "utf8")).toBe(before);
    // Started again on the same data: no lease was left to take over.
    const logs: string[] = [];
    stack = await startLocalStack({ contentDir: content, dataDir: join(dir, "data"), port: 0, watch: false, log: (l) => logs.push(l) });
    await stack.firstBuild;
    expect(logs.join("\n")).not.toMatch(/taking over/);
  });
});

describe("local stack health", () => {
  it("stays degraded while the content folder cannot be pushed, though a webhook build of the bucket's copy succeeds", async () => {
    const dir = await tempDir("syn-stack-health-");
    const content = await writeTree(join(dir, "content"), tree(ARTICLES));
    stack = await startLocalStack({ contentDir: content, dataDir: join(dir, "data"), port: 0, watch: false, log: () => undefined });
    expect((await stack.firstBuild).state).toBe("succeeded");
    const health = async () => ((await (await fetch(`${stack!.url}/health`)).json()) as { status: string }).status;
    const run = async (trigger: string) => {
      const { id } = stack!.builds.request({ trigger, received_at: new Date().toISOString() });
      await stack!.builds.idle();
      return stack!.builds.last?.id === id ? stack!.builds.last.state : undefined;
    };
    // Over the 1 MiB an article may weigh: the folder is not pushed at all.
    const big = join(content, "articles", "big.md");
    await writeFile(big, articleText({ title: "Big" }) + "x".repeat(1_100_000));
    expect(await run("watch")).toBe("failed");
    expect(await run("webhook")).toBe("succeeded");
    expect(await health()).toBe("degraded");
    await rm(big);
    expect(await run("watch")).toBe("succeeded");
    expect(await health()).toBe("ok");
  });
});
