/**
 * esbuild options for code run by plain node from this repository (the bundled CLI,
 * scripts/cli-bundle.ts, and the bench's child, test/bench/bench.ts): ESM for Node 20, the AWS
 * SDK left to node_modules, and a `require` for the CommonJS dependencies inside an ES module.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { BuildOptions, Plugin } from "esbuild";
import { oneHtmlparser2 } from "../stacks/esbuild-plugins.mjs";

/**
 * Every output file pure ASCII. esbuild escapes non-ASCII characters in code (its default
 * `charset: "ascii"`) but keeps them in comments, and one such character makes V8 hold the whole
 * source as a two-byte string: the 1.6 MB bundle decoded into 3.2 MB at start, and every
 * function compiled lazily during a build scanned from it. What is left after esbuild is in
 * comments or regular-expression literals: written as UTF-16 escapes (`\uXXXX`, a surrogate pair
 * for a character beyond U+FFFF), which mean the same in either.
 */
export const asciiOutput: Plugin = {
  name: "syndicate-ascii-output",
  setup(build) {
    // The metafile names outputs relative to the working directory esbuild ran in.
    const cwd = build.initialOptions.absWorkingDir ?? process.cwd();
    build.onEnd((result) => {
      for (const output of Object.keys(result.metafile?.outputs ?? {})) {
        const file = resolve(cwd, output);
        if (!file.endsWith(".mjs") && !file.endsWith(".js")) continue;
        const text = readFileSync(file, "utf8");
        // eslint-disable-next-line no-control-regex
        if (/^[\x00-\x7f]*$/.test(text)) continue;
        writeFileSync(file, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
      }
    });
  },
};

export const NODE_ESM = {
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@aws-sdk/*", "@smithy/*"],
  // One htmlparser2, not its ES module and its CommonJS copy (stacks/esbuild-plugins.mjs).
  plugins: [oneHtmlparser2, asciiOutput],
  // The output files' names, for asciiOutput.
  metafile: true,
  banner: { js: "import { createRequire as __syndicateRequire } from 'node:module'; const require = __syndicateRequire(import.meta.url);" },
  logLevel: "error",
} satisfies BuildOptions;
