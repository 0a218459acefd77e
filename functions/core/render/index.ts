/**
 * Model → every output object (feeds, archives, tag feeds, latest.json), each checked by the
 * gate before it is returned. manifest.json is made from these by manifest.ts.
 */
import { createHash } from "node:crypto";
import type { FeedModel } from "../model.ts";
import type { Article } from "../article.ts";
import { planDocuments, FORMATS, type FeedDocumentSpec, type Format } from "../documents.ts";
import { documentContext, FragmentCache, PLACEHOLDERS } from "./context.ts";
import { rssParts, rssItem } from "./rss.ts";
import { atomParts, atomEntry } from "./atom.ts";
import { jsonFeedParts } from "./json-feed.ts";
import { latestDocument } from "../latest.ts";
import { checkJsonFeed, checkLatest, checkXml, checkXmlFragment } from "../check.ts";

export interface Output {
  key: string;
  body: Buffer;
  contentType: string;
  cacheControl: string;
  sha256: string;
  /** What the document was rendered from (documentInput), when the build can reuse renderings. */
  input?: string;
}

/** An output published without its body: its size and checksum stand for it. */
interface Bodiless {
  key: string;
  body?: undefined;
  bytes: number;
  contentType: string;
  cacheControl: string;
  sha256: string;
}

/** A document not rendered again: the same input as one the store already holds (Reuse). */
export interface ReusedOutput extends Bodiless {
  input: string;
}

/**
 * A document rendered and checked this build whose bytes the store already holds (renderOutputs
 * `held`): its body is not kept, as publishing never writes it.
 */
export interface UnchangedOutput extends Bodiless {
  input?: string;
  rendered: true;
}

export type PublishedOutput = Output | ReusedOutput | UnchangedOutput;

export const outputBytes = (o: PublishedOutput): number => (o.body ? o.body.byteLength : o.bytes);

/** Whether the document was rendered (and checked) by this build, rather than kept as an earlier build made it. */
export const wasRendered = (o: PublishedOutput): boolean => o.body !== undefined || ("rendered" in o && o.rendered);

/**
 * Rendering only what changed (issue 6, incremental builds). A document's bytes are a function
 * of its input: the code and site settings (`context`), its kind, place and links, and what
 * each of its items was parsed from (`itemKey`: the file's MD5). When an earlier build rendered
 * the same input into bytes the store still holds (`previous`), the document is neither rendered
 * nor checked again: those bytes passed the gate when they were made.
 */
export interface Reuse {
  context: string;
  /** Undefined when unknown: the document is then rendered. */
  itemKey(item: Article): string | undefined;
  previous(key: string, input: string): Omit<ReusedOutput, "input" | "key"> | undefined;
}

export function documentInput(context: string, key: string, spec: FeedDocumentSpec, itemKeys: string[]): string {
  const { kind, prefix, title, tag, page, complete, prevArchive } = spec;
  return createHash("sha256")
    .update(`${context}\u0000${key}\u0000${JSON.stringify({ kind, prefix, title, tag, page, complete, prevArchive })}\u0000${itemKeys.join(",")}`)
    .digest("hex");
}

/**
 * Cache lifetimes: current documents are short-lived. A full archive page keeps its items when
 * new ones arrive, but it does change when one of them is corrected, removed or made a draft
 * (or items_per_feed changes): a day, not a year and `immutable`, so that readers and the CDN
 * see a correction the next day.
 */
export const CACHE = {
  current: "public, max-age=300",
  archive: "public, max-age=86400",
  latest: "public, max-age=60",
  manifest: "no-cache",
} as const;

export const JSON_CONTENT_TYPE = "application/json";

/** An output of a text, or of a document's parts (context.ts documentParts) encoded one by one. */
export function output(key: string, text: string | readonly string[], contentType: string, cacheControl: string): Output {
  const body = typeof text === "string" ? Buffer.from(text, "utf8") : utf8Parts(text);
  return { key, body, contentType, cacheControl, sha256: createHash("sha256").update(body).digest("hex") };
}

/** The UTF-8 of the parts joined, written into one buffer of the exact size. */
function utf8Parts(parts: readonly string[]): Buffer {
  let size = 0;
  for (const p of parts) size += Buffer.byteLength(p, "utf8");
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) at += body.write(p, at, "utf8");
  return body;
}

const RENDERERS: Record<Format, typeof rssParts> = { rss: rssParts, atom: atomParts, json: jsonFeedParts };

