/**
 * Model → every output object (feeds, archives, tag feeds, latest.json), each checked by the
 * gate before it is returned. manifest.json is made from these by manifest.ts.
 */
import { createHash } from "node:crypto";
import type { FeedModel } from "../model.ts";
import { planDocuments, FORMATS, type FeedDocumentSpec, type Format } from "../documents.ts";
import { documentContext, FragmentCache } from "./context.ts";
import { renderRss, rssItem } from "./rss.ts";
import { renderAtom, atomEntry } from "./atom.ts";
import { renderJsonFeed } from "./json-feed.ts";
import { latestDocument } from "../latest.ts";
import { checkJsonFeed, checkLatest, checkXml } from "../check.ts";

export interface Output {
  key: string;
  body: Buffer;
  contentType: string;
  cacheControl: string;
  sha256: string;
}

/** Cache lifetimes: current documents are short-lived; full archive pages never change. */
export const CACHE = {
  current: "public, max-age=300",
  immutable: "public, max-age=31536000, immutable",
  latest: "public, max-age=60",
  manifest: "no-cache",
} as const;

export const JSON_CONTENT_TYPE = "application/json";

export function output(key: string, text: string, contentType: string, cacheControl: string): Output {
  const body = Buffer.from(text, "utf8");
  return { key, body, contentType, cacheControl, sha256: createHash("sha256").update(body).digest("hex") };
}

const RENDERERS: Record<Format, typeof renderRss> = { rss: renderRss, atom: renderAtom, json: renderJsonFeed };

function renderDocument(model: FeedModel, spec: FeedDocumentSpec, format: Format, fragments: FragmentCache): Output {
  const ctx = documentContext(model.site, spec);
  const key = spec.prefix + FORMATS[format].file;
  const text = RENDERERS[format](ctx, fragments);
  if (format === "json") checkJsonFeed(key, text);
  else {
    const itemFragment = format === "rss" ? rssItem : atomEntry;
    checkXml(key, text, spec.items.map((i) => ({ id: i.id, fragment: fragments.get(format, i.id, () => itemFragment(i)) })));
  }
  const cache = spec.kind === "archive" && spec.complete ? CACHE.immutable : CACHE.current;
  return output(key, text, FORMATS[format].contentType, cache);
}

export function renderOutputs(model: FeedModel, specs: FeedDocumentSpec[] = planDocuments(model)): Output[] {
  const fragments = new FragmentCache();
  const outputs: Output[] = [];
  for (const spec of specs) {
    for (const format of Object.keys(FORMATS) as Format[]) outputs.push(renderDocument(model, spec, format, fragments));
    if (spec.kind !== "archive") {
      const key = `${spec.prefix}latest.json`;
      const text = `${JSON.stringify(latestDocument(model.site, spec.items, spec.prefix, spec.tag?.slug))}\n`;
      checkLatest(key, text);
      outputs.push(output(key, text, JSON_CONTENT_TYPE, CACHE.latest));
    }
  }
  return outputs;
}
