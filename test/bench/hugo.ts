/**
 * The Hugo side of `npm run bench` (issue 6, deliverable 1): Debian's `hugo` renders RSS 2.0,
 * Atom 1.0 and JSON Feed 1.1 for the home page and every tag from the same generated corpus,
 * with the same item limit and full content. Setup and differences: docs/bench-hugo.md.
 *
 *   const hugo = ensureHugo();                                   // path; installs if missing
 *   writeHugoSite(contentDir, siteDir, { itemsPerFeed: 50 });    // once per corpus
 *   const run = timeHugo(siteDir, outDir);                       // one cold build
 *
 * `npx tsx test/bench/hugo.ts [verify|measure] [sizes] [rounds] [--relative-links]` runs the
 * output check (verify, default 1,000 articles) or times builds (measure, default 1000,10000 × 3);
 * --relative-links drops the link render hooks (see writeHugoSite).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { slugify } from "../../functions/core/urls.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
/** Hugo templates and base configuration, copied into every generated site. */
export const HUGO_TEMPLATE_DIR = join(HERE, "hugo");
const TIME = "/usr/bin/time";

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/** `apt-get install -y <pkg>`; `apt-get update` first only if the install fails. */
function aptInstall(pkg: string): void {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "--no-install-recommends", pkg], { stdio: ["ignore", "ignore", "inherit"], env }).status;
  if (install() === 0) return;
  execFileSync("apt-get", ["update"], { stdio: ["ignore", "ignore", "inherit"], env });
  if (install() !== 0) throw new Error(`apt-get install -y ${pkg} failed`);
}

/** The `hugo version` line, e.g. "hugo v0.111.3+extended linux/amd64 BuildDate=… VendorInfo=debian:0.111.3-1". */
export function hugoVersion(hugo = ensureHugo()): string {
  return execFileSync(hugo, ["version"], { encoding: "utf8" }).trim();
}

/** The hugo binary's path; installs Debian's `hugo` package when it is missing (needs root). */
export function ensureHugo(): string {
  let hugo = which("hugo");
  if (!hugo) {
    console.log("hugo not found: installing Debian's package (apt-get install -y hugo)");
    aptInstall("hugo");
    hugo = which("hugo");
    if (!hugo) throw new Error("hugo is still missing after apt-get install -y hugo");
    console.log(hugoVersion(hugo));
  }
  return hugo;
}

/** GNU time, for the child's peak RSS (`-f %M`); installs Debian's `time` package when missing. */
function ensureTime(): string {
  if (!existsSync(TIME)) aptInstall("time");
  if (!existsSync(TIME)) throw new Error(`${TIME} is still missing after apt-get install -y time`);
  return TIME;
}

/** Splits an article file into its front matter (parsed) and its body (the exact bytes after the closing `---` line). */
function splitArticle(text: string, file: string): { meta: Record<string, unknown>; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  if (!m) throw new Error(`${file}: no YAML front matter`);
  return { meta: (parseYaml(m[1]!) ?? {}) as Record<string, unknown>, body: text.slice(m[0].length) };
}

/** Front-matter keys carried over to Hugo. Everything else in the corpus is absent. */
const KEYS = ["title", "date", "updated", "summary", "tags", "authors", "image"] as const;

/**
 * Converts a Syndicate content tree (site.yaml + articles/*.md, as written by writeCorpus) into
 * a Hugo site under `siteDir` (replaced): content/posts/<slug>.md with the same front matter
 * fields in YAML and a byte-identical Markdown body, hugo.yaml from test/bench/hugo/hugo.yaml
 * with the site's title, URLs, language, authors and item limit, and the feed templates.
 * Returns the number of articles written.
 */
