/**
 * A whole content tree → site settings + articles, with every issue in every file found in
 * one pass (CONTRACT.md "Content format"). Duplicate slugs and ids name both files.
 */
import {
  authorNamePath, documentIssues, dropMisreadKeys, nearestKey, oneAuthorOfMany, siteSchema, SITE_KEYS, SITE_NESTED, SITE_EMPTY_ABSENT, unknownKeyMessage, unknownNestedKeys,
  unreachableHost, unreachableMessage, withoutEmpty, type Site,
} from "./schema.ts";
import type { ContentIssue } from "./errors.ts";
import { LIMITS } from "./limits.ts";
import { isTimeZone } from "./dates.ts";
import { parseYaml } from "./yaml.ts";
import { decodeText } from "./source.ts";
import { lineText, xmlIllegalPath, typedEntitiesMessage, XML_ILLEGAL_REMOVED } from "./text.ts";
import { frontMatterKeyLine, MEETING_SLUGS_ADVICE, parseArticle, type Article, type ArticleIdentity, type ArticleResult } from "./article.ts";

/** A file of the content tree, its path relative to the content root with "/" separators. */
export interface ContentFile {
  path: string;
  bytes: Uint8Array;
  /** The source's cheap change marker, where it has one (see ReadOptions.skip). */
  fingerprint?: string;
}

export interface LoadedContent {
  site?: Site;
  /** The line of each top-level setting in site.yaml, for issues about one found later. */
  siteLines?: Readonly<Record<string, number>>;
  articles: Article[];
  issues: ContentIssue[];
}

export const SITE_FILE = "site.yaml";
const SITE_MISSING = "is missing: the content directory needs a site.yaml with title, description, site_url, feed_url and language";

