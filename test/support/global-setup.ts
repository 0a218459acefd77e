/**
 * Before any test file: the bundled CLI (scripts/cli-bundle.ts) is made fresh when a source is
 * newer than it, so that every test spawning bin/syndicate.js runs the code under test, quickly
 * (bin/fresh.js would otherwise run the sources through tsx, correct but ~0.8 s slower a start).
 * Once, here, never while test files run: no CLI is ever started from a half-replaced bundle.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freshBundle } from "../../bin/fresh.js";

export default function setup(): void {
  if (freshBundle()) return;
  const root = fileURLToPath(new URL("../../", import.meta.url));
  execFileSync(process.execPath, ["--import", "tsx", "scripts/cli-bundle.ts"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (!freshBundle()) throw new Error("scripts/cli-bundle.ts ran, yet bin/fresh.js finds no fresh bundle");
}
