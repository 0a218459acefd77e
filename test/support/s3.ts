/**
 * The real s3rver for integration tests: a child process on 127.0.0.1, a free port, a temporary
 * data directory, stopped by pid; per test file, alone, behind the fault proxy (fault-proxy.ts)
 * or with the API app served over a published bucket. Also runs CLI commands in-process with
 * their output captured.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, vi } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import { startS3Server } from "../../functions/local/s3.ts";
import { createS3Client, ensureBucket, S3Store } from "../../functions/adapters/s3-store.ts";
import { main } from "../../functions/cli.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { createApp, type AppDeps } from "../../functions/handlers/app.ts";
import { build } from "../../functions/pipeline/build.ts";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.ts";
import { NOW, serveLocal, type LocalServer } from "./api.ts";
import { tree, writeTree, type Fields } from "./content-tree.ts";

export interface TestS3 {
  endpoint: string;
  pid: number;
  dir: string;
  client: S3Client;
  /** A fresh, empty bucket with a unique name, as an S3Store with its own request counts. */
  bucket(label: string): Promise<S3Store>;
  /** Stops the server (by pid); removes the data directory unless the caller supplied it. */
  stop(): Promise<void>;
}

let buckets = 0;

export async function startTestS3(opts: { dir?: string; maxAttempts?: number } = {}): Promise<TestS3> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), "syn-s3-")));
  const server = await startS3Server({ dir, silent: true });
  const client = createS3Client({ endpoint: server.endpoint, maxAttempts: opts.maxAttempts ?? 3 });
  return {
    endpoint: server.endpoint,
    pid: server.pid,
    dir,
    client,
    bucket: async (label) => {
      const name = `syn-${label}-${process.pid}-${++buckets}`;
      await ensureBucket(client, name);
      return new S3Store({ client, bucket: name });
    },
    stop: async () => {
      client.destroy();
      await server.stop();
      if (!opts.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestS3Context {
  s3: TestS3;
  /** A scratch directory, removed after the file's tests. */
  work: string;
}

/**
 * One server for a test file, started before its tests and stopped (by pid) after them, with a
 * scratch directory (named `workPrefix…`); the fields are set once beforeAll has run. With
 * `faultProxy`, also a fault proxy (fault-proxy.ts) in front of the server, seeded with its
 * `seed`: a client pointed at `proxy.endpoint` reaches the server through it. The proxy is closed
 * (every connection destroyed, its hooks cleared) before the server stops.
 */
export function useTestS3(opts?: { workPrefix?: string }): TestS3Context;
export function useTestS3(opts: { workPrefix?: string; faultProxy: { seed?: number } }): TestS3Context & { proxy: FaultProxy };
export function useTestS3(opts: { workPrefix?: string; faultProxy?: { seed?: number } } = {}): TestS3Context & { proxy?: FaultProxy } {
  const ctx = {} as TestS3Context & { proxy?: FaultProxy };
  beforeAll(async () => {
    ctx.s3 = await startTestS3();
    if (opts.faultProxy) ctx.proxy = await startFaultProxy({ upstream: ctx.s3.endpoint, seed: opts.faultProxy.seed });
    ctx.work = await mkdtemp(join(tmpdir(), opts.workPrefix ?? "syn-s3-work-"));
  });
  afterAll(async () => {
    if (ctx.proxy) {
      ctx.proxy.onRequest = undefined;
      ctx.proxy.hold = undefined;
      await ctx.proxy.close();
    }
    await ctx.s3?.stop();
    if (ctx.work) await rm(ctx.work, { recursive: true, force: true });
  });
  return ctx;
}

/**
 * The API over HTTP for a test file: useTestS3()'s server, a bucket (`bucket` label) holding a
 * build (at NOW) of `articles` written to `<work>/content`, and createApp over that bucket's
 * S3Store (`app` sets the other dependencies; quiet by default) on 127.0.0.1 at `base`. After
 * the file's tests the HTTP server is closed (open connections too), then the S3 server stopped
 * and the scratch directory removed.
 */
export function useServedBucket(opts: { bucket: string; articles: Record<string, Fields>; app?: Omit<AppDeps, "store">; workPrefix?: string }): TestS3Context & { store: S3Store; content: string; base: string } {
  const ctx = {} as TestS3Context & { store: S3Store; content: string; base: string };
  let server: LocalServer | undefined;
  beforeAll(async () => {
    ctx.s3 = await startTestS3();
    ctx.store = await ctx.s3.bucket(opts.bucket);
    ctx.work = await mkdtemp(join(tmpdir(), opts.workPrefix ?? "syn-s3-work-"));
    ctx.content = join(ctx.work, "content");
    await writeTree(ctx.content, tree(opts.articles));
    await build({ source: new DirectoryContent(ctx.content), store: ctx.store, now: NOW });
    server = await serveLocal({ fetch: createApp({ log: () => undefined, ...opts.app, store: ctx.store }).fetch });
    ctx.base = server.base;
  });
  afterAll(async () => {
    await server?.close();
    await ctx.s3?.stop();
    if (ctx.work) await rm(ctx.work, { recursive: true, force: true });
  });
  return ctx;
}

export { freePort } from "./net.ts";

/** True while a process with this pid exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Every object of a store, key → sha256 of its bytes. */
export async function snapshot(store: S3Store): Promise<Record<string, string>> {
  const keys = (await store.list()).sort();
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = sha256((await store.get(k))!.body);
  return out;
}

/** Runs `syndicate …` in this process; returns the exit code and what it printed. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
