/**
 * Runs sst.config.ts's run() offline under Pulumi mocks and records every resource it creates
 * (../../../shared/notes/sst-offline.md). What the SST CLI provides is provided here:
 * - the platform's own @pulumi/pulumi (.sst/platform/node_modules), mocked;
 * - the globals run() expects ($app, $dev, $cli, the $-helpers of src/shim/run.js, aws, sst);
 * - a JSON-RPC stub on 127.0.0.1 for SST_SERVER answering Provider.Aws.Bootstrap and
 *   Runtime.Build, which bundles each handler with esbuild and fails, as SST would, when the
 *   file or its export is missing.
 * Depends on SST internals of the pinned version (4.17.1): if they move, this fails loudly.
 */
import { createServer, type Server } from "node:http";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

export const ROOT = resolve(import.meta.dirname, "../..");
export const PLATFORM = join(ROOT, ".sst", "platform");

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

export interface Built {
  functionID: string;
  handler: string;
  file: string;
  exportName: string;
  links: Record<string, any>;
  /** The function's `nodejs` options as SST passes them to the build. */
  properties: Record<string, any>;
}

export interface StackRun {
  resources: Recorded[];
  builds: Built[];
  outputs: Record<string, any>;
  /** `type name` of every resource created with `retainOnDelete` (SST sets it from `$app.removal`). */
  retained: string[];
  /** The app settings the run used: sst.config.ts `app()` for `stage`. */
  app: Record<string, any>;
}

export interface RunOptions {
  /** The stage, given to sst.config.ts `app()` as `sst deploy --stage` does; default "test". */
  stage?: string;
  /** sst.config.ts to run; default: the repository's. */
  config?: string;
  /** Rewrites a source file while handlers are bundled (planted errors). */
  rewrite?: (path: string, source: string) => string;
  secrets?: Record<string, string>;
}

/** Runtime.Build: bundle the handler like SST (ESM, node platform) and check its export. */
async function buildHandler(input: any, work: string, rewrite: RunOptions["rewrite"]): Promise<{ result: any; built?: Built }> {
  const handler: string = input.handler;
  const dot = handler.lastIndexOf(".");
  const base = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const file = [".ts", ".mts", ".js", ".mjs"].map((ext) => join(ROOT, base + ext)).find((f) => existsSync(f));
  if (!file) return { result: { handler, out: work, errors: [`Could not find a file for handler "${handler}"`], sourcemaps: [] } };
  const out = join(work, "artifacts", input.functionID);
  const result = await esbuild.build({
    entryPoints: [file],
    outfile: join(out, posix.basename(base) + ".mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    metafile: true,
    logLevel: "silent",
    plugins: rewrite ? [{ name: "rewrite", setup: (b) => b.onLoad({ filter: /\.ts$/ }, async (a) => ({ contents: rewrite(a.path, await readFile(a.path, "utf8")), loader: "ts" })) }] : [],
  }).catch((e: esbuild.BuildFailure) => e);
  if (result instanceof Error) return { result: { handler, out, errors: [result.message], sourcemaps: [] } };
  const exports = Object.values(result.metafile!.outputs).flatMap((o) => o.exports);
  const errors = exports.includes(exportName) ? [] : [`${posix.relative(ROOT, file)} does not export "${exportName}" (handler "${handler}")`];
  return {
    result: { handler: `${posix.basename(base)}.${exportName}`, out, errors, sourcemaps: [] },
    built: { functionID: input.functionID, handler, file: posix.relative(ROOT, file), exportName, links: input.links ?? {}, properties: input.properties ?? {} },
  };
}

function rpcServer(work: string, builds: Built[], rewrite: RunOptions["rewrite"], onError: (e: Error) => void): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const { method, params } = JSON.parse(body) as { method: string; params: any[] };
      let result: unknown;
      let error: string | undefined;
      if (method === "Provider.Aws.Bootstrap") {
        result = { asset: "sst-asset-test", assetEcrRegistryId: "123456789012", assetEcrUrl: "123456789012.dkr.ecr.us-east-1.amazonaws.com/sst-asset", state: "sst-state-test", appsyncHttp: "", appsyncRealtime: "" };
      } else if (method === "Runtime.Build") {
        const { result: r, built } = await buildHandler(params[0], work, rewrite);
        if (built) builds.push(built);
        // SST throws these inside an apply(), which under mocks never settles the stack and leaves
        // stray rejections: record them, answer as if built, and fail the run once it settles.
        if (r.errors.length) onError(new Error(r.errors.join("\n")));
        result = { ...r, errors: [] };
      } else error = `rpc: can't find method ${method}`;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ result, error }));
    });
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/** Mock state: the inputs plus the attributes SST reads from created resources. */
function mockState(type: string, name: string, inputs: Record<string, any>) {
  const arn = `arn:aws:${type.split(":")[1]?.split("/")[0]}:us-east-1:123456789012:${name}`;
  const extra: Record<string, any> = { arn, name: inputs.name ?? name };
  if (type === "aws:s3/bucketV2:BucketV2" || type === "aws:s3/bucket:Bucket") Object.assign(extra, { bucket: inputs.bucket ?? name.toLowerCase(), bucketRegionalDomainName: `${name.toLowerCase()}.s3.us-east-1.amazonaws.com` });
  if (type === "aws:sqs/queue:Queue") extra.url = `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`;
  if (type === "aws:apigatewayv2/api:Api") Object.assign(extra, { apiEndpoint: `https://${name}.execute-api.us-east-1.amazonaws.com`, executionArn: `arn:aws:execute-api:us-east-1:123456789012:${name}` });
  if (type === "aws:cloudfront/distribution:Distribution") Object.assign(extra, { domainName: `${name}.cloudfront.net` });
  if (type === "aws:lambda/function:Function") Object.assign(extra, { qualifiedArn: `${arn}:$LATEST`, invokeArn: `${arn}/invocations` });
  return { ...extra, ...inputs, arn: inputs.arn ?? arn };
}

