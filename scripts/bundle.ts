/**
 * `npm run bundle`: bundles each Lambda the way SST does (esbuild: ESM, node platform, minified,
 * the `createRequire` banner SST adds, target = the Lambda runtime's Node), once with the AWS SDK
 * inside and once with it external (provided by the Lambda runtime), then prints each bundle's
 * size and the time a fresh Node process takes to import it (min–median–max of IMPORT_RUNS; the
 * budget applies to the median, this machine being shared and noisy).
 * Exits 1 when the deployed mode of a Lambda breaks its budget (issue 4), or when the API bundle
 * contains a package it must not (zod, the AWS SDK, the build pipeline's parsers). Deployed
 * modes, from these measurements (docs/deploy.md): the build marks the SDK external
 * (stacks/pipeline.ts: only that fits 1.5 MB; its cold start does not matter); the API has no
 * SDK left to include (S3 and SQS through signed fetch), so SST's default bundling is kept.
 * First regenerates functions/handlers/openapi.gen.json from the zod schemas (scripts/openapi.ts)
 * and functions/core/jsonfeed-validate.gen.ts from the JSON Feed schema (scripts/jsonfeed-validator.ts).
 * Bundles go to .sst/bundles/ (ignored), where external packages resolve from node_modules as
 * they would from the runtime's.
 */
import { execFileSync } from "node:child_process";
import { mkdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as esbuild from "esbuild";
import { writeOpenApi } from "./openapi.ts";
import { writeJsonFeedValidator } from "./jsonfeed-validator.ts";
import SST_PLUGINS from "../stacks/esbuild-plugins.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const OUT = join(ROOT, ".sst", "bundles");
const RUNS = Number(process.env.IMPORT_RUNS ?? 5);
/** nodejs24.x (stacks/pipeline.ts RUNTIME). */
const TARGET = "node24";
/** What the build function marks external (stacks/pipeline.ts `nodejs.esbuild.external`). */
const SDK_EXTERNAL = ["@aws-sdk/*"];

const LAMBDAS = [
  {
    name: "api", entry: "functions/handlers/api.ts", deployed: "sdk-included", budget: { bytes: 250 * 1024, importMs: 100 },
    // Packages that mean the build pipeline, zod or an AWS SDK client leaked into the API bundle.
    forbidden: /node_modules\/(?:zod|@aws-sdk|@smithy|yaml|js-yaml|ajv|ajv-formats|markdown-it|sanitize-html|xmlbuilder2|fast-xml-parser|htmlparser2)\//, plugins: undefined,
  },
  // With the plugins SST is given for it (stacks/pipeline.ts `nodejs.plugins`): one htmlparser2,
  // so a CommonJS copy of it or of the DOM packages under it is a fault too.
  {
    name: "build", entry: "functions/handlers/build.ts", deployed: "sdk-external", budget: { bytes: 1.5 * 1024 * 1024, importMs: Infinity },
    forbidden: /node_modules\/(?:htmlparser2\/dist\/commonjs|(?:domhandler|domutils|dom-serializer)\/lib\/(?!esm\/))/, plugins: SST_PLUGINS,
  },
];

// SST's banner: ESM bundles of CommonJS packages still call require(), __filename, __dirname.
const BANNER = [
  `import { createRequire as topLevelCreateRequire } from "module";`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url";`,
  `const __filename = topLevelFileUrlToPath(import.meta.url);`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url));`,
].join("\n");

async function bundle(entry: string, outfile: string, external: string[], plugins: esbuild.Plugin[]): Promise<{ bytes: number; inputs: string[] }> {
  const result = await esbuild.build({
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
    metafile: true,
    plugins,
  });
  return { bytes: (await stat(outfile)).size, inputs: Object.keys(result.metafile.inputs) };
}

/** Wall times of `await import(file)` in fresh Node processes, module graph included: min, median, max. */
function importMs(file: string): { min: number; median: number; max: number } {
  const code = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const times = Array.from({ length: RUNS }, () => Number(execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", env: { ...process.env, AWS_REGION: "us-east-1" } })));
  times.sort((a, b) => a - b);
  return { min: times[0]!, median: times[Math.floor(times.length / 2)]!, max: times[times.length - 1]! };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n: number) => n.toFixed(0).padStart(4);
if (await writeOpenApi()) console.log("functions/handlers/openapi.gen.json was out of date with the schemas: regenerated (commit it)");
if (await writeJsonFeedValidator()) console.log("functions/core/jsonfeed-validate.gen.ts was out of date with jsonfeed-schema: regenerated (commit it)");
await rm(OUT, { recursive: true, force: true });
await mkdir(OUT, { recursive: true });
console.log(`Lambda bundles, esbuild ${esbuild.version}, target ${TARGET}, imported by Node ${process.version} (${RUNS} fresh processes: min–median–max; budget on the median)`);
let over = false;
for (const l of LAMBDAS) {
  for (const mode of ["sdk-included", "sdk-external"] as const) {
    const file = join(OUT, mode, l.name, "index.mjs");
    const { bytes, inputs } = await bundle(l.entry, file, mode === "sdk-external" ? SDK_EXTERNAL : [], l.plugins ?? []);
    const t = importMs(file);
    const chosen = mode === l.deployed;
    const leaked = l.forbidden ? [...new Set(inputs.flatMap((i) => l.forbidden.exec(i)?.[0] ?? []))] : [];
    const fails = [
      bytes > l.budget.bytes && `size > ${kb(l.budget.bytes)}`,
      t.median > l.budget.importMs && `import > ${l.budget.importMs} ms`,
      leaked.length > 0 && `contains ${leaked.map((p) => p.replace(/^node_modules\/|\/$/g, "")).join(", ")}`,
    ].filter(Boolean);
    if (chosen && fails.length) over = true;
    console.log(`${l.name.padEnd(6)} ${mode.padEnd(13)} ${kb(bytes).padStart(10)}  import ${ms(t.min)} –${ms(t.median)} –${ms(t.max)} ms${chosen ? "  (deployed)" : ""}${fails.length ? `  over budget: ${fails.join(", ")}` : ""}`);
  }
}
process.exitCode = over ? 1 : 0;
