/**
 * esbuild plugins for every bundle of our code: the build Lambda's (SST loads this file:
 * stacks/pipeline.ts `nodejs.plugins`), the CLI's and the bench's (scripts/esbuild-node.ts), and
 * what `npm run bundle` measures (scripts/bundle.ts). Plain JavaScript: SST imports it with the
 * node it runs on, without a TypeScript loader (esbuild-plugins.d.mts gives its types).
 */
import { fileURLToPath } from "node:url";

/** htmlparser2's ES module entry, as our code imports it. */
const HTMLPARSER2_ESM = fileURLToPath(import.meta.resolve("htmlparser2"));

/**
 * One htmlparser2. It (with domhandler, domutils, dom-serializer and their `entities`) ships an
 * ES module and a CommonJS copy: our code imports the first, sanitize-html requires the second,
 * and esbuild bundled both (~300 KB of source and ~220 KB of the bundle, both evaluated at every
 * start). Every import or require of `htmlparser2` gets the ES module's; the same version,
 * pinned in package.json to sanitize-html's.
 *
 * The filter matches every path and the callback picks: SST's bridge to plugins
 * (.sst/platform/functions/nodejs-runtime/plugin.mjs) tests the filter against a field its
 * messages do not have, so a narrower filter would never be called there
 * (test/infra/esbuild-plugins.test.ts runs that bridge).
 * @type {import("esbuild").Plugin}
 */
export const oneHtmlparser2 = {
  name: "syndicate-one-htmlparser2",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => (args.path === "htmlparser2" ? { path: HTMLPARSER2_ESM } : undefined));
  },
};

export default [oneHtmlparser2];
