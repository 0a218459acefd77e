/**
 * `syndicate build` on a terminal shows what it is doing (issue 2.8: "on a terminal a long build
 * shows progress"): each phase as it starts, and the objects written while publishing, on one
 * line of stderr rewritten in place; nothing of it when stderr is not a terminal or with --json.
 */
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { tempDir, tree, writeTree } from "../support/content-tree.ts";
import { runInProcess } from "../support/hostile.ts";

const wasTTY = process.stderr.isTTY;
afterEach(() => {
  process.stderr.isTTY = wasTTY;
});

async function buildWith(tty: boolean, ...extra: string[]) {
  const dir = await tempDir();
  const content = await writeTree(join(dir, "content"), tree({ a: { title: "A", tags: ["One"] }, b: { title: "B", date: "2020-06-20T10:00:00Z" } }));
  process.stderr.isTTY = tty;
  return runInProcess(["build", "--content", content, "--out", join(dir, "out"), "--now", "2030-01-01T00:00:00Z", ...extra]);
}

describe("build progress", () => {
  it("on a terminal: every phase, then the count of objects written, on one line rewritten in place", async () => {
    const r = await buildWith(true);
    expect(r.code).toBe(0);
    const shown = r.output.split("\r\x1b[K").filter(Boolean);
    for (const phase of ["reading content…", "validating…", "converting Markdown…", "rendering…", "publishing…"]) expect(shown).toContain(phase);
    // 2 items, 1 tag: main and tag documents, 3 formats and latest.json each, and the manifest.
    expect(shown).toContain("publishing 9/9");
    expect(shown.indexOf("reading content…")).toBeLessThan(shown.indexOf("publishing 9/9"));
  });

  it("not on a terminal, nor with --json", async () => {
    for (const r of [await buildWith(false), await buildWith(true, "--json")]) {
      expect(r.code).toBe(0);
      expect(r.output).not.toContain("\r\x1b[K");
      expect(r.output).not.toContain("rendering…");
    }
  });
});