function renderDocument(model: FeedModel, spec: FeedDocumentSpec, format: Format, fragments: FragmentCache): Output {
  const ctx = documentContext(model.site, spec);
  const key = spec.prefix + FORMATS[format].file;
  const parts = RENDERERS[format](ctx, fragments);
  // JSON is parsed back whole, so its text is made; an XML document is checked as its skeleton,
  // then each item's fragment once per build (check.ts checkXmlFragment), and never joined.
  let text: string | string[] = parts;
  if (format === "json") checkJsonFeed(key, (text = parts.join("")));
  else {
    checkXml(key, RENDERERS[format](ctx, PLACEHOLDERS).join(""));
    const itemFragment = format === "rss" ? rssItem : atomEntry;
    for (const i of spec.items) fragments.checkOnce(format, i.id, () => checkXmlFragment(key, i.id, fragments.get(format, i.id, () => itemFragment(i))));
  }
  fragments.done(format, spec.items);
  const cache = spec.kind === "archive" && spec.complete ? CACHE.archive : CACHE.current;
  return output(key, text, FORMATS[format].contentType, cache);
}

/** The keys of a spec's documents. */
export function specKeys(spec: FeedDocumentSpec): string[] {
  const keys = (Object.keys(FORMATS) as Format[]).map((f) => spec.prefix + FORMATS[f].file);
  return spec.kind === "archive" ? keys : [...keys, `${spec.prefix}latest.json`];
}

type Reusable = { input?: string; before?: Omit<ReusedOutput, "input" | "key"> };
/** Each build's answers by document key: the build asks which specs to render, then renders them. */
const reusableMemo = new WeakMap<Reuse, Map<string, Reusable>>();

/** A document's input (when every item's key is known) and the earlier rendering to keep, if any. */
export function reusable(reuse: Reuse | undefined, key: string, spec: FeedDocumentSpec): Reusable {
  if (!reuse) return {};
  let memo = reusableMemo.get(reuse);
  if (!memo) reusableMemo.set(reuse, (memo = new Map()));
  let r = memo.get(key);
  if (!r) {
    const keys = spec.items.map((i) => reuse.itemKey(i));
    const input = keys.every((k) => k !== undefined) ? documentInput(reuse.context, key, spec, keys as string[]) : undefined;
    r = input === undefined ? {} : { input, before: reuse.previous(key, input) };
    memo.set(key, r);
  }
  return r;
}

/**
 * `held`: whether a rendered document's body must be kept for publishing; when it says no (the
 * store already holds these very bytes), only its size and checksum are kept (UnchangedOutput).
 * A build whose cache cannot be used (new code, a lost cache) renders every archive page again,
 * nearly all of them unchanged: their bodies are not all held until publishing.
 */
export function renderOutputs(model: FeedModel, specs?: FeedDocumentSpec[]): Output[];
export function renderOutputs(model: FeedModel, specs: FeedDocumentSpec[], reuse: Reuse | undefined, held?: (o: Output) => boolean): PublishedOutput[];
export function renderOutputs(model: FeedModel, specs: FeedDocumentSpec[] = planDocuments(model), reuse?: Reuse, held?: (o: Output) => boolean): PublishedOutput[] {
  const fragments = new FragmentCache();
  // Which documents will ask for which fragments: each is let go after its last (FragmentCache).
  for (const spec of specs) {
    for (const format of Object.keys(FORMATS) as Format[]) if (!reusable(reuse, spec.prefix + FORMATS[format].file, spec).before) fragments.expect(format, spec.items);
  }
  const outputs: PublishedOutput[] = [];
  const each = (spec: FeedDocumentSpec, key: string, render: () => Output) => {
    const { input, before } = reusable(reuse, key, spec);
    if (before) {
      outputs.push({ ...before, key, input: input! });
      return;
    }
    const o = render();
    if (!held || held(o)) outputs.push({ ...o, ...(input && { input }) });
    else outputs.push({ key, bytes: o.body.byteLength, contentType: o.contentType, cacheControl: o.cacheControl, sha256: o.sha256, ...(input && { input }), rendered: true });
  };
  for (const spec of specs) {
    for (const format of Object.keys(FORMATS) as Format[]) each(spec, spec.prefix + FORMATS[format].file, () => renderDocument(model, spec, format, fragments));
    if (spec.kind !== "archive") {
      const key = `${spec.prefix}latest.json`;
      each(spec, key, () => {
        const text = `${JSON.stringify(latestDocument(model.site, spec.items, spec.prefix, spec.title, spec.tag?.slug))}\n`;
        checkLatest(key, text);
        return output(key, text, JSON_CONTENT_TYPE, CACHE.latest);
      });
    }
  }
  return outputs;
}
