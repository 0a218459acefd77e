/**
 * One article file → a validated Article, or every issue found in it with file, line and field.
 * Pure: bytes in, model out; no I/O and no clock.
 */
import {
  articleSchema, ARTICLE_KEYS, ARTICLE_NESTED, ARTICLE_EMPTY_ABSENT, authorNamePath, documentIssues, dropMisreadKeys, heldBackElsewhere, HELD_BACK_ELSEWHERE, meantDraft, nearestKey, oneAuthorOfMany, SLUG_RE, unknownKeyMessage,
  unknownNestedKeys, unreachableHost, unreachableMessage, withoutEmpty, type Author, type Labels, type Site,
} from "./schema.ts";
import type { ContentIssue } from "./errors.ts";
import { LIMITS } from "./limits.ts";
import { parseYaml } from "./yaml.ts";
import { quickYaml, topLevelKeyLine } from "./quick-yaml.ts";
import { offsetText, parseContentDate, zonedRfc3339 } from "./dates.ts";
import { renderMarkdown, type RemovedHtml } from "./markdown.ts";
import { articleHtml, escapeHtmlText, feedSafeHtml, type FeedSafeHtml } from "./html.ts";
import { asBase, joinUrl, slugify, imageMimeType } from "./urls.ts";
import { bodyInFrontMatter, decodeText, quickSplit, splitFrontMatter } from "./source.ts";
import { andList, lineAt, lineText, typedEntitiesMessage, xmlIllegalPath, XML_ILLEGAL_REMOVED } from "./text.ts";

export interface Tag {
  name: string;
  slug: string;
}

export interface Article {
  file: string;
  slug: string;
  id: string;
  url: string;
  title: string;
  summary?: string;
  /** The Markdown body and the line it starts on; rendered once, when first needed (renderBody). */
  markdown: string;
  bodyLine: number;
  /** Sanitised body HTML with the image figure, related links and source line around it. */
  contentHtml?: FeedSafeHtml;
  published: number;
  modified: number;
  authors: Author[];
  tags: Tag[];
  image?: { url: string; alt: string; caption?: string; credit?: string; type: string; length?: number };
  language?: string;
  source?: string;
  related: { title: string; url: string }[];
  draft: boolean;
  /** Lines of `id` and `slug` when the front matter sets them (absent: derived), for duplicate errors. */
  lines: { id?: number; slug?: number };
}

/** What makes an article distinct from the others: checked across files for duplicates. */
export type ArticleIdentity = Pick<Article, "file" | "slug" | "id" | "lines">;

export interface ArticleResult {
  article?: Article;
  /** Known whenever the front matter is a mapping, even if invalid: duplicates are reported in the same run. */
  identity?: ArticleIdentity;
  issues: ContentIssue[];
}

/** The file's name without its `.md`. */
function fileBase(file: string): string {
  const name = file.slice(file.lastIndexOf("/") + 1);
  return /\.md$/i.test(name) ? name.slice(0, -3) : name;
}

/** The slug a file name gives: `articles/Ankara Talks.md` → `ankara-talks`. */
export function slugFromFile(file: string): string {
  const base = fileBase(file);
  return SLUG_RE.test(base) && base.length <= LIMITS.slugChars ? base : slugify(base, LIMITS.slugChars);
}

/**
 * What to tell of a file whose name is not its own slug (`Rome talks.md` → rome-talks,
 * `日本語.md` → a hash), when no `slug:` is written: the slug is the article's URL, and its id
 * unless `id:` is written, so a name that hides it surprises, and renaming the file later to
 * "fix" it makes readers see a new item. Undefined for a name that is its slug.
 */
function fileNameNote(file: string): string | undefined {
  const base = fileBase(file);
  const slug = slugFromFile(file);
  if (slug === base) return undefined;
  const what = "the article's URL, and its id unless id: is written";
  if (/^t-[0-9a-f]{12}$/.test(slug) && !/[a-z0-9]/i.test(base.normalize("NFKD"))) {
    return `the file name has nothing a URL slug keeps (Latin letters, digits), so the slug is ${slug}: ${what}. Write slug: in the front matter, or name the file in Latin letters`;
  }
  return `the file name is read as the slug ${slug}: ${what}. Name the file ${slug}.md (the same slug: readers see no change), so that its name shows it`;
}