export function parseSite(bytes: Uint8Array | undefined): { site?: Site; lines?: Record<string, number>; issues: ContentIssue[] } {
  const issues: ContentIssue[] = [];
  const err = (field: string, message: string, line?: number) =>
    issues.push({ file: SITE_FILE, field, message, line, severity: "error" });
  if (!bytes) {
    err("file", SITE_MISSING);
    return { issues };
  }
  if (bytes.byteLength > LIMITS.siteFileBytes) {
    err("file", `is ${bytes.byteLength} bytes; at most ${LIMITS.siteFileBytes} are allowed`);
    return { issues };
  }
  const text = decodeText(bytes);
  if (!text.ok) {
    err("file", text.message, text.line);
    return { issues };
  }
  const warn = (field: string, message: string, line?: number) => issues.push({ file: SITE_FILE, field, message, line, severity: "warning" });
  if (text.removedIllegal) warn("file", XML_ILLEGAL_REMOVED, text.removedIllegalLine);
  const parsed = parseYaml(text.text, { frontMatter: false });
  if (!parsed.ok) {
    for (const p of parsed.problems) err(p.field === "front matter" ? "file" : p.field, p.message, p.line);
    return { issues };
  }
  const value = parsed.yaml.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    err("file", "must be a YAML mapping of settings (title: …, site_url: …)", 1);
    return { issues };
  }
  const settings = value as Record<string, unknown>;
  for (const w of parsed.yaml.warnings) warn(w.field, w.message, w.line);
  // As in front matter (article.ts): what a YAML escape wrote that XML cannot carry is removed.
  const escapes = text.text.includes("\\");
  for (const { key, line } of parsed.yaml.keys) {
    const illegal = escapes ? xmlIllegalPath(settings[key], [key]) : undefined;
    if (illegal) warn(key, XML_ILLEGAL_REMOVED, parsed.yaml.lineOf(illegal) ?? line);
    if (!SITE_KEYS.has(key)) warn(key, unknownKeyMessage("setting", nearestKey(key, SITE_KEYS), SITE_KEYS), line);
  }
  for (const { path, known } of unknownNestedKeys(settings, SITE_NESTED)) warn(path.join("."), unknownKeyMessage("setting", nearestKey(String(path.at(-1)), known), known), parsed.yaml.lineOf(path));
  // As in front matter (article.ts): `authors: Jane Doe, John Smith` is one author.
  const oneAuthor = oneAuthorOfMany(settings.authors);
  if (oneAuthor) warn("authors", oneAuthor, parsed.yaml.lineOf(["authors"]));
  // reportInput: without it zod 4 omits `input`, and every wrong-typed setting read "is required".
  // A setting left empty (`icon:`) is read as left out, as in front matter (schema.ts emptyAsAbsent).
  const result = siteSchema.safeParse(withoutEmpty(settings, SITE_EMPTY_ABSENT), { reportInput: true });
  // `copyright: #1 wire`: empty to YAML, the rest a comment (schema.ts documentIssues).
  const told = documentIssues(result.error, settings, parsed.yaml.lineOf, (line) => lineText(text.text, line));
  for (const e of told.errors) err(e.field || "file", e.message, e.line ?? 1);
  for (const w of told.warnings) warn(w.field, w.message, w.line);
  if (!result.success) {
    // Unknown keys YAML read on a line an error is about (schema.ts).
    dropMisreadKeys(issues);
    return { issues };
  }
  const site = result.data;
  // URLs of a local or staging copy, which readers cannot follow.
  const local = (href: string | undefined, path: (string | number)[]) => {
    const host = href === undefined ? undefined : unreachableHost(href);
    if (host !== undefined) warn(path.join("."), unreachableMessage(host), parsed.yaml.lineOf(path));
  };
  for (const key of ["site_url", "feed_url", "icon", "favicon"] as const) local(site[key], [key]);
  site.authors?.forEach((a, i) => local(a.url, ["authors", i, "url"]));
  // As in front matter (article.ts): `Fish &amp; Chips` in plain text is told, kept as written.
  const entities = (text: string | undefined, path: (string | number)[]) => {
    const told = typedEntitiesMessage(text);
    if (told) warn(path.join("."), told, parsed.yaml.lineOf(path));
  };
  for (const key of ["title", "description", "copyright"] as const) entities(site[key], [key]);
  for (const [key, label] of Object.entries(site.labels ?? {})) entities(label, ["labels", key]);
  site.authors?.forEach((a, i) => entities(a.name, authorNamePath(settings.authors, i)));
  const zone = timeZoneSurprise(site.timezone);
  if (zone) warn("timezone", zone, parsed.yaml.lineOf(["timezone"]));
  return { site, lines: Object.fromEntries(parsed.yaml.keys.map(({ key, line }) => [key, line])), issues };
}

/**
 * A city's zone for each whole UTC offset that has one without daylight saving (for the advice
 * on Etc/GMT±N): the place an editor who wrote one most likely meant.
 */
const CITY_AT_OFFSET: Readonly<Record<number, string>> = {
  [-10]: "Pacific/Honolulu", [-7]: "America/Phoenix", [-5]: "America/Bogota", [-4]: "America/Puerto_Rico", [-3]: "America/Sao_Paulo",
  1: "Africa/Lagos", 2: "Africa/Johannesburg", 3: "Europe/Istanbul", 4: "Asia/Dubai", 5: "Asia/Karachi", 6: "Asia/Dhaka", 7: "Asia/Bangkok",
  8: "Asia/Singapore", 9: "Asia/Tokyo", 10: "Australia/Brisbane",
};

/** Zones of a fixed offset named like a region's: what they are, and the zone most likely meant. */
const FIXED_ZONES: Readonly<Record<string, string>> = {
  EST: "EST is a fixed -05:00 all year, no daylight saving; for New York write America/New_York",
  MST: "MST is a fixed -07:00 all year, no daylight saving; for Denver write America/Denver (Arizona: America/Phoenix)",
  HST: "HST is a fixed -10:00 all year, no daylight saving; write Pacific/Honolulu for Hawaii",
};

