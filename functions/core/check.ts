/**
 * The check gate: every rendered document is parsed back before anything is published.
 * XML: well-formedness by fast-xml-parser's validator (an implementation independent of the
 * code that wrote it). JSON Feed: the JSON Feed 1.1 JSON Schema (jsonfeed-schema) under Ajv,
 * compiled ahead of time.
 * A failure names the document and, where it can be traced, the item.
 */
import { XMLValidator } from "fast-xml-parser";
import { RenderCheckError } from "./errors.ts";
import { latestDocumentSchema } from "./latest.ts";
// The schema compiled ahead of time by Ajv (scripts/jsonfeed-validator.ts): no compiling per run.
import { validate as compiledJsonFeed } from "./jsonfeed-validate.gen.ts";

const validateJsonFeed = compiledJsonFeed as ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

const NS_WRAP_OPEN =
  '<w xmlns="http://www.w3.org/2005/Atom" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">';

/** A whole document (in the build: its skeleton, every item an empty element). */
export function checkXml(key: string, xml: string): void {
  const result = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (result !== true) throw new RenderCheckError(key, `not well-formed XML: ${result.err.msg} (line ${result.err.line}, column ${result.err.col})`);
}

/**
 * One item's fragment, on its own inside a wrapper that declares the feeds' namespaces. A
 * document is well-formed when its skeleton (every item an empty element) is and each fragment
 * put in it is: an item appearing in several documents is parsed back once, not once per document.
 */
export function checkXmlFragment(key: string, id: string, fragment: string): void {
  const result = XMLValidator.validate(NS_WRAP_OPEN + fragment + "</w>", { allowBooleanAttributes: false });
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