/**
 * `keepBody: false`: the Markdown is not kept (markdown ""), and for an ordinary file not even
 * decoded (source.ts quickSplit); bodyOf reads it from the same bytes when it is rendered.
 * `placeholderSite`: `site` stands in for a site.yaml that is invalid (content.ts PLACEHOLDER_SITE):
 * what would be said from its values (a date without a zone, read in its UTC) is not said.
 */
export function parseArticle(file: string, bytes: Uint8Array, site: Site, options: { fastPath?: boolean; keepBody?: boolean; placeholderSite?: boolean } = {}): ArticleResult {
  const issues: ContentIssue[] = [];
  const err = (field: string, message: string, line?: number) =>
    issues.push({ file, field, message, line, severity: "error" });
  const warn = (field: string, message: string, line?: number) =>
    issues.push({ file, field, message, line, severity: "warning" });

  if (bytes.byteLength > LIMITS.articleFileBytes) {
    err("file", `is ${bytes.byteLength} bytes; at most ${LIMITS.articleFileBytes} bytes (1 MiB) are allowed`);
    return { issues };
  }
  const bytesSplit = options.keepBody === false ? quickSplit(bytes) : undefined;
  let split: { frontMatter: string; frontMatterLine: number; body: string; bodyLine: number };
  if (bytesSplit) split = { ...bytesSplit, body: "" };
  else {
    const decoded = decodeText(bytes);
    if (!decoded.ok) {
      err("file", decoded.message, decoded.line);
      return { issues };
    }
    if (decoded.removedIllegal) warn("file", XML_ILLEGAL_REMOVED, decoded.removedIllegalLine);
    const whole = splitFrontMatter(decoded.text);
    if (!whole.ok) {
      err("front matter", whole.message, whole.line);
      return { issues };
    }
    split = options.keepBody === false ? { ...whole, body: "" } : whole;
  }
  if (split.frontMatter.length > LIMITS.frontMatterBytes) {
    err("front matter", `is ${split.frontMatter.length} characters; at most ${LIMITS.frontMatterBytes} are allowed`, 1);
    return { issues };
  }
  const fmLine = (l: number | undefined) => (l === undefined ? undefined : l + split.frontMatterLine - 1);
  // Fast path (quick-yaml.ts): kept when it finds no error and every warning it has (an unknown
  // key, a date without a zone: both top-level keys) has its line; otherwise the careful parser
  // below reads the front matter again and reports every issue with its line.
  const quick = options.fastPath === false || issues.length ? undefined : quickYaml(split.frontMatter);
  if (quick) {
    // Lines are looked up only for keys that draw an issue: see interpret.
    const keys = Object.keys(quick).map((key) => ({ key, line: 0 }));
    // A nested path has no line here: a warning about one sends the article to the careful parser.
    const lineOf = (path: readonly PropertyKey[]) => (path.length === 1 ? topLevelKeyLine(split.frontMatter, String(path[0])) : undefined);
    const fast = interpret(file, split, quick, keys, lineOf, site, [], options.placeholderSite === true);
    if (fast.issues.every((i) => i.severity === "warning" && i.line !== undefined)) return fast;
  }
  const parsed = parseYaml(split.frontMatter);
  if (!parsed.ok) {
    // Front matter that does not parse, with a look-alike fence (`—`) or a line of text after a
    // blank line in it: most likely the closing `---` is missing, which says more than the parser.
    const hidden = /\n[ \t]*\n|^[-_\u2010-\u2015\u2212]/m.test(split.frontMatter) ? bodyInFrontMatter(split.frontMatter, split.frontMatterLine) : undefined;
    if (hidden) err("front matter", hidden.message, hidden.line);
    else for (const p of parsed.problems) err(p.field, p.message, fmLine(p.line) ?? split.frontMatterLine);
    return { issues };
  }
  const { yaml } = parsed;
  if (yaml.value === null || typeof yaml.value !== "object" || Array.isArray(yaml.value)) {
    err("front matter", "must be a YAML mapping of fields (title: …, date: …)", split.frontMatterLine);
    return { issues };
  }
  // What the careful parser noticed that parses all the same (a value cut short by " #").
  for (const w of yaml.warnings) issues.push({ file, field: w.field, message: w.message, line: fmLine(w.line), severity: "warning" });
  return interpret(file, split, yaml.value as Record<string, unknown>, yaml.keys, yaml.lineOf, site, issues, options.placeholderSite === true);
}

