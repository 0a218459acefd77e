/**
 * The build function's esbuild plugins (stacks/esbuild-plugins.mjs, stacks/pipeline.ts
 * `nodejs.plugins`) through the bridge SST runs them with: SST's Go bundler starts
 * .sst/platform/functions/nodejs-runtime/plugin.mjs with the plugins file and asks it, one JSON
 * line per import, how to resolve it (pkg/runtime/node/plugin.go in SST 4.17.1). Here that
 * bridge is started the same way and asked the same messages, by an esbuild plugin standing in
 * for the Go side, while the build handler is bundled as SST bundles it. Needs `sst install`
 * first (npm run check:infra).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import * as esbuild from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { PLATFORM, ROOT } from "./harness.ts";

/** stacks/pipeline.ts `nodejs.plugins` of the build function (stack.test.ts checks it is this). */
const ESBUILD_PLUGINS = "stacks/esbuild-plugins.mjs";

const BRIDGE = join(PLATFORM, "functions", "nodejs-runtime", "plugin.mjs");

/** SST's bridge to the plugins file, asked as plugin.go asks it: `{ id, command, value }` per line. */
function startBridge(): { ask: (value: Record<string, unknown>) => Promise<Record<string, unknown>>; stop: () => void } {
  // plugin.go: `node .sst/platform/functions/nodejs-runtime/plugin.mjs <cwd>/<plugins>` from the project root.
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BRIDGE, join(ROOT, ESBUILD_PLUGINS)], { cwd: ROOT });
  const pending = new Map<number, (v: Record<string, unknown>) => void>();
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const reply = JSON.parse(line) as { id: number; value: Record<string, unknown> };
    pending.get(reply.id)?.(reply.value);
    pending.delete(reply.id);
  });
  let id = 0;
  return {
    ask: (value) =>
      new Promise((resolve, reject) => {
        if (child.exitCode !== null) return reject(new Error(`the bridge exited ${child.exitCode}: ${stderr}`));
        pending.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ id: id++, command: "resolve", value })}\n`);
      }),
    stop: () => child.kill(),
  };
}

/** The build handler bundled as SST bundles it (pkg/runtime/node/build.go), with or without the bridge. */
async function bundleBuild(bridge?: ReturnType<typeof startBridge>): Promise<string[]> {
  const out = await mkdtemp(join(tmpdir(), "syndicate-plugins-"));
  try {
    const plugins: esbuild.Plugin[] = bridge
      ? [
          {
            name: "nodejs-plugin",
            setup(build) {
              build.onResolve({ filter: /.*/ }, async (args) => {
                const r = await bridge.ask({ path: args.path, importer: args.importer, namespace: args.namespace, resolveDir: args.resolveDir, kind: args.kind, pluginData: args.pluginData, with: args.with });
                return typeof r.path === "string" ? { path: r.path, namespace: typeof r.namespace === "string" ? r.namespace : undefined } : undefined;
              });
            },
          },
        ]
      : [];
    const result = await esbuild.build({
      entryPoints: [join(ROOT, "functions", "handlers", "build.ts")],
      outfile: join(out, "build.mjs"),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "esnext",
      mainFields: ["module", "main"],
      keepNames: true,
      external: ["sharp", "pg-native", "@aws-sdk/*"],
      metafile: true,
      logLevel: "silent",
      plugins,
    });
    return Object.keys(result.metafile.inputs);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** The folders of htmlparser2 and the DOM packages under it that a bundle holds code from. */
const domFolders = (inputs: string[]) =>
  [...new Set(inputs.flatMap((i) => /^node_modules\/(?:htmlparser2\/dist\/[^/]+|(?:domhandler|domutils|dom-serializer)\/lib(?:\/esm)?)(?=\/)/.exec(i)?.[0] ?? []))].sort();

describe("the build function's esbuild plugins, through SST's bridge", () => {
  const bridge = existsSync(BRIDGE) ? startBridge() : undefined;
  afterAll(() => bridge?.stop());

  it("is a plain JavaScript file where SST looks for it (from the project root)", () => {
    expect(existsSync(BRIDGE)).toBe(true);
    expect(existsSync(join(ROOT, ESBUILD_PLUGINS))).toBe(true);
  });

  it("answers htmlparser2 with its ES module, and leaves every other import to esbuild", async () => {
    const esm = await bridge!.ask({ path: "htmlparser2", importer: join(ROOT, "node_modules", "sanitize-html", "index.js"), kind: "require-call", resolveDir: join(ROOT, "node_modules", "sanitize-html"), namespace: "file", with: {} });
    expect(esm.path).toBe(join(ROOT, "node_modules", "htmlparser2", "dist", "esm", "index.js"));
    expect(await bridge!.ask({ path: "domhandler", importer: "", kind: "import-statement", resolveDir: ROOT, namespace: "file", with: {} })).toEqual({});
  });

  it("leaves one htmlparser2 in the bundle, where without them it holds an ES module and a CommonJS copy", async () => {
    const without = domFolders(await bundleBuild());
    const withPlugins = domFolders(await bundleBuild(bridge));
    // Without: the test can fail (the copies it is about are there).
    expect(without).toContain("node_modules/htmlparser2/dist/commonjs");
    expect(withPlugins).toEqual(["node_modules/dom-serializer/lib/esm", "node_modules/domhandler/lib/esm", "node_modules/domutils/lib/esm", "node_modules/htmlparser2/dist/esm"]);
  });
});
