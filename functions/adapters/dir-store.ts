/**
 * A directory as an object store. Each object is written to a temporary file in the same
 * directory and renamed into place, so a reader sees the old bytes or the new, never a part.
 */
import { mkdir, readFile, rename, rm, rmdir, writeFile, readdir } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { randomBytes } from "node:crypto";
import { assertSafeKey, type ObjectStore, type ObjectMeta, type StoredObject } from "./store.ts";

const TMP_PREFIX = ".syndicate-tmp-";

export class DirectoryStore implements ObjectStore {
  readonly description: string;
  constructor(readonly root: string) {
    this.description = `directory ${root}`;
  }

  private path(key: string): string {
    assertSafeKey(key);
    return join(this.root, ...key.split("/"));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      return { body: await readFile(this.path(key)) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async put(key: string, body: Buffer, _meta: ObjectMeta): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = join(dirname(target), `${TMP_PREFIX}${randomBytes(6).toString("hex")}`);
    try {
      await writeFile(tmp, body);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      const p = this.path(key);
      await rm(p, { force: true });
      // Remove directories left empty (a removed tag's folder), up to the root.
      let dir = dirname(p);
      while (relative(this.root, dir) && !relative(this.root, dir).startsWith("..")) {
        try {
          await rmdir(dir);
        } catch {
          break;
        }
        dir = dirname(dir);
      }
    }
  }

  async list(prefix = ""): Promise<string[]> {
    try {
      const entries = await readdir(this.root, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && !e.name.startsWith(TMP_PREFIX))
        .map((e) => relative(this.root, join(e.parentPath, e.name)).split(sep).join("/"))
        .filter((k) => k.startsWith(prefix));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  }
}
