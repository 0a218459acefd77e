import { describe, expect, it } from "vitest";
import { formatBuildLog } from "../../functions/pipeline/log.ts";
import { ContentError } from "../../functions/core/errors.ts";
import { published } from "../support/api.ts";
import { describeBuild } from "../../functions/commands/serve.ts";
import type { ContentIssue } from "../../functions/core/errors.ts";
import type { BuildReport } from "../../functions/pipeline/build.ts";
import type { BuildRun } from "../../functions/pipeline/coalesce.ts";

describe("build log line", () => {
  it("is one JSON line with id, trigger, items, documents and duration", async () => {
    const { report } = await published();
    const line = formatBuildLog({ id: "b1", trigger: "webhook", requests: 3, duration_ms: 12.6, report });
    expect(line.endsWith("\n")).toBe(true);
    expect(line.trimEnd()).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({
      level: "info", msg: "build", id: "b1", trigger: "webhook", requests: 3, ok: true,
      build_id: report.build_id, items: 3,
      documents: { written: report.documents.written, unchanged: report.documents.unchanged, deleted: 0 },
      duration_ms: 13, errors: [], warnings: [],
    });
  });

  it("lists a failed build's content errors, each naming file and field, capped at 20", () => {
    const issues = Array.from({ length: 25 }, (_, i) => ({ file: `articles/a${i}.md`, field: "title", message: "is required", severity: "error" as const }));
    const record = JSON.parse(formatBuildLog({ id: "b2", trigger: "watch", duration_ms: 5, error: new ContentError(issues) }));
    expect(record).toMatchObject({ level: "error", ok: false, build_id: null, items: null, documents: null });
    expect(record.errors).toHaveLength(21);
    expect(record.errors[0]).toEqual({ name: "ContentError", message: "articles/a0.md: title: is required" });
    expect(record.errors[20].message).toBe("… and 5 more");
  });

  it("lists a published build's warnings as validate writes them, capped at 20", async () => {
    const { report } = await published();
    const warnings = Array.from({ length: 22 }, (_, i) => ({ file: `articles/a${i}.md`, line: 3, field: "date", message: "has no time zone", severity: "warning" as const }));
    const record = JSON.parse(formatBuildLog({ id: "b3", trigger: "watch", duration_ms: 5, report: { ...report, warnings } }));
    expect(record.warnings).toHaveLength(21);
    expect(record.warnings[0]).toBe("articles/a0.md:3: warning: date: has no time zone");
    expect(record.warnings[20]).toBe("… and 2 more");
  });
});

describe("serve's line for a build", () => {
  const run = (warnings: ContentIssue[], id = "r1"): BuildRun<BuildReport> => ({
    id, requests: [{ trigger: "watch", received_at: "2030-01-01T00:00:00.000Z" }], state: "succeeded", queued_at: 0,
    result: { warnings, items: 2, documents: { total: 9, rendered: 9, written: 1, unchanged: 8, deleted: 0 } } as unknown as BuildReport,
  });
  const w = (file: string): ContentIssue => ({ file, line: 3, field: "date", message: "has no time zone", severity: "warning" });

  it("shows the warnings when they change, counts them while they stay, and says when they are gone", () => {
    const told = {};
    expect(describeBuild(run([]), 5, "/c", told)).toBe("build r1 (watch): 2 items; 1 written, 8 unchanged, 0 deleted; 5 ms");
    expect(describeBuild(run([w("articles/a.md")]), 5, "/c", told)).toBe(
      "build r1 (watch): 2 items; 1 written, 8 unchanged, 0 deleted; 5 ms; 1 warning:\n  /c/articles/a.md:3: warning: date: has no time zone",
    );
    expect(describeBuild(run([w("articles/a.md")]), 5, "/c", told)).toBe("build r1 (watch): 2 items; 1 written, 8 unchanged, 0 deleted; 5 ms; 1 warning, as before");
    expect(describeBuild(run([]), 5, "/c", told)).toBe("build r1 (watch): 2 items; 1 written, 8 unchanged, 0 deleted; 5 ms; no warnings now");
    const many = describeBuild(run(Array.from({ length: 25 }, (_, i) => w(`articles/a${i}.md`))), 5, "/c", told).split("\n");
    expect([many.length, many.at(-1)]).toEqual([22, "  … and 5 more: syndicate validate --content /c lists them all"]);
  });
});
