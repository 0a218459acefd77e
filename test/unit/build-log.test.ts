import { describe, expect, it } from "vitest";
import { formatBuildLog } from "../../functions/pipeline/log.ts";
import { ContentError } from "../../functions/core/errors.ts";
import { published } from "../support/api.ts";

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
      duration_ms: 13, errors: [],
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
});
