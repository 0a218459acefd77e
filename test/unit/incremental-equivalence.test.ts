/**
 * Incremental builds publish what a build without the cache publishes (model-based, fast-check):
 * a small content tree goes through random edits (articles added, edited, renamed, deleted,
 * scheduled; the clock moved on; site.yaml changed), and after each one the build with the
 * cache into O is compared, byte for byte, with a `cache: false` build of the same content into
 * a copy of O as it was before that build (archive pages depend on the record of the full pages
 * the output holds: README "Output", so both start from the same previous output). Compared:
 * every published file, manifest.json included (its build id is a hash of the outputs), and the
 * record of the archive pages the next build follows; not the rest of `.syndicate/` (the cache).
 * Both builds run with the same tuning (bytes kept, archive groups, parse workers), which must
 * not change what is published either.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { build, type BuildOptions } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { ContentError } from "../../functions/core/errors.ts";
import { footnoteDocId } from "../../functions/core/markdown.ts";
import { articleText, siteYaml, snapshot, tempDir, writeTree, type Fields } from "../support/content-tree.ts";

const DAY = 86_400_000;
const START = Date.UTC(2020, 2, 1);
const SLUGS = ["a", "b", "c", "d", "e", "f"] as const;
const TITLES = ["One", "Two", "Three", "Four"] as const;
const TAGS = ["X", "x", "Y", "Z"] as const;
const IDS = [undefined, undefined, "tag:example.com,2020:1", "https://news.example.com/articles/a", "https://news.example.com/articles/z"] as const;

interface Art {
  title: string;
  summary?: string;
  body: string;
  /** Minutes from START (negative: before it). */
  at: number;
  updated?: number;
  tags: string[];
  draft: boolean;
  id?: string;
  slug?: string;
  source?: string;
}
interface Site {
  items_per_feed: number;
  archives: boolean;
  title: string;
  labels?: { archive: string };
}
interface Model {
  articles: Map<string, Art>;
  site: Site;
  now: number;
}

const iso = (minutes: number) => new Date(START + minutes * 60_000).toISOString().replace(".000Z", "Z");

function fileText(a: Art): string {
  const fields: Fields = { title: a.title, date: iso(a.at), summary: a.summary, updated: a.updated === undefined ? undefined : iso(a.updated), tags: a.tags.length ? a.tags : undefined, draft: a.draft || undefined, id: a.id, slug: a.slug, source: a.source };
  return articleText(fields, a.body);
}

// Dates on a coarse grid (whole days, some in the same minute) so that ties and back-dating happen.
const pastDate = fc.integer({ min: -12, max: -1 }).chain((d) => fc.constantFrom(d * 1440, d * 1440 + 600));
const art: fc.Arbitrary<Art> = fc.record({
  title: fc.constantFrom(...TITLES),
  summary: fc.option(fc.constantFrom("Sum one.", "Sum two."), { nil: undefined }),
  body: fc.constantFrom("Body text.", "Other *body*.", "# Head\n\nMore text [link](https://example.com/).", "", "Noted[^1].\n\n[^1]: The note."),
  at: pastDate,
  updated: fc.constant(undefined),
  tags: fc.subarray([...TAGS], { maxLength: 2 }),
  draft: fc.constant(false), // drafts come from the edit operation
  id: fc.constant(undefined),
  source: fc.option(fc.constant("AFP"), { nil: undefined }),
});

