// Module hooks for test/support/resolve-log.mjs (they run on the loader's own thread).
import { appendFileSync } from "node:fs";

export async function resolve(specifier, context, next) {
  if (process.env.RESOLVE_LOG) appendFileSync(process.env.RESOLVE_LOG, `${specifier}\n`);
  return next(specifier, context);
}
