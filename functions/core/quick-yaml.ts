/**
 * The fast path for front matter. The careful parser (yaml.ts, the `yaml` package) reports
 * every problem with its line, but costs ~200 µs per article; at 10,000 articles that alone
 * is more than the whole build budget (issue 2 "Performance"). js-yaml with the same YAML 1.2
 * core schema reads ordinary front matter in ~20 µs.
 *
 * The fast path is only taken where the two cannot differ in what they accept: text with no
 * anchors, aliases, tags or merge keys (the `yaml` package's alias limit and tag rejection
 * matter there), no duplicate keys (js-yaml throws), within the depth limit. Anything else,
 * and any article the fast path finds a problem in, goes through the careful parser, so every
 * error and warning is reported exactly as before, with its line.
 */
import jsyaml from "js-yaml";
import { LIMITS } from "./limits.ts";
import { lineAt, LINE_KEY } from "./text.ts";

// `&anchor`, `*alias`, `!tag` where a node can start, and `<<` merge keys. False positives
// (e.g. "A & B" unquoted) only cost speed: the careful parser handles them.
const CAREFUL = /(?:^|[\s[{,:?-])[&*!]|<</;

function depth(value: unknown, level = 0): number {
  if (level > LIMITS.yamlDepth) return level;
  let max = level;
  if (Array.isArray(value)) for (const v of value) max = Math.max(max, depth(v, level + 1));
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) max = Math.max(max, depth(v, level + 1));
  return max;
}

// Quoted scalars are blanked before the test: "AT&T & co" or '*note*' are text, not YAML syntax.
const QUOTED = /"(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'/g;

// `title: Libya talks #1 resume`: a `#` after a value and a space starts a comment, and the
// value ends before it. The careful parser warns about it (yaml.ts commentWarnings); here any
// ` #` after text on its line declines, quoted or not (a comment on its own line does not).
const COMMENT_AFTER_VALUE = /\S[ \t]+#/;

/** A line at its start: not indented, blank or a comment. */
const COLUMN_ZERO = /^[^ \t\n#].*/gm;
const LIST_ITEM = /^-(?:[ \t]|$)/;

/**
 * Whether every line at its start is a top-level key, one per key of the value, or an item of a
 * list written under a key with nothing after it. js-yaml also reads a quoted value or a flow
 * list continued at the start of a line (`tags: [Libya,⏎Turkey]`), which YAML, and the careful
 * parser, refuse; and a continuation such as `mood: …"` would give `mood:` the wrong line.
 */
function linesAreKeys(text: string, keys: number): boolean {
  let n = 0;
  let list = false;
  for (const [l] of text.matchAll(COLUMN_ZERO)) {
    if (LIST_ITEM.test(l)) {
      if (!list) return false;
      continue;
    }
    const m = LINE_KEY.exec(l);
    if (!m) return false;
    n++;
    list = /^[ \t]*(?:#.*)?$/.test(l.slice(m[0].length));
  }
  return n === keys;
}

/** The front matter's value, or undefined when it must go through the careful parser. */
export function quickYaml(text: string): Record<string, unknown> | undefined {
  // The blanking copy is made only when the text has a candidate at all (most front matter has none).
  if (CAREFUL.test(text) && CAREFUL.test(text.replace(QUOTED, '""'))) return undefined;
  // The regular expression runs only on text with a "#" at all (one native scan, ~0.04 µs).
  if (text.includes("#") && COMMENT_AFTER_VALUE.test(text)) return undefined;
  let value: unknown;
  try {
    value = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, json: false });
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  if (depth(value) > LIMITS.yamlDepth) return undefined;
  if (!linesAreKeys(text, Object.keys(value).length)) return undefined;
  return value as Record<string, unknown>;
}

/** Line (1-based, within the YAML text) of a top-level block key, e.g. `id:`. */
export function topLevelKeyLine(text: string, key: string): number | undefined {
  const k = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`^(?:${k}|"${k}"|'${k}')[ \\t]*:`, "m").exec(text);
  return m ? lineAt(text, m.index) : undefined;
}
