// Whether bin/syndicate.js can run the bundled CLI (scripts/cli-bundle.ts): it exists and no file
// it was made from (functions/, package-lock.json) changed after it was made. Plain JavaScript:
// it runs before anything can compile TypeScript.
import { readdirSync, statSync } from "node:fs";

export const BUNDLE_DIR = "node_modules/.cache/syndicate-cli";
/** Written by the bundler; its modification time is when the bundler began reading the sources. */
export const BUNDLE_STAMP = "built";

/** The bundled CLI's URL when it is newer than every source it was made from; otherwise undefined. */
export function freshBundle(root = new URL("..", import.meta.url)) {
  const dir = new URL(`${BUNDLE_DIR}/`, root);
  let built;
  try {
    built = statSync(new URL(BUNDLE_STAMP, dir)).mtimeMs;
  } catch {
    return undefined;
  }
  const functions = new URL("functions/", root);
  const sources = readdirSync(functions, { recursive: true }).map((p) => new URL(String(p), functions));
  for (const file of [...sources, new URL("package-lock.json", root)]) {
    try {
      if (statSync(file).mtimeMs > built) return undefined;
    } catch {
      return undefined;
    }
  }
  return new URL("cli.mjs", dir);
}