type Op =
  | { op: "add"; slug: string; a: Art }
  | { op: "title" | "summary" | "body" | "date" | "tags" | "draft" | "id" | "updated" | "slug" | "touch" | "source"; n: number; a: Art; id?: string; flag: boolean; days: number; slug: string }
  | { op: "rename"; n: number; to: string }
  | { op: "delete"; n: number }
  | { op: "schedule"; n: number; days: number }
  | { op: "advance"; days: number }
  | ({ op: "site" } & Site);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("add" as const), slug: fc.constantFrom(...SLUGS), a: art }), weight: 4 },
  {
    arbitrary: fc.record({
      op: fc.constantFrom("title", "summary", "body", "date", "tags", "draft", "id", "updated", "slug", "touch", "source") as fc.Arbitrary<"title">,
      n: fc.nat(20),
      a: art,
      id: fc.constantFrom(...IDS),
      flag: fc.boolean(),
      days: fc.integer({ min: 1, max: 5 }),
      slug: fc.constantFrom(...SLUGS, "z"),
    }),
    weight: 8,
  },
  { arbitrary: fc.record({ op: fc.constant("rename" as const), n: fc.nat(20), to: fc.constantFrom(...SLUGS) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("delete" as const), n: fc.nat(20) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("schedule" as const), n: fc.nat(20), days: fc.integer({ min: 1, max: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("advance" as const), days: fc.integer({ min: 1, max: 3 }) }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant("site" as const),
      items_per_feed: fc.constantFrom(1, 2, 2, 3),
      archives: fc.boolean(),
      title: fc.constantFrom("Test Wire", "Other Wire"),
      labels: fc.option(fc.constant({ archive: "{title}, page {page}" }), { nil: undefined }),
    }),
    weight: 1,
  },
);

/** Applies an operation to the model; renames are done on disk too (the same inode, a new path). */
async function apply(m: Model, op: Op, content: string): Promise<void> {
  const slugs = [...m.articles.keys()].sort();
  const pick = (n: number) => (slugs.length ? slugs[n % slugs.length]! : undefined);
  const minutesNow = (m.now - START) / 60_000;
  switch (op.op) {
    case "add":
      if (!m.articles.has(op.slug)) m.articles.set(op.slug, { ...op.a });
      return;
    case "rename": {
      const from = pick(op.n);
      if (!from || m.articles.has(op.to)) return;
      m.articles.set(op.to, m.articles.get(from)!);
      m.articles.delete(from);
      await rename(join(content, "articles", `${from}.md`), join(content, "articles", `${op.to}.md`));
      return;
    }
    case "delete": {
      const s = pick(op.n);
      if (s) m.articles.delete(s);
      return;
    }
    case "schedule": {
      const s = pick(op.n);
      if (s) m.articles.get(s)!.at = minutesNow + op.days * 1440;
      return;
    }
    case "advance":
      m.now += op.days * DAY;
      return;
    case "site":
      m.site = { items_per_feed: op.items_per_feed, archives: op.archives, title: op.title, labels: op.labels };
      return;
    default: {
      const s = pick(op.n);
      if (!s) return;
      const a = m.articles.get(s)!;
      if (op.op === "title") a.title = op.a.title;
      else if (op.op === "summary") a.summary = op.a.summary;
      else if (op.op === "body") a.body = op.a.body;
      else if (op.op === "date") a.at = op.a.at; // in the past
      else if (op.op === "tags") a.tags = op.a.tags;
      else if (op.op === "draft") a.draft = op.flag;
      else if (op.op === "id") a.id = op.id;
      else if (op.op === "source") a.source = op.a.source;
      else if (op.op === "slug") a.slug = op.flag ? op.slug : undefined;
      else if (op.op === "touch") await writeFile(join(content, "articles", `${s}.md`), fileText(a));
      else if (op.op === "updated") a.updated = op.flag ? Math.min(minutesNow, a.at + op.days * 1440) : undefined;
      if (a.updated !== undefined && a.updated < a.at) a.updated = undefined;
    }
  }
}

/** Writes what differs from the model (unchanged files keep their bytes and stat). */
async function sync(m: Model, content: string): Promise<void> {
  const want = new Map<string, string>([["site.yaml", siteYaml({ ...m.site })]]);
  for (const [slug, a] of m.articles) want.set(`articles/${slug}.md`, fileText(a));
  await mkdir(join(content, "articles"), { recursive: true });
  const have = await snapshot(content);
  for (const [path, text] of want) {
    const full = join(content, ...path.split("/"));
    if (!existsSync(full) || (await readFile(full, "utf8")) !== text) await writeFile(full, text);
  }
  for (const path of Object.keys(have)) if (!want.has(path)) await rm(join(content, ...path.split("/")));
}

