/**
 * The hostile-content corpus (test/fixtures/hostile/cases.ts), one test per case.
 * - reject: `syndicate validate` and `syndicate build` exit 1 and print each expected issue
 *   (file, field, line); an output directory built before is byte-identical (mtimes included).
 *   The first reject case of each family runs the real bin/syndicate.js as a child process, the
 *   others the CLI's `main` in this process (a process start costs about a second per command).
 * - sanitize / accept: an in-process build; every published document is valid UTF-8 without
 *   characters XML cannot carry, well-formed for feedparser, and its HTML safe to render
 *   (test/support/safe-html.ts); the payloads of a sanitize case are in no document, as bytes
 *   or as parsed; the item's expected fields come through in RSS, Atom, JSON Feed and latest.json.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { readdir } from "node:fs/promises";
import { FAMILIES, hostileCases, type CaseSpec, type HostileCase } from "../fixtures/hostile/cases.ts";
import { OWNED_KEY } from "../../functions/pipeline/publish.ts";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { snapshot, tempDir, tree, writeTree } from "../support/content-tree.ts";
import { unsafeHtml } from "../support/safe-html.ts";
import {
  NOW, NOW_ISO, buildCase, feedparserView, issueLine, jsonView, latestItems, latestView, runChild, runInProcess,
  type BuiltCase, type ItemView, type Run,
} from "../support/hostile.ts";

const CASES = hostileCases();
const THROUGH_CHILD = new Set(FAMILIES.map((f) => CASES.find((c) => c.family === f && c.spec.outcome === "reject")));
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
/** What was published before the hostile edit. */
const BASELINE = tree({ baseline: { title: "Baseline", date: "2020-01-01T00:00:00Z", tags: ["Kept"] } });

async function reject(c: HostileCase): Promise<void> {
  const cwd = await tempDir("syn-hostile-");
  await c.write(join(cwd, "content"));
  await writeTree(join(cwd, "baseline"), BASELINE);
  await build({ source: new DirectoryContent(join(cwd, "baseline")), store: new DirectoryStore(join(cwd, "out")), now: NOW });
  const before = await snapshot(join(cwd, "out"));
  const child = THROUGH_CHILD.has(c);
  const at = (p: string) => (child ? p : join(cwd, p));
  const run = (args: string[]): Promise<Run> => (child ? runChild(cwd, args) : runInProcess(args));
  const validateArgs = ["validate", "--content", at("content")];
  const buildArgs = ["build", "--content", at("content"), "--out", at("out"), "--now", NOW_ISO];
  // Child processes run side by side; in this process, one at a time (their output is captured).
  const [validate, built] = child ? await Promise.all([run(validateArgs), run(buildArgs)]) : [await run(validateArgs), await run(buildArgs)];
  for (const [name, r] of [["validate", validate], ["build", built]] as const) {
    expect(r.code, `${name} exit code\n${r.output}`).toBe(1);
    for (const e of c.spec.errors ?? []) expect(r.output, name).toMatch(issueLine(e));
  }
  expect(await snapshot(join(cwd, "out"))).toEqual(before);
}

// eslint-disable-next-line no-control-regex
const ILLEGAL_OUTPUT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFD\uFFFE\uFFFF]/;

/** Invariants of every published set: keys, encoding, well-formedness, safe HTML everywhere. */
function checkDocuments(b: BuiltCase): void {
  for (const key of b.keys) {
    expect(key === "manifest.json" || OWNED_KEY.test(key), key).toBe(true);
    const text = new TextDecoder("utf-8", { fatal: true }).decode(b.bytes[key]);
    expect(ILLEGAL_OUTPUT.exec(text)?.[0], key).toBeUndefined();
  }
  for (const [key, doc] of Object.entries(b.feedparser)) {
    expect([key, doc.bozo, doc.bozo_exception]).toEqual([key, 0, null]);
    // RSS channel description is HTML to readers (Atom's subtitle is type="text").
    if (doc.version.startsWith("rss")) expect(unsafeHtml(doc.feed.subtitle ?? ""), `${key} description`).toEqual([]);
    for (const i of doc.items) {
      expect(unsafeHtml(i.content[0]?.value ?? ""), `${key} content`).toEqual([]);
      if (i.summary_type === "text/html") expect(unsafeHtml(i.summary ?? ""), `${key} summary`).toEqual([]);
      if (i.title_type === "text/html") expect(unsafeHtml(i.title ?? ""), `${key} title`).toEqual([]);
    }
  }
  for (const key of b.keys.filter((k) => k.endsWith("feed.json"))) {
    for (const i of b.json(key).items) expect(unsafeHtml(i.content_html ?? ""), `${key} content_html`).toEqual([]);
  }
}

