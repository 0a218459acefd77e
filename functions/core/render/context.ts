/** What every renderer needs to know about the document it renders, beyond its items. */
import type { Site } from "../schema.ts";
import type { FeedDocumentSpec, Format } from "../documents.ts";
import { FORMATS } from "../documents.ts";
import { joinUrl } from "../urls.ts";
import { newestModified } from "../model.ts";

export const GENERATOR = { name: "Syndicate", version: "0.1.0" };

export interface DocumentContext {
  site: Site;
  spec: FeedDocumentSpec;
  /** Absolute URL of this document in a format. */
  url(format: Format): string;
  /** Absolute URL of the main (current) document in a format. */
  currentUrl(format: Format): string;
  /** Absolute URL of the next older archive page in a format, if any. */
  prevArchiveUrl(format: Format): string | undefined;
  /** Newest modification among the items; the site's epoch start when there are none. */
  updated: number;
  /**
   * The WebSub hub this document names: the site's, except on archive pages, which are no
   * topics (the build pings the hub for the main and tag feeds only: pipeline/websub.ts TOPIC_KEY).
   */
  hub: string | undefined;
}

export function documentContext(site: Site, spec: FeedDocumentSpec): DocumentContext {
  const at = (prefix: string, format: Format) => joinUrl(site.feed_url, prefix + FORMATS[format].file);
  return {
    site,
    spec,
    url: (f) => at(spec.prefix, f),
    currentUrl: (f) => at("", f),
    prevArchiveUrl: (f) => (spec.prevArchive === undefined ? undefined : at(spec.prevArchive, f)),
    // An empty feed still needs a stable date: the Unix epoch keeps output byte-identical.
    updated: newestModified(spec.items) ?? 0,
    hub: spec.kind === "archive" ? undefined : site.websub_hub,
  };
}

/** Where a renderer gets each item's fragment in a format. */
export interface Fragments {
  get(format: Format, id: string, render: () => string): string;
}

/** Memo of each item's rendered fragment per format: an item is rendered once per build and
 * reused in every document it appears in (main, tags, archive); and checked once (`checkOnce`).
 * Each fragment is let go after the last document that uses it (`expect`, `done`): with
 * archives, most items are in one archive page only, and holding every fragment of the build
 * until its end was the largest part of its memory (~3 × 10 KB an item). */
export class FragmentCache implements Fragments {
  private readonly cache = new Map<string, string>();
  private readonly checked = new Set<string>();
  private readonly uses = new Map<string, number>();
  get(format: Format, id: string, render: () => string): string {
    const key = `${format}\u0000${id}`;
    let s = this.cache.get(key);
    if (s === undefined) this.cache.set(key, (s = render()));
    return s;
  }
  /** A document in `format` with these items will be rendered. */
  expect(format: Format, items: readonly { id: string }[]): void {
    for (const { id } of items) {
      const key = `${format}\u0000${id}`;
      this.uses.set(key, (this.uses.get(key) ?? 0) + 1);
    }
  }
  /** That document is rendered and checked: fragments no document still expects are let go. */
  done(format: Format, items: readonly { id: string }[]): void {
    for (const { id } of items) {
      const key = `${format}\u0000${id}`;
      const left = (this.uses.get(key) ?? 0) - 1;
      if (left > 0) this.uses.set(key, left);
      else {
        this.uses.delete(key);
        this.cache.delete(key);
        this.checked.delete(key);
      }
    }
  }
  checkOnce(format: Format, id: string, check: () => void): void {
    const key = `${format}\u0000${id}`;
    if (this.checked.has(key)) return;
    check();
    this.checked.add(key);
  }
}

/**
 * A document as its parts: `open`, the items with `separator` between them, `close`. Encoded part
 * by part (index.ts output), a document is never made one string: joining its items copied
 * every byte into a new string, and encoding it copied them again, each of these large strings
 * fresh memory (README "Performance": memory touched for the first time costs a page fault).
 */
export function documentParts(open: string, items: readonly string[], separator: string, close: string): string[] {
  const parts = [open];
  for (let i = 0; i < items.length; i++) {
    if (i) parts.push(separator);
    parts.push(items[i]!);
  }
  parts.push(close);
  return parts;
}

/** Every item as an empty element: a document's skeleton, for the check gate. */
export const PLACEHOLDERS: Fragments = { get: () => "<i/>" };
