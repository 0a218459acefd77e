/** functions/local/s3.ts: the s3rver child process starts, answers, and never outlives its parent. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startS3Server } from "../../functions/local/s3.ts";
import { freePort, isRunning } from "../support/s3.ts";

const MODULE = fileURLToPath(new URL("../../functions/local/s3.ts", import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "syn-local-s3-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !isRunning(pid);
}

describe("startS3Server", () => {
  it("listens on the given port of 127.0.0.1, answers S3 requests, and stop() ends the process", async () => {
    const port = await freePort();
    const server = await startS3Server({ dir: join(dir, "a"), port });
    try {
      expect(server.endpoint).toBe(`http://127.0.0.1:${port}`);
      const res = await fetch(`${server.endpoint}/`);
      expect(await res.text()).toContain("ListAllMyBucketsResult");
    } finally {
      await server.stop();
    }
    expect(isRunning(server.pid)).toBe(false);
    await server.stop();
  });

  it("rejects with the child's error when the port is taken (the child has exited)", async () => {
    const first = await startS3Server({ dir: join(dir, "b") });
    try {
      const port = Number(new URL(first.endpoint).port);
      await expect(startS3Server({ dir: join(dir, "c"), port })).rejects.toThrow(/EADDRINUSE|exited/);
    } finally {
      await first.stop();
    }
  });

  it("exits by itself when the process that started it dies without stopping it", async () => {
    const script = `import { startS3Server } from ${JSON.stringify(MODULE)}; const s = await startS3Server({ dir: ${JSON.stringify(join(dir, "d"))} }); console.log(s.pid);`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
    const pid = Number(stdout.trim());
    expect(pid).toBeGreaterThan(0);
    expect(await waitForExit(pid, 5000)).toBe(true);
  });
});
