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

/** Whether a parsed YAML value holds, in any string of it (up to 10 levels down), a character XML cannot carry. */
export function holdsXmlIllegal(v: unknown, depth = 0): boolean {
  if (typeof v === "string") return hasXmlIllegal(v);
  if (depth > 10 || v === null || typeof v !== "object") return false;
  return Object.values(v).some((x) => holdsXmlIllegal(x, depth + 1));
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