/** Validated front matter and the body → the Article, or the issues found (lines via `lineOf`). */
function interpret(
  file: string,
  split: { frontMatter: string; frontMatterLine: number; body: string; bodyLine: number },
  value: Record<string, unknown>,
  keys: { key: string; line: number }[],
  lineOf: (path: readonly PropertyKey[]) => number | undefined,
  site: Site,
  issues: ContentIssue[],
  placeholderSite: boolean,
): ArticleResult {
  const err = (field: string, message: string, line?: number) =>
    issues.push({ file, field, message, line, severity: "error" });
  const warn = (field: string, message: string, line?: number) =>
    issues.push({ file, field, message, line, severity: "warning" });
  const fmLine = (l: number | undefined) => (l === undefined ? undefined : l + split.frontMatterLine - 1);
  let unknown = false;
  for (const { key, line } of keys) {
    if (ARTICLE_KEYS.has(key)) continue;
    unknown = true;
    // `darft: true`, `Draft: true`: the article meant to be held back would be published.
    if (value.draft === undefined && meantDraft(key, value[key])) err(key, "did you mean draft? As written, the article would be published", fmLine(line || lineOf([key])));
    // `published: false`, `status: draft`: another tool's draft, which would be published too.
    else if (value.draft === undefined && heldBackElsewhere(key, value[key])) err(key, HELD_BACK_ELSEWHERE, fmLine(line || lineOf([key])));
    else warn(key, unknownKeyMessage("field", nearestKey(key, ARTICLE_KEYS), ARTICLE_KEYS), fmLine(line || lineOf([key])));
  }
  // An unknown key after a blank line may be the body's first paragraph, read as fields because
  // the closing `---` is missing (a `---` rule further down closed the front matter instead).
  if (unknown && /\n[ \t]*(?:\n|$)/.test(split.frontMatter)) {
    const hidden = bodyInFrontMatter(split.frontMatter, split.frontMatterLine);
    if (hidden) warn("front matter", hidden.message, hidden.line);
  }
  for (const { path, known } of unknownNestedKeys(value, ARTICLE_NESTED)) warn(path.join("."), unknownKeyMessage("field", nearestKey(String(path.at(-1)), known), known), fmLine(lineOf(path)));
  // A YAML escape ("\0", "\x07", "\uFFFF") writes what XML cannot carry without a raw byte of it
  // in the file: the schema removes it, said here like a raw one (only text with a backslash can).
  // On the line of the string that held it (`alt:` under `image:`), not where the field begins.
  if (split.frontMatter.includes("\\")) {
    for (const key of Object.keys(value)) {
      const path = xmlIllegalPath(value[key], [key]);
      if (path) warn(key, XML_ILLEGAL_REMOVED, fmLine(lineOf(path)));
    }
  }
  // `tags: Turkey, Diplomacy` is one tag in YAML (a lone string becomes a one-tag list): most
  // likely meant as two. Said, not refused: a tag may hold a comma.
  // `tags:` then `  -Turkey` on the next lines: without a space after each dash YAML reads no
  // list but one tag, "-Turkey -Libya" (the lines folded into one).
  if (typeof value.tags === "string" && /^-[^\s-]/.test(value.tags)) {
    const names = value.tags.split(/(?:^|\s+)-(?=[^\s-])/).map((t) => t.replace(/\s+/g, " ").trim()).filter(Boolean);
    // The `tags:` line, by both parsers (the careful one would give the value's).
    warn("tags", `is one tag, "${value.tags.replace(/\s+/g, " ").trim()}": a list item needs a space after its dash ("- ${names[0]}")${names.length > 1 ? `; for ${names.length} tags: tags: [${names.join(", ")}]` : ""}`, fmLine(topLevelKeyLine(split.frontMatter, "tags")));
  } else if (typeof value.tags === "string" && value.tags.includes(",")) {
    // On one line whatever the value held (a block scalar may hold line breaks).
    const names = value.tags.split(",").map((t) => t.replace(/\s+/g, " ").trim()).filter(Boolean);
    warn("tags", `is one tag, "${names.join(", ")}"; for ${names.length} tags write a list: tags: [${names.join(", ")}]`, fmLine(lineOf(["tags"])));
  }
  // `authors: Jane Doe, John Smith`: likewise one author, named with both names.
  const oneAuthor = oneAuthorOfMany(value.authors);
  if (oneAuthor) warn("authors", oneAuthor, fmLine(lineOf(["authors"])));
  // reportInput: zod 4 leaves `input` off issues unless asked, and issueMessage needs it to
  // tell a missing field from one of the wrong type (`title: 123` is not "is required").
  // Without reportInput first (a third faster); an invalid article is parsed again with it.
  let result = articleSchema.safeParse(value);
  if (!result.success) {
    // A field left empty (`tags:`, null in YAML) is read as left out (schema.ts emptyAsAbsent):
    // only here, since it fails the first parse, so ordinary front matter is not looked through.
    result = articleSchema.safeParse(withoutEmpty(value, ARTICLE_EMPTY_ABSENT), { reportInput: true });
    // `tags: #Libya #Turkey`, `title: #1 in Ankara`: empty to YAML, the rest a comment; an
    // optional field read as left out is said as a warning (schema.ts documentIssues).
    const told = documentIssues(result.error, value, lineOf, (line) => lineText(split.frontMatter, line));
    for (const e of told.errors) err(e.field || "front matter", e.message, fmLine(e.line) ?? split.frontMatterLine);
    for (const w of told.warnings) warn(w.field, w.message, fmLine(w.line));
  }

  const identity = identify(file, value, site, (key) => fmLine(lineOf([key])));
  const nameNote = value.slug === undefined ? fileNameNote(file) : undefined;
  if (nameNote) warn("file", nameNote);
  if (!result.success) {
    // Unknown keys YAML read on a line an error is about (schema.ts).
    dropMisreadKeys(issues);
    return { identity, issues };
  }

  const fm = result.data;
  const dateOf = (value: string, field: string) => {
    const d = parseContentDate(value, site.timezone);
    // Read in a placeholder's zone, not the site's: nothing to tell about that until site.yaml is valid.
    if (d.ok && !d.zoned && !d.dateOnly && !placeholderSite) {
      const tz = site.timezone;
      // A time the clocks skipped or showed twice that day: the instant it was read as, with its
      // offset, since the value written with that day's offset would be another instant (or either).
      if (d.skipped) warn(field, `has no time zone, and ${value} does not exist in ${tz} on that day (the clocks skipped it): read as ${zonedRfc3339(d.ms, tz)}; write that, or the time meant with its offset`, fmLine(lineOf([field])));
      else if (d.repeated !== undefined) warn(field, `has no time zone, and ${value} occurs twice in ${tz} on that day (the clocks went back): ${zonedRfc3339(d.ms, tz)} and ${zonedRfc3339(d.repeated, tz)}; read as the earlier, ${zonedRfc3339(d.ms, tz)}: write the one meant, with its offset`, fmLine(lineOf([field])));
      else {
        // The offset it was read with, so that writing it changes nothing (a `Z` would move it).
        const offset = offsetText(d.ms, tz);
        warn(field, `has no time zone; read as ${tz}, ${offset} on that day: write it, ${value}${offset}`, fmLine(lineOf([field])));
      }
    }
    if (d.ok && d.colonOffset !== undefined) {
      const written = value.trim();
      const { rfc3339, as } = d.colonOffset;
      const how = as.length === 3 ? "(hours and minutes, with a colon)" : "(with a colon)";
      warn(field, `has the UTC offset ${as}: RFC 3339 requires ${rfc3339} ${how}; read as ${rfc3339}: write it, ${written.slice(0, -as.length)}${rfc3339}`, fmLine(lineOf([field])));
    }
    return d.ok ? d.ms : NaN;
  };
  const published = dateOf(fm.date, "date");
  const modified = fm.updated ? dateOf(fm.updated, "updated") : published;
  if (modified < published) err("updated", "is earlier than date", fmLine(lineOf(["updated"])));

  let image: Article["image"];
  if (fm.image) {
    const type = fm.image.type ?? imageMimeType(fm.image.url);
    if (!type) err("image.type", "the image URL has no known extension (.jpg, .png, .webp…): give its MIME type, like image/jpeg", fmLine(lineOf(["image", "url"])));
    else image = { ...fm.image, type };
  }
  // A URL of a local or staging copy (http://localhost:8080/…, a 192.168.x.x address) that
  // readers of the feed cannot follow. Only a few string operations per URL (unreachableHost).
  const local = (href: string, path: (string | number)[]) => {
    const host = unreachableHost(href);
    if (host !== undefined) warn(path.join("."), unreachableMessage(host), fmLine(lineOf(path)));
  };
  if (fm.url !== undefined) local(fm.url, ["url"]);
  if (fm.image) local(fm.image.url, ["image", "url"]);
  if (fm.related) for (let i = 0; i < fm.related.length; i++) local(fm.related[i]!.url, ["related", i, "url"]);
  if (fm.authors) for (let i = 0; i < fm.authors.length; i++) if (fm.authors[i]!.url !== undefined) local(fm.authors[i]!.url!, ["authors", i, "url"]);
  // A list field written as a lone value (`tags: Libya`, `authors: Jane Doe`) is the list of it:
  // its one item's path is then the field's, as the editor wrote it.
  const itemPath = (field: string, i: number, ...rest: string[]) => (Array.isArray(value[field]) ? [field, i, ...rest] : [field, ...rest]);
  const tags = dedupeTags(fm.tags ?? [], (i, message) => warn(`tags.${i}`, message, fmLine(lineOf(itemPath("tags", i)))));
  // `Fish &amp; Chips` in a plain-text field: said, published as written (text.ts typedEntities).
  const entities = (text: string | undefined, path: (string | number)[]) => {
    const told = typedEntitiesMessage(text);
    if (told) warn(path.join("."), told, fmLine(lineOf(path)));
  };
  entities(fm.title, ["title"]);
  entities(fm.summary, ["summary"]);
  entities(fm.source, ["source"]);
  if (fm.image) for (const key of ["alt", "caption", "credit"] as const) entities(fm.image[key], ["image", key]);
  fm.authors?.forEach((a, i) => entities(a.name, authorNamePath(value.authors, i)));
  fm.tags?.forEach((t, i) => entities(t, itemPath("tags", i)));
  fm.related?.forEach((r, i) => entities(r.title, itemPath("related", i, "title")));
  if (issues.some((i) => i.severity === "error")) return { identity, issues };

  // Written out field by field: a spread first and fields after it build the object through
  // slow property additions (~12 µs an article at 10,000).
  const article: Article = {
    file: identity.file,
    slug: identity.slug,
    id: identity.id,
    lines: identity.lines,
    // Front matter's, else the one a derived id is (identify): that very string when the id is
    // derived, not a second copy of it (~100 bytes less held per article).
    url: fm.url ?? (fm.id === undefined ? identity.id : articleUrl(site.site_url, identity.slug)),
    title: fm.title,
    summary: fm.summary,
    markdown: split.body,
    bodyLine: split.bodyLine,
    published,
    modified,
    authors: fm.authors ?? site.authors ?? [],
    tags,
    image,
    language: fm.language,
    source: fm.source,
    related: fm.related ?? [],
    draft: fm.draft,
  };
  return { article, identity, issues };
}

