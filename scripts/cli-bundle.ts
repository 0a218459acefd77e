/**
 * Bundles the `syndicate` CLI for bin/syndicate.js (run by `npm ci` through `prepare`, and before
 * `npm test`): esbuild, ESM, split by command so that each command loads only its own code, with
 * the parse worker and the local S3 server's entry beside it, where the code looks for them
 * (functions/pipeline/parse-pool.ts, functions/local/s3.ts). Running from source through tsx
 * costs ~0.8 s of every command's start (it compiles each module); the bundle, ~0.1 s.
 *
 * The bundle goes to node_modules/.cache/syndicate-cli/ (removed with node_modules, so `npm ci`
 * always builds a fresh one); bin/fresh.js tells bin/syndicate.js to run from source instead
 * whenever a source file is newer than the bundle. Written to a temporary folder and renamed into
 * place, so that concurrent runs never see half a bundle. Without esbuild (an install without
 * dev dependencies) it says so and exits 0: the CLI then runs from source.
 */
import { copyFile, mkdir, rename, rm, utimes, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BUNDLE_DIR, BUNDLE_STAMP } from "../bin/fresh.js";
import { NODE_ESM } from "./esbuild-node.ts";

const ROOT = resolve(import.meta.dirname, "..");
const target = join(ROOT, BUNDLE_DIR);
const tmp = `${target}.tmp-${process.pid}`;

let esbuild: typeof import("esbuild");
try {
  esbuild = await import("esbuild");
} catch {
  console.log("syndicate: esbuild is not installed; the CLI runs from source (through tsx)");
  process.exit(0);
}

const started = performance.now();
const startedAt = Date.now();
await rm(tmp, { recursive: true, force: true });
await mkdir(tmp, { recursive: true });
try {
  await esbuild.build({
    entryPoints: { cli: join(ROOT, "functions", "cli.ts"), "parse-worker": join(ROOT, "functions", "pipeline", "parse-worker.ts") },
    outdir: tmp,
    // The AWS SDK is many modules, loaded only by S3 commands: from node_modules, where it is.
    ...NODE_ESM,
    splitting: true,
  });
  // The local S3 server runs as its own process from this file (functions/local/s3.ts).
  await copyFile(join(ROOT, "functions", "local", "s3rver-main.mjs"), join(tmp, "s3rver-main.mjs"));
  // Stamped with the time the sources were read: a file saved while bundling counts as newer.
  const stamp = join(tmp, BUNDLE_STAMP);
  await writeFile(stamp, `${new Date(startedAt).toISOString()}\n`);
  await utimes(stamp, startedAt / 1000, startedAt / 1000);
  await rm(target, { recursive: true, force: true });
  try {
    await rename(tmp, target);
  } catch (err) {
    // Another run (e.g. a parallel `npm test`) put its bundle there first: it is as good.
    if ((err as NodeJS.ErrnoException).code !== "ENOTEMPTY" && (err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    await rm(tmp, { recursive: true, force: true });
  }
} catch (err) {
  await rm(tmp, { recursive: true, force: true });
  throw err;
}
console.log(`syndicate: CLI bundled into ${BUNDLE_DIR}/ in ${Math.round(performance.now() - started)} ms`);
