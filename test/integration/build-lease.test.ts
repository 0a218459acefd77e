/**
 * Two builds at once never interleave their writes (issue 5, deliverable 4; lease.ts). Two
 * `syndicate build` processes of different content start together on one bucket, through the
 * fault proxy, which records every write with the client that sent it (AWS_SDK_UA_APP_ID) and
 * holds each one's first write until the other has been heard from, so both are really at it at
 * once. Also: the directory lock, stale leases taken over, a held one waited for.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { stat, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { build } from "../../functions/pipeline/build.ts";
import type { ObjectStore } from "../../functions/adapters/store.ts";
import { pausesAsked } from "../support/clock.ts";
import { acquireLease, LeaseError, LEASE_PREFIX, LOCK_FILE, type LeaseRecord } from "../../functions/pipeline/lease.ts";
import type { ProxyEvent } from "../support/fault-proxy.ts";
import { useTestS3 } from "../support/s3.ts";
import { spawnCli } from "../support/cli-child.ts";
import { NOW, publishedSet, twoVersions, type CleanBuild } from "../support/published-set.ts";
import { hostname } from "node:os";
import { readFileSync } from "node:fs";

const ctx = useTestS3({ workPrefix: "syn-lease-", faultProxy: {} });
let A: CleanBuild;
let B: CleanBuild;

beforeAll(async () => {
  [A, B] = await twoVersions(ctx.work);
});

const isWrite = (e: ProxyEvent) => (e.op === "PUT" || e.op === "DELETE") && !e.key.startsWith(".syndicate/");

/** The writes in the order they reached the proxy, as runs of one client: `["A", "B"]` is no interleaving. */
function runs(events: ProxyEvent[]): string[] {
  const out: string[] = [];
  for (const e of events.filter(isWrite)) if (out[out.length - 1] !== e.app) out.push(e.app ?? "?");
  return out;
}

/**
 * Holds a client's first publishing write until the other client has sent anything, so the
 * two builds are publishing-ready at the same moment (bounded: 5 s).
 */
function meetBeforeWriting(apps: string[]) {
  const seen = new Set<string>();
  const waiters: (() => void)[] = [];
  ctx.proxy.hold = (e) => {
    if (e.app) seen.add(e.app);
    if (apps.every((a) => seen.has(a))) waiters.splice(0).forEach((w) => w());
    if (!isWrite(e) || apps.every((a) => seen.has(a))) return undefined;
    return new Promise<void>((resolve) => {
      waiters.push(resolve);
      setTimeout(resolve, 5_000);
    });
  };
}

