/**
 * `GET /latest` under load while builds publish (issue 5, deliverable 4): autocannon, in a
 * second process, keeps 16 connections busy against the API (the Hono app on @hono/node-server
 * over s3rver, revalidating every 100 ms) while two builds publish new content into the bucket
 * it reads. Every answer must be 200, or 304 with no body for the conditional request; every
 * 200 body must be a latest.json that matches latestDocumentSchema; no socket errors, no
 * timeouts. Nothing is timed: the load runs until both builds are done and the API has served
 * the second build's document, then stops. Latency figures belong to `npm run bench`
 * (test/bench/http.ts), not here.
 *
 * The content is ASCII: autocannon decodes each TCP chunk of a body to a string on its own, so
 * a multi-byte character split across two chunks would look like a broken body that never was.
 */
import { describe, expect, it, onTestFailed } from "vitest";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { build } from "../../functions/pipeline/build.ts";
import { latestDocumentSchema } from "../../functions/core/latest.ts";
import { LatestReader } from "../../functions/handlers/latest.ts";
import { articleText, type Fields } from "../support/content-tree.ts";
import { NOW } from "../support/api.ts";
import { useServedBucket } from "../support/s3.ts";
import { settlesAt, watch, withFakeTimers } from "../support/clock.ts";

const AUTOCANNON = createRequire(import.meta.url).resolve("autocannon");

/** The load process: autocannon until a line on stdin, then one JSON line with what it saw. */
const LOAD_SCRIPT = `
import autocannon from ${JSON.stringify(AUTOCANNON)};
const [url, etag] = process.argv.slice(2);
const statuses = {};
const bodies = new Map();
let nonEmpty304 = 0;
const onResponse = (status, body) => {
  statuses[status] = (statuses[status] ?? 0) + 1;
  if (status === 304) { if (body) nonEmpty304++; return; }
  bodies.set(body, (bodies.get(body) ?? 0) + 1);
};
const instance = autocannon({
  url, connections: 16, duration: 300, timeout: 10,
  requests: [
    { method: "GET", path: "/latest", onResponse },
    { method: "GET", path: "/latest?limit=5", onResponse },
    { method: "GET", path: "/latest", headers: { "if-none-match": etag }, onResponse },
  ],
}, (err, r) => {
  if (err) { process.stderr.write(String(err)); process.exit(1); }
  const distinct = [...bodies.keys()];
  process.stdout.write(JSON.stringify({
    total: r.requests.total, errors: r.errors, timeouts: r.timeouts, statuses, nonEmpty304,
    distinct: distinct.length, bodies: distinct.slice(0, 50),
  }) + "\\n");
  process.exit(0);
});
process.stdout.write("started\\n");
process.stdin.once("data", () => instance.stop());
`;

interface LoadResult {
  total: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  nonEmpty304: number;
  distinct: number;
  bodies: string[];
}

const articles: Record<string, Fields> = {};
for (let i = 0; i < 60; i++) {
  articles[`load-${i}`] = {
    title: `Load article ${i}`,
    date: new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString().replace(".000Z", "Z"),
    summary: `Summary of load article ${i}, with "quotes" & an ampersand.`,
    tags: i % 2 ? ["Libya", "Energy policy"] : ["Libya"],
  };
}

const ctx = useServedBucket({ bucket: "load", articles, workPrefix: "syn-load-", app: { revalidateMs: 100 } });

describe("GET /latest under load while builds publish", () => {
  it("answers every request with a valid latest.json (or 304), without errors or timeouts", { timeout: 120_000 }, async () => {
    let step = "first GET /latest";
    let stderr = "";
    onTestFailed(() => console.error(`latest-under-load: failed at "${step}"; load process stderr: ${stderr.slice(-2000)}`));
    const first = await fetch(`${ctx.base}/latest`);
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    const full = latestDocumentSchema.parse(await first.json()).items.length;

    const script = join(ctx.work, "load.mjs");
    await writeFile(script, LOAD_SCRIPT);
    const child = spawn(process.execPath, [script, ctx.base, etag], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      step = "starting autocannon";
      await until(() => stdout.includes("started\n"), exited, () => stderr);
      // Load for a while on the first build's document, then two builds, one after the other.
      await new Promise((r) => setTimeout(r, 1000));
      const content = ctx.content;
      for (const n of [1, 2]) {
        step = `build ${n}`;
        await writeFile(join(content, "articles", `added-${n}.md`), articleText({ title: `Added during load ${n}`, date: `2021-0${n}-01T00:00:00Z`, tags: ["Libya"] }));
        await build({ source: new DirectoryContent(content), store: ctx.store, now: NOW });
      }
      // Until the API serves the second build's document (it revalidates every 100 ms), and a
      // little longer, so the load also sees the new version.
      step = "waiting for the API to serve the second build";
      await until(async () => ((await (await fetch(`${ctx.base}/latest?limit=1`)).json()) as { item: { title: string } }).item.title === "Added during load 2", exited, () => stderr);
      await new Promise((r) => setTimeout(r, 1000));
      step = "stopping autocannon";
      child.stdin.write("stop\n");
      expect(await exited, stderr).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
    }

    const result = JSON.parse(stdout.split("\n").find((l) => l.startsWith("{"))!) as LoadResult;
    expect(result.total).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    for (const status of Object.keys(result.statuses)) expect(["200", "304"], `HTTP ${status}`).toContain(status);
    expect(result.statuses["200"]).toBeGreaterThan(0);
    expect(result.nonEmpty304).toBe(0);
    // Each distinct body is one (version, limit) answer: at most 3 versions × 2 limits.
    expect(result.distinct).toBeLessThanOrEqual(6);
    const titles = new Set<string>();
    for (const body of result.bodies) {
      const doc = latestDocumentSchema.parse(JSON.parse(body));
      expect([5, full]).toContain(doc.items.length);
      titles.add(doc.item!.title);
    }
    // The load saw the second build's document, not only the first one's.
    expect(titles).toContain("Added during load 2");
  });
});

