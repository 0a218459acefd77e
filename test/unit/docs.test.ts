/**
 * The documentation a new user reads, held to the code where that is cheap to check: relative
 * links and section references resolve, every environment variable the code reads is in README's
 * table, every CLI option is in `--help` and in the docs, README's "Limits" table states
 * functions/core/limits.ts, and every test SECURITY.md cites for a claim exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../functions/core/limits.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const DOCS = ["README.md", "SECURITY.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The text with fenced code blocks blanked (their lines kept, so line numbers stay). */
function withoutFences(text: string): string {
  let inFence = false;
  return text
    .split("\n")
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return "";
      }
      return inFence ? "" : line;
    })
    .join("\n");
}

/** Inline code spans blanked too (a link written as code is an example, not a link). */
const withoutCode = (text: string) => withoutFences(text).replace(/(`+)[\s\S]*?\1/g, "");

/** GitHub's anchors for a Markdown file's headings (duplicates numbered -1, -2…). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutFences(text).split("\n")) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}_ -]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

const normal = (s: string) => s.replace(/[`*]/g, "").replace(/\s+/g, " ").trim().toLowerCase();

/** Rows of a Markdown table under a heading, as arrays of cells (the header and rule left out). */
function tableRows(text: string, heading: string): string[][] {
  const start = text.indexOf(`\n${heading}\n`);
  expect(start, `${heading} is in the text`).toBeGreaterThanOrEqual(0);
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,3} /);
  return (end < 0 ? rest : rest.slice(0, end))
    .split("\n")
    .filter((l) => l.startsWith("|") && !/^\|[-| :]+\|$/.test(l))
    .slice(1)
    .map((l) => l.split(" | ").map((c) => c.replace(/^\| ?| ?\|$/g, "").trim()));
}

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => ext.test(f) && statSync(join(ROOT, f)).isFile());
}

