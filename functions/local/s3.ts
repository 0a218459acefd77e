/**
 * The local S3-compatible server: s3rver 3.7.1 in a child process on 127.0.0.1, because it
 * needs `node --openssl-legacy-provider` for paginated listings (../../../shared/notes/local-s3.md).
 * Used by `syndicate serve`, the integration tests and the benchmark.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const MAIN = fileURLToPath(new URL("./s3rver-main.mjs", import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface LocalS3Server {
  /** `http://127.0.0.1:<port>`: pass as `endpoint` to createS3Client / --endpoint. */
  endpoint: string;
  pid: number;
  /** Kills the server by its pid and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startS3Server(opts: { dir: string; port?: number; silent?: boolean }): Promise<LocalS3Server> {
  const args = ["--openssl-legacy-provider", MAIN, "--dir", opts.dir, "--port", String(opts.port ?? 0)];
  if (opts.silent ?? true) args.push("--silent");
  // stdin stays a pipe: the child exits when it closes, i.e. when this process dies.
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
    if (opts.silent === false) process.stderr.write(chunk);
  });
  let port: number;
  try {
    port = await readyPort(child, () => stderr);
    await waitUntilAnswering(`http://127.0.0.1:${port}/`);
  } catch (err) {
    await kill(child, exited);
    throw err;
  }
  // Not holding the parent's event loop open: if the parent exits without stop(), the stdin
  // pipe closes and the child exits on its own.
  for (const s of [child.stdin, child.stdout, child.stderr] as Array<{ unref?: () => void } | null>) s?.unref?.();
  child.unref();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () => {
      child.ref();
      return kill(child, exited);
    },
  };
}

/** Reads the child's `{"ready":true,"port":N}` line; later stdout is s3rver's request log. */
function readyPort(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onExit = (code: number | null) => fail(new Error(`s3rver exited (code ${code}) before it was ready: ${stderr().trim()}`));
    function fail(err: Error) {
      clearTimeout(timer);
      child.off("exit", onExit);
      lines.close();
      reject(err);
    }
    child.once("exit", onExit);
    child.once("error", fail);
    lines.on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; port?: number };
        if (msg.ready && typeof msg.port === "number") {
          clearTimeout(timer);
          child.off("exit", onExit);
          // Keep draining stdout (the request log when not silent) so the pipe never fills.
          lines.removeAllListeners("line");
          child.stdout!.resume();
          resolve(msg.port);
        }
      } catch {
        /* a log line */
      }
    });
  });
}

async function waitUntilAnswering(url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      // Any HTTP answer (s3rver answers the unsigned ListBuckets itself) means it is serving.
      await (await fetch(url, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`s3rver at ${url} does not answer: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signal(child, "SIGTERM");
  const timer = setTimeout(() => signal(child, "SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid!, sig);
  } catch (err) {
    // ESRCH: it exited between the check and the signal.
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}
