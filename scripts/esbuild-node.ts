/**
 * esbuild options for code run by plain node from this repository (the bundled CLI,
 * scripts/cli-bundle.ts, and the bench's child, test/bench/bench.ts): ESM for Node 20, the AWS
 * SDK left to node_modules, and a `require` for the CommonJS dependencies inside an ES module.
 */
import type { BuildOptions } from "esbuild";
import { oneHtmlparser2 } from "../stacks/esbuild-plugins.mjs";

export const NODE_ESM = {
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@aws-sdk/*", "@smithy/*"],
  // One htmlparser2, not its ES module and its CommonJS copy (stacks/esbuild-plugins.mjs).
  plugins: [oneHtmlparser2],
  banner: { js: "import { createRequire as __syndicateRequire } from 'node:module'; const require = __syndicateRequire(import.meta.url);" },
  logLevel: "error",
} satisfies BuildOptions;
