/**
 * `syndicate …` as a child process (bin/syndicate.js through tsx), for what only a separate
 * process shows: SIGKILL mid-publish, two builds at once. Its pid is known, so a test can kill it
 * and always waits for it to exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { mkdir, rm, writeFile } from "node:fs/promises";

const BIN = fileURLToPath(new URL("../../bin/syndicate.js", import.meta.url));

export interface CliChild {
  child: ChildProcess;
  pid: number;
  /** Resolves when the process has exited, with what it printed. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(): void;
}

/**
 * The CLI bundled by esbuild into one file: the same sources, started in about a third of the
 * time tsx takes to compile them, for tests that run it dozens of times. It lives under
 * node_modules/.cache (so the data files some packages read beside themselves resolve) and is
 * removed by the returned function.
 */
export async function bundleCli(): Promise<{ bin: string; remove: () => Promise<void> }> {
  const { build } = await import("esbuild");
  const dir = fileURLToPath(new URL(`../../node_modules/.cache/syndicate-cli-${process.pid}/`, import.meta.url));
  // Named syndicate.js (cli.ts runs main() only under that name) in a folder that says ESM.
  const bin = join(dir, "syndicate.js");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), '{ "type": "module" }\n');
  await build({
    entryPoints: [fileURLToPath(new URL("../../functions/cli.ts", import.meta.url))],
    bundle: true, platform: "node", format: "esm", target: "node20", outfile: bin, logLevel: "warning",
    // CommonJS dependencies inside an ES module bundle need a require.
    banner: { js: "import { createRequire as __syndicateRequire } from 'node:module'; const require = __syndicateRequire(import.meta.url);" },
  });
  return { bin, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function spawnCli(args: string[], env: Record<string, string> = {}, bin = BIN): CliChild {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    child,
    pid: child.pid!,
    exit,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
    },
  };
}
