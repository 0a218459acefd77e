#!/usr/bin/env -S node --max-semi-space-size=16
// A 16 MiB young generation: a build allocates many short-lived strings, and the default
// doubled the number of scavenges (~25% slower at 10,000 articles). 32 MiB was 9% slower at
// 10,000 articles (2.40 against 2.18 s, 6 interleaved rounds) and no faster at 50,000: every page
// of a larger young generation is memory touched for the first time, a page fault each (README
// "Performance"); 64 MiB cost ~90 MiB more of peak memory at 50,000.
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
