/**
 * Characters XML 1.0 cannot carry (§2.2 Char): C0 controls other than tab, LF and CR, lone
 * surrogates, U+FFFE and U+FFFF. They are removed at the content boundary, so every format
 * carries the same text (JSON could carry them, XML cannot).
 */
// eslint-disable-next-line no-control-regex
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// A cheap superset test (any control character or any surrogate): most text has none, and the
// exact pattern's look-arounds are slow on long strings.
// eslint-disable-next-line no-control-regex
const MAYBE_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function hasXmlIllegal(s: string): boolean {
  if (!MAYBE_ILLEGAL.test(s)) return false;
  XML_ILLEGAL.lastIndex = 0;
  const found = XML_ILLEGAL.test(s);
  XML_ILLEGAL.lastIndex = 0;
  return found;
}

export function stripXmlIllegal(s: string): string {
  return MAYBE_ILLEGAL.test(s) ? s.replace(XML_ILLEGAL, "") : s;
}

/** NFC, XML-legal, trimmed: the one normal form of short text fields (titles, names, tags). */
export function cleanLine(s: string): string {
  return stripXmlIllegal(s.normalize("NFC")).replace(/\s+/g, " ").trim();
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
