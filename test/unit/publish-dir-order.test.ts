/**
 * The order in which a directory publish puts files in place (DirectoryStore.putAll renames
 * each staged file into place): archive pages before the documents that link them, and the
 * manifest last, so that a reader never finds the manifest or a main feed naming what is not
 * there yet. Checked by the renames themselves (their mtimes tell the order of the staged
 * writes, not of the renames readers see).
 */
import { describe, expect, it, vi } from "vitest";
import * as fsp from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { publish } from "../../functions/pipeline/publish.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { buildManifest } from "../../functions/core/manifest.ts";
import { output } from "../../functions/core/render/index.ts";
import { tempDir } from "../support/content-tree.ts";

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  return { ...real, rename: vi.fn(real.rename) };
});

const XML = "application/rss+xml; charset=utf-8";

describe("publish into a directory: the order of renames", () => {
  it("puts archive pages in place before the other documents, and the manifest last", async () => {
    const root = join(await tempDir(), "out");
    // Given main first, as the build renders them: the publish reorders.
    const keys = ["feed.xml", "tags/libya/feed.xml", "archive/2/feed.xml", "latest.json", "archive/1/feed.xml"];
    const outputs = keys.map((k) => output(k, `<rss>${k}</rss>`, XML, "public, max-age=300"));
    const renamed: string[] = [];
    vi.mocked(fsp.rename).mockImplementation(async (from, to) => {
      const key = relative(root, String(to)).split(sep).join("/");
      if (!key.startsWith(".syndicate")) renamed.push(key);
      const real = (await vi.importActual<typeof import("node:fs/promises")>("node:fs/promises")).rename;
      return real(from, to);
    });
    await publish(new DirectoryStore(root), outputs, buildManifest(outputs, outputs.length, undefined));
    vi.mocked(fsp.rename).mockReset();
    expect(renamed.at(-1)).toBe("manifest.json");
    expect(new Set(renamed)).toEqual(new Set([...keys, "manifest.json"]));
    const lastArchive = Math.max(renamed.indexOf("archive/1/feed.xml"), renamed.indexOf("archive/2/feed.xml"));
    for (const k of ["feed.xml", "tags/libya/feed.xml", "latest.json"]) expect(renamed.indexOf(k), k).toBeGreaterThan(lastArchive);
  });
});
