/**
 * The S3 endpoint down or failing (issue 3, "Bad input and faults"): retries with backoff, then
 * a PublishError / exit 1, and what was published before is untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { createS3Client, S3Store } from "../../functions/adapters/s3-store.ts";
import { PublishError } from "../../functions/core/errors.ts";
import { parseManifest } from "../../functions/core/manifest.ts";
import { corpusVersion } from "../support/published-set.ts";
import { freePort, isRunning, runCli, sha256, snapshot, startTestS3, type TestS3 } from "../support/s3.ts";
import type { ObjectMeta } from "../../functions/adapters/store.ts";
import { timeoutsAsked } from "../support/clock.ts";

/** An S3 store whose writes wait for `gate` once it is set. */
class GatedStore extends S3Store {
  gate?: Promise<void>;
  override async put(key: string, body: Buffer, meta: ObjectMeta): Promise<void> {
    if (this.gate) await this.gate;
    return super.put(key, body, meta);
  }
}

const NOW = Date.UTC(2030, 0, 1);
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "syn-faults-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** An endpoint that answers every request 503 SlowDown and counts them. */
async function failingEndpoint(): Promise<{ endpoint: string; requests: () => number; times: number[]; close: () => Promise<void> }> {
  let count = 0;
  const times: number[] = [];
  const server: Server = createServer((req, res) => {
    count++;
    times.push(performance.now());
    req.resume();
    res.writeHead(503, { "content-type": "application/xml" });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, requests: () => count, times, close: () => new Promise((r) => server.close(() => r())) };
}

const corpus = (name: string, title = "Generated corpus") => corpusVersion(join(work, name), { articles: 40, itemsPerFeed: 20, tags: 2, title });

/** A server on its own data directory with one published build; restartable on the same data. */
async function publishedBucket(label: string): Promise<{ s3: TestS3; store: S3Store; restart: () => Promise<TestS3> }> {
  const data = await mkdtemp(join(work, `${label}-data-`));
  const s3 = await startTestS3({ dir: data });
  const store = await s3.bucket(label);
  await build({ source: new DirectoryContent(await corpus(`${label}-1`)), store, now: NOW });
  return { s3, store, restart: () => startTestS3({ dir: data }) };
}

describe("S3 endpoint failing or down", () => {
  it("retries a 503 up to maxAttempts with backoff, then fails the build with a PublishError", async () => {
    const stub = await failingEndpoint();
    try {
      const store = new S3Store({ client: createS3Client({ endpoint: stub.endpoint, maxAttempts: 3 }), bucket: "syn-slow" });
      const source = new DirectoryContent(await corpus("slow"));
      const { result: failure, asked: timers } = await timeoutsAsked(() => build({ source, store, now: NOW }).catch((e: unknown) => e));
      expect(failure).toBeInstanceOf(PublishError);
      expect((failure as Error).message).toMatch(/after 3 attempts/);
      // Publishing starts with the build lease's look at the claims (a LIST): 3 attempts, then
      // the build stops before writing anything.
      expect((failure as Error).message).toMatch(/build lease.*LIST/);
      // Exactly the 3 attempts of that one request, then nothing more.
      expect(stub.requests()).toBe(3);
      expect(store.stats).toMatchObject({ list: 0, put: 0, delete: 0 });
      // Backoff between the attempts: the SDK's standard retry asks for a jittered pause, the
      // first under 1 s (0 ms only by a chance of ~1e-3); the other timers are the HTTP
      // handler's socket timeouts (1 s and more). Without backoff no pause is asked.
      const pauses = timers.filter((ms) => ms > 0 && ms < 1000);
      expect(pauses.length).toBeGreaterThan(0);
      const gaps = stub.times.slice(1).map((t, i) => t - stub.times[i]!);
      expect(gaps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(pauses.reduce((a, b) => a + b, 0) - 5);
    } finally {
      await stub.close();
    }
  });

  it("build --bucket against a closed port exits 1 after retrying, naming the endpoint", async () => {
    const port = await freePort();
    const content = await corpus("closed");
    const r = await runCli(["build", "--content", content, "--bucket", "syn-closed", "--endpoint", `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`Build failed: .*after 5 attempts.*ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
  });

  it("with the server down, a build fails and every published object is untouched", async () => {
    const published = await publishedBucket("down");
    let s3 = published.s3;
    try {
      const store = published.store;
      const before = await snapshot(store);
      await s3.stop();
      expect(isRunning(s3.pid)).toBe(false);
      const offline = new S3Store({ client: createS3Client({ endpoint: s3.endpoint, maxAttempts: 2 }), bucket: store.bucket });
      await expect(build({ source: new DirectoryContent(await corpus("down-2", "Changed title")), store: offline, now: NOW })).rejects.toThrow(PublishError);
      s3 = await published.restart();
      expect(await snapshot(new S3Store({ client: s3.client, bucket: store.bucket }))).toEqual(before);
    } finally {
      await s3.stop();
    }
  });

  it("with the server stopped mid-publish, the old manifest stays, every object is whole, and the next build converges", async () => {
    const published = await publishedBucket("midway");
    let s3 = published.s3;
    try {
      const store = published.store;
      const oldManifest = (await store.get("manifest.json"))!.body;
      // A new site title changes every document; the same build into a directory gives the new bytes.
      const changed = await corpus("midway-2", "Changed title");
      const reference = new DirectoryStore(join(work, "mid-reference"));
      await build({ source: new DirectoryContent(changed), store: reference, now: NOW });
      const newManifest = parseManifest((await reference.get("manifest.json"))!.body)!;
      const oldOutputs = parseManifest(oldManifest)!.outputs;
      const client = createS3Client({ endpoint: s3.endpoint, maxAttempts: 2 });
      // Writes after the third wait until the server is down: the stop is not raced by a build
      // that publishes faster than the server stops.
      const failing = new GatedStore({ client, bucket: store.bucket });
      const failure = await build({
        source: new DirectoryContent(changed), store: failing, now: NOW, concurrency: 2,
        onProgress: (done) => {
          if (done === 3) failing.gate = s3.stop();
        },
      }).catch((e: unknown) => e);
      const stopping = failing.gate;
      client.destroy();
      await stopping;
      expect(failure).toBeInstanceOf(PublishError);
      expect(failing.stats.put).toBeGreaterThanOrEqual(3);
      s3 = await published.restart();
      const after = new S3Store({ client: s3.client, bucket: store.bucket });
      expect((await after.get("manifest.json"))!.body.equals(oldManifest)).toBe(true);
      const objects = await snapshot(after);
      let fromNewBuild = 0;
      for (const [key, hash] of Object.entries(objects)) {
        // The manifest and the build cache (.syndicate/) are not documents of either build.
        if (key === "manifest.json" || key.startsWith(".syndicate/")) continue;
        expect([oldOutputs[key]?.sha256, newManifest.outputs[key]?.sha256], key).toContain(hash);
        if (hash !== oldOutputs[key]?.sha256) fromNewBuild++;
      }
      expect(fromNewBuild).toBeGreaterThanOrEqual(3);
      const report = await build({ source: new DirectoryContent(changed), store: after, now: NOW });
      expect(report.build_id).toBe(newManifest.build_id);
      expect(sha256((await after.get("manifest.json"))!.body)).toBe(sha256((await reference.get("manifest.json"))!.body));
    } finally {
      await s3.stop();
    }
  });
});