/**
 * Slug and id as the schema would give them (explicit when valid, else derived from the file
 * name and site_url), read from raw front matter so an invalid article still has them.
 */
function identify(file: string, raw: Record<string, unknown>, site: Site, lineOf: (key: string) => number | undefined): ArticleIdentity {
  const explicit = (key: "slug" | "id") => {
    if (raw[key] === undefined) return undefined; // both are optional: nothing to check
    const r = articleSchema.shape[key].safeParse(raw[key]);
    return r.success && r.data !== undefined ? r.data : undefined;
  };
  const slug = explicit("slug") ?? slugFromFile(file);
  const id = explicit("id");
  return {
    file,
    slug,
    id: id ?? articleUrl(site.site_url, slug),
    lines: { id: id === undefined ? undefined : lineOf("id"), slug: slug === raw.slug ? lineOf("slug") : undefined },
  };
}

/**
 * The derived URL of an article, `articles/<slug>` under the site's URL. A slug of lowercase
 * letters, digits and hyphens resolves to the base's href followed by the path, so the base is
 * parsed once per site rather than once per article (`new URL` ~2 µs); anything else goes
 * through URL resolution.
 */
let lastBase: { site: string; href: string | undefined } = { site: "", href: undefined };
export function articleUrl(siteUrl: string, slug: string): string {
  if (lastBase.site !== siteUrl) {
    const href = new URL(asBase(siteUrl)).href;
    lastBase = { site: siteUrl, href: href.endsWith("/") && !/[?#]/.test(href) ? href : undefined };
  }
  return lastBase.href !== undefined && SLUG_RE.test(slug) ? `${lastBase.href}articles/${slug}` : joinUrl(asBase(siteUrl), `articles/${slug}`);
}

/** A file's Markdown body and its first line, exactly as parseArticle reads them: for an
 * article whose body text was not kept (parsed on a worker thread) when it must be rendered. */
export function bodyOf(bytes: Uint8Array): { markdown: string; bodyLine: number } | undefined {
  const decoded = decodeText(bytes);
  const split = decoded.ok ? splitFrontMatter(decoded.text) : undefined;
  return split?.ok ? { markdown: split.body, bodyLine: split.bodyLine } : undefined;
}

/**
 * The line in the file of a top-level front matter key (`updated:`), read from the same bytes
 * as parseArticle reads them: for an issue found after parsing (build.ts, an `updated` later than
 * the build's time), of an article that may come from the build cache, which keeps no lines.
 */
export function frontMatterKeyLine(bytes: Uint8Array, key: string): number | undefined {
  const decoded = decodeText(bytes);
  const split = decoded.ok ? splitFrontMatter(decoded.text) : undefined;
  if (!split?.ok) return undefined;
  const line = topLevelKeyLine(split.frontMatter, key);
  return line === undefined ? undefined : line + split.frontMatterLine - 1;
}

/**
 * Markdown → the item's HTML, once per article (the result is kept on it). Separate from parsing
 * so that validation reads front matter only and a build converts just the bodies it publishes.
 * `labels`: the site's (labels.ts siteLabels), for the words around the body; the build cache
 * that keeps this HTML is keyed on site.yaml's bytes, so new labels are never met by old HTML.
 */
export function renderBody(article: Article, labels: Labels): ContentIssue[] {
  if (article.contentHtml !== undefined) return [];
  // Footnote ids are prefixed with a hash of the item's id: unique on a reader's page of items.
  const body = renderMarkdown(article.markdown, article.url, { itemId: article.id });
  if (!body.ok) return [bodyIssue(article.file, article.bodyLine, body)];
  // The whole content, caption and source line included, the same in every format.
  article.contentHtml = feedSafeHtml(articleHtml({ body: body.html, image: article.image, related: article.related, source: article.source, summary: article.summary, labels }));
  const told = removedWarnings(article.file, article.bodyLine, body.removed);
  // Nothing for a reader to read but the title: most likely a body lost (a front matter never
  // closed, a file cut short), said; a link post with a summary is fine.
  if (article.contentHtml === "" && !article.summary) told.push({ file: article.file, line: article.bodyLine, field: "body", severity: "warning", message: "is empty, and there is no summary: readers show the title alone" });
  // `# Libya talks` first, the title again (a page's habit): readers show it twice.
  if (body.html.startsWith(`<h1>${escapeHtmlText(article.title)}</h1>`)) {
    // Its line: the body's first line with text on it.
    told.push({ file: article.file, line: article.bodyLine + lineAt(article.markdown, article.markdown.search(/\S/)) - 1, field: "body", severity: "warning", message: "begins with the title as a heading: readers show the title above the content already, so it appears twice; remove the heading" });
  }
  return told;
}

function bodyIssue(file: string, bodyLine: number, failed: { message: string; line?: number }): ContentIssue {
  const line = failed.line === undefined ? bodyLine : failed.line + bodyLine - 1;
  return { file, line, field: "body", message: failed.message, severity: "error" };
}

/** Warnings per file about what the allow-list removed (raw HTML, refused URLs): at most this many, then a count. */
export const REMOVED_HTML_WARNINGS = 10;

/** A warning for each thing the allow-list removed (markdown.ts removedHtml, bodyWarnings). */
function removedWarnings(file: string, bodyLine: number, all: readonly RemovedHtml[] | undefined): ContentIssue[] {
  if (!all?.length) return [];
  // The same thing on one line said once (two ftp: links, an onclick on two tags): the build
  // cache keeps warnings by their text, so a first build and a cached one tell the same.
  const seen = new Set<string>();
  const removed = all.filter((r) => !seen.has(`${r.line} ${r.what}`) && seen.add(`${r.line} ${r.what}`));
  const warn = (line: number, message: string): ContentIssue => ({ file, line: line + bodyLine - 1, field: "body", message, severity: "warning" });
  const shown = removed.slice(0, REMOVED_HTML_WARNINGS).map((r) => warn(r.line, r.message ?? `not published: ${r.what}; README "What HTML an article may contain" lists what is kept`));
  const more = removed.length - shown.length;
  if (more > 0) shown.push(warn(removed[REMOVED_HTML_WARNINGS]!.line, removed.slice(REMOVED_HTML_WARNINGS).some((r) => r.message) ? `${more} more warning${more === 1 ? "" : "s"} on this body from here on` : `not published: ${more} more piece${more === 1 ? "" : "s"} from here on`));
  return shown;
}

/**
 * The body's problem, if any, of a file whose front matter gave no article: `validate` reports
 * every problem in every file, not only the first one a file has. Nothing is kept of the HTML.
 */
export function checkBody(file: string, bytes: Uint8Array, siteUrl: string): ContentIssue[] {
  if (bytes.byteLength > LIMITS.articleFileBytes) return []; // reported as too large, not read further
  const body = bodyOf(bytes);
  if (!body) return [];
  const r = renderMarkdown(body.markdown, articleUrl(siteUrl, slugFromFile(file)));
  return r.ok ? removedWarnings(file, body.bodyLine, r.removed) : [bodyIssue(file, body.bodyLine, r)];
}

/**
 * What to do about tags whose slugs meet, in one article (dedupeTags) or across articles
 * (content.ts tagSpellings): one slug is one tag, with one feed.
 */
export const MEETING_SLUGS_ADVICE = "write the tag one way, or, if they are different tags, name one differently";

/**
 * One tag per slug, the first written: an item is in one tag feed per slug and has one category
 * for it. `told(index, message)` hears of each slug whose other spellings were dropped
 * (`tags: [C++, C#, C]` are all `c`; `Node.js` and `node-js`), at the first one dropped; the
 * same name written twice loses nothing and is not told.
 */
function dedupeTags(names: string[], told: (index: number, message: string) => void): Tag[] {
  const seen = new Map<string, Tag>();
  let dropped: Map<string, { index: number; names: string[] }> | undefined;
  names.forEach((name, index) => {
    const slug = slugify(name);
    const kept = seen.get(slug);
    if (!kept) seen.set(slug, { name, slug });
    else if (kept.name !== name) {
      const d = (dropped ??= new Map()).get(slug);
      if (!d) dropped.set(slug, { index, names: [name] });
      else if (!d.names.includes(name)) d.names.push(name);
    }
  });
  for (const [slug, d] of dropped ?? []) {
    told(
      d.index,
      `${andList(d.names.map((n) => JSON.stringify(n)))} ${d.names.length === 1 ? "is" : "are"} dropped: the slug ${slug} is also ${JSON.stringify(seen.get(slug)!.name)}'s, which is kept (one tag, and one feed, tags/${slug}/, per slug); ${MEETING_SLUGS_ADVICE}`,
    );
  }
  return [...seen.values()];
}

