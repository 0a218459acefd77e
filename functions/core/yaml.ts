/**
 * Safe YAML: the YAML 1.2 core schema (no timestamps, no custom or language-specific tags),
 * duplicate keys rejected, aliases and nesting bounded. Every problem comes back with its line.
 */
import { parseDocument, visit, Lexer, LineCounter, isAlias, isMap, isPair, isScalar, isSeq, isCollection, type Alias, type Document, type Node, type Pair, type YAMLError } from "yaml";
import { LIMITS } from "./limits.ts";
import { KEY_PATTERN, LINE_KEY, lineAt, unquoteKey } from "./text.ts";

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
  /**
   * What was read, but most likely not as meant (a value cut short by a ` #` comment), each with
   * its field and line: for the caller to tell as warnings.
   */
  warnings: YamlProblem[];
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

/** Whether any node of the document has an anchor (`&name`). */
function hasAnchor(doc: Document.Parsed): boolean {
  let found = false;
  visit(doc, {
    Node(_, node) {
      if (!("anchor" in node) || !node.anchor) return undefined;
      found = true;
      return visit.BREAK;
    },
  });
  return found;
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

/** The dotted path (`related.1.title`) of a node from visit's ancestors of it. */
function pathOf(ancestors: readonly unknown[], node: unknown): string[] {
  const path: string[] = [];
  for (const [i, a] of ancestors.entries()) {
    if (isPair(a)) path.push(isScalar(a.key) ? String(a.key.value) : "?");
    else if (isSeq(a)) path.push(String(a.items.indexOf((ancestors[i + 1] ?? node) as never)));
  }
  return path;
}

/** The message for a duplicate key whose error is at `offset`: names the key and, when nested, where it is. */
function duplicateKey(doc: Document.Parsed, text: string, offset: number): string {
  let found: { start: number; key: unknown; path: string[] } | undefined;
  visit(doc, {
    Pair(_, pair, ancestors) {
      const start = (pair.key as Node | null)?.range?.[0];
      // The error is at the key's start, or before it when the key has an anchor or a tag.
      if (start === undefined || start < offset || (found && start >= found.start)) return;
      found = { start, key: pair.key, path: pathOf(ancestors, pair) };
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
/** The same said of a settings file (site.yaml), which has no '---' and no text after it. */
const NOT_A_SETTING = "a line here is not a setting (name: value): a value that runs on to the next line needs indenting, and a comment starts with #";

/** The parser's errors an editor meets most, in an editor's words; any other in the parser's. */
function yamlAdvice(code: string, said: string, frontMatter: boolean): string {
  if (code === "BLOCK_AS_IMPLICIT_KEY") return 'a value with ": " in it needs quotes, like title: "Rome: the talks"';
  if (code === "MULTILINE_IMPLICIT_KEY" || said.startsWith("Implicit map keys need")) return frontMatter ? NOT_A_FIELD : NOT_A_SETTING;
  if (code === "TAB_AS_INDENT") return "indent with spaces, not tabs";
  if (said.startsWith("Missing closing")) {
    return `a quoted value has no closing ${said.includes("'") ? "'" : '"'}: close it where the value ends (it may have begun lines earlier)`;
  }
  return said;
}

/** A line as an editor writes a field: `title: value`, `  - name: value`, `- value`. */
const FIELD_LINE = new RegExp(String.raw`^([ \t]*)((?:-[ \t]+)*)(?:${KEY_PATTERN}[ \t]*:(?:[ \t]+|$))?(.*?)[ \t]*$`, "d");

interface FieldLine {
  /** List dashes before the key or value (`- `). */
  item: boolean;
  /** The key as written (quotes kept), if the line has one. */
  key?: string;
  value: string;
  /** Column (0-based) where the value starts. */
  valueAt: number;
}

function fieldLine(line: string): FieldLine {
  const m = FIELD_LINE.exec(line);
  if (!m) return { item: false, value: line.trim(), valueAt: 0 };
  return { item: m[2] !== "", key: m[3], value: m[4] ?? "", valueAt: m.indices?.[4]?.[0] ?? 0 };
}


/**
 * The field a line belongs to, for the issue's field: its own key on a top-level line, else the
 * top-level key above it (`tags` for a list item under `tags:`).
 */
function ownerField(lines: readonly string[], index: number): string {
  for (let i = index; i >= 0; i--) {
    const l = lines[i]!;
    if (l.trim() === "" || /^[\s#-]/.test(l)) continue;
    const m = LINE_KEY.exec(l);
    return m ? unquoteKey(m[1]!) : "front matter";
  }
  return "front matter";
}

/** A value written in quotes: "…", or '…' when it holds a " or a \ (where a ' is written ''). */
const quote = (value: string) => (/["\\]/.test(value) ? `'${value.replaceAll("'", "''")}'` : `"${value}"`);
/** What quote wrote, with a word on a ' written '' if there is one. */
const SINGLE_NOTE = " (inside '…', a ' is written '')";
const inQuotes = (value: string) => `${quote(value)}${/["\\]/.test(value) && value.includes("'") ? SINGLE_NOTE : ""}`;

/** Curly (typographic) quotes and guillemets: text to YAML, not quotes. */
const CURLY = "“”„‟‘’‚‛«»";
const CURLY_ENDS = new RegExp(`^[${CURLY}]+|[${CURLY}]+$`, "g");
/** Characters a plain (unquoted) value cannot start with, or that make it something else than text. */
const SPECIAL_START = "[{*@&!%|>`";
/** A flow list (`[…]`) with `#` at the start of an item: there, `#` starts a comment. */
const FLOW_HASH = /[[{,][ \t]*#/;

/**
 * The advice for a parser error from the line it is on: the field (its key), and what to write
 * instead, in the line's own words. Undefined when the line is not one of the mistakes known here.
 */
function lineAdvice(code: string, said: string, column: number, lines: readonly string[], index: number): { field: string; message: string } | undefined {
  const line = lines[index];
  if (line === undefined || code === "TAB_AS_INDENT") return undefined;
  const f = fieldLine(line);
  const field = ownerField(lines, index);
  // `title:\u00a0Libya talks`: a no-break space after the colon (typed, or pasted from a word processor).
  if (/^[^\s:#][^:]*:\u00a0/.test(line.trimStart().replace(/^(?:-[ \t]+)+/, ""))) return { field, message: 'the space after ":" is a no-break space: type an ordinary space' };
  const write = (value: string) => `${f.item ? "- " : ""}${f.key !== undefined ? `${f.key}: ` : ""}${value}`;
  // `-Turkey` for `- Turkey`: read as text, where a list item was meant.
  const dash = /^[ \t]*-([^\s-].*?)[ \t]*$/.exec(line);
  if (dash) return { field, message: `a list item needs a space after "-": write - ${dash[1]}` };
  const v = f.value;
  const c = v[0];
  if (c === undefined) return undefined;
  if (CURLY.includes(c)) {
    return { field, message: `curly quotes “ ” ‘ ’ are not YAML quotes: use straight quotes: ${write(inQuotes(v.replace(CURLY_ENDS, "").trim()))}` };
  }
  if (code === "BLOCK_AS_IMPLICIT_KEY" && f.key !== undefined) return { field, message: `a value with ": " in it needs quotes: ${write(inQuotes(v))}` };
  if ((c === '"' || c === "'") && /^Unexpected [\w-]*scalar at node end/.test(said)) {
    // `"Libya "talks" resume"`, `'Libya's talks'`: the quote inside closed the value.
    return v.length > 1 && v.endsWith(c)
      ? { field, message: `a quote inside the value ends it early: write ${write(inQuotes(v.slice(1, -1)))}` }
      : { field, message: `text after the closing quote is not part of the value: write ${write(inQuotes(v))}` };
  }
  if (!SPECIAL_START.includes(c)) return undefined;
  if (code === "BAD_SCALAR_START" && column > f.valueAt) {
    // Inside a flow list: `tags: [@UN, Libya]`.
    const item = /^[^,\]}]*/.exec(line.slice(column))![0].trimEnd();
    const at = column - f.valueAt;
    const fixed = `${v.slice(0, at)}${quote(item)}${v.slice(at + item.length)}`;
    return { field, message: `a value that starts with "${line[column]}" must be put in quotes: write ${write(fixed)}${/["\\]/.test(item) && item.includes("'") ? SINGLE_NOTE : ""}` };
  }
  // `[Update] Libya talks`, `*Breaking* news`, `@UN envoy`, `%`, a backtick, `>Breaking<`.
  if (code === "BAD_SCALAR_START" || code === "UNEXPECTED_TOKEN" || code === "UNRESOLVED_ALIAS") {
    return { field, message: `a value that starts with "${c}" must be put in quotes: ${write(inQuotes(v))}` };
  }
  return undefined;
}

/**
 * The parser's errors as problems, each with its line: the common mistakes in an editor's words
 * (lineAdvice, yamlAdvice), one problem per line for those, and no echoes of one mistake.
 */
function explain(found: readonly YAMLError[], doc: Document.Parsed, text: string, lineCounter: LineCounter, frontMatter: boolean): YamlProblem[] {
  const lines = text.split("\n");
  const lineOf = (e: YAMLError) => lineCounter.linePos(e.pos[0]).line;
  // A `#` at the start of a flow list's item comments out the rest of the line, the `]` with it:
  // the errors from there on are that one mistake's.
  let flowLine = Infinity;
  if (text.includes("#")) {
    for (let i = 0; i < lines.length; i++) {
      const v = fieldLine(lines[i]!).value;
      if ((v.startsWith("[") || v.startsWith("{")) && FLOW_HASH.test(v)) {
        flowLine = i + 1;
        break;
      }
    }
  }
  // A tab as indentation draws errors about the rest of its line too: the tab is the mistake.
  const tabs = new Set(found.filter((e) => e.code === "TAB_AS_INDENT").map(lineOf));
  const problems: (YamlProblem & { advice?: boolean })[] = [];
  let flowTold = false;
  for (const e of found) {
    const line = lineOf(e);
    if (line >= flowLine) {
      if (flowTold) continue;
      flowTold = true;
      const v = fieldLine(lines[flowLine - 1]!);
      const fixed = `${v.item ? "- " : ""}${v.key !== undefined ? `${v.key}: ` : ""}${v.value.replace(/([[{,][ \t]*)#+/g, "$1")}`;
      problems.push({ line: flowLine, field: ownerField(lines, flowLine - 1), message: `write ${fixed} ("#" starts a comment)`, advice: true });
      continue;
    }
    if (tabs.has(line) && e.code !== "TAB_AS_INDENT") continue;
    const said = e.message.split(" at line")[0] ?? "";
    if (e.code === "TAG_RESOLVE_FAILED") problems.push({ line, field: "front matter", message: `YAML tags are not allowed (${said.replace("Unresolved tag: ", "")})` });
    else if (e.code === "DUPLICATE_KEY") problems.push({ line, field: "front matter", message: duplicateKey(doc, text, e.pos[0]) });
    else {
      const opened = unclosedAbove(said, lines, line - 1);
      if (opened) {
        problems.push({ ...opened, advice: true });
        continue;
      }
      const advice = lineAdvice(e.code, said, lineCounter.linePos(e.pos[0]).col - 1, lines, line - 1);
      problems.push(advice ? { line, ...advice, advice: true } : { line, field: "front matter", message: `invalid YAML: ${yamlAdvice(e.code, said, frontMatter)}` });
    }
  }
  // One problem per line the advice is for (the parser may say several things about it), and
  // nothing said twice (an error per key of one bad line).
  const advised = new Set(problems.filter((p) => p.advice).map((p) => p.line));
  const told = new Set<string>();
  const out: YamlProblem[] = [];
  for (const { advice, ...p } of problems) {
    if (advised.has(p.line) && !advice) continue;
    const said = `${p.line} ${advice ? "" : p.message}`;
    if (told.has(said)) continue;
    told.add(said);
    out.push(p);
  }
  return out;
}

/**
 * A quote or a flow list (`[`) left open: the parser tells it where it gives up (the end of the
 * front matter, or the next field), lines below the mistake. The problem is put on the line where
 * the value was opened (the last one above that opens it and does not close it), with what to
 * write; undefined when no such line is found.
 */
function unclosedAbove(said: string, lines: readonly string[], index: number): YamlProblem | undefined {
  const quoteChar = said.startsWith("Missing closing") ? (said.includes("'") ? "'" : '"') : undefined;
  const flow = said.startsWith("Flow sequence") ? "[" : said.startsWith("Flow map") ? "{" : undefined;
  if (!quoteChar && !flow) return undefined;
  for (let i = Math.min(index, lines.length - 1); i >= 0; i--) {
    const f = fieldLine(lines[i]!);
    const v = f.value;
    const write = (value: string) => `${f.item ? "- " : ""}${f.key !== undefined ? `${f.key}: ` : ""}${value}`;
    const at = { line: i + 1, field: ownerField(lines, i) };
    if (quoteChar && v.startsWith(quoteChar) && !(quoteChar === '"' ? /^"(?:[^"\\]|\\.)*"/ : /^'(?:[^']|'')*'(?!')/).test(v)) {
      // Closed on a later line not indented under this one: a value run on, whose continuation
      // YAML reads as a new key (`title: "A long` then `that continues"` at the line's start).
      // Not past a line that is a field of its own (`date: 2020`, `summary: "ok"`: a key, and its
      // quotes paired): the quote was then left open, and the next quote is another value's.
      const closes = quoteChar === '"' ? /^(?:[^"\\]|\\.)*"/ : /^(?:[^']|'')*'(?!')/;
      const quotes = quoteChar === '"' ? /(?<!\\)"/g : /'/g;
      const ownField = (l: string) => fieldLine(l).key !== undefined && (l.match(quotes)?.length ?? 0) % 2 === 0;
      const indent = (l: string) => /^[ \t]*/.exec(l)![0].length;
      let end = -1;
      for (let j = i + 1; j < lines.length && end < 0 && !ownField(lines[j]!); j++) if (closes.test(lines[j]!)) end = j;
      if (end > i && lines.slice(i + 1, end + 1).some((l) => l.trim() !== "" && indent(l) <= indent(lines[i]!))) {
        const next = end === i + 1 ? "the next line, which" : `the next ${end - i} lines, which`;
        return { ...at, message: `a quoted value runs on to ${next} must be indented further than this one (by a space) to continue it: indent ${end === i + 1 ? "it" : "them"}, or write the value on one line` };
      }
      return { ...at, message: `a quoted value has no closing ${quoteChar}: close it where the value ends, ${write(`${v}${quoteChar}`)}` };
    }
    if (flow && v.startsWith(flow) && !v.endsWith(flow === "[" ? "]" : "}")) {
      const text = v.includes(",") ? "" : `, or, for text that starts with "${flow}", put it in quotes: ${write(inQuotes(v))}`;
      return { ...at, message: `a value that starts with "${flow}" is a ${flow === "[" ? "list" : "mapping"}, and this one has no closing "${flow === "[" ? "]" : "}"}": end it with one${text}` };
    }
  }
  return undefined;
}

/** Fields of free text (articles' and site.yaml's), and tag names: where a " #" is likely meant as text. */
const FREE_TEXT = new Set(["title", "summary", "source", "description", "copyright", "alt", "caption", "credit", "name", "tags"]);

/**
 * `title: Libya talks #1 resume`: after a space, `#` starts a comment, so the title published
 * would be "Libya talks". A warning for each plain (unquoted) value of free text (FREE_TEXT) followed by a
 * comment on its line; comments on their own line are not looked at, nor is an empty value
 * (`tags: #Libya`: the caller tells it, schema.ts commentedOut).
 */
function commentWarnings(doc: Document.Parsed, text: string, lineCounter: LineCounter): YamlProblem[] {
  const warnings: YamlProblem[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === "key" || node.type !== "PLAIN" || typeof node.value !== "string" || !node.range) return;
      // Text an editor writes, where " #1" is part of it; a comment after a slug, a language, a
      // URL or a time zone (`timezone: Europe/Istanbul  # the desk's`) is a comment, and quoting
      // it as advised would break the value.
      const path = pathOf(ancestors, node);
      if (!FREE_TEXT.has(path.findLast((p) => !/^\d+$/.test(p)) ?? "")) return;
      const end = node.range[1];
      const eol = text.indexOf("\n", end);
      const comment = /^[ \t]+#.*/.exec(text.slice(end, eol < 0 ? undefined : eol));
      if (!comment || ancestors.some((a) => isCollection(a) && a.flow)) return;
      const parent = ancestors.at(-1);
      const keyNode = isPair(parent) ? (parent.key as Node | null) : undefined;
      const shownKey = keyNode?.range ? `${text.slice(keyNode.range[0], keyNode.range[1])}: ` : isSeq(parent) ? "- " : "";
      const whole = text.slice(node.range[0], end) + comment[0].trimEnd();
      warnings.push({
        line: lineCounter.linePos(end).line,
        field: path.join(".") || "front matter",
        // A value over several lines: no example (it would be several lines too).
        message: `the text after "#" was read as a YAML comment and left out; put the whole value in quotes${whole.includes("\n") ? "" : `: ${shownKey}${inQuotes(whole)}`}`,
      });
    },
  });
  return warnings;
}

/** `frontMatter: false` for a settings file (site.yaml): no '---' to be missing. */
export function parseYaml(text: string, { frontMatter = true }: { frontMatter?: boolean } = {}): { ok: true; yaml: ParsedYaml } | { ok: false; problems: YamlProblem[] } {
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
  const found = [...doc.errors, ...doc.warnings];
  if (found.length) return { ok: false, problems: explain(found, doc, text, lineCounter, frontMatter) };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const msg = (err as Error).message;
    const at = failingAlias(doc)?.range?.[0];
    const line = lineAtOffset(at);
    // `title: *Breaking*`: an alias in a document that sets no anchor at all, meant as text.
    const pos = at === undefined || !/^Unresolved alias/.test(msg) || hasAnchor(doc) ? undefined : lineCounter.linePos(at);
    const advice = pos && lineAdvice("UNRESOLVED_ALIAS", msg, pos.col - 1, text.split("\n"), pos.line - 1);
    if (advice) return { ok: false, problems: [{ line, ...advice }] };
    return {
      ok: false,
      problems: [
        {
          line,
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
  const hasPath = (v: unknown, p: readonly PropertyKey[]): boolean => {
    for (const k of p) {
      if (v === null || typeof v !== "object" || !Object.hasOwn(v, k)) return false;
      v = (v as Record<PropertyKey, unknown>)[k];
    }
    return true;
  };
  // The line of the key that holds the value at `path` in a mapping (`image:`), if it is one.
  const keyLine = (path: readonly PropertyKey[]) => {
    const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1) as unknown[], true);
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path.at(-1))) : undefined;
    return pair && isScalar(pair.key) ? lineAtOffset(pair.key.range?.[0]) : undefined;
  };
  const lineOf = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
      if (!node || !(isScalar(node) || isCollection(node)) || !node.range) continue;
      // A key missing from a mapping written below its key (`image:`, then `  url: …` without
      // `  alt:`): the key's line, not its first entry's. Not a key that is there but was not
      // found by its name (one YAML read from a mapping, `{title}: x`): its mapping's lines.
      if (n < path.length && n > 0 && isMap(node) && !hasPath(value, path.slice(0, n + 1))) return keyLine(path.slice(0, n)) ?? lineAtOffset(node.range[0]);
      return lineAtOffset(node.range[0]);
    }
    return undefined;
  };
  // Only text with a `#` after a space or tab can hold a comment on the line of a value.
  const warnings = text.includes("#") && /[ \t]#/.test(text) ? commentWarnings(doc, text, lineCounter) : [];
  return { ok: true, yaml: { value, lineOf, keys, warnings } };
}
