/**
 * What the API Lambda carries instead of zod and the core modules: copied constants, the
 * generated OpenAPI document, and hand checks of latest.json and status.json. Each is held to
 * its source here, so a change of a schema or a constant fails until the copy follows.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import * as contract from "../../functions/handlers/contract.ts";
import { OPENAPI_GENERATED, openApiText } from "../../functions/handlers/openapi.ts";
import { parseLatest } from "../../functions/handlers/latest.ts";
import { readPublished, readStatus } from "../../functions/handlers/health.ts";
import { LATEST_MAX, LATEST_VERSION, latestDocumentSchema } from "../../functions/core/latest.ts";
import { SLUG_RE } from "../../functions/core/schema.ts";
import { CACHE } from "../../functions/core/render/index.ts";
import { MANIFEST_KEY, MANIFEST_VERSION, parseManifest } from "../../functions/core/manifest.ts";
import { STATUS_KEY, STATUS_VERSION, nextStatus, parseStatus, type BuildStatus } from "../../functions/core/status.ts";
import { published } from "../support/api.ts";
import { buildRecordSchema } from "../../functions/handlers/openapi.ts";
import { readBuildRecord } from "../../functions/handlers/builds.ts";
import { buildRecord, type BuildRecord } from "../../functions/core/build-record.ts";
import { ContentError } from "../../functions/core/errors.ts";

describe("the API Lambda's copies of the core", () => {
  it("has the core's constants", () => {
    expect({ ...contract }).toEqual({
      LATEST_MAX, LATEST_VERSION, SLUG_RE, CACHE_LATEST: CACHE.latest, MANIFEST_KEY, MANIFEST_VERSION, STATUS_KEY, STATUS_VERSION,
    });
  });

  it("serves an OpenAPI document that is up to date with the zod schemas (npm run bundle regenerates it)", async () => {
    expect(await readFile(OPENAPI_GENERATED, "utf8"), "functions/handlers/openapi.gen.json is stale: run `npx tsx scripts/openapi.ts` and commit it").toBe(openApiText());
  });
});

const T = "2030-01-01T00:00:00.000Z";
const succeeded = nextStatus(undefined, { trigger: "queue", messages: 2, now: Date.parse(T), duration_ms: 1200, report: { build_id: "b1", items: 3, next_publication: null } });
const failed = nextStatus(succeeded, { trigger: "queue", messages: 1, now: Date.parse(T) + 60_000, duration_ms: 80, error: { name: "S3RequestError", message: "PUT failed", retryable: true }, dead_lettered: true });

/** Valid statuses and one-field departures from them, valid or not. */
function statusVariants(): unknown[] {
  const out: unknown[] = [succeeded, failed, { ...succeeded, trigger: "schedule", next_publication: "2030-02-01T00:00:00Z" }];
  const wrong: unknown[] = [undefined, null, "x", -1, 1.5, true, [], {}, "not a date"];
  for (const base of [succeeded, failed]) {
    for (const key of Object.keys(base) as (keyof BuildStatus)[]) {
      const { [key]: _dropped, ...without } = base;
      out.push(without);
      for (const value of wrong) out.push({ ...base, [key]: value });
    }
    out.push({ ...base, error: { name: "E", message: "m" } }, { ...base, last_success: { at: "nope", build_id: "b" } }, { ...base, extra: 1 });
  }
  return out;
}

describe("status.json read by hand", () => {
  it("gives zod's verdict and value for every variant", () => {
    const variants = statusVariants();
    let accepted = 0;
    for (const v of variants) {
      const bytes = Buffer.from(JSON.stringify(v) ?? "");
      expect(readStatus(bytes), JSON.stringify(v)).toEqual(parseStatus(bytes));
      if (parseStatus(bytes)) accepted++;
    }
    // Both verdicts occur: the comparison is not between two functions that reject everything.
    expect(accepted).toBeGreaterThan(3);
    expect(accepted).toBeLessThan(variants.length / 2);
    expect(readStatus(Buffer.from("{"))).toBeUndefined();
    expect(readStatus(undefined)).toBeUndefined();
  });
});