describe("links and section references in README.md, SECURITY.md and docs/", () => {
  it("every relative link points to a file that exists, and to a heading of it when it names one", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const doc of DOCS) {
      const text = withoutCode(read(doc));
      for (const m of text.matchAll(/\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        checked++;
        const [path = "", anchor] = target.split("#");
        const file = path === "" ? doc : relative(ROOT, resolve(ROOT, dirname(doc), decodeURIComponent(path)));
        if (!existsSync(join(ROOT, file))) broken.push(`${doc}: ${target} (no file ${file})`);
        else if (anchor !== undefined && !anchors(read(file)).has(anchor)) broken.push(`${doc}: ${target} (no heading #${anchor} in ${file})`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(10);
  });

  it('every "see README "Section"" names a section (a heading, or a paragraph led by those words) of that file', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      for (const m of withoutFences(read(doc)).matchAll(/(README(?:\.md)?|SECURITY\.md|docs\/[a-z0-9-]+\.md)\)?,?\s+"([^"\n]+)"/g)) {
        const file = m[1]!.startsWith("README") ? "README.md" : m[1]!;
        if (!existsSync(join(ROOT, file))) {
          broken.push(`${doc}: ${m[0]} (no file ${file})`);
          continue;
        }
        const wanted = normal(m[2]!);
        const lines = withoutFences(read(file)).split("\n").map((l) => normal(l.replace(/^(#{1,6}|-|\|)\s+/, "")));
        if (!lines.some((l) => l.startsWith(wanted))) broken.push(`${doc}: ${m[0]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe("environment variables", () => {
  /** Every variable the code a user or the Lambdas run reads: process.env.X, env.X, and SST links' fallbacks. */
  function variablesRead(): Map<string, string> {
    const found = new Map<string, string>();
    const sources = [...filesUnder("functions", /\.(ts|mjs|js)$/), ...filesUnder("bin", /\.js$/), ...filesUnder("scripts", /\.ts$/)];
    for (const file of sources) {
      const text = read(file);
      const patterns = [/process\.env\.([A-Z][A-Z0-9_]*)/g, /process\.env\[["']([A-Z][A-Z0-9_]*)["']\]/g, /\benv\.([A-Z][A-Z0-9_]*)/g, /\blinked(?:Optional)?\(\s*"[^"]+",\s*"[^"]+",\s*"([A-Z][A-Z0-9_]*)"/g];
      for (const re of patterns) for (const m of text.matchAll(re)) if (!found.has(m[1]!)) found.set(m[1]!, file);
    }
    return found;
  }

  it("README's table names every variable the code reads", () => {
    const table = tableRows(read("README.md"), "## Environment variables");
    const documented = new Set(table.flatMap((row) => [...row[0]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!)));
    const read_ = variablesRead();
    expect(read_.size).toBeGreaterThan(10);
    const missing = [...read_].filter(([name]) => !documented.has(name)).map(([name, file]) => `${name} (${file})`);
    expect(missing).toEqual([]);
    // And nothing in the table that the code no longer reads.
    expect([...documented].filter((name) => !read_.has(name))).toEqual([]);
  });
});

describe("CLI options", () => {
  const usage = () => {
    const m = /const USAGE = `([\s\S]*?)`;/.exec(read("functions/cli.ts"));
    expect(m, "functions/cli.ts has its USAGE text").not.toBeNull();
    return m![1]!;
  };

  it("--help names every option each command takes, on that command's usage line", () => {
    const text = usage();
    const missing: string[] = [];
    for (const file of filesUnder("functions/commands", /\.ts$/)) {
      const source = read(file);
      const options = /parseArgs\(\{[\s\S]*?options:\s*\{([\s\S]*?)\}\s*,?\s*\}\)/.exec(source);
      if (!options) continue;
      const command = file.replace(/^.*\/|\.ts$/g, "");
      const line = text.split("\n").find((l) => l.startsWith(`  syndicate ${command} `));
      expect(line, `a usage line for ${command}`).toBeDefined();
      for (const m of options[1]!.matchAll(/(?:^|[\s,{])"?([a-z][a-z-]*)"?\s*:\s*\{\s*type:/g)) {
        if (!line!.includes(`--${m[1]}`)) missing.push(`${command} --${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("every option --help lists is in README or docs/", () => {
    const docs = DOCS.map(read).join("\n");
    const options = new Set([...usage().matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!));
    expect(options.size).toBeGreaterThan(15);
    expect([...options].filter((o) => !docs.includes(`--${o}`))).toEqual([]);
  });
});

describe("README \"Limits\"", () => {
  const n = (v: number) => v.toLocaleString("en-US");
  /** Each limit: the table row that states it (its first cell starts so), and how the row writes it. */
  const STATED: Record<keyof typeof LIMITS, [row: string, text: (v: number) => string]> = {
    articleFileBytes: ["article file", (v) => `${v / 1024 / 1024} MiB`],
    siteFileBytes: ["site.yaml", (v) => `${v / 1024} KiB`],
    frontMatterBytes: ["front matter", (v) => `${n(v)} characters`],
    yamlAliases: ["front matter", (v) => `${v} aliases`],
    yamlDepth: ["front matter", (v) => `nesting ${v} levels`],
    articles: ["articles per content tree", n],
    titleChars: ["title", (v) => `${n(v)} characters`],
    summaryChars: ["summary, description", (v) => `${n(v)} characters`],
    tagsPerArticle: ["tags per article", (v) => `${v} (`],
    tagChars: ["tags per article", (v) => `at most ${v} characters`],
    authorsPerArticle: ["authors, related links per article", (v) => `${v} each`],
    relatedPerArticle: ["authors, related links per article", (v) => `${v} each`],
    urlChars: ["URLs", (v) => `${n(v)} characters`],
    slugChars: ["slug", (v) => `${v} characters`],
    idChars: ["id", (v) => `${n(v)} characters`],
    labelChars: ["`labels`", (v) => `${v} characters`],
    bodyNestingDepth: ["Markdown nesting", (v) => `${v} levels`],
    htmlElementDepth: ["Markdown nesting", (v) => `HTML elements ${v} deep`],
    itemsPerFeedMax: ["`items_per_feed`", (v) => `1 to ${n(v)}`],
    documentItemChars: ["item content of one feed document", (v) => `${n(v)} characters`],
  };

  it("states each limit of functions/core/limits.ts as it is", () => {
    const rows = tableRows(read("README.md"), "### Limits");
    const wrong: string[] = [];
    for (const [key, [label, text]] of Object.entries(STATED) as [keyof typeof LIMITS, (typeof STATED)[keyof typeof LIMITS]][]) {
      const row = rows.find(([first = ""]) => first === label || first.startsWith(`${label} `));
      const want = text(LIMITS[key]);
      if (!row) wrong.push(`${key}: no row "${label}"`);
      else if (!(row[1] ?? "").includes(want)) wrong.push(`${key}: row "${row[0]}" says "${row[1]}", not "${want}"`);
    }
    expect(wrong).toEqual([]);
  });
});

describe("SECURITY.md \"Claims and their tests\"", () => {
  /** A test file's string literals as patterns: `${…}` and it.each's %s, %i… stand for anything. */
  function titles(file: string): RegExp[] {
    return [...read(file).matchAll(/(["'`])((?:\\.|(?!\1)[^\\\n])*)\1/g)].map((m) => {
      const literal = m[2]!.replace(/\\(.)/g, "$1");
      const parts = literal.split(/\$\{[^}]*\}|%[sidfjo#]/);
      return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".+")}$`);
    });
  }

  it("every test named for a claim exists (file, and each test or hostile case by its name)", () => {
    const rows = read("SECURITY.md").split("\n").filter((l) => /^\| C\d+ \|/.test(l));
    expect(rows.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const row of rows) {
      const [id, , cell = ""] = row.slice(2, -2).split(" | ");
      let file: string | undefined;
      for (const segment of cell.split(/;\s*/)) {
        const named = /^`(test\/[^`]+)`/.exec(segment);
        if (named) file = named[1];
        if (!file || !existsSync(join(ROOT, file))) {
          missing.push(`${id}: ${file ?? segment} (no such file)`);
          continue;
        }
        const pieces = segment.replace(/^`[^`]+`/, "").split("›").map((p) => p.trim()).filter(Boolean);
        if (file === "test/e2e/hostile.test.ts") {
          // `› hostile content: <family> › case, case…`: each case is a folder of the hostile corpus.
          const family = /^hostile content: ([a-z]+)$/.exec(pieces[0] ?? "")?.[1];
          if (!family) continue;
          const cases = (pieces[1] ?? "").replace(/^\(\d+ cases(?:, e\.g\. )?|\)$/g, "").replace(/`/g, "");
          // A case is a folder of test/fixtures/hostile/<family>/, or generated in cases.ts (NUL bytes, links).
          const generated = read("test/fixtures/hostile/cases.ts");
          for (const c of cases.split(/,\s*/).filter((s) => /^[a-z0-9-]+$/.test(s))) {
            const exists = existsSync(join(ROOT, "test/fixtures/hostile", family, c)) || generated.includes(`generated("${family}", "${c}"`);
            if (!exists) missing.push(`${id}: hostile case ${family}/${c}`);
          }
          continue;
        }
        const patterns = titles(file);
        const names = [...pieces.slice(0, -1), ...(pieces.at(-1)?.split(" / ") ?? [])];
        for (const name of names) {
          const plain = name.replace(/`/g, "");
          const candidates = [plain, plain.replace(/\s*\([^()]*\)$/, "")];
          if (!candidates.some((c) => patterns.some((p) => p.test(c)))) missing.push(`${id}: ${file} › ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
