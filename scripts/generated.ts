/** Generated files committed to the repository (scripts/openapi.ts, scripts/jsonfeed-validator.ts). */
import { readFile, writeFile } from "node:fs/promises";

/** Rewrites `file` when its text differs; resolves to whether it did. */
export async function writeGenerated(file: URL, text: string): Promise<boolean> {
  const current = await readFile(file, "utf8").catch(() => undefined);
  if (current === text) return false;
  await writeFile(file, text);
  return true;
}
