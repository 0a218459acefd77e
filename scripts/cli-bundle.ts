/**
 * Bundles the `syndicate` CLI for bin/syndicate.js (run by `npm ci` through `prepare`, and by the
 * tests' global setup when the sources changed): esbuild, ESM, split by command so that each
 * command loads only its own code, with the parse worker and the local S3 server's entry beside
 * it, where the code looks for them (functions/pipeline/parse-pool.ts, functions/local/s3.ts).
 * Running from source through tsx costs ~0.6 s of every command's start (it compiles each
 * module); the bundle, ~0.1 s.
 *
 * Each bundle goes to its own folder under node_modules/.cache/syndicate-cli/ (removed with
 * node_modules, so `npm ci` always builds a fresh one) with the state of the sources it was read
 * from (bin/fresh.js sourceState, taken before esbuild reads them); the file `current` is then
 * replaced by a rename to name it. A CLI already running keeps its own folder, and a new one
 * never sees half a bundle. Folders not in use are removed after a day. bin/fresh.js runs the
 * sources instead whenever they differ from what the bundle in use was made from. Without
 * esbuild (an install without dev dependencies) it says so and exits 0: the CLI then runs from
 * source.
 */
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BUNDLE_DIR, BUNDLE_STAMP, CURRENT, sourceState } from "../bin/fresh.js";
import { NODE_ESM } from "./esbuild-node.ts";

const ROOT = resolve(import.meta.dirname, "..");
const base = join(ROOT, BUNDLE_DIR);
const KEEP_MS = 24 * 3600 * 1000;

let esbuild: typeof import("esbuild");
try {
  esbuild = await import("esbuild");
} catch {
  console.log("syndicate: esbuild is not installed; the CLI runs from source (through tsx)");
  process.exit(0);
}

const started = performance.now();
// The sources as they are before esbuild reads them: one saved meanwhile makes the bundle stale.
const state = JSON.stringify(sourceState());
const id = `${Date.now().toString(36)}-${process.pid}`;
const out = join(base, id);
await mkdir(out, { recursive: true });
try {
  await esbuild.build({
    entryPoints: { cli: join(ROOT, "functions", "cli.ts"), "parse-worker": join(ROOT, "functions", "pipeline", "parse-worker.ts") },
    outdir: out,
    // The AWS SDK is many modules, loaded only by S3 commands: from node_modules, where it is.
    ...NODE_ESM,
    splitting: true,
  });
  // The local S3 server runs as its own process from this file (functions/local/s3.ts).
  await copyFile(join(ROOT, "functions", "local", "s3rver-main.mjs"), join(out, "s3rver-main.mjs"));
  await writeFile(join(out, BUNDLE_STAMP), state);
  const pointer = join(base, `${CURRENT}.tmp-${process.pid}`);
  await writeFile(pointer, `${id}\n`);
  await rename(pointer, join(base, CURRENT));
} catch (err) {
  await rm(out, { recursive: true, force: true }).catch(() => undefined);
  throw err;
}
// Folders of earlier bundles: a CLI started from one may still be loading chunks or starting its
// parse worker from it, so only those older than a day go.
for (const name of await readdir(base)) {
  if (name === id || name.startsWith(CURRENT)) continue;
  const path = join(base, name);
  const s = await stat(path).catch(() => undefined);
  if (s && Date.now() - s.mtimeMs > KEEP_MS) await rm(path, { recursive: true, force: true }).catch(() => undefined);
}
console.log(`syndicate: CLI bundled into ${BUNDLE_DIR}/${id}/ in ${Math.round(performance.now() - started)} ms`);
