/**
 * `syndicate …` as a child process (bin/syndicate.js: the bundled CLI, made fresh before the
 * tests by test/support/global-setup.ts), for what only a separate
 * process shows: SIGKILL mid-publish, two builds at once. Its pid is known, so a test can kill it
 * and always waits for it to exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/syndicate.js", import.meta.url));

export interface CliChild {
  child: ChildProcess;
  pid: number;
  /** Resolves when the process has exited, with what it printed. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(): void;
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
