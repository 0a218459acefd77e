import { decodeHTMLStrict } from "entities";

/**
 * Characters XML 1.0 cannot carry (§2.2 Char): C0 controls other than tab, LF and CR, lone
 * surrogates, U+FFFE and U+FFFF. They are removed at the content boundary, so every format
 * carries the same text (JSON could carry them, XML cannot).
 */
// eslint-disable-next-line no-control-regex
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// The same test without look-arounds: the controls and noncharacters by a plain class, lone
// surrogates by isWellFormed (native). The exact pattern's look-arounds ran on every string with
// an emoji (a surrogate pair) and cost ~5x more on a 5 KB body.
// eslint-disable-next-line no-control-regex
const CONTROL_OR_NONCHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

export function hasXmlIllegal(s: string): boolean {
  return CONTROL_OR_NONCHARACTER.test(s) || !s.isWellFormed();
}

/** The warning for characters XML cannot carry, removed from a file or a value of it. */
export const XML_ILLEGAL_REMOVED = "characters XML cannot carry (control characters) were removed";

/**
 * The path (from `path`) of the first string of a parsed YAML value (up to 10 levels down) that
 * holds a character XML cannot carry, or undefined: where to tell it.
 */
export function xmlIllegalPath(v: unknown, path: (string | number)[], depth = 0): (string | number)[] | undefined {
  if (typeof v === "string") return hasXmlIllegal(v) ? path : undefined;
  if (depth > 10 || v === null || typeof v !== "object") return undefined;
  for (const [k, x] of Object.entries(v)) {
    const found = xmlIllegalPath(x, [...path, Array.isArray(v) ? Number(k) : k], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Where the first character XML 1.0 cannot carry is, or -1. */
export function firstXmlIllegal(s: string): number {
  if (!hasXmlIllegal(s)) return -1;
  XML_ILLEGAL.lastIndex = 0;
  const found = XML_ILLEGAL.exec(s);
  XML_ILLEGAL.lastIndex = 0;
  return found ? found.index : -1;
}

export function stripXmlIllegal(s: string): string {
  return hasXmlIllegal(s) ? s.replace(XML_ILLEGAL, "") : s;
}

// White space that is not a single ASCII space: only then does collapsing change anything.
const UNUSUAL_SPACE = /[^\S ]| {2}/;

/**
 * NFC, XML-legal, every run of white space one space, trimmed: the one normal form of short text
 * fields (titles, names, tags). The collapsing replace runs only where it changes something (it
 * made a new string of every field with a space in it: most of them, ~50,000 at 10,000 articles).
 */
export function cleanLine(s: string): string {
  const n = stripXmlIllegal(s.normalize("NFC"));
  return (UNUSUAL_SPACE.test(n) ? n.replace(/\s+/g, " ") : n).trim();
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A key of YAML front matter as written: plain, or in quotes (the one pattern LINE_KEY and yaml.ts's FIELD_LINE share). */
export const KEY_PATTERN = String.raw`("[^"\n]*"|'[^'\n]*'|[^\s#"'[\]{},:-][^:\n]*?)`;

/**
 * `name:` at the start of a line, as a field of YAML front matter begins: the name plain or
 * quoted (group 1, as written), then a colon and a space, a tab, a no-break space (a mistake
 * told by yaml.ts) or the line's end.
 */
export const LINE_KEY = new RegExp(String.raw`^${KEY_PATTERN}[ \t]*:(?:[ \t\u00a0]|$)`);

/** A key as LINE_KEY gives it, without its quotes. */
export const unquoteKey = (key: string) => (/^["']/.test(key) ? key.slice(1, -1) : key);

/** Text of line `line` (1-based) of `text`, or undefined. */
export function lineText(text: string, line: number | undefined): string | undefined {
  if (line === undefined) return undefined;
  let start = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", start);
    if (next < 0) return undefined;
    start = next + 1;
  }
  const end = text.indexOf("\n", start);
  return end < 0 ? text.slice(start) : text.slice(start, end);
}


/** Items in words: `a`, `a and b`, `a, b and c`. */
export function andList(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

// A named reference (`&amp;`, `&eacute;`) or a numeric one (`&#233;`, `&#xE9;`), with its `;`:
// `R&D`, `AT&T` and `AT&T;` are no entity (entities knows no `&T;`: typedEntities asks it).
const ENTITY = /&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/g;

/**
 * The HTML entities typed into plain text (`Fish &amp; Chips`), each with the text it stands for
 * as `entities` decodes it. Text without `&` (nearly all) costs one `includes`: this runs on every
 * plain-text field of every article.
 */
function typedEntities(text: string): Map<string, string> | undefined {
  if (!text.includes("&")) return undefined;
  let found: Map<string, string> | undefined;
  for (const [entity] of text.matchAll(ENTITY)) {
    const decoded = decodeHTMLStrict(entity);
    if (decoded !== entity) (found ??= new Map()).set(entity, decoded);
  }
  return found;
}

/**
 * The warning for HTML entities typed into a plain-text field, undefined when it has none: RSS
 * readers that read such text as HTML (feedparser) show the character, Atom (`type="text"`) and
 * JSON Feed readers the entity as typed. The text is published as written; the editor is told
 * what to write instead.
 */
export function typedEntitiesMessage(text: string | undefined): string | undefined {
  const found = text === undefined ? undefined : typedEntities(text);
  if (!found) return undefined;
  // A character one cannot see (a no-break space, a control) by its code point.
  const shown = (t: string) => (/^[\s\p{C}]$/u.test(t) ? `U+${t.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}` : t);
  const one = found.size === 1;
  return (
    `has ${andList([...found.keys()])}, ${one ? "an HTML entity" : "HTML entities"} in plain text: Atom and JSON Feed readers show ${one ? "it" : "them"} as typed, ` +
    `some RSS readers as the character; write ${andList([...found.values()].map(shown))} instead`
  );
}
