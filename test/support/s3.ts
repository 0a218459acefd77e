/**
 * The real s3rver for integration tests: a child process on 127.0.0.1, a free port, a temporary
 * data directory, stopped by pid. Also runs CLI commands in-process with their output captured.
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

/**
 * One server for a test file, started before its tests and stopped (by pid) after them, with a
 * scratch directory; the fields are set once beforeAll has run.
 */
export function useTestS3(): { s3: TestS3; work: string } {
  const ctx = {} as { s3: TestS3; work: string };
  beforeAll(async () => {
    ctx.s3 = await startTestS3();
    ctx.work = await mkdtemp(join(tmpdir(), "syn-s3-work-"));
  });
  afterAll(async () => {
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