/** Polls `check` every 50 ms; fails if the load process exits first. */
async function until(check: () => boolean | Promise<boolean>, exited: Promise<number | null>, stderr: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (await check()) return;
    if (gone) throw new Error(`the load process exited early: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a store read that never settles", () => {
  it("does not hold /latest: the held copy is served, and with none the answer is 503", async () => {
    const body = Buffer.from(JSON.stringify({ version: 1, title: "T", home_page_url: "https://x.example/", feed_url: "https://x.example/f.json", updated: "2020-01-01T00:00:00Z", item: null, items: [] }));
    let stall = false;
    const never = new Promise<never>(() => undefined);
    const store = {
      get: async (key: string) => (stall ? never : key === "latest.json" ? { body, etag: '"v1"' } : undefined),
      getIfNoneMatch: async () => (stall ? never : ("not-modified" as const)),
    };
    let now = 0;
    const reader = new LatestReader(store, () => now, 100, 50);
    const first = await reader.read("latest.json");
    expect(first.doc?.title).toBe("T");
    stall = true;
    now += 1_000; // stale: the next read revalidates, and the store never answers
    expect((await reader.read("latest.json")).doc?.title).toBe("T");
    await expect(reader.read("tags/none/latest.json")).rejects.toMatchObject({ status: 503 });
  });

  it("with a copy held, answers it after HELD_WAIT_MS while a slow read goes on, and holds what the read brings", async () => {
    const doc = (title: string) => Buffer.from(JSON.stringify({ version: 1, title, home_page_url: "https://x.example/", feed_url: "https://x.example/f.json", updated: null, item: null, items: [] }));
    let answer!: (o: { body: Buffer; etag: string }) => void;
    let slow = false;
    const store = {
      get: (key: string) => (slow ? new Promise<{ body: Buffer; etag: string }>((r) => (answer = r)) : Promise.resolve(key === "latest.json" ? { body: doc("v1"), etag: '"v1"' } : undefined)),
    };
    let now = 0;
    // A read may take 10 s before it counts as failed; a request with a copy held waits 50 ms.
    const reader = new LatestReader(store, () => now, 100, 10_000, 50);
    expect((await reader.read("latest.json")).doc?.title).toBe("v1");
    slow = true;
    now += 1_000;
    await withFakeTimers(async () => {
      // The held copy is answered at 50 ms of fake time, not before, not later.
      const held = watch(reader.read("latest.json"));
      await settlesAt(held, 50);
      expect((await held.promise).doc?.title).toBe("v1");
    });
    // The read comes back: its document is held, and answered while fresh, with no new read.
    answer({ body: doc("v2"), etag: '"v2"' });
    await new Promise((r) => setTimeout(r, 10));
    slow = false;
    expect((await reader.read("latest.json")).doc?.title).toBe("v2");
    // The manifest's listing (for ?tag=) likewise: a stalled revalidation costs 50 ms, the listing held answers.
    const manifest = Buffer.from(JSON.stringify({ outputs: { "tags/a/latest.json": {} } }));
    const listingStore = { get: (key: string) => (slow ? new Promise<never>(() => undefined) : Promise.resolve(key === "manifest.json" ? { body: manifest, etag: '"m1"' } : undefined)) };
    const tags = new LatestReader(listingStore, () => now, 100, 10_000, 50);
    expect([await tags.listed("tags/a/latest.json"), await tags.listed("tags/b/latest.json")]).toEqual([true, false]);
    slow = true;
    now += 1_000;
    await withFakeTimers(async () => {
      const listed = watch(Promise.all([tags.listed("tags/a/latest.json"), tags.listed("tags/b/latest.json")]));
      await settlesAt(listed, 50);
      expect(await listed.promise).toEqual([true, false]);
    });
  });
});
