/**
 * esbuild options for code run by plain node from this repository (the bundled CLI,
 * scripts/cli-bundle.ts, and the bench's child, test/bench/bench.ts): ESM for Node 20, the AWS
 * SDK left to node_modules, and a `require` for the CommonJS dependencies inside an ES module.
 */
import { fileURLToPath } from "node:url";
import type { BuildOptions } from "esbuild";

/**
 * htmlparser2 (with domhandler, domutils, dom-serializer and their `entities`) ships an ES module
 * and a CommonJS copy: our code imports the first, sanitize-html requires the second, and esbuild
 * bundled both (~300 KB of source and ~220 KB of the bundle, both evaluated at every start). One copy
 * (the ES module's) for both; the same version, pinned in package.json to sanitize-html's.
 */
const ONE_HTMLPARSER2 = { htmlparser2: fileURLToPath(import.meta.resolve("htmlparser2")) };

export const NODE_ESM = {
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@aws-sdk/*", "@smithy/*"],
  alias: ONE_HTMLPARSER2,
  banner: { js: "import { createRequire as __syndicateRequire } from 'node:module'; const require = __syndicateRequire(import.meta.url);" },
  logLevel: "error",
} satisfies BuildOptions;
