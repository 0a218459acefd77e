#!/usr/bin/env -S node --max-semi-space-size=32
// A 32 MiB young generation: a build allocates many short-lived strings, and the default
// doubled the number of scavenges (~25% slower at 10,000 articles). 64 MiB measured no faster
// once front matter was read without decoding bodies, and cost ~90 MiB of peak memory at 50,000.
// Runs the bundled CLI (scripts/cli-bundle.ts, built by `npm ci` and before `npm test`) when it
// is newer than every source; otherwise the TypeScript through tsx, so that an edit is never run
// stale and `npx syndicate` needs no build step. SYNDICATE_FROM_SOURCE=1 forces the source.
import { freshBundle } from "./fresh.js";

const bundle = process.env.SYNDICATE_FROM_SOURCE ? undefined : freshBundle();
if (bundle) {
  await import(bundle.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../functions/cli.ts");
}