export function writeHugoSite(
  corpusDir: string,
  siteDir: string,
  opts: {
    itemsPerFeed: number;
    /**
     * Render hooks that make relative links and images absolute, as Syndicate does (default
     * true). They make Hugo render an item's Markdown once per output format instead of once;
     * false gives Hugo's cheaper setup, at the price of relative links in the feeds.
     */
    absoluteLinks?: boolean;
  },
): { articles: number } {
  rmSync(siteDir, { recursive: true, force: true });
  mkdirSync(join(siteDir, "content", "posts"), { recursive: true });
  const site = parseYaml(readFileSync(join(corpusDir, "site.yaml"), "utf8")) as {
    title: string; description?: string; site_url: string; feed_url?: string; language?: string; authors?: { name: string }[];
  };
  const config = parseYaml(readFileSync(join(HUGO_TEMPLATE_DIR, "hugo.yaml"), "utf8")) as Record<string, any>;
  const siteURL = site.site_url.endsWith("/") ? site.site_url : `${site.site_url}/`;
  const feedURL = site.feed_url ? (site.feed_url.endsWith("/") ? site.feed_url : `${site.feed_url}/`) : siteURL;
  // Feeds live under feed_url, as Syndicate's do (their self links are equal); item URLs are
  // built in the templates from params.siteURL, as Syndicate's ids are.
  config.baseURL = feedURL;
  config.title = site.title;
  config.languageCode = site.language ?? "en";
  config.services.rss.limit = opts.itemsPerFeed;
  config.params = {
    itemsPerFeed: opts.itemsPerFeed,
    description: site.description ?? "",
    siteURL,
    siteOrigin: new URL(siteURL).origin,
    authors: site.authors?.length ? site.authors.map((a) => ({ name: a.name })) : [{ name: site.title }],
  };
  writeFileSync(join(siteDir, "hugo.yaml"), stringifyYaml(config));
  cpSync(join(HUGO_TEMPLATE_DIR, "layouts"), join(siteDir, "layouts"), { recursive: true });
  if (opts.absoluteLinks === false) rmSync(join(siteDir, "layouts", "_default", "_markup"), { recursive: true });

  const names = readdirSync(join(corpusDir, "articles")).filter((n) => n.endsWith(".md")).sort();
  for (const name of names) {
    const { meta, body } = splitArticle(readFileSync(join(corpusDir, "articles", name), "utf8"), name);
    if (meta.draft === true) continue;
    const lines = ["---"];
    for (const k of KEYS) {
      if (meta[k] === undefined) continue;
      // `updated` is Syndicate's modification date; Hugo calls it lastmod.
      lines.push(`${k === "updated" ? "lastmod" : k}: ${JSON.stringify(meta[k])}`);
    }
    lines.push("---", "");
    writeFileSync(join(siteDir, "content", "posts", name), lines.join("\n") + body);
  }
  return { articles: names.length };
}

function walk(dir: string): { files: number; bytes: number } {
  let files = 0, bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const s = walk(p);
      files += s.files;
      bytes += s.bytes;
    } else if (e.isFile()) {
      files++;
      bytes += statSync(p).size;
    }
  }
  return { files, bytes };
}

export interface HugoRun {
  /** Wall time around the hugo process (spawn to exit), ms. */
  ms: number;
  /** Hugo's own "Total in N ms" (excludes process start-up and config loading). */
  hugo_ms: number | undefined;
  /** User + system CPU time of the hugo process (GNU time %U + %S), ms: less sensitive than wall time to other load on a shared machine. */
  cpu_ms: number;
  /** Peak resident set size of the hugo process (GNU time %M), MiB. */
  max_rss_mib: number;
  /** Files and bytes in outDir after the build. */
  files: number;
  bytes: number;
}

/**
 * One cold build: `hugo --source siteDir --destination outDir --ignoreCache` into a fresh
 * outDir with a fresh, empty cache directory, under `/usr/bin/time -f %M` for peak memory.
 * Throws if hugo fails.
 */
