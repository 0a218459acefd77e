/**
 * The one source of truth for content: site.yaml and article front matter (CONTRACT.md,
 * "Content format"). Types are inferred from these schemas; input is coerced at this boundary
 * (a lone string where a list is expected, an author given as a bare name).
 */
import * as z from "zod";
import { LIMITS } from "./limits.ts";
import { parseContentDate, isTimeZone } from "./dates.ts";
import { andList, cleanLine, stripXmlIllegal } from "./text.ts";
import { labelProblem, type LabelKey } from "./labels.ts";
import { joinUrl } from "./urls.ts";
import type { ContentIssue } from "./errors.ts";

/**
 * Text normalised by `clean`, then not empty, at most `max` characters and whatever `check` says
 * (its problem, or undefined). One transform that checks its result, rather than a transform
 * piped into a second string schema: a third less work per field, and text fields are most of
 * what every article's front matter holds.
 */
const text = (max: number, what: string, clean: (s: string) => string, check?: (v: string) => string | undefined) =>
  z.string({ error: `expected ${what} as text` }).transform((s, ctx) => {
    const v = clean(s);
    const problem = v.length === 0 ? "must not be empty" : v.length > max ? `must be at most ${max} characters` : check?.(v);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    return v;
  });

const line = (max: number, what: string) => text(max, what, cleanLine);

const multiline = (max: number, what: string) => text(max, what, (s) => stripXmlIllegal(s.normalize("NFC")).trim());

/** A label of site.yaml `labels` (labels.ts): one line, its placeholders checked. */
const label = (key: LabelKey, what: string) => text(LIMITS.labelChars, what, cleanLine, (v) => labelProblem(key, v)).optional();