describe("manifest.json and latest.json read by hand", () => {
  it("read what the build published", async () => {
    const { store, report } = await published();
    const manifest = parseManifest((await store.get(MANIFEST_KEY))?.body)!;
    expect(readPublished((await store.get(MANIFEST_KEY))?.body)).toEqual({ build_id: manifest.build_id, items: manifest.items });
    expect(manifest.build_id).toBe(report.build_id);
    const body = (await store.get("latest.json"))!.body;
    expect(parseLatest(body)).toEqual(latestDocumentSchema.parse(JSON.parse(body.toString())));
    expect(JSON.stringify(parseLatest(body))).toBe(JSON.stringify(latestDocumentSchema.parse(JSON.parse(body.toString()))));
  });

  it("refuse another version or shape", async () => {
    const { store } = await published();
    const doc = JSON.parse((await store.get("latest.json"))!.body.toString()) as Record<string, unknown>;
    for (const bad of [{ ...doc, version: 2 }, { ...doc, items: "x" }, { ...doc, items: [1] }, { ...doc, items: Array(LATEST_MAX + 1).fill(doc.item) }, { ...doc, item: undefined }, [], "x"]) {
      expect(() => parseLatest(Buffer.from(JSON.stringify(bad))), JSON.stringify(bad).slice(0, 80)).toThrow(/does not match its schema/);
      expect(latestDocumentSchema.safeParse(bad).success).toBe(false);
    }
    expect(() => parseLatest(Buffer.from("{"))).toThrow(/does not match/);
    const manifest = JSON.parse((await store.get(MANIFEST_KEY))!.body.toString()) as Record<string, unknown>;
    for (const bad of [{ ...manifest, version: 2 }, { ...manifest, build_id: 1 }, { ...manifest, items: "3" }]) {
      expect(readPublished(Buffer.from(JSON.stringify(bad)))).toBeUndefined();
    }
  });
});

describe("build records read by hand", () => {
  const ok = buildRecord({ id: "req-1", state: "succeeded", requested_at: T, finished_at: T, report: { build_id: "b1", items: 3, warnings: [{ file: "articles/a.md", line: 2, field: "date", message: "no zone", severity: "warning" }] } });
  const bad = buildRecord({ id: "req-1", state: "failed", requested_at: T, finished_at: T, error: new ContentError([{ file: "articles/b.md", field: "title", message: "required", severity: "error" }]) });

  // As stored: records written before started_at, attempt and max_attempts lack them, and read
  // with them null, so that every answer has the response's shape.
  const storedSchema = buildRecordSchema.partial({ started_at: true, attempt: true, max_attempts: true });

  it("gives zod's verdict for every variant, and reads each accepted one as a response the schema takes", () => {
    const wrong: unknown[] = [undefined, null, "x", -1, 0, 1.5, true, [], {}, "not a date", "queued"];
    const running = buildRecord({ id: "req-1", state: "running", requested_at: T, started_at: T, finished_at: null, attempt: 2, max_attempts: 10 });
    const variants: unknown[] = [ok, bad, running];
    for (const base of [ok, bad, running]) {
      for (const key of Object.keys(base) as (keyof BuildRecord)[]) {
        const { [key]: _dropped, ...without } = base;
        variants.push(without);
        for (const value of wrong) variants.push({ ...base, [key]: value });
      }
      const issue = base.issues[0] ?? ok.issues[0]!;
      variants.push({ ...base, extra: 1 }, { ...base, issues: [{ ...issue, line: 0 }] }, { ...base, issues: [{ ...issue, severity: "info" }] }, { ...base, issues: Array(51).fill(issue) });
      variants.push({ ...base, error: { name: "E", message: "m" } });
    }
    let accepted = 0;
    for (const v of variants) {
      const zod = storedSchema.safeParse(v).success && (v as { id?: unknown }).id === "req-1";
      const read = readBuildRecord(Buffer.from(JSON.stringify(v) ?? ""), "req-1");
      expect(read !== undefined, JSON.stringify(v)).toBe(zod);
      if (read) expect(buildRecordSchema.safeParse(read).success, JSON.stringify(read)).toBe(true);
      if (zod) accepted++;
    }
    // A record the old code wrote (no started_at, attempt, max_attempts) reads, with them null.
    const { started_at: _s, attempt: _a, max_attempts: _m, ...old } = ok;
    expect(readBuildRecord(Buffer.from(JSON.stringify(old)), "req-1")).toEqual({ ...old, started_at: null, attempt: null, max_attempts: null });
    expect(accepted).toBeGreaterThan(3);
    expect(accepted).toBeLessThan(variants.length / 2);
    // Another request's record is not this one's.
    expect(readBuildRecord(Buffer.from(JSON.stringify(ok)), "req-2")).toBeUndefined();
    expect(readBuildRecord(Buffer.from("{"), "req-1")).toBeUndefined();
  });
});