export function timeHugo(siteDir: string, outDir: string): HugoRun {
  const hugo = ensureHugo();
  const time = ensureTime();
  rmSync(outDir, { recursive: true, force: true });
  rmSync(join(siteDir, "resources"), { recursive: true, force: true });
  const cacheDir = mkdtempSync(join(tmpdir(), "hugo-bench-cache-"));
  const args = ["-f", "%M %U %S", hugo, "--source", siteDir, "--destination", outDir, "--cacheDir", cacheDir, "--ignoreCache", "--noBuildLock"];
  try {
    const t0 = performance.now();
    const r = spawnSync(time, args, { encoding: "utf8", maxBuffer: 16 << 20 });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`hugo failed (${r.status}): ${r.stderr}${r.stdout}`);
    const errLines = r.stderr.trim().split("\n");
    const [kib, user, sys] = errLines.pop()!.trim().split(" ").map(Number);
    if (![kib, user, sys].every(Number.isFinite)) throw new Error(`could not read peak memory and CPU time from GNU time: ${r.stderr}`);
    const total = /Total in (\d+) ms/.exec(r.stdout);
    return { ms, hugo_ms: total ? Number(total[1]) : undefined, cpu_ms: (user! + sys!) * 1000, max_rss_mib: kib! / 1024, ...walk(outDir) };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Stand-alone use: output check and a small measurement (the lead integrates the functions into
// test/bench/bench.ts).

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const absoluteLinks = !process.argv.includes("--relative-links");
  const [mode = "verify", sizesArg, roundsArg] = args;
  const { writeCorpus } = await import("../support/corpus.ts");
  const root = join(process.cwd(), ".bench");
  const hugo = ensureHugo();
  console.log(hugoVersion(hugo));
  const sizes = (sizesArg ?? (mode === "verify" ? "1000" : "1000,10000")).split(",").map(Number);
  const rounds = Number(roundsArg ?? 3);
  const itemsPerFeed = 50;
  for (const n of sizes) {
    const corpus = await writeCorpus(join(root, `hugo-corpus-${n}`), { articles: n, itemsPerFeed, archives: false });
    const site = join(root, `hugo-site-${n}`), out = join(root, `hugo-out-${n}`);
    writeHugoSite(corpus, site, { itemsPerFeed, absoluteLinks });
    if (mode === "verify") {
      const run = timeHugo(site, out);
      console.log(`${n} articles: ${run.files} files, ${(run.bytes / 1048576).toFixed(1)} MiB, ${run.ms.toFixed(0)} ms, peak ${run.max_rss_mib.toFixed(0)} MiB`);
      verify(corpus, out, n, itemsPerFeed);
      // Same items as Syndicate's own build? (Skipped if the pipeline does not build right now.)
      const ours = join(root, `hugo-ours-${n}`);
      rmSync(ours, { recursive: true, force: true });
      const b = spawnSync(process.execPath, ["--import", "tsx", "functions/cli.ts", "build", "--content", corpus, "--out", ours], { encoding: "utf8" });
      if (b.status === 0) compareWithSyndicate(ours, out);
      else console.log(`compare: skipped, Syndicate's build failed: ${(b.stderr || b.stdout).trim().split("\n")[0]}`);
      continue;
    }
    const runs: HugoRun[] = [];
    for (let r = 0; r < rounds; r++) runs.push(timeHugo(site, out));
    rmSync(out, { recursive: true, force: true });
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ms = runs.map((r) => r.ms), hms = runs.map((r) => r.hugo_ms ?? NaN), cpu = runs.map((r) => r.cpu_ms);
    console.log(
      `${String(n).padStart(6)} articles: hugo ${med(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)}) wall, ` +
        `${med(hms).toFixed(0)} ms (${Math.min(...hms)}–${Math.max(...hms)}) self-reported, ` +
        `CPU ${med(cpu).toFixed(0)} ms (${Math.min(...cpu).toFixed(0)}–${Math.max(...cpu).toFixed(0)}), ` +
        `peak ${Math.max(...runs.map((r) => r.max_rss_mib)).toFixed(0)} MiB (median ${med(runs.map((r) => r.max_rss_mib)).toFixed(0)}), ` +
        `${runs[0]!.files} files, ${(runs[0]!.bytes / 1048576).toFixed(1)} MiB out`,
    );
  }
}

/** Checks Hugo's output for a corpus: three formats for home and every tag, N items each, full content, JSON that parses. */
export function verify(corpusDir: string, outDir: string, articles: number, itemsPerFeed: number): void {
  // Expected tags: Syndicate's slugs of every tag spelling in the corpus.
  const tagCount = new Map<string, number>();
  for (const name of readdirSync(join(corpusDir, "articles"))) {
    const { meta } = splitArticle(readFileSync(join(corpusDir, "articles", name), "utf8"), name);
    for (const slug of new Set(((meta.tags as string[]) ?? []).map((t) => slugify(t)))) tagCount.set(slug, (tagCount.get(slug) ?? 0) + 1);
  }
  const dirs = [{ dir: outDir, expect: Math.min(itemsPerFeed, articles), label: "home" }];
  for (const [slug, count] of [...tagCount].sort()) dirs.push({ dir: join(outDir, "tags", slug), expect: Math.min(itemsPerFeed, count), label: `tags/${slug}` });
  const hugoTags = existsSync(join(outDir, "tags")) ? readdirSync(join(outDir, "tags")).sort() : [];
  const problems: string[] = [];
  if (hugoTags.join() !== [...tagCount.keys()].sort().join()) problems.push(`tag directories differ: hugo ${hugoTags.join(",")} vs expected ${[...tagCount.keys()].sort().join(",")}`);
  let documents = 0, items = 0;
  for (const { dir, expect, label } of dirs) {
    const rss = readFileSync(join(dir, "feed.xml"), "utf8");
    const atom = readFileSync(join(dir, "atom.xml"), "utf8");
    const json = JSON.parse(readFileSync(join(dir, "feed.json"), "utf8")) as { version: string; items: { id: string; content_html: string; date_published: string }[] };
    documents += 3;
    const full = (html: string) => html.includes("<h2>A sub-heading</h2>") && html.includes('href="https://corpus.example.com/related/') && (html.match(/<p>/g) ?? []).length >= 9;
    const unescape = (s: string) => s.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&#34;", '"').replaceAll("&#39;", "'").replaceAll("&amp;", "&");
    const xmlContents = (xml: string, re: RegExp) => [...xml.matchAll(re)].map((m) => unescape(m[1]!));
    const counts = {
      rss: (rss.match(/<item>/g) ?? []).length,
      rssFull: xmlContents(rss, /<content:encoded>([^<]*)<\/content:encoded>/g).filter(full).length,
      atom: (atom.match(/<entry>/g) ?? []).length,
      atomFull: xmlContents(atom, /<content type="html">([^<]*)<\/content>/g).filter(full).length,
      json: json.items.length,
      // Full content: every paragraph, the sub-heading and the absolutised link.
      jsonFull: json.items.map((i) => i.content_html).filter(full).length,
    };
    items += counts.json;
    for (const [k, v] of Object.entries(counts)) if (v !== expect) problems.push(`${label}: ${k} ${v}, expected ${expect}`);
    const dates = json.items.map((i) => i.date_published);
    if (dates.some((d, i) => i > 0 && d > dates[i - 1]!)) problems.push(`${label}: items not newest first`);
    if (json.version !== "https://jsonfeed.org/version/1.1") problems.push(`${label}: JSON Feed version ${json.version}`);
  }
  const all = walk(outDir);
  console.log(`verify: ${dirs.length} feeds (home + ${dirs.length - 1} tags), ${documents} documents, ${items} items per format, ${all.files} files in the output`);
  if (problems.length) {
    console.log(problems.slice(0, 20).join("\n"));
    throw new Error(`${problems.length} problems in Hugo's output`);
  }
  console.log("verify: ok (RSS, Atom and JSON Feed for home and every tag, N items each, full content, JSON parses)");
}

/**
 * Compares Hugo's JSON Feeds with Syndicate's, document by document and item by item (every
 * field but content_html exactly; content_html after mapping goldmark's `&quot;` in text to `"`
 * as sanitize-html writes it, and trimming the final newline).
 */
export function compareWithSyndicate(oursDir: string, hugoDir: string): { same: number; different: number } {
  const docs = ["", ...readdirSync(join(oursDir, "tags")).map((t) => `tags/${t}/`)];
  let same = 0, different = 0;
  const notes: string[] = [];
  const norm = (k: string, v: unknown) => (k === "content_html" && typeof v === "string" ? v.replaceAll("&quot;", '"').trimEnd() : v);
  for (const d of docs) {
    const hugoFile = join(hugoDir, d, "feed.json");
    if (!existsSync(hugoFile)) {
      notes.push(`${d}feed.json: missing in Hugo's output`);
      continue;
    }
    const a = JSON.parse(readFileSync(join(oursDir, d, "feed.json"), "utf8")) as Record<string, unknown> & { items: Record<string, unknown>[] };
    const b = JSON.parse(readFileSync(hugoFile, "utf8")) as Record<string, unknown> & { items: Record<string, unknown>[] };
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (k !== "items" && JSON.stringify(a[k]) !== JSON.stringify(b[k])) notes.push(`${d}feed.json ${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`);
    }
    if (a.items.length !== b.items.length) notes.push(`${d}feed.json: ${a.items.length} items vs ${b.items.length}`);
    a.items.forEach((x, i) => {
      const y = b.items[i] ?? {};
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => JSON.stringify(norm(k, x[k])) !== JSON.stringify(norm(k, y[k])));
      if (keys.length) {
        different++;
        notes.push(`${d}feed.json item ${i}: ${keys.join(", ")} differ`);
      } else same++;
    });
  }
  console.log(`compare with Syndicate's JSON Feeds: ${docs.length} documents, ${same} items equal, ${different} different`);
  if (notes.length) console.log(notes.slice(0, 10).join("\n"));
  return { same, different };
}

if (process.argv[1] && basename(process.argv[1]) === "hugo.ts") await main();
