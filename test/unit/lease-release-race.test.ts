/**
 * A build waiting for a directory's lease while the holder releases it: the release removes the
 * folders the holder created once they are empty (.syndicate/, and the output folder when the
 * holder made it and wrote nothing), and may do so between the waiting build making the folder
 * and writing its staged lock file into it. The waiting build must make the folder again, not
 * fail with ENOENT (a flaky failure of build-lease-order.test.ts on 2026-11-28).
 *
 * The race is made certain here: the first write of a staged lock file finds its folder removed,
 * as the releasing holder's rmdir would leave it.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { rm, readdir } from "node:fs/promises";
import * as fsp from "node:fs/promises";
import { dirname, join } from "node:path";
import { acquireLease } from "../../functions/pipeline/lease.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { tempDir } from "../support/content-tree.ts";

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  return { ...real, writeFile: vi.fn(real.writeFile) };
});

const STAGED = /[/\\]\.syndicate[/\\]lock\.json\.[0-9a-f]+\.[0-9a-f]+$/;

/** The next `times` writes of a staged lock file find its folder gone (removed just before). */
async function folderVanishes(times: number): Promise<{ removed: () => number }> {
  const real = (await vi.importActual<typeof import("node:fs/promises")>("node:fs/promises")).writeFile;
  let removed = 0;
  vi.mocked(fsp.writeFile).mockImplementation(async (path, data, options) => {
    if (typeof path === "string" && STAGED.test(path) && removed < times) {
      removed++;
      await rm(dirname(path), { recursive: true, force: true });
    }
    return real(path, data, options);
  });
  return { removed: () => removed };
}

afterEach(() => {
  vi.mocked(fsp.writeFile).mockReset();
});

describe("a directory lease whose folder is removed while it is taken", () => {
  it("makes the folder again and takes the lease", async () => {
    const root = join(await tempDir(), "out");
    const race = await folderVanishes(1);
    const lease = await acquireLease(new DirectoryStore(root), { pollMs: 5, log: () => {} });
    expect(race.removed()).toBe(1);
    expect(await readdir(join(root, ".syndicate"))).toEqual(["lock.json"]);
    await lease.release();
  });

  it("gives up with the error when the folder keeps vanishing", async () => {
    const root = join(await tempDir(), "out");
    await folderVanishes(100);
    await expect(acquireLease(new DirectoryStore(root), { pollMs: 5, log: () => {} })).rejects.toThrow(/could not take the build lease.*ENOENT/);
  });
});
