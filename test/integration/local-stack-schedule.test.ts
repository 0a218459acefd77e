/**
 * The local stack publishes a scheduled article when it falls due, by itself: its build report
 * names the next publication time, and the stack builds again then (the cloud's schedule runs
 * every 5 minutes instead, stacks/pipeline.ts). Real s3rver, real builds, the real clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { startLocalStack, type LocalStack } from "../../functions/local/stack.ts";
import { tempDir, tree, writeTree } from "../support/content-tree.ts";

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("local stack schedule", () => {
  it("builds again when the next scheduled article falls due, and publishes it", async () => {
    const dir = await tempDir("syn-stack-schedule-");
    // Two seconds from now, to the second (dates carry no fractions here).
    const due = new Date(Math.ceil((Date.now() + 2_000) / 1000) * 1000);
    const content = await writeTree(
      join(dir, "content"),
      tree({ now: { title: "Published now", date: "2020-06-01T10:00:00Z" }, later: { title: "Published later", date: due.toISOString().replace(".000Z", "Z") } }),
    );
    stack = await startLocalStack({ contentDir: content, dataDir: join(dir, "data"), port: 0, watch: false, log: () => undefined });
    const first = await stack.firstBuild;
    expect(first.result).toMatchObject({ items: 1, scheduled: 1, next_publication: due.toISOString().replace(".000Z", "Z") });

    const s = stack;
    const scheduled = await until("the scheduled build", () => {
      const run = s.builds.latest;
      return run && run.requests.some((r) => r.trigger === "schedule") && run.state !== "running" && run.state !== "waiting" ? run : undefined;
    });
    expect(scheduled.state).toBe("succeeded");
    expect(scheduled.started_at).toBeGreaterThanOrEqual(due.getTime());
    expect(scheduled.result).toMatchObject({ items: 2, scheduled: 0, next_publication: null });
    const latest = (await (await fetch(`${stack.url}/latest`)).json()) as { item: { title: string } };
    expect(latest.item.title).toBe("Published later");
  });
});
