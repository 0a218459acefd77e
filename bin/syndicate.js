#!/usr/bin/env -S node --max-semi-space-size=32
// A 32 MiB young generation: a build allocates many short-lived strings, and the default
// doubled the number of scavenges (~25% slower at 10,000 articles). 64 MiB measured no faster
// once front matter was read without decoding bodies, and cost ~90 MiB of peak memory at 50,000.
// Runs the TypeScript CLI from source through tsx, so `npx syndicate` needs no build step.
import { register } from "tsx/esm/api";
register();
await import("../functions/cli.ts");
