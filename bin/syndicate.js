#!/usr/bin/env node
// Runs the TypeScript CLI from source through tsx, so `npx syndicate` needs no build step.
import { register } from "tsx/esm/api";
register();
await import("../functions/cli.ts");
