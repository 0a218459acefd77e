/**
 * A directory as an object store. Each object is written to a temporary file in the same
 * directory and renamed into place, so a reader sees the old bytes or the new, never a part;
 * a build's whole batch goes through putAll, which changes every file or none.
 */
import { link, mkdir, open, readFile, rename, rm, rmdir, writeFile, readdir, type FileHandle } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { randomBytes } from "node:crypto";
import { assertSafeKey, type ObjectStore, type ObjectMeta, type StoredObject } from "./store.ts";

const TMP_PREFIX = ".syndicate-tmp-";

const tmpBeside = (target: string) => join(dirname(target), `${TMP_PREFIX}${randomBytes(6).toString("hex")}`);

const attempt = (step: () => Promise<unknown>) => step().catch(() => undefined);

export interface PendingObject {
  key: string;
  body: Buffer;
  meta: ObjectMeta;
}

export class DirectoryStore implements ObjectStore {
  readonly description: string;
  readonly local = true;
  constructor(readonly root: string) {
    this.description = `directory ${root}`;
  }

  private path(key: string): string {
    assertSafeKey(key);
    return join(this.root, ...key.split("/"));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    let file: FileHandle;
    try {
      file = await open(this.path(key), "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    // The modification time of the very file read (a rename may replace the path meanwhile).
    try {
      const [body, info] = await Promise.all([file.readFile(), file.stat()]);
      return { body, lastModified: info.mtime };
    } finally {
      await file.close();
    }
  }

  async put(key: string, body: Buffer, meta: ObjectMeta): Promise<void> {
    return this.putChunks(key, [body], meta);
  }

  /** Each chunk written as it is made, into a temporary file renamed into place once complete. */
  async putChunks(key: string, chunks: Iterable<Uint8Array>, _meta: ObjectMeta): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = tmpBeside(target);
    try {
      const file = await open(tmp, "w");
      try {
        // write(2) may write less than asked (a nearly full disk, a network file system).
        for (const chunk of chunks) for (let at = 0; at < chunk.byteLength; ) at += (await file.write(chunk, at)).bytesWritten;
      } catch (err) {
        await file.close().catch(() => undefined);
        throw err;
      }
      await file.close();
      await rename(tmp, target);
    } catch (err) {
      // The first error is the one to report, not a failure to clean up after it.
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Puts every object or none (issue 2: a failed build leaves the directory exactly as it was).
   * First each object is written to a temporary file beside its target; only when all are on
   * disk are they renamed into place, in the order given (so the manifest, given last, lands
   * last). Each replaced file is first hard-linked to a backup, so if a rename fails the earlier
   * ones are undone and the old files come back with their bytes and mtimes. Folders made for
   * the new files are removed again on failure.
   */
  async putAll(objects: PendingObject[], options: { concurrency?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<void> {
    const staged = objects.map((o) => {
      const target = this.path(o.key);
      return { ...o, target, tmp: tmpBeside(target), backup: undefined as string | undefined, placed: false };
    });
    const madeDirs: string[] = [];
    // Each step of the undo is tried on its own: a temporary path under a file that blocked a
    // folder fails to remove (ENOTDIR), and that must not stop the rest.
    const undo = async () => {
      for (const s of [...staged].reverse()) {
        if (s.placed) await attempt(() => (s.backup ? rename(s.backup, s.target) : rm(s.target, { force: true })));
        else if (s.backup) await attempt(() => rm(s.backup!, { force: true }));
        await attempt(() => rm(s.tmp, { force: true }));
      }
      for (const d of madeDirs.sort().reverse()) await attempt(() => rm(d, { recursive: true, force: true }));
    };
    let done = 0, next = 0;
    const failures: unknown[] = [];
    // Not mapLimit: on a failure every write in flight must settle before the undo runs.
    const stage = async (s: (typeof staged)[number]) => {
      try {
        const made = await mkdir(dirname(s.target), { recursive: true });
        if (made) madeDirs.push(made);
        await writeFile(s.tmp, s.body);
        options.onProgress?.(++done, staged.length);
      } catch (err) {
        failures.push(err);
      }
    };
    // The last object (the manifest) is written only after all the others, so even its mtime says it came last.
    const worker = async () => {
      while (next < staged.length - 1 && failures.length === 0) await stage(staged[next++]!);
    };
    try {
      await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, staged.length) }, worker));
      if (failures.length === 0 && staged.length) await stage(staged[staged.length - 1]!);
      if (failures.length) throw failures[0];
      for (const s of staged) {
        const backup = tmpBeside(s.target);
        try {
          await link(s.target, backup);
          s.backup = backup;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        }
        await rename(s.tmp, s.target);
        s.placed = true;
      }
    } catch (err) {
      await undo();
      throw err;
    }
    await Promise.all(staged.map((s) => (s.backup ? rm(s.backup, { force: true }) : undefined)));
  }

  /**
   * Removes temporary files and backups a killed build left behind (a SIGKILL skips putAll's
   * undo). Only safe while no other build writes here: the build lease calls it once taken.
   */
  async sweep(): Promise<number> {
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch(() => []);
    const left = entries.filter((e) => e.isFile() && e.name.startsWith(TMP_PREFIX));
    await Promise.all(left.map((e) => rm(join(e.parentPath, e.name), { force: true })));
    return left.length;
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
