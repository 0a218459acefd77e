/**
 * The check gate: every rendered document is parsed back before anything is published.
 * XML: well-formedness by fast-xml-parser's validator (an implementation independent of the
 * code that wrote it), and what it leaves unchecked (characters, `]]>`) by string scans. JSON Feed: the JSON Feed 1.1 JSON Schema (jsonfeed-schema) under Ajv,
 * compiled ahead of time.
 * A failure names the document and, where it can be traced, the item.
 */
import { XMLValidator } from "fast-xml-parser";
import { RenderCheckError } from "./errors.ts";
import { firstXmlIllegal, lineAt } from "./text.ts";
import { latestDocumentSchema } from "./latest.ts";
// The schema compiled ahead of time by Ajv (scripts/jsonfeed-validator.ts): no compiling per run.
import { validate as compiledJsonFeed } from "./jsonfeed-validate.gen.ts";

const validateJsonFeed = compiledJsonFeed as ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

// The validator does not check namespace prefixes (the skeleton carries the declarations), so
// a fragment is wrapped in a bare element: declaring them on every fragment cost a third more.
const WRAP_OPEN = "<w>";

/** A whole document (in the build: its skeleton, every item an empty element). */
export function checkXml(key: string, xml: string): void {
  const result = XMLValidator.validate(charactersChecked(key, undefined, xml), { allowBooleanAttributes: false });
  if (result !== true) throw new RenderCheckError(key, `not well-formed XML: ${result.err.msg} (line ${result.err.line}, column ${result.err.col})`);
}

const CDATA_OPEN = "<![CDATA[";
const CDATA_CLOSE = "]]>";

/**
 * What the validator does not check, checked here: every character is one XML 1.0 can carry
 * (§2.2, a native scan of the whole text), and `]]>` does not appear in character data (§2.4).
 * Returns the text with each CDATA section emptied: a section ends at its first `]]>` by
 * definition (§2.7), and once its characters are known to be legal there is nothing left in it
 * to check, while the validator scanned bodies a character at a time (~70% of the gate's time,
 * and the largest part of a build with archives). Only a section that opens in element content
 * is one: the markup around sections is followed (tags and their quoted attribute values,
 * comments, processing instructions), so `<![CDATA[` inside an attribute value or a comment
 * hides nothing from the validator. An emptied section keeps its line breaks (the validator's
 * line numbers stay right); an unterminated one is left whole, for the validator to report.
 */
function charactersChecked(key: string, id: string | undefined, xml: string): string {
  const at = firstXmlIllegal(xml);
  if (at >= 0) throw new RenderCheckError(key, `not well-formed XML: U+${xml.codePointAt(at)!.toString(16).toUpperCase().padStart(4, "0")} is not an XML 1.0 character (line ${lineAt(xml, at)})`, id);
  let out = "";
  let from = 0; // start of the text not yet copied to `out`
  let i = 0;
  const skipTo = (end: string, start: number) => {
    const e = xml.indexOf(end, start);
    return e < 0 ? xml.length : e + end.length;
  };
  let bad = -2; // the first `]]>` at or after i (found again only once i has passed it)
  while (i < xml.length) {
    // Element content: the next markup, or a `]]>` in character data.
    const lt = xml.indexOf("<", i);
    if (bad !== -1 && bad < i) bad = xml.indexOf(CDATA_CLOSE, i);
    if (bad >= 0 && (lt < 0 || bad < lt)) throw new RenderCheckError(key, `not well-formed XML: "]]>" outside a CDATA section (line ${lineAt(xml, bad)})`, id);
    if (lt < 0) break;
    if (xml.startsWith(CDATA_OPEN, lt)) {
      const close = xml.indexOf(CDATA_CLOSE, lt + CDATA_OPEN.length);
      if (close < 0) break;
      let lines = 0;
      for (let n = xml.indexOf("\n", lt); n >= 0 && n < close; n = xml.indexOf("\n", n + 1)) lines++;
      out += xml.slice(from, lt) + CDATA_OPEN + "\n".repeat(lines) + CDATA_CLOSE;
      i = from = close + CDATA_CLOSE.length;
    } else if (xml.startsWith("<!--", lt)) i = skipTo("-->", lt + 4);
    else if (xml.startsWith("<?", lt)) i = skipTo("?>", lt + 2);
    else i = endOfTag(xml, lt + 1);
  }
  return out + xml.slice(from);
}

/** Past the `>` that ends the tag begun before `i`, quoted attribute values skipped (the end of the text if none). */
function endOfTag(xml: string, i: number): number {
  let quote = "";
  for (; i < xml.length; i++) {
    const c = xml[i]!;
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return i + 1;
  }
  return i;
}

/**
 * One item's fragment, on its own inside a bare wrapper element. A
 * document is well-formed when its skeleton (every item an empty element) is and each fragment
 * put in it is: an item appearing in several documents is parsed back once, not once per document.
 */
export function checkXmlFragment(key: string, id: string, fragment: string): void {
  const result = XMLValidator.validate(WRAP_OPEN + charactersChecked(key, id, fragment) + "</w>", { allowBooleanAttributes: false });
  if (result !== true) throw new RenderCheckError(key, `not well-formed XML: ${result.err.msg} (item fragment, line ${result.err.line}, column ${result.err.col})`, id);
}

export function checkJsonFeed(key: string, json: string): void {
  let doc: { items?: { id?: unknown }[] };
  try {
    doc = JSON.parse(json) as typeof doc;
  } catch (err) {
    throw new RenderCheckError(key, `not valid JSON: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (validateJsonFeed(doc) !== true) {
    const e = validateJsonFeed.errors?.[0];
    const m = e?.instancePath.match(/^\/items\/(\d+)/);
    const id = m ? String(doc.items?.[Number(m[1])]?.id ?? `#${m[1]}`) : undefined;
    throw new RenderCheckError(key, `not a valid JSON Feed 1.1: ${e?.instancePath || "/"} ${e?.message ?? ""}`.trim(), id);
  }
  for (const [n, item] of (doc.items ?? []).entries()) {
    // The schema allows items without id; readers must discard those, so we never publish one.
    if (typeof item.id !== "string" || item.id === "") throw new RenderCheckError(key, `item #${n} has no id`);
  }
}

export function checkLatest(key: string, json: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new RenderCheckError(key, `not valid JSON: ${(err as Error).message}`, undefined, { cause: err });
  }
  const r = latestDocumentSchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new RenderCheckError(key, `does not match the latest.json schema: /${issue?.path.join("/") ?? ""} ${issue?.message ?? ""}`.trim());
  }
}
