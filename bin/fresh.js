// Whether bin/syndicate.js can run the bundled CLI (scripts/cli-bundle.ts): the bundle in use
// was made from the sources exactly as they are now. Plain JavaScript: it runs before anything
// can compile TypeScript.
import { readFileSync, readdirSync, statSync } from "node:fs";

export const BUNDLE_DIR = "node_modules/.cache/syndicate-cli";
/** In BUNDLE_DIR: the name of the bundle folder in use (replaced by a rename, never edited). */
export const CURRENT = "current";
/** In a bundle folder: the state of the sources it was made from (sourceState). */
export const BUNDLE_STAMP = "sources.json";

/** What a bundle is made from, besides the dependencies in package-lock.json. */
const INPUTS = ["package-lock.json", "tsconfig.json", "scripts/cli-bundle.ts", "scripts/esbuild-node.ts"];

/**
 * Path, size, modification time and inode of functions/ and everything in it (folders too: a
 * file added, removed or renamed changes its folder) and of the other inputs. Compared for
 * equality, not by age: a restored older file (tar, cp -p, rsync -a, another checkout), a
 * deletion or a clock that differs from the file system's all count as a change.
 */
export function sourceState(root = new URL("..", import.meta.url)) {
  const entry = (rel) => {
    try {
      const s = statSync(new URL(rel, root));
      return [rel, s.size, s.mtimeMs, s.ino];
    } catch {
      return [rel, null, null, null];
    }
  };
  const functions = new URL("functions/", root);
  const inside = readdirSync(functions, { recursive: true }).map((p) => `functions/${String(p).split("\\").join("/")}`);
  return ["functions", ...inside, ...INPUTS].sort().map(entry);
}

/** The bundled CLI's URL when the bundle in use was made from the sources as they are; otherwise undefined. */
export function freshBundle(root = new URL("..", import.meta.url)) {
  try {
    const base = new URL(`${BUNDLE_DIR}/`, root);
    const id = readFileSync(new URL(CURRENT, base), "utf8").trim();
    if (!/^[\w.-]+$/.test(id)) return undefined;
    const dir = new URL(`${id}/`, base);
    const recorded = readFileSync(new URL(BUNDLE_STAMP, dir), "utf8");
    return recorded === JSON.stringify(sourceState(root)) ? new URL("cli.mjs", dir) : undefined;
  } catch {
    return undefined;
  }
}