export async function runStack(options: RunOptions = {}): Promise<StackRun> {
  const work = await mkdtemp(join(tmpdir(), "syndicate-infra-"));
  const resources: Recorded[] = [];
  const builds: Built[] = [];
  const buildErrors: Error[] = [];
  const server = await rpcServer(work, builds, options.rewrite, (e) => buildErrors.push(e));
  const address = server.address() as { port: number };
  process.env.SST_SERVER = `http://127.0.0.1:${address.port}`;
  for (const [k, v] of Object.entries(options.secrets ?? { WebhookSecret: "test-secret-not-real" })) process.env[`SST_SECRET_${k}`] = v;
  const failures: unknown[] = [];
  const onRejection = (e: unknown) => failures.push(e);
  process.on("unhandledRejection", onRejection);
  try {
    const pulumi = await import(pathToFileURL(join(PLATFORM, "node_modules/@pulumi/pulumi/index.js")).href);
    const settings = await import(pathToFileURL(join(PLATFORM, "node_modules/@pulumi/pulumi/runtime/settings.js")).href);
    await pulumi.runtime.setMocks(
      {
        newResource: (a: { type: string; name: string; inputs: Record<string, any> }) => {
          resources.push({ type: a.type, name: a.name, inputs: a.inputs });
          return { id: `${a.name}-id`, state: mockState(a.type, a.name, a.inputs) };
        },
        call: (a: { token: string; inputs: Record<string, any> }) => {
          // SST reads `.statements` back and uses `.json` as the policy document.
          if (a.token === "aws:iam/getPolicyDocument:getPolicyDocument") return { ...a.inputs, json: JSON.stringify(a.inputs) };
          if (a.token === "aws:index/getPartition:getPartition") return { partition: "aws", dnsSuffix: "amazonaws.com" };
          if (a.token === "aws:index/getRegion:getRegion") return { name: "us-east-1", region: "us-east-1" };
          if (a.token === "aws:index/getCallerIdentity:getCallerIdentity") return { accountId: "123456789012" };
          return a.inputs;
        },
      },
      "syndicate",
      "test",
      false,
    );
    const g = globalThis as any;
    const shim = await import(pathToFileURL(join(PLATFORM, "src/shim/run.js")).href);
    for (const [k, v] of Object.entries(shim)) g[k] = v;
    const config = (await import(pathToFileURL(options.config ?? join(ROOT, "sst.config.ts")).href)).default;
    // $app as the CLI makes it: the config's app() for the stage (removal, protect, providers).
    const stage = options.stage ?? "test";
    const app = { stage, ...config.app({ stage }) };
    g.$app = app;
    g.$dev = false;
    g.$cli = { command: "deploy", rpc: process.env.SST_SERVER, paths: { home: work, root: ROOT, work, platform: PLATFORM }, state: { version: {} } };
    g.aws = await import(pathToFileURL(join(PLATFORM, "node_modules/@pulumi/aws/index.js")).href);
    g.sst = await import(pathToFileURL(join(PLATFORM, "src/components/index.ts")).href);
    const { run } = await import(pathToFileURL(join(PLATFORM, "src/auto/run.ts")).href);
    const retained: string[] = [];
    const outputs = await pulumi.runtime.runInPulumiStack(() =>
      run(async () => {
        // After SST's own transformations (run() registers them before calling the program).
        pulumi.runtime.registerStackTransformation((a: { type: string; name: string; opts: { retainOnDelete?: boolean } }) => {
          if (a.opts.retainOnDelete) retained.push(`${a.type} ${a.name}`);
          return undefined;
        });
        return config.run();
      }),
    );
    await settings.waitForRPCs();
    // Let stray rejections from apply() callbacks surface before deciding.
    await new Promise((r) => setTimeout(r, 50));
    if (buildErrors.length) throw buildErrors[0];
    if (failures.length) throw failures[0];
    return { resources, builds, outputs, retained, app };
  } finally {
    process.off("unhandledRejection", onRejection);
    await new Promise((ok) => server.close(ok));
    await rm(work, { recursive: true, force: true });
  }
}