/**
 * A valid time zone that does not do what its name suggests: `Etc/GMT+3` is UTC-03:00 (POSIX
 * inverts the sign), and EST, MST and HST never change to daylight saving time.
 */
function timeZoneSurprise(timezone: string): string | undefined {
  const fixed = FIXED_ZONES[timezone.toUpperCase()];
  if (fixed) return fixed;
  const m = /^etc\/gmt([+-])(\d{1,2})$/i.exec(timezone);
  if (!m || Number(m[2]) === 0) return undefined;
  const n = Number(m[2]);
  const hours = String(n).padStart(2, "0");
  const [is, meant] = m[1] === "+" ? ["-", "+"] : ["+", "-"];
  // Etc/GMT-14 exists, Etc/GMT+14 does not: the other sign is offered only where it is a zone.
  const other = isTimeZone(`Etc/GMT${is}${n}`) ? `Etc/GMT${is}${n} or ` : "";
  const city = CITY_AT_OFFSET[Number(`${meant}${n}`)];
  return `${timezone} is UTC${is}${hours}:00 (the sign is inverted in these names); for UTC${meant}${hours}:00 write ${other}${city ? `a city zone such as ${city}` : "a city's zone (Area/City)"}`;
}

export function isArticlePath(path: string): boolean {
  return /^articles\/[^/]+\.md$/i.test(path);
}

/** What a build reads: site.yaml and the articles (push uploads these alone; their problems are told). */
export function isSourcePath(path: string): boolean {
  return path === SITE_FILE || isArticlePath(path);
}

/**
 * The load's issues that the reader's do not already tell: when the reader said why site.yaml
 * has no bytes (too large, unreadable), not also that it is missing.
 */
export function loadIssuesBeside(read: readonly ContentIssue[], loaded: readonly ContentIssue[]): ContentIssue[] {
  const siteTold = read.some((i) => i.file === SITE_FILE && i.severity === "error");
  return siteTold ? loaded.filter((i) => !(i.file === SITE_FILE && i.message === SITE_MISSING)) : [...loaded];
}

/**
 * `reused`: results already known for article paths (the build cache), for files that were
 * not read or whose bytes did not change; they join the duplicate checks like the rest.
 * `now`: the clock, for a date more than a year ahead (FAR_AHEAD_MS), told as a likely typo.
 */
export function loadContent(files: ContentFile[], reused: ReadonlyMap<string, ArticleResult> = new Map(), now = Date.now()): LoadedContent {
  const siteFile = files.find((f) => f.path === SITE_FILE);
  const { site, lines: siteLines, issues } = parseSite(siteFile?.bytes);
  const articleFiles: (ContentFile | { path: string; bytes?: undefined })[] = files.filter((f) => isArticlePath(f.path) && !reused.has(f.path));
  for (const path of reused.keys()) articleFiles.push({ path });
  articleFiles.sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const f of files) {
    if (f.path !== SITE_FILE && !isArticlePath(f.path)) {
      issues.push({ file: f.path, field: "file", severity: "warning", message: "not site.yaml or articles/<slug>.md: ignored" });
    }
  }
  if (articleFiles.length > LIMITS.articles) {
    issues.push({ file: "articles/", field: "file", severity: "error", message: `${articleFiles.length} articles; at most ${LIMITS.articles} are allowed` });
    return { site, siteLines, articles: [], issues };
  }
  // Without valid site settings, articles are still checked (against placeholder settings) so
  // that one run reports everything; nothing is built from them.
  const settings = site ?? PLACEHOLDER_SITE;
  const options = site ? undefined : { placeholderSite: true };
  const articles: Article[] = [];
  const identities: ArticleIdentity[] = [];
  for (const f of articleFiles) {
    const r = f.bytes ? parseArticle(f.path, f.bytes, settings, options) : reused.get(f.path)!;
    issues.push(...r.issues);
    if (r.article) {
      articles.push(r.article);
      // A year typed wrong (2062 for 2026): the article waits for it, unpublished, without a word.
      // Checked here, not in parseArticle: it depends on the clock, and parse results are cached.
      if (r.article.published - now > FAR_AHEAD_MS) {
        issues.push({ file: f.path, line: f.bytes && frontMatterKeyLine(f.bytes, "date"), field: "date", severity: "warning", message: "is more than a year ahead: a typo? The article stays unpublished until then" });
      }
    }
    if (r.identity) identities.push(r.identity);
  }
  issues.push(...duplicates(identities, "slug"), ...duplicates(identities, "id"), ...tagSpellings(articles));
  return { site, siteLines, articles, issues };
}