/** A sanitize case's payloads: in no document's bytes, nor in any parsed title, summary or content. */
function checkAbsent(b: BuiltCase, absent: string[]): void {
  const parsed = [
    ...Object.values(b.feedparser).flatMap((d) => d.items.flatMap((i) => [i.title, i.summary, ...i.content.map((x) => x.value)])),
    ...b.keys.filter((k) => k.endsWith("feed.json")).flatMap((k) => b.json(k).items.flatMap((i) => [i.title, i.summary, i.content_html])),
  ].map((s) => (s ?? "").toLowerCase());
  for (const payload of absent.map((p) => p.toLowerCase())) {
    for (const key of b.keys) expect(b.bytes[key]!.toString("utf8").toLowerCase().includes(payload), `${JSON.stringify(payload)} in ${key}`).toBe(false);
    expect(parsed.filter((s) => s.includes(payload)), JSON.stringify(payload)).toEqual([]);
  }
}

/** The expected fields of the newest item, in each format. */
function checkItem(b: BuiltCase, spec: CaseSpec): void {
  const views: [string, ItemView][] = [
    ["feed.xml", feedparserView(b.feedparser["feed.xml"]!.items[0]!)],
    ["atom.xml", feedparserView(b.feedparser["atom.xml"]!.items[0]!)],
    ["feed.json", jsonView(b.json("feed.json").items[0]!)],
    ["latest.json", latestView(latestItems(b, "latest.json")[0]!)],
  ];
  for (const [format, v] of views) {
    for (const field of ["title", "summary", "tags", "id", "url", "published"] as const) {
      if (spec[field] !== undefined) expect(v[field], `${format} ${field}`).toEqual(spec[field]);
    }
    if (format !== "latest.json") for (const s of spec.contains ?? []) expect(v.content, `${format} content`).toContain(s);
  }
  if (spec.feedTitle !== undefined) {
    expect([b.feedparser["feed.xml"]!.feed.title, b.feedparser["atom.xml"]!.feed.title, b.json("feed.json").title]).toEqual(Array(3).fill(spec.feedTitle));
  }
}

async function publishes(c: HostileCase): Promise<void> {
  // A folder of its own inside the case's, so that a write escaping the output (a tag such as
  // "../../etc" made into a path) would land where this test looks.
  const dir = join(await tempDir("syn-hostile-"), "a", "b");
  await c.write(join(dir, "content"));
  const contentFiles = await readdir(join(dir, "content"), { recursive: true });
  const b = await buildCase(join(dir, "content"), join(dir, "out"));
  // Nothing was written outside the output: beside it only the content, unchanged in its names.
  expect((await readdir(join(dir, "..", ".."), { recursive: true })).sort()).toEqual(
    ["a", "a/b", "a/b/content", "a/b/out", ...contentFiles.map((f) => `a/b/content/${f}`), ...(await readdir(join(dir, "out"), { recursive: true })).map((f) => `a/b/out/${f}`)].sort(),
  );
  expect([...new Set(b.report.warnings.map((w) => w.field))].sort()).toEqual(c.spec.warnings ?? []);
  expect(b.report.items).toBeGreaterThan(0);
  checkDocuments(b);
  if (c.spec.outcome === "sanitize") checkAbsent(b, c.spec.absent ?? []);
  checkItem(b, c.spec);
}

describe.each(FAMILIES)("hostile content: %s", (family) => {
  const cases = CASES.filter((c) => c.family === family);
  it.each(cases.map((c) => [`${c.name} → ${c.spec.outcome}${THROUGH_CHILD.has(c) ? " (bin/syndicate.js)" : ""}: ${c.spec.why}`, c] as const))("%s", async (_name, c) => {
    if (c.spec.outcome === "reject") await reject(c);
    else await publishes(c);
    // No case may reach Object.prototype (a `__proto__` or `constructor` key in YAML).
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
  });
});

describe("hostile corpus", () => {
  it("has at least 40 cases, every one with an outcome and a reason", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    for (const c of CASES) expect([c.spec.outcome, c.spec.why.length > 0], `${c.family}/${c.name}`).toEqual([expect.stringMatching(/^(reject|sanitize|accept)$/), true]);
  });

  it("names the expected errors of every reject case and the payloads of every sanitize case", () => {
    for (const c of CASES) {
      if (c.spec.outcome === "reject") expect(c.spec.errors?.length, `${c.family}/${c.name}`).toBeGreaterThan(0);
      if (c.spec.outcome === "sanitize") expect(c.spec.absent?.length, `${c.family}/${c.name}`).toBeGreaterThan(0);
    }
  });
});