/** Published files (not .syndicate/) with their bytes. */
async function published(dir: string): Promise<Record<string, string>> {
  const files = await snapshot(dir);
  return Object.fromEntries(Object.entries(files).filter(([k]) => !k.startsWith(".syndicate/")).map(([k, v]) => [k, Buffer.from(v.bytes, "base64").toString("utf8")]));
}

/** Parse workers from the first file (SYNDICATE_WORKERS=1 SYNDICATE_PARALLEL_MIN=1), with nothing parsed on the main thread. */
const WORKERS = { workers: 1, parallelMin: 1, mainThread: false };

/** How a build is run that must not change what it publishes: parse workers, bytes kept, archive groups. */
type Tuning = Pick<BuildOptions, "workers" | "parallelMin" | "mainThread" | "keepBytes" | "archiveGroupItems">;

async function runBuild(content: string, out: string, now: number, cache: boolean, tuning: Tuning = {}): Promise<string> {
  try {
    await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now, cache, allowEmpty: true, ...tuning });
    return "ok";
  } catch (err) {
    if (err instanceof ContentError) return `content error: ${err.issues.filter((i) => i.severity === "error").map((i) => `${i.file}: ${i.message}`).join("; ")}`;
    throw err;
  }
}

const copyDir = async (from: string, to: string) => {
  await rm(to, { recursive: true, force: true });
  if (existsSync(from)) await cp(from, to, { recursive: true, preserveTimestamps: true });
};