/**
 * One warning per tag written more than one way (`Turkey`, `turkey`; `Türkiye`, `Turkiye`), or
 * two tags whose slugs meet (`C++` and `C#` are both `c`): they are one tag with one feed, titled
 * after the newest item's spelling, which then changes with whichever article came last. Named
 * on the first file that wrote it differently, with every spelling and the first file of each.
 * Within one article, article.ts dedupeTags keeps the first and tells the rest.
 */
function tagSpellings(articles: readonly Article[]): ContentIssue[] {
  const bySlug = new Map<string, Map<string, string>>();
  for (const a of articles) {
    for (const t of a.tags) {
      let names = bySlug.get(t.slug);
      if (!names) bySlug.set(t.slug, (names = new Map()));
      if (!names.has(t.name)) names.set(t.name, a.file);
    }
  }
  const issues: ContentIssue[] = [];
  for (const [slug, names] of bySlug) {
    if (names.size < 2) continue;
    const spellings = [...names];
    const shown = spellings.slice(0, 5).map(([name, file]) => `"${name}" (${file})`);
    if (spellings.length > 5) shown.push(`${spellings.length - 5} more`);
    issues.push({
      file: spellings[1]![1],
      field: "tags",
      severity: "warning",
      message: `${shown.join(", ")} share one slug, so one tag and one feed, tags/${slug}/, titled after the newest article's spelling: ${MEETING_SLUGS_ADVICE}`,
    });
  }
  return issues;
}

/** How far ahead of now a date is told as likely mistyped (a year, leap day included). */
export const FAR_AHEAD_MS = 366 * 86_400_000;

/** The settings articles are checked against when site.yaml is invalid (nothing is built then). */
export const PLACEHOLDER_SITE: Site = {
  title: "-", description: "-", site_url: "https://placeholder.invalid/", feed_url: "https://placeholder.invalid/",
  language: "en", items_per_feed: 50, archives: true, timezone: "UTC",
};

function duplicates(articles: ArticleIdentity[], key: "slug" | "id"): ContentIssue[] {
  const first = new Map<string, ArticleIdentity>();
  const issues: ContentIssue[] = [];
  for (const a of articles) {
    const prev = first.get(a[key]);
    if (!prev) {
      first.set(a[key], a);
      continue;
    }
    // Two derived ids collide only because their slugs do: that is reported once, as the slug.
    if (key === "id" && a.lines.id === undefined && prev.lines.id === undefined) continue;
    // Told in the file that wrote the value (it has a line), whichever comes first.
    const [here, there] = a.lines[key] === undefined && prev.lines[key] !== undefined ? [prev, a] : [a, prev];
    const origin = (x: ArticleIdentity) => (x.lines[key] ? `:${x.lines[key]}` : key === "slug" ? " (from its file name)" : " (derived from its slug)");
    issues.push({
      file: here.file,
      line: here.lines[key],
      field: key,
      severity: "error",
      message: `${JSON.stringify(here[key])}${here.lines[key] ? "" : origin(here)} is also the ${key} of ${there.file}${origin(there)}; each article needs its own`,
      other: { file: there.file, line: there.lines[key] },
    });
  }
  return issues;
}

export function hasErrors(issues: ContentIssue[]): boolean {
  return issues.some((i) => i.severity === "error");
}