/** The URL when `value` is an absolute http(s) URL with a host, else undefined. */
function parseHttpUrl(value: string): URL | undefined {
  try {
    const u = new URL(value);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "" ? u : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `new URL` once per value: the refine's result is kept for the transform that follows it on the
 * same value. (One transform doing both would drop the refine's issue for a value over the length
 * limit: a transform does not run after a failed check, a refine does.)
 */
let lastUrl: { value: string; href: string | undefined } = { value: "", href: undefined };
function httpUrlHref(value: string): string | undefined {
  if (lastUrl.value !== value) lastUrl = { value, href: parseHttpUrl(value.trim())?.href };
  return lastUrl.href;
}

/**
 * The URL to write for a host written without its scheme (`news.example.com`, `www.example.com/a`,
 * `example.com/a`), as site settings are often typed: a host of three labels or more, or one
 * followed by a path or port. Not a file name (`photo.large.jpg`, `budget.jpg`).
 */
function withScheme(value: string): string | undefined {
  const m = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)([:/?#].*)?$/i.exec(value.trim());
  if (!m || /\.(?:jpe?g|png|gif|webp|svg|avif|html?|md|pdf|xml|json|txt)$/i.test(m[1]!)) return undefined;
  if (m[2] === undefined && m[1]!.split(".").length < 3) return undefined;
  return parseHttpUrl(`https://${value.trim()}`)?.href;
}

const httpUrl = z
  .string({ error: "expected an absolute http(s) URL" })
  .max(LIMITS.urlChars, `must be at most ${LIMITS.urlChars} characters`)
  .refine((v) => httpUrlHref(v) !== undefined, {
    error: (issue) => {
      const href = typeof issue.input === "string" ? withScheme(issue.input) : undefined;
      return `must be an absolute http(s) URL, like https://example.com/page${href ? `: write ${href} (with its scheme)` : ""}`;
    },
  })
  .transform((v) => httpUrlHref(v) as string);

/**
 * feed_url: the folder the feeds are published in, their addresses made under it. The address of
 * a feed (`…/feed.xml`, `…/atom.xml`, `rss.xml`, `feed.json`: a last segment with a feed's
 * extension), as an editor copies it from an old site, would publish every self link as
 * `…/feed.xml/feed.xml`: refused, naming the folder to write.
 */
const FEED_FILE = /\/[^/]+\.(?:xml|rss|atom|rdf|json)$/i;
const feedFolderUrl = httpUrl.refine((href) => !FEED_FILE.test(new URL(href).pathname), {
  error: (issue) => {
    const href = issue.input as string;
    return `is the address of a feed, not of the folder the feeds are published in (the feed would be ${joinUrl(href, "feed.xml")}): write ${new URL(".", href).href}`;
  },
});

const email = z.email({ error: "must be an e-mail address like name@example.com" });

const authorObject = z.object(
  {
    name: line(200, "the author's name"),
    url: httpUrl.optional(),
    email: email.optional(),
  },
  { error: "expected an author: a name, or {name, url?, email?}" },
);
const authorSchema = z.preprocess((v) => (typeof v === "string" ? { name: v } : v), authorObject);

const listOf = <T extends z.ZodType>(item: T, max: number, what: string) =>
  z.preprocess(
    (v) => (v === null || v === undefined ? undefined : Array.isArray(v) ? v : [v]),
    z.array(item, { error: `expected a list of ${what}` }).max(max, `at most ${max} ${what} are allowed`),
  );

/** `v` as Intl canonicalises it: one tag when it is well formed, none otherwise. */
function canonicalLocales(v: string): string[] {
  try {
    return Intl.getCanonicalLocales(v);
  } catch {
    return [];
  }
}

/**
 * The language tag of `tags` (canonicalLocales), when it has a language code of 2 or 3 letters.
 * Well-formed is not enough: `english` is (a 5-8 letter language subtag is reserved for
 * registration, and none is registered), but no reader knows it.
 */
const languageTag = (tags: readonly string[]) => (tags.length === 1 && /^[a-z]{2,3}(?:-|$)/.test(tags[0]!) ? tags[0] : undefined);

/** Canonicalised with the check in one transform: `Intl.getCanonicalLocales` runs once per value. */
const bcp47 = z
  .string({ error: "expected a BCP 47 language tag like en, en-GB or tr" })
  .transform((v, ctx) => {
    const tags = canonicalLocales(v);
    const tag = languageTag(tags);
    if (tag !== undefined) return tag;
    // `en_US`, `tr_TR`: a locale as WordPress and operating systems write it.
    const hyphened = tags.length === 0 && v.includes("_") ? languageTag(canonicalLocales(v.replaceAll("_", "-"))) : undefined;
    ctx.addIssue({
      code: "custom",
      message: `must be a BCP 47 language tag like en, en-GB or tr${
        hyphened ? `: write ${hyphened} (a hyphen, not an underscore)` : tags.length === 1 ? ": it starts with a language code of 2 or 3 letters (ISO 639)" : ""
      }`,
      input: v,
    });
    return z.NEVER;
  });

const contentDate = z
  .string({ error: "expected an ISO 8601 date-time like 2020-06-19T10:30:00+03:00 or a date like 2020-06-19 (quote it if it has a time)" })
  .superRefine((v, ctx) => {
    const parsed = parseContentDate(v, "UTC");
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
  });

/**
 * The characters no IRI holds (RFC 3987 §2.2: outside its grammar, as in a URI; its ucschar
 * leaves out the controls): `<`, `>`, `"`, `{`, `}`, `|`, `\`, `^`, a backtick, DEL and the C1
 * controls. The C0 controls are removed at the boundary (cleanLine) and white space is refused
 * by the id's pattern. Percent-encoding writes each (RFC 3987 §3.1), as encodeURIComponent does.
 */
const NOT_IN_IRI = /[<>"{}|\\^`\u007f-\u009f]/g;

function notInIri(id: string, ctx: z.core.$RefinementCtx<string>): void {
  const found = id.match(NOT_IN_IRI);
  if (!found) return;
  const shown = [...new Set(found)].map((c) => (c.charCodeAt(0) >= 0x7f ? `U+00${c.charCodeAt(0).toString(16).toUpperCase()}` : c));
  ctx.addIssue({
    code: "custom",
    message: `has ${andList(shown)}, which an id cannot hold (it is an IRI, RFC 4287 §4.2.6): percent-encode ${shown.length === 1 ? "it" : "them"}, writing ${id.replace(NOT_IN_IRI, encodeURIComponent)}`,
  });
}

export const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Extension: the words the build writes into published documents, in the site's language (labels.ts). */
const labelsSchema = z.object(
  {
    read_more: label("read_more", "the heading of the related links"),
    source: label("source", "the source line"),
    archive: label("archive", "the archive pages' title"),
    tag: label("tag", "the tag feeds' title"),
  },
  { error: "expected a mapping of labels, like read_more: …, each on its own line indented below labels:" },
);

export const siteSchema = z.object({
  title: line(LIMITS.titleChars, "the feed title"),
  description: multiline(LIMITS.summaryChars, "the feed description"),
  site_url: httpUrl,
  feed_url: feedFolderUrl,
  language: bcp47,
  authors: listOf(authorSchema, LIMITS.authorsPerArticle, "authors").optional(),
  copyright: line(500, "the copyright line").optional(),
  icon: httpUrl.optional(),
  favicon: httpUrl.optional(),
  items_per_feed: z
    .number({ error: "expected a whole number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(LIMITS.itemsPerFeedMax, `must be at most ${LIMITS.itemsPerFeedMax}`)
    .default(50),
  websub_hub: httpUrl.optional(),
  archives: z.boolean({ error: "expected true or false" }).default(true),
  /** Extension: the IANA time zone for dates written without one (default UTC). */
  timezone: z
    .string({ error: "expected an IANA time zone like Europe/Istanbul or UTC" })
    .refine(isTimeZone, { message: "must be an IANA time zone like Europe/Istanbul or UTC" })
    .default("UTC"),
  labels: labelsSchema.optional(),
});

const imageSchema = z.object(
  {
    url: httpUrl,
    alt: multiline(1_000, "the image's alternative text"),
    caption: multiline(2_000, "the caption").optional(),
    credit: line(500, "the credit").optional(),
    /** Extension: the MIME type, when the URL's extension does not tell it. */
    type: z.string().regex(/^image\/[a-z0-9.+-]+$/, "must be an image MIME type like image/jpeg").optional(),
    /** Extension: size in bytes, for RSS enclosures. */
    length: z.number().int().min(0).optional(),
  },
  { error: "expected an image: its url and alt (and optionally caption and credit), each on its own line indented below image:" },
);

const relatedSchema = z.object(
  { title: line(LIMITS.titleChars, "the link's title"), url: httpUrl },
  { error: "expected a related link: its title and url, like - title: …, then url: … indented below it" },
);

export const articleSchema = z.object(
  {
    title: line(LIMITS.titleChars, "the title"),
    date: contentDate,
    // Atom requires atom:id to be an IRI (RFC 4287 §4.2.6): a scheme, then no white space, and
    // none of the characters an IRI cannot hold (notInIri).
    id: line(LIMITS.idChars, "the id")
      .pipe(z.string().regex(/^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$/, "must be a URI such as https://example.com/a/1, tag:example.com,2020:1 or urn:uuid:…, without spaces").superRefine(notInIri))
      .optional(),
    slug: z
      .string({ error: "expected a slug as text" })
      .max(LIMITS.slugChars, `must be at most ${LIMITS.slugChars} characters`)
      .regex(SLUG_RE, "must be lowercase letters, digits and single hyphens, like my-article")
      .optional(),
    url: httpUrl.optional(),
    summary: multiline(LIMITS.summaryChars, "the summary").optional(),
    updated: contentDate.optional(),
    authors: listOf(authorSchema, LIMITS.authorsPerArticle, "authors").optional(),
    tags: listOf(line(LIMITS.tagChars, "a tag"), LIMITS.tagsPerArticle, "tags").optional(),
    image: imageSchema.optional(),
    source: line(1_000, "the source line").optional(),
    draft: z.boolean({ error: "expected true or false" }).default(false),
    language: bcp47.optional(),
    related: listOf(relatedSchema, LIMITS.relatedPerArticle, "related links").optional(),
  },
  { error: "front matter must be a YAML mapping of fields" },
);

export type Site = z.infer<typeof siteSchema>;
export type FrontMatter = z.infer<typeof articleSchema>;
export type Author = z.infer<typeof authorSchema>;
export type Image = z.infer<typeof imageSchema>;
/** Every label, as the build uses them (labels.ts siteLabels fills in the defaults). */
export type Labels = Required<z.infer<typeof labelsSchema>>;

export const SITE_KEYS = new Set(Object.keys(siteSchema.shape));
export const ARTICLE_KEYS = new Set(Object.keys(articleSchema.shape));

/**
 * The fields for which a value written as nothing after the colon (`tags:`, null in YAML, as
 * CMS exports write an unset field) counts as leaving the field out: an optional one is then
 * absent, and a required one (`title:`) "is required". Not the fields with a default (`draft:`,
 * `timezone:`): an editor who wrote the key meant to set it, and is told what to write.
 */
const emptyAsAbsent = (shape: Record<string, z.ZodType>): readonly string[] => Object.keys(shape).filter((k) => shape[k]!.def.type !== "default");
export const ARTICLE_EMPTY_ABSENT: readonly string[] = emptyAsAbsent(articleSchema.shape);
export const SITE_EMPTY_ABSENT: readonly string[] = emptyAsAbsent(siteSchema.shape);

/** The value without the null fields of `keys` (see emptyAsAbsent); the same object when it has none (nearly always). */
export function withoutEmpty(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  if (!keys.some((k) => value[k] === null)) return value;
  const copy = { ...value };
  for (const k of keys) if (copy[k] === null) delete copy[k];
  return copy;
}

/**
 * The advice for a field that YAML read as empty because its value starts with "#" (`tags:
 * #Libya #Turkey`, `title: #1 in Ankara`): a "#" after a space starts a comment, so the whole
 * value was dropped. Undefined when the line holds no such value (a comment after a space,
 * `summary: # to do`, is a comment meant).
 */
function commentedOut(key: string, line: string | undefined): string | undefined {
  const m = line === undefined ? null : /:[ \t]+(#\S.*?)\s*$/.exec(line);
  if (!m) return undefined;
  const comment = m[1]!;
  const advice = key === "tags"
    ? `write tags: [${comment.split(/\s+/).map((w) => w.replace(/^#+/, "")).filter(Boolean).join(", ")}]`
    : `put the value in quotes: ${key}: ${JSON.stringify(comment)}`;
  return `is empty: "#" after a space starts a comment, so ${comment} is not read; ${advice}`;
}

/**
 * Edit distance between two short strings, a swap of two neighbours counting as one edit
 * (optimal string alignment): `darft` is one edit from `draft`.
 */
function editDistance(a: string, b: string): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known key an unknown one most likely meant: the same but for case (`Draft`), or within two
 * edits when both have 5 letters or more (`darft`, `sumary`, `author`), else within one (`tag`,
 * `data`, `urls`: two edits make `name` of `date`, `time` of `title`, `page` of `image`).
 * Only called for unknown keys.
 */
export function nearestKey(key: string, known: ReadonlySet<string>): string | undefined {
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    if (candidate === k) return candidate;
    const allowed = Math.min(candidate.length, k.length) >= 5 ? 2 : 1;
    if (Math.abs(candidate.length - k.length) > allowed) continue;
    const d = editDistance(k, candidate);
    if (d <= allowed && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * A key that can only have meant `draft`, holding a value that asks for the article to be held
 * back (`Draft: true`, `darft: yes`): the same but for case, or one edit away. As written, the
 * article would be published (article.ts makes it an error). `Draft: false`, or `craft: true`
 * (two edits), is an unknown key like any other.
 */
export function meantDraft(key: string, value: unknown): boolean {
  // Only called for unknown keys: `draft` itself is never one.
  const held = value === true || (typeof value === "string" && /^(?:true|yes|on)$/i.test(value.trim()));
  return held && editDistance(key.toLowerCase(), "draft") <= 1;
}

/**
 * Another tool's way of holding an article back: `published: false` (Jekyll, Hexo, Decap CMS) or
 * `status: draft` (Pelican, Ghost exports), in any case. Syndicate reads neither, so, as written,
 * the article would be published (article.ts makes it an error, like `darft: true`).
 * `published: true`, `status: publish` are unknown keys like any other.
 */
export function heldBackElsewhere(key: string, value: unknown): boolean {
  const k = key.toLowerCase();
  const text = typeof value === "string" ? value.trim().toLowerCase() : undefined;
  if (k === "published") return value === false || (text !== undefined && /^(?:false|no|off)$/.test(text));
  return k === "status" && text === "draft";
}

export const HELD_BACK_ELSEWHERE = "is not read: Syndicate holds an article back with draft: true; as written, the article would be published (write draft: true instead)";

/** The warning for an unknown key (`what`: field or setting), naming the key it most likely meant. */
export function unknownKeyMessage(what: "field" | "setting", near: string | undefined, known: ReadonlySet<string>): string {
  return near === undefined ? `unknown ${what}, ignored (known: ${[...known].join(", ")})` : `unknown ${what}, ignored: did you mean ${near}?`;
}

/** Whether an issue is an unknown-key warning (unknownKeyMessage's). */
const isUnknownKey = (i: ContentIssue) => i.severity === "warning" && /^unknown (?:field|setting), ignored/.test(i.message);

/**
 * Leaves out the unknown-key warnings on a line that an error is about: one line YAML misread
 * gave both. `title: {Breaking}: Libya talks` is a mapping and a key "null"; `tag: {title}: {tag}`
 * under `labels` a mapping and a key "". The error says what to write; the warning named a key
 * the editor never wrote.
 */
export function dropMisreadKeys(issues: ContentIssue[]): void {
  const errorLines = new Set<number>();
  for (const i of issues) if (i.severity === "error" && i.line !== undefined) errorLines.add(i.line);
  if (!errorLines.size) return;
  for (let i = issues.length - 1; i >= 0; i--) {
    const issue = issues[i]!;
    if (issue.line !== undefined && errorLines.has(issue.line) && isUnknownKey(issue)) issues.splice(i, 1);
  }
}

/**
 * `authors: Jane Doe, John Smith` (or `Jane Doe and John Smith`) is one author in YAML, named
 * with both names: the warning, with the list to write instead; undefined for one name.
 */
export function oneAuthorOfMany(value: unknown): string | undefined {
  if (typeof value !== "string" || !(value.includes(", ") || value.includes(" and "))) return undefined;
  const one = value.replace(/\s+/g, " ").trim();
  const names = one.split(/, (?:and )?| and /).map((n) => n.trim()).filter(Boolean);
  // "Doe, Jane" is one name written surname first: two names are each of two words or more.
  if (names.length < 2 || (!one.includes(" and ") && names.some((n) => !n.includes(" ")))) return undefined;
  return `is one author, "${one}"; for ${names.length} authors write a list: authors: [${names.join(", ")}]`;
}

/**
 * Where author `i`'s name is written in `authors` as YAML read it (authorSchema takes a bare name
 * for {name}, and a lone value for a list of it): for an issue about the name.
 */
export function authorNamePath(authors: unknown, i: number): (string | number)[] {
  const list = Array.isArray(authors);
  const raw: unknown = list ? authors[i] : authors;
  return typeof raw !== "string" ? ["authors", i, "name"] : list ? ["authors", i] : ["authors"];
}

/**
 * The host of an http(s) URL (as the schema gives it: `new URL`'s href) when readers cannot reach
 * it: localhost, a loopback, private or unspecified address, or a name reserved for local
 * networks and tests (.local, .localhost, .internal, .test). With its port, as written.
 * example.com and example.org are ordinary hosts (reserved for documentation, not local).
 */
export function unreachableHost(href: string): string | undefined {
  // Read in place, without a string made for an ordinary host: this runs for every URL of every article.
  let start = href.indexOf("//") + 2;
  let end = href.indexOf("/", start);
  if (end < 0) end = href.length;
  const at = href.lastIndexOf("@", end);
  if (at >= start) start = at + 1;
  // The name: without the port, and without a final dot (`localhost.`).
  let nameEnd = end;
  const first = href.charCodeAt(start);
  if (first === 91) nameEnd = href.indexOf("]", start) + 1;
  else {
    const colon = href.indexOf(":", start);
    if (colon >= 0 && colon < end) nameEnd = colon;
  }
  if (href.charCodeAt(nameEnd - 1) === 46) nameEnd--;
  let local: boolean;
  if (first === 91) local = nameEnd - start === 5 && href.startsWith("[::1]", start);
  // `new URL` writes every IPv4 address as four decimal numbers (`127.1` and `0x7f.1` included).
  else if (first >= 48 && first <= 57) local = privateIPv4(href.slice(start, nameEnd));
  else {
    // The dot of `.local` is within the host: the character before the host is "/" or "@".
    local =
      (nameEnd - start === 9 && href.startsWith("localhost", start)) ||
      href.endsWith(".local", nameEnd) || href.endsWith(".localhost", nameEnd) || href.endsWith(".internal", nameEnd) || href.endsWith(".test", nameEnd);
  }
  return local ? href.slice(start, end) : undefined;
}

function privateIPv4(name: string): boolean {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(name)) return false;
  const [a, b] = name.split(".").map(Number) as [number, number];
  return a === 0 || a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** The warning for a URL readers cannot reach (unreachableHost). */
export const unreachableMessage = (host: string) => `points at ${host}, an address readers cannot reach (a staging or local copy?)`;


/**
 * The value as the line writes it that YAML read as `input` (a number or true/false): `3.10` for
 * 3.1, `True` for true. Undefined when the line holds none (the caller then writes the value read).
 */
function writtenAs(line: string | undefined, input: number | boolean): string | undefined {
  if (line === undefined) return undefined;
  for (const token of line.split(/[\s,[\]{}]+/)) {
    if (token.startsWith("#")) break;
    if (token === "" || token.endsWith(":")) continue;
    if (typeof input === "boolean" ? token.toLowerCase() === String(input) : Number(token.replace(/_/g, "")) === input) return token;
  }
  return undefined;
}

/** The fields whose value is an object, or a list of objects, with known keys (by field). */
export type NestedKeys = Readonly<Record<string, ReadonlySet<string>>>;
const AUTHOR_KEYS: ReadonlySet<string> = new Set(Object.keys(authorObject.shape));
export const ARTICLE_NESTED: NestedKeys = { authors: AUTHOR_KEYS, image: new Set(Object.keys(imageSchema.shape)), related: new Set(Object.keys(relatedSchema.shape)) };
export const SITE_NESTED: NestedKeys = { authors: AUTHOR_KEYS, labels: new Set(Object.keys(labelsSchema.shape)) };

/**
 * The keys of nested objects that the schema does not know (zod drops them without a word), as
 * paths like ["image", "captoin"] or ["authors", 0, "emial"]: they warn like an unknown
 * top-level field, since a misspelt `caption` or `email` is otherwise silently not published.
 */
export function unknownNestedKeys(value: Record<string, unknown>, nested: NestedKeys): { path: (string | number)[]; known: ReadonlySet<string> }[] {
  const found: { path: (string | number)[]; known: ReadonlySet<string> }[] = [];
  const check = (v: unknown, path: (string | number)[], known: ReadonlySet<string>) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return;
    for (const key of Object.keys(v)) if (!known.has(key)) found.push({ path: [...path, key], known });
  };
  for (const field in nested) {
    const v = value[field];
    if (Array.isArray(v)) v.forEach((item, i) => check(item, [field, i], nested[field]!));
    else check(v, [field], nested[field]!);
  }
  return found;
}

/**
 * A schema issue in words for an editor (zod 4 needs `reportInput` for the input to be known).
 * `line`: the text of the line the value is on, asked for only when the value as written is
 * quoted in the advice (`title: 3.10` is to be quoted as "3.10", not as the number read, "3.1").
 */
/**
 * The schema's issues for one YAML document (front matter or site.yaml), where `error` is its
 * parse's: each error with its message (issueMessage); a key that a YAML comment left empty
 * (`tags: #Libya #Turkey`) said as that (commentedOut), as the error where the schema refused
 * it, else as a warning. `keyLine`: a path's line in the YAML text; `textOf`: that line's text.
 */
export function documentIssues(
  error: z.ZodError | undefined,
  value: Record<string, unknown>,
  keyLine: (path: readonly PropertyKey[]) => number | undefined,
  textOf: (line: number | undefined) => string | undefined,
): { errors: { field: string; message: string; line: number | undefined }[]; warnings: { field: string; message: string; line: number | undefined }[] } {
  const commented = new Map<string, string>();
  for (const key in value) {
    const advice = value[key] === null ? commentedOut(key, textOf(keyLine([key]))) : undefined;
    if (advice) commented.set(key, advice);
  }
  const errors = (error?.issues ?? []).map((issue) => {
    const path = issue.path.map(String);
    const line = keyLine(issue.path as PropertyKey[]);
    const advice = path.length === 1 ? commented.get(path[0]!) : undefined;
    if (advice) commented.delete(path[0]!);
    return { field: path.join("."), message: advice ?? issueMessage(issue, () => textOf(line)), line };
  });
  return { errors, warnings: [...commented].map(([field, message]) => ({ field, message, line: keyLine([field]) })) };
}

function issueMessage(issue: z.core.$ZodIssue, line?: () => string | undefined): string {
  if (issue.code === "invalid_type" && issue.input === undefined) return "is required";
  // `title: 2020` or `id: 12345`: text to the editor, a number (or true/false) to YAML.
  if (issue.code === "invalid_type" && issue.expected === "string" && (typeof issue.input === "number" || typeof issue.input === "boolean")) {
    // `date: 2020`: quoting would not make it a date.
    const field = issue.path.at(-1);
    const written = writtenAs(line?.(), issue.input) ?? String(issue.input);
    const read = `YAML reads ${written} as a ${typeof issue.input === "number" ? "number" : "true/false value"}`;
    if (field === "date" || field === "updated") return `expected an ISO 8601 date like 2020-06-19, or a date-time like 2020-06-19T10:30:00+03:00: ${read}`;
    return `${issue.message}: ${read}; put it in quotes, like "${written}"`;
  }
  // `source: {source}` (a label's placeholder alone, or `tag: {title}: {tag}`): braces at the start
  // of a value are a mapping to YAML, valid, so no YAML error says to quote it.
  if (issue.code === "invalid_type" && issue.expected === "string" && typeof issue.input === "object" && issue.input !== null && !Array.isArray(issue.input)) {
    // Only where the line is the field's own (`key: {…}`), not within a mapping written in braces.
    const key = String(issue.path.at(-1)).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const braced = new RegExp(`^\\s*(?:-\\s+)?${key}:\\s+(\\{.*?)(?:\\s+#.*)?$`).exec(line?.() ?? "")?.[1]?.trimEnd();
    if (braced !== undefined) return `${issue.message}: YAML reads ${braced} as a mapping (braces at the start of a value); put it in quotes, like ${braced.includes('"') ? `'${braced}'` : `"${braced}"`}`;
  }
  // `draft: "false"` (or `'yes'`): the quotes make it text, and a text is neither.
  if (issue.code === "invalid_type" && issue.expected === "boolean" && typeof issue.input === "string" && /^(?:true|false)$/i.test(issue.input.trim())) {
    return `${issue.message}, without quotes: "${issue.input}" in quotes is text; write ${issue.input.trim().toLowerCase()}`;
  }
  // `items_per_feed: "20"` (image `length` too): likewise, a number in quotes.
  if (issue.code === "invalid_type" && issue.expected === "number" && typeof issue.input === "string" && /^\d+$/.test(issue.input.trim())) {
    return `${issue.message}, without quotes: "${issue.input}" in quotes is text; write ${issue.input.trim()}`;
  }
  return issue.message;
}
