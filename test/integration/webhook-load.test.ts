/**
 * 200 signed webhook deliveries over a few seconds against the real local stack (issue 5,
 * deliverable 4): s3rver in a child process, the content and feeds buckets, the Hono app on
 * @hono/node-server, the coalescer and real builds. Every delivery is answered (202, or 202
 * `duplicate` for a redelivered id), bursts coalesce into a bounded number of builds that never
 * overlap, and the content pushed halfway through the burst is what ends up published, exactly
 * as a clean build of it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createS3Client, S3Store } from "../../functions/adapters/s3-store.ts";
import { pushContent } from "../../functions/commands/push.ts";
import { CONTENT_BUCKET, FEEDS_BUCKET, startLocalStack, type LocalStack } from "../../functions/local/stack.ts";
import type { BuildReport } from "../../functions/pipeline/build.ts";
import type { BuildRun } from "../../functions/pipeline/coalesce.ts";
import { githubSignature, randomSecret } from "../support/api.ts";
import { isRunning } from "../support/s3.ts";
import { cleanBuild, corpusVersion, publishedSet, type CleanBuild } from "../support/published-set.ts";

const DELIVERIES = 200;
const REDELIVERED = 20;
const SPACING_MS = 15;

let work: string;
let stack: LocalStack;
let B: CleanBuild;
const secret = randomSecret();
const runs: BuildRun<BuildReport>[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "syn-webhooks-"));
  const content = await corpusVersion(join(work, "content"), { articles: 30, itemsPerFeed: 10, tags: 3, title: "Version A" });
  stack = await startLocalStack({ contentDir: content, dataDir: join(work, "data"), port: 0, webhookSecret: secret, watch: false, onBuild: (run) => runs.push(run), log: () => undefined });
  expect((await stack.firstBuild).state).toBe("succeeded");
  B = await cleanBuild(await corpusVersion(join(work, "b"), { articles: 30, itemsPerFeed: 10, tags: 2, title: "Version B" }), work);
});

afterAll(async () => {
  const pid = stack?.s3.pid;
  await stack?.stop();
  if (pid) expect(isRunning(pid)).toBe(false);
  await rm(work, { recursive: true, force: true });
});

describe("a burst of webhook deliveries", () => {
  it(`${DELIVERIES} deliveries in about ${(DELIVERIES * SPACING_MS) / 1000} s: all answered, few builds, the final set is a clean build's`, async () => {
    const client = createS3Client({ endpoint: stack.s3.endpoint });
    const contentBucket = new S3Store({ client, bucket: CONTENT_BUCKET });
    const feeds = new S3Store({ client, bucket: FEEDS_BUCKET });
    const body = JSON.stringify({ ref: "refs/heads/main", repository: { full_name: "example/feeds" } });
    const headers = (id: string) => ({ "content-type": "application/json", "x-github-event": "push", "x-github-delivery": id, "x-hub-signature-256": githubSignature(secret, body) });
    const before = runs.length;
    let pushed: Promise<unknown> = Promise.resolve();
    const answers: Promise<{ id: string; status: number; json: { build_id?: string; duplicate?: boolean } }>[] = [];
    for (let i = 0; i < DELIVERIES; i++) {
      // The last REDELIVERED are redeliveries of earlier ids (as GitHub's "Redeliver").
      const id = i < DELIVERIES - REDELIVERED ? `delivery-${i}` : `delivery-${(i * 7) % (DELIVERIES - REDELIVERED)}`;
      answers.push(
        fetch(`${stack.url}/webhooks/rebuild`, { method: "POST", headers: headers(id), body }).then(async (r) => ({ id, status: r.status, json: (await r.json()) as { build_id?: string; duplicate?: boolean } })),
      );
      // Halfway, the content changes (B pushed to the content bucket): later deliveries must see it.
      if (i === DELIVERIES / 2) pushed = pushContent(B.content, contentBucket);
      await new Promise((r) => setTimeout(r, SPACING_MS));
    }
    const got = await Promise.all(answers);
    await pushed;
    // One more delivery after the push has finished: its build reads B whatever the timing was.
    const last = await fetch(`${stack.url}/webhooks/rebuild`, { method: "POST", headers: headers("delivery-final"), body });
    expect(last.status).toBe(202);
    await stack.builds.idle();
    client.destroy();

    expect(got.filter((a) => a.status !== 202)).toEqual([]);
    const duplicates = got.filter((a) => a.json.duplicate);
    expect(duplicates.length).toBe(REDELIVERED);
    // A redelivery answers with the build id of its first delivery.
    const first = new Map(got.filter((a) => !a.json.duplicate).map((a) => [a.id, a.json.build_id]));
    for (const d of duplicates) expect(d.json.build_id).toBe(first.get(d.id));

    const webhookRuns = runs.slice(before);
    // Every answered build id is a build that ran and succeeded; every delivery is in exactly one.
    const ran = new Map(webhookRuns.map((r) => [r.id, r]));
    for (const id of new Set(got.map((a) => a.json.build_id!))) expect(ran.get(id)?.state, id).toBe("succeeded");
    expect(webhookRuns.every((r) => r.state === "succeeded")).toBe(true);
    expect(webhookRuns.reduce((n, r) => n + r.requests.length, 0)).toBe(DELIVERIES - REDELIVERED + 1);
    // Coalesced: builds never overlap (one runs, at most one waits) and are far fewer than deliveries.
    for (let i = 1; i < webhookRuns.length; i++) expect(webhookRuns[i]!.started_at!).toBeGreaterThanOrEqual(webhookRuns[i - 1]!.finished_at!);
    console.log(`webhook load: ${DELIVERIES} deliveries (${REDELIVERED} redelivered) + 1 → ${webhookRuns.length} builds, requests per build ${webhookRuns.map((r) => r.requests.length).join(", ")}`);
    expect(webhookRuns.length).toBeLessThanOrEqual(DELIVERIES / 4);

    expect(await publishedSet(feeds)).toEqual(B.set);
  });
});
