/**
 * Safe YAML: the YAML 1.2 core schema (no timestamps, no custom or language-specific tags),
 * duplicate keys rejected, aliases and nesting bounded. Every problem comes back with its line.
 */
import { parseDocument, Lexer, LineCounter, isMap, isPair, isScalar, isCollection, type Document, type Node } from "yaml";
import { LIMITS } from "./limits.ts";

export interface YamlProblem {
  line?: number;
  field: string;
  message: string;
}

export interface ParsedYaml {
  value: unknown;
  /** Line (1-based, in the YAML text) of the node at a path, or of its nearest parent. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
  /** Top-level keys with their lines, in order. */
  keys: { key: string; line: number }[];
}

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit) return depth;
  if (Array.isArray(value)) return Math.max(depth, ...value.map((v) => depthOf(v, limit, depth + 1)));
  if (value && typeof value === "object") {
    return Math.max(depth, ...Object.values(value).map((v) => depthOf(v, limit, depth + 1)));
  }
  return depth;
}

/**
 * Deepest `[`/`{` nesting, from the lexer's tokens (it tells flow indicators from the same
 * characters inside scalars). Checked before composing: the composer recurses per level, so
 * 20,000 nested `[` would overflow the stack instead of hitting the depth limit.
 */
function flowDepth(text: string): number {
  let depth = 0, max = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === "[" || token === "{") max = Math.max(max, ++depth);
    else if (token === "]" || token === "}") depth--;
  }
  return max;
}

const tooDeep = (): { ok: false; problems: YamlProblem[] } => ({
  ok: false,
  problems: [{ field: "front matter", message: `nested deeper than ${LIMITS.yamlDepth} levels` }],
});

export function parseYaml(text: string): { ok: true; yaml: ParsedYaml } | { ok: false; problems: YamlProblem[] } {
  if (flowDepth(text) > LIMITS.yamlDepth) return tooDeep();
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      schema: "core",
      customTags: [],
      // Without this, !!binary, !!set, !!omap, !!pairs and !!timestamp resolve even in the core schema.
      resolveKnownTags: false,
      uniqueKeys: true,
      strict: true,
      prettyErrors: false,
      lineCounter,
    });
  } catch (err) {
    return { ok: false, problems: [{ field: "front matter", message: `YAML could not be read: ${(err as Error).message}` }] };
  }
  const lineAtOffset = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  const problems: YamlProblem[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const message =
      e.code === "TAG_RESOLVE_FAILED"
        ? `YAML tags are not allowed (${e.message.split(" at line")[0]?.replace("Unresolved tag: ", "")})`
        : e.code === "DUPLICATE_KEY"
          ? "a key appears twice"
          : `invalid YAML: ${e.message.split(" at line")[0]}`;
    problems.push({ line: lineAtOffset(e.pos[0]), field: "front matter", message });
  }
  if (problems.length) return { ok: false, problems };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: LIMITS.yamlAliases });
  } catch (err) {
    const msg = (err as Error).message;
    return {
      ok: false,
      problems: [
        {
          field: "front matter",
          message: /alias/i.test(msg)
            ? `too many YAML aliases (at most ${LIMITS.yamlAliases}): ${msg}`
            : `YAML could not be read: ${msg}`,
        },
      ],
    };
  }
  if (depthOf(value, LIMITS.yamlDepth) > LIMITS.yamlDepth) return tooDeep();

  const keys: { key: string; line: number }[] = [];
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      if (isPair(pair) && isScalar(pair.key)) {
        keys.push({ key: String(pair.key.value), line: lineAtOffset(pair.key.range?.[0]) ?? 1 });
      }
    }
  }
  const lineOf = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
      if (node && (isScalar(node) || isCollection(node)) && node.range) return lineAtOffset(node.range[0]);
    }
    return undefined;
  };
  return { ok: true, yaml: { value, lineOf, keys } };
}
