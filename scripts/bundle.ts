/**
 * `npm run bundle`: bundles each Lambda the way SST does (esbuild: ESM, node platform, minified,
 * the `createRequire` banner SST adds, target = the Lambda runtime's Node), once with the AWS SDK
 * inside and once with it external (provided by the Lambda runtime), then prints each bundle's
 * size and the time a fresh Node process takes to import it (median of IMPORT_RUNS).
 * Exits 1 when the deployed mode of a Lambda breaks its budget (issue 4). Deployed modes, from
 * these measurements (docs/deploy.md): the build marks the SDK external (stacks/pipeline.ts:
 * only that fits 1.5 MB; its cold start does not matter); the API bundles it (SST's default):
 * one file imports faster than the SDK's many files in node_modules.
 * Bundles go to .sst/bundles/ (ignored), where external packages resolve from node_modules as
 * they would from the runtime's.
 */
import { execFileSync } from "node:child_process";
import { mkdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as esbuild from "esbuild";

const ROOT = resolve(import.meta.dirname, "..");
const OUT = join(ROOT, ".sst", "bundles");
const RUNS = Number(process.env.IMPORT_RUNS ?? 5);
/** nodejs24.x (stacks/pipeline.ts RUNTIME). */
const TARGET = "node24";
/** What the build function marks external (stacks/pipeline.ts `nodejs.esbuild.external`). */
const SDK_EXTERNAL = ["@aws-sdk/*"];

const LAMBDAS = [
  { name: "api", entry: "functions/handlers/api.ts", deployed: "sdk-included", budget: { bytes: 250 * 1024, importMs: 100 } },
  { name: "build", entry: "functions/handlers/build.ts", deployed: "sdk-external", budget: { bytes: 1.5 * 1024 * 1024, importMs: Infinity } },
];

// SST's banner: ESM bundles of CommonJS packages still call require(), __filename, __dirname.
const BANNER = [
  `import { createRequire as topLevelCreateRequire } from "module";`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url";`,
  `const __filename = topLevelFileUrlToPath(import.meta.url);`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url));`,
].join("\n");

async function bundle(entry: string, outfile: string, external: string[]): Promise<number> {
  await esbuild.build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: TARGET,
    mainFields: ["module", "main"],
    minify: true,
    keepNames: true,
    banner: { js: BANNER },
    external: ["sharp", "pg-native", ...external],
    logLevel: "error",
  });
  return (await stat(outfile)).size;
}

/** Median wall time of `await import(file)` in a fresh Node process, module graph included. */
function importMs(file: string): number {
  const code = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const times = Array.from({ length: RUNS }, () => Number(execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", env: { ...process.env, AWS_REGION: "us-east-1" } })));
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
await rm(OUT, { recursive: true, force: true });
await mkdir(OUT, { recursive: true });
console.log(`Lambda bundles, esbuild ${esbuild.version}, target ${TARGET}, imported by Node ${process.version} (median of ${RUNS} fresh processes)`);
let over = false;
for (const l of LAMBDAS) {
  for (const mode of ["sdk-included", "sdk-external"] as const) {
    const file = join(OUT, mode, l.name, "index.mjs");
    const bytes = await bundle(l.entry, file, mode === "sdk-external" ? SDK_EXTERNAL : []);
    const ms = importMs(file);
    const chosen = mode === l.deployed;
    const fails = [bytes > l.budget.bytes && `size > ${kb(l.budget.bytes)}`, ms > l.budget.importMs && `import > ${l.budget.importMs} ms`].filter(Boolean);
    if (chosen && fails.length) over = true;
    console.log(`${l.name.padEnd(6)} ${mode.padEnd(13)} ${kb(bytes).padStart(10)}  import ${ms.toFixed(0).padStart(4)} ms${chosen ? "  (deployed)" : ""}${fails.length ? `  over budget: ${fails.join(", ")}` : ""}`);
  }
}
process.exitCode = over ? 1 : 0;