/** Runs the steps (a build after each); fails at the first where the two builds differ. */
async function check(initial: number, ops: Op[][], root: string, tuning: Tuning): Promise<void> {
  await rm(root, { recursive: true, force: true });
  const content = join(root, "content");
  const out = join(root, "out");
  const before = join(root, "before");
  const clean = join(root, "clean");
  const m: Model = { articles: new Map(), site: { items_per_feed: 2, archives: true, title: "Test Wire" }, now: START };
  for (const [i, slug] of SLUGS.slice(0, initial).entries()) m.articles.set(slug, { title: TITLES[i % TITLES.length]!, body: "Body text.", at: -1440 * (12 - 2 * i), tags: [TAGS[i % 3]!], draft: false });
  await sync(m, content);
  await runBuild(content, out, m.now, true, tuning);
  for (const [step, op] of ops.entries()) {
    for (const o of op) await apply(m, o, content);
    await sync(m, content);
    await copyDir(out, before);
    const incremental = await runBuild(content, out, m.now, true, tuning);
    await copyDir(before, clean);
    const full = await runBuild(content, clean, m.now, false, tuning);
    const context = `step ${step} (${JSON.stringify(op)})`;
    expect({ context, result: incremental }).toEqual({ context, result: full });
    const files = await published(out);
    expect({ context, files }).toEqual({ context, files: await published(clean) });
    const record = async (dir: string) => (await readFile(join(dir, ".syndicate", "archive-pages.json"), "utf8").catch(() => undefined));
    expect({ context, record: await record(out) }).toEqual({ context, record: await record(clean) });
    if (process.env.EQUIV_STATS) {
      STATS.steps++;
      if (incremental === "ok") STATS.ok++;
      else STATS.errors.push(incremental.replace(/"[^"]*"/g, "…").slice(0, 150));
      if (Object.keys(files).some((k) => /^archive\/\d+\//.test(k))) STATS.full++;
      if (Object.keys(files).some((k) => /^archive\/\d+-/.test(k))) STATS.filling++;
    }
  }
}

const STATS = { steps: 0, ok: 0, full: 0, filling: 0, errors: [] as string[] };

/**
 * Builds `content` with the cache into `out`, and without it into a copy of `out` as it was
 * before (beside it); returns what each published.
 */
async function bothWays(content: string, out: string, now: number, tuning: Tuning = {}) {
  const before = `${out}-before`, clean = `${out}-clean`;
  await copyDir(out, before);
  const incremental = { result: await runBuild(content, out, now, true, tuning), files: await published(out) };
  await copyDir(before, clean);
  const full = { result: await runBuild(content, clean, now, false, tuning), files: await published(clean) };
  return { incremental, full };
}

const tuningArb: fc.Arbitrary<Tuning> = fc
  .record({ keepBytes: fc.constantFrom(undefined, 0, 200), archiveGroupItems: fc.constantFrom(undefined, 1, 2) })
  // With EQUIV_WORKERS=1, parse workers in every build (slow: a worker's start-up costs each build,
  // ~1 s here; the test above has them convert bodies).
  .map((t) => ({ ...Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)), ...(process.env.EQUIV_WORKERS && WORKERS) }));

const steps = (maxLength: number) => fc.array(fc.array(opArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength });
// Fixed: the same runs every time (EQUIV_SEED, EQUIV_RUNS to explore others; EQUIV_SHRINK=1 to shrink a failure).
const runs = (numRuns: number) => ({ numRuns: Number(process.env.EQUIV_RUNS ?? numRuns), seed: Number(process.env.EQUIV_SEED ?? 20261129), endOnFailure: process.env.EQUIV_SHRINK !== "1" });

describe("incremental builds", () => {
  it("with parse workers: a body converted on a worker is the one converted on the main thread (a brief's summary in its body's place, footnote anchors named by the item's id)", async () => {
    const dir = await tempDir();
    const brief = (summary: string) => articleText({ title: "Brief", date: "2020-01-05T00:00:00Z", summary, source: "AFP" }, "");
    const notes = (title: string) => articleText({ title, date: "2020-01-04T00:00:00Z", id: "tag:example.com,2020:notes" }, "Noted[^1].\n\n[^1]: The note.");
    const content = join(dir, "content"), out = join(dir, "out");
    await writeTree(content, { "site.yaml": siteYaml({ items_per_feed: 4 }), "articles/brief.md": brief("Sum one."), "articles/notes.md": notes("Notes"), "articles/a.md": articleText({ title: "A", date: "2020-01-02T00:00:00Z" }), "articles/b.md": articleText({ title: "B", date: "2020-01-01T00:00:00Z" }) });
    await runBuild(content, out, START, true, WORKERS);
    // One article edited: the incremental build converts its body alone, on the main thread
    // (a worker takes a share of more); the build without the cache converts every body, the
    // newest two on the worker.
    await writeFile(join(content, "articles", "brief.md"), brief("Sum two."));
    const edited = await bothWays(content, out, START, WORKERS);
    expect(edited.incremental).toEqual(edited.full);
    expect(edited.full.files["feed.json"]).toContain(String.raw`"content_html":"<p>Sum two.</p>\n<p><em>Source: AFP</em></p>"`);
    await writeFile(join(content, "articles", "notes.md"), notes("Notes, edited"));
    const notesEdited = await bothWays(content, out, START, WORKERS);
    expect(notesEdited.incremental).toEqual(notesEdited.full);
    // The anchors' prefix is a hash of the item's id (markdown.ts footnoteDocId), not of its URL.
    expect(notesEdited.full.files["feed.json"]).toContain(`#fn-${footnoteDocId("tag:example.com,2020:notes")}-1`);
  });

  it("publish what a build without the cache publishes into the same previous output, after any sequence of edits", async () => {
    const root = join(await tempDir(), "run");
    await fc.assert(fc.asyncProperty(fc.integer({ min: 3, max: 6 }), steps(10), tuningArb, (initial, ops, tuning) => check(initial, ops, root, tuning)), runs(30));
    if (process.env.EQUIV_STATS) console.log(STATS);
  }, 600_000);
});
