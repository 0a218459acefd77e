/**
 * An article over the size limit is reported without being read: its size is taken from the
 * open file's fstat, and not one byte of it is read (a 5 MB file costs nothing but the error).
 */
import { describe, expect, it, vi } from "vitest";
import * as fs from "node:fs";
import { truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { formatIssue } from "../../functions/core/errors.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { articleText, tempDir, tree, writeTree } from "../support/content-tree.ts";

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  return { ...real, readSync: vi.fn(real.readSync) };
});

describe("an article over the size limit", () => {
  it("is reported without a byte of it read", async () => {
    const content = await writeTree(join(await tempDir(), "content"), tree({ big: articleText({}, "x".repeat(5 * LIMITS.articleFileBytes)) }));
    vi.mocked(fs.readSync).mockClear();
    const r = await new DirectoryContent(content).read();
    expect(r.issues.map(formatIssue)).toEqual([expect.stringMatching(/^articles\/big\.md: file: is \d+ bytes; at most/)]);
    // What was read is site.yaml alone.
    const read = vi.mocked(fs.readSync).mock.results.reduce((sum, res) => sum + (res.value as number), 0);
    expect(read).toBe(r.files.find((f) => f.path === "site.yaml")!.bytes.byteLength);
  });

  it("is reported from its size alone, however large: a 3 GiB file (sparse) is never read", async () => {
    // Reading it whole would fail (Node refuses files over 2 GiB) or take seconds; its size
    // alone decides. Sparse: no disk is used.
    const content = await writeTree(join(await tempDir(), "content"), tree({ small: articleText({}, "x") }));
    const huge = join(content, "articles", "huge.md");
    await writeFile(huge, "");
    await truncate(huge, 3 * 2 ** 30);
    vi.mocked(fs.readSync).mockClear();
    const r = await new DirectoryContent(content).read();
    expect(r.issues.map(formatIssue)).toEqual([expect.stringMatching(new RegExp(`^articles/huge\\.md: file: is ${3 * 2 ** 30} bytes; at most`))]);
    // What was read is the other two files.
    const read = vi.mocked(fs.readSync).mock.results.reduce((sum, res) => sum + (res.value as number), 0);
    expect([r.files.map((f) => f.path).sort(), read]).toEqual([["articles/small.md", "site.yaml"], r.files.reduce((n, f) => n + f.bytes.byteLength, 0)]);
  });
});
