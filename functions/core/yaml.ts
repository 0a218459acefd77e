/**
 * Safe YAML: the YAML 1.2 core schema (no timestamps, no custom or language-specific tags),
 * duplicate keys rejected, aliases and nesting bounded. Every problem comes back with its line.
 */
import { parseDocument, visit, Lexer, LineCounter, isAlias, isMap, isPair, isScalar, isSeq, isCollection, type Alias, type Document, type Node, type Pair } from "yaml";
import { LIMITS } from "./limits.ts";
import { lineAt } from "./text.ts";

/**
 * yaml's maxAliasCount counts the anchored node as one use of its value, beside each alias: with
 * LIMITS.yamlAliases itself, 49 aliases of a value passed and the 50th failed, under a message
 * that said "at most 50". One more, so LIMITS.yamlAliases aliases of a value pass, as it says;
 * aliases of values that themselves hold aliases still multiply against it ("billion laughs").
 */
const MAX_ALIAS_COUNT = LIMITS.yamlAliases + 1;

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
 * Offset of the `[`/`{` that nests deeper than the limit, if any, from the lexer's tokens (it
 * tells flow indicators from the same characters inside scalars). Checked before composing: the
 * composer recurses per level, so 20,000 nested `[` would overflow the stack instead of hitting
 * the depth limit.
 */
function tooDeepFlow(text: string): number | undefined {
  let depth = 0, offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === "[" || token === "{") {
      if (++depth > LIMITS.yamlDepth) return offset;
    } else if (token === "]" || token === "}") depth--;
    // Every token but the lexer's one-character markers (document, scalar, flow error end) is source text.
    if (token !== "\x02" && token !== "\x1f" && token !== "\x18") offset += token.length;
  }
  return undefined;
}

/**
 * Offset of the first node nested deeper than the limit, counted as `depthOf` counts the value.
 * Inside an alias's target, the alias's offset: that is where the document nests too deep.
 * Only called once the value is known to be too deep.
 */
function tooDeepNode(doc: Document.Parsed): number | undefined {
  const walk = (node: unknown, depth: number, at: number | undefined): number | undefined => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      return target ? walk(target, depth, at ?? node.range?.[0]) : undefined;
    }
    if (depth > LIMITS.yamlDepth) return at ?? (node as Node | null)?.range?.[0];
    const items: [unknown, Pair | undefined][] = isMap(node)
      ? node.items.map((pair) => [pair.value, pair])
      : isSeq(node)
        ? node.items.map((item) => [item, undefined])
        : [];
    for (const [child, pair] of items) {
      // A key without a value (`k:`) is a null at the next level, on the key's line.
      const found = walk(child, depth + 1, at ?? (child ? undefined : (pair?.key as Node | null)?.range?.[0]));
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(doc.contents, 0, undefined);
}

/** The alias whose conversion failed (the alias limit, an unresolved anchor): converts again, watching every alias. */
function failingAlias(doc: Document.Parsed): Alias | undefined {
  let failed: Alias | undefined;
  visit(doc, {
    Alias(_, alias) {
      const toJSON = alias.toJSON;
      alias.toJSON = function (...args: Parameters<Alias["toJSON"]>) {
        try {
          return toJSON.apply(this, args);
        } catch (err) {
          failed ??= alias; // the innermost alias: the one being resolved when the limit was hit
          throw err;
        }
      };
    },
  });
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    // expected: the same failure as before
  }
  return failed;
}

/** `"title"`, quoted and on one line, whatever characters the key holds. */
function keyText(key: unknown, text: string): string {
  const raw = isScalar(key) ? String(key.value) : isCollection(key) && key.range ? text.slice(key.range[0], key.range[1]) : String(key);
  return JSON.stringify(raw.length > 100 ? `${raw.slice(0, 100)}…` : raw);
}

/** The message for a duplicate key whose error is at `offset`: names the key and, when nested, where it is. */
function duplicateKey(doc: Document.Parsed, text: string, offset: number): string {
  let found: { start: number; key: unknown; path: string[] } | undefined;
  visit(doc, {
    Pair(_, pair, ancestors) {
      const start = (pair.key as Node | null)?.range?.[0];
      // The error is at the key's start, or before it when the key has an anchor or a tag.
      if (start === undefined || start < offset || (found && start >= found.start)) return;
      const path: string[] = [];
      for (const [i, a] of ancestors.entries()) {
        if (isPair(a)) path.push(isScalar(a.key) ? String(a.key.value) : "?");
        else if (isSeq(a)) path.push(String(a.items.indexOf(ancestors[i + 1] ?? pair)));
      }
      found = { start, key: pair.key, path };
    },
  });
  if (!found) return "a key appears twice";
  return `the key ${keyText(found.key, text)} appears twice${found.path.length ? ` in ${found.path.join(".")}` : ""}`;
}

const tooDeep = (line: number | undefined): { ok: false; problems: YamlProblem[] } => ({
  ok: false,
  problems: [{ line, field: "front matter", message: `nested deeper than ${LIMITS.yamlDepth} levels` }],
});

const NOT_A_FIELD =
  "a line here is not a field (name: value): text goes after the closing '---' (is it missing?), and a value that runs on to the next line needs indenting";

/** The parser's errors an editor meets most, in an editor's words; any other in the parser's. */
function yamlAdvice(code: string, said: string): string {
  if (code === "BLOCK_AS_IMPLICIT_KEY") return 'a value with ": " in it needs quotes, like title: "Rome: the talks"';
  if (code === "MULTILINE_IMPLICIT_KEY" || said.startsWith("Implicit map keys need")) return NOT_A_FIELD;
  if (code === "TAB_AS_INDENT") return "indent with spaces, not tabs";
  if (said.startsWith("Missing closing")) {
    return `a quoted value has no closing ${said.includes("'") ? "'" : '"'}: close it where the value ends (it may have begun lines earlier)`;
  }
  return said;
}

export function parseYaml(text: string): { ok: true; yaml: ParsedYaml } | { ok: false; problems: YamlProblem[] } {
  const deepFlow = tooDeepFlow(text);
  if (deepFlow !== undefined) return tooDeep(lineAt(text, deepFlow));
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
  const told = new Set<string>();
  for (const e of [...doc.errors, ...doc.warnings]) {
    const said = e.message.split(" at line")[0] ?? "";
    const message =
      e.code === "TAG_RESOLVE_FAILED"
        ? `YAML tags are not allowed (${said.replace("Unresolved tag: ", "")})`
        : e.code === "DUPLICATE_KEY"
          ? duplicateKey(doc, text, e.pos[0])
          : `invalid YAML: ${yamlAdvice(e.code, said)}`;
    // The parser may say one thing several times over (an error per key of one bad line).
    const line = lineAtOffset(e.pos[0]);
    if (told.has(`${line} ${message}`)) continue;
    told.add(`${line} ${message}`);
    problems.push({ line, field: "front matter", message });
  }
  if (problems.length) return { ok: false, problems };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const msg = (err as Error).message;
    return {
      ok: false,
      problems: [
        {
          line: lineAtOffset(failingAlias(doc)?.range?.[0]),
          field: "front matter",
          message: /excessive alias/i.test(msg)
            ? `too many YAML aliases (*name): at most ${LIMITS.yamlAliases} are allowed; write the values out instead`
            : `YAML could not be read: ${msg}`,
        },
      ],
    };
  }
  if (depthOf(value, LIMITS.yamlDepth) > LIMITS.yamlDepth) return tooDeep(lineAtOffset(tooDeepNode(doc)));

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
