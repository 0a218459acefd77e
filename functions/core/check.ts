/**
 * The check gate: every rendered document is parsed back before anything is published.
 * XML: well-formedness by fast-xml-parser's validator (an implementation independent of the
 * code that wrote it), and what it leaves unchecked (characters, `]]>`) by string scans. JSON Feed: the JSON Feed 1.1 JSON Schema (jsonfeed-schema) under Ajv,
 * compiled ahead of time.
 * A failure names the document and, where it can be traced, the item.
 */
import { XMLValidator } from "fast-xml-parser";
import { RenderCheckError } from "./errors.ts";
import { firstXmlIllegal } from "./text.ts";
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
 * What the validator does not check, checked here on the whole text with native string scans:
 * every character is one XML 1.0 can carry (§2.2), and `]]>` appears nowhere but at the end of
 * a CDATA section (§2.4). Returns the text with each CDATA section emptied: a section ends at its
 * first `]]>` by definition (§2.7), and once its characters are known to be legal there is
 * nothing left in it to check, while the validator scanned bodies a character at a time (~70% of
 * the gate's time, and the largest part of a build with archives). An unterminated section is
 * left whole, for the validator to report.
 */
function charactersChecked(key: string, id: string | undefined, xml: string): string {
  const at = firstXmlIllegal(xml);
  if (at >= 0) throw new RenderCheckError(key, `not well-formed XML: U+${xml.codePointAt(at)!.toString(16).toUpperCase().padStart(4, "0")} is not an XML 1.0 character (line ${lineOf(xml, at)})`, id);
  let out = "";
  let from = 0;
  for (let open = xml.indexOf(CDATA_OPEN); open >= 0; open = xml.indexOf(CDATA_OPEN, from)) {
    const close = xml.indexOf(CDATA_CLOSE, open + CDATA_OPEN.length);
    if (close < 0) break;
    out += outsideCdata(key, id, xml, from, open) + CDATA_OPEN + CDATA_CLOSE;
    from = close + CDATA_CLOSE.length;
  }
  return out + outsideCdata(key, id, xml, from, xml.length);
}

function outsideCdata(key: string, id: string | undefined, xml: string, from: number, to: number): string {
  const text = xml.slice(from, to);
  const bad = text.indexOf(CDATA_CLOSE);
  if (bad >= 0) throw new RenderCheckError(key, `not well-formed XML: "]]>" outside a CDATA section (line ${lineOf(xml, from + bad)})`, id);
  return text;
}

const lineOf = (s: string, at: number) => s.slice(0, at).split("\n").length;

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