describe("the build lease", () => {
  it("two CLI builds of different content at once on one bucket: their writes never interleave, the result is one clean build", async () => {
    const store = await ctx.s3.bucket("race");
    const mark = ctx.proxy.events.length;
    meetBeforeWriting(["build-a", "build-b"]);
    try {
      const run = (who: string, c: CleanBuild) =>
        spawnCli(["build", "--content", c.content, "--bucket", store.bucket, "--endpoint", ctx.proxy.endpoint, "--now", new Date(NOW).toISOString()], { AWS_SDK_UA_APP_ID: who });
      const [a, b] = [run("build-a", A), run("build-b", B)];
      const [ea, eb] = await Promise.all([a.exit, b.exit]);
      expect([ea.code, eb.code], ea.stderr + eb.stderr).toEqual([0, 0]);
      const events = ctx.proxy.events.slice(mark);
      const order = runs(events);
      // Both published (each wrote), one after the other.
      expect(order.sort()).toEqual(["build-a", "build-b"]);
      // And the first one's last write had been answered before the second one's first write arrived.
      const writes = events.filter(isWrite);
      const first = writes.filter((e) => e.app === writes[0]!.app);
      const second = writes.filter((e) => e.app !== writes[0]!.app);
      expect(Math.max(...first.map((e) => e.ended ?? Infinity))).toBeLessThan(Math.min(...second.map((e) => e.started)));
      // One of them waited for the other's lease and said so.
      expect(ea.stderr + eb.stderr).toMatch(/build lease: waiting for syndicate build \(pid \d+/);
      const last = second[0]!.app === "build-a" ? A : B;
      expect(await publishedSet(store)).toEqual(last.set);
      expect(await store.list(LEASE_PREFIX)).toEqual([]);
    } finally {
      ctx.proxy.hold = undefined;
    }
  });

  it("two in-process builds at once on one bucket (as serve's webhook build beside a CLI build): one after the other", async () => {
    const store = await ctx.s3.bucket("race2");
    // Each build through its own view of the bucket, timing its document writes.
    const writes: { who: string; started: number; ended: number }[] = [];
    const timed = (who: string): ObjectStore => ({
      description: store.description,
      get: (key) => store.get(key),
      list: (prefix) => store.list(prefix),
      delete: (keys) => store.delete(keys),
      put: async (key, body, meta) => {
        const started = performance.now();
        await store.put(key, body, meta);
        if (!key.startsWith(".syndicate/")) writes.push({ who, started, ended: performance.now() });
      },
    });
    const [ra, rb] = await Promise.all([
      build({ source: new DirectoryContent(A.content), store: timed("A"), now: NOW }),
      build({ source: new DirectoryContent(B.content), store: timed("B"), now: NOW }),
    ]);
    expect([ra.build_id, rb.build_id].sort()).toEqual([A.build_id, B.build_id].sort());
    // Both wrote, and one's last write was answered before the other's first began.
    const first = writes[0]!.who;
    const mine = writes.filter((w) => w.who === first), theirs = writes.filter((w) => w.who !== first);
    expect(mine.length > 0 && theirs.length > 0).toBe(true);
    expect(Math.max(...mine.map((w) => w.ended))).toBeLessThanOrEqual(Math.min(...theirs.map((w) => w.started)));
    expect(await publishedSet(store)).toEqual(first === "A" ? B.set : A.set);
  });

  it("a lease left by a killed build on this machine is taken over at once; a live one is waited for, then the build fails clearly", async () => {
    const store = await ctx.s3.bucket("stale");
    const dead: LeaseRecord = { version: 1, token: "deadbeef", owner: "syndicate build", host: hostname(), boot_id: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), pid: 2 ** 22 + 17, acquired_at: new Date().toISOString(), expires_at: new Date(Date.now() + 600_000).toISOString() };
    await store.put(`${LEASE_PREFIX}deadbeef.json`, Buffer.from(JSON.stringify(dead)), { contentType: "application/json", cacheControl: "no-store" });
    const logs: string[] = [];
    await build({ source: new DirectoryContent(A.content), store, now: NOW, lease: { log: (l) => logs.push(l) } });
    expect(logs.join("\n")).toMatch(/taking over from syndicate build \(pid 4194321 .*: its process 4194321 on this machine is gone/);
    expect(await publishedSet(store)).toEqual(A.set);
    // Held by another machine's build that keeps it live: wait (bounded), then a LeaseError naming it.
    const held = await acquireLease(store, { owner: "another build" });
    try {
      // Waited for 600 ms: the pauses (100 ms jittered, at most 150 each; a claim's 100 ms settle)
      // add up to at most the wait and its last pause, however slow the machine.
      const { result: failure, total } = await pausesAsked(() => build({ source: new DirectoryContent(B.content), store, now: NOW, lease: { waitMs: 600, pollMs: 100, log: () => undefined } }).catch((e: unknown) => e), 150);
      expect(failure).toBeInstanceOf(LeaseError);
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThanOrEqual(600 + 150);
      expect((failure as Error).message).toMatch(/is being published by another build \(pid \d+ .*gave up after waiting 600 ms/);
      expect(await publishedSet(store)).toEqual(A.set);
    } finally {
      await held.release();
    }
    // An expired lease of another machine is taken over.
    const expired = { ...dead, token: "0ld", host: "elsewhere", pid: 1, expires_at: new Date(Date.now() - 60_000).toISOString() };
    await store.put(`${LEASE_PREFIX}0ld.json`, Buffer.from(JSON.stringify(expired)), { contentType: "application/json", cacheControl: "no-store" });
    await build({ source: new DirectoryContent(B.content), store, now: NOW, lease: { log: () => undefined } });
    expect(await publishedSet(store)).toEqual(B.set);
    expect(await store.list(LEASE_PREFIX)).toEqual([]);
  });

  it("an unreadable claim is waited for, named by its key, then deleted as stale, saying so", async () => {
    const store = await ctx.s3.bucket("unreadable");
    await store.put(`${LEASE_PREFIX}cut.json`, Buffer.from('{"version": 1, "tok'), { contentType: "application/json", cacheControl: "no-store" });
    const logs: string[] = [];
    await build({ source: new DirectoryContent(A.content), store, now: NOW, lease: { ttlMs: 1000, skewMs: 0, pollMs: 100, log: (l) => logs.push(l) } });
    expect(logs[0]).toBe(`build lease: waiting for an unreadable claim, ${store.description}${LEASE_PREFIX}cut.json (taken as stale once unreadable for 1 s)`);
    expect(logs).toContain(`build lease: deleting the claim ${LEASE_PREFIX}cut.json, unreadable for 1 s`);
    expect(await publishedSet(store)).toEqual(A.set);
    expect(await store.list(LEASE_PREFIX)).toEqual([]);
  });

  it("a directory: two CLI builds at once end as one clean build; a dead build's lock is taken over; no lock is left", async () => {
    const out = join(ctx.work, "dir-race");
    const args = (c: CleanBuild) => ["build", "--content", c.content, "--out", out, "--now", new Date(NOW).toISOString()];
    const [ea, eb] = await Promise.all([spawnCli(args(A)).exit, spawnCli(args(B)).exit]);
    expect([ea.code, eb.code], ea.stderr + eb.stderr).toEqual([0, 0]);
    const dir = new DirectoryStore(out);
    expect([A.set, B.set]).toContainEqual(await publishedSet(dir));
    await expect(stat(join(out, ...LOCK_FILE.split("/")))).rejects.toThrow(/ENOENT/);
    // A lock left by a process that no longer exists.
    await mkdir(join(out, ".syndicate"), { recursive: true });
    await writeFile(join(out, ...LOCK_FILE.split("/")), JSON.stringify({ version: 1, token: "x", owner: "syndicate build", host: hostname(), boot_id: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), pid: 2 ** 22 + 19, acquired_at: "", expires_at: new Date(Date.now() + 600_000).toISOString() }));
    await build({ source: new DirectoryContent(A.content), store: dir, now: NOW, lease: { log: () => undefined } });
    expect(await publishedSet(dir)).toEqual(A.set);
    await expect(stat(join(out, ...LOCK_FILE.split("/")))).rejects.toThrow(/ENOENT/);
  });
});
