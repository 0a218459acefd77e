// `node --import` this file to append every module specifier the process resolves to the file
// named by RESOLVE_LOG, one per line (test/e2e/cli-bundle.test.ts: what a command loads).
import { register } from "node:module";

register(new URL("./resolve-log-hooks.mjs", import.meta.url));
