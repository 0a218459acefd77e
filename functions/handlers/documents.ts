/**
 * The published documents served at their keys (`/feed.xml`, `/tags/x/atom.xml`, `/archive/1/…`)
 * the way a CDN in front of the bucket serves them: the object's Content-Type and Cache-Control,
 * its ETag with 304 on If-None-Match, CORS (any origin), and for feeds the WebSub
 * discovery `Link` headers (W3C WebSub §4: `rel="hub"` and `rel="self"`), and gzip for readers
 * that ask for it, as the CDN compresses (stacks/cdn.ts). Local stack only; on AWS the CDN serves
 * the bucket directly.
 */
import { gzipSync } from "node:zlib";
import type { Context } from "hono";
import type { ObjectStore } from "../adapters/store.ts";
import { OWNED_KEY } from "../pipeline/publish.ts";
import { MANIFEST_KEY } from "../core/manifest.ts";
import { TOPIC_KEY, type FeedLinks } from "../pipeline/websub.ts";
import { CACHE } from "../core/render/index.ts";
import { FORMATS } from "../core/documents.ts";
import { ApiError, conditionalResponse, prefersGzip, strongEtag } from "./http.ts";
import { within } from "../adapters/store.ts";
import { STORE_READ_TIMEOUT_MS } from "./latest.ts";

const TYPE_BY_FILE: Record<string, string> = {
  ...Object.fromEntries(Object.values(FORMATS).map((f) => [f.file, f.contentType])),
  "latest.json": "application/json",
  "manifest.json": "application/json",
};

const FEED_FILE = /(?:^|\/)(?:feed\.xml|atom\.xml|feed\.json)$/;

/**
 * Compression as CloudFront's (docs "Serve compressed files"): objects of 1,000 bytes to 10 MB,
 * for a reader whose Accept-Encoding names gzip; the ETag made weak, since the bytes differ.
 */
const GZIP_MIN_BYTES = 1000, GZIP_MAX_BYTES = 10_000_000;
/** Gzip'd documents kept by key (the newest bytes of each), so a poll costs no compression. */
const GZIP_KEPT = 64;

export interface DocumentOptions {
  /** Hub and public base URL for the `Link` headers, as the last build published them. */
  links?: () => FeedLinks | undefined;
  /** How long a read may take before the answer is a 503 (default STORE_READ_TIMEOUT_MS, as /latest). */
  readTimeoutMs?: number;
}

export function linkHeader(key: string, links: FeedLinks | undefined): string | undefined {
  if (!links || !FEED_FILE.test(key)) return undefined;
  const self = `<${new URL(key, links.base).href}>; rel="self"`;
  // Archive pages name no hub (core/render/context.ts `hub`).
  return links.hub && TOPIC_KEY.test(key) ? `<${links.hub}>; rel="hub", ${self}` : self;
}

/** What is served: the documents, and the manifest (an output of the contract's layout, as the CDN serves it). */
export const isServedKey = (key: string): boolean => OWNED_KEY.test(key) || key === MANIFEST_KEY;

export function documentHandler(store: ObjectStore, options: DocumentOptions = {}) {
  const gzipped = new Map<string, { etag: string; bytes: Buffer }>();
  const gzipOf = (key: string, etag: string, body: Uint8Array): Buffer => {
    const kept = gzipped.get(key);
    if (kept?.etag === etag) return kept.bytes;
    const bytes = gzipSync(body);
    gzipped.delete(key);
    if (gzipped.size >= GZIP_KEPT) gzipped.delete(gzipped.keys().next().value!);
    gzipped.set(key, { etag, bytes });
    return bytes;
  };
  return async (c: Context): Promise<Response> => {
    const key = c.req.path.slice(1);
    if (!isServedKey(key)) return c.notFound();
    // A store that cannot be read, or stalls (the S3 client's own retries take minutes), is a
    // passing condition (as for /latest): a 503 within the read timeout, not a hung request.
    const obj = await within(store.get(key), options.readTimeoutMs ?? STORE_READ_TIMEOUT_MS).catch(() => {
      throw new ApiError(503, "the feed store could not be read; try again shortly", { "retry-after": "5" });
    });
    if (!obj) throw new ApiError(404, `no document at ${c.req.path}`);
    const file = key.slice(key.lastIndexOf("/") + 1);
    const etag = obj.etag ?? strongEtag(obj.body);
    const headers: Record<string, string> = {
      "content-type": obj.contentType ?? TYPE_BY_FILE[file] ?? "application/octet-stream",
      "cache-control": obj.cacheControl ?? CACHE.current,
      etag,
      // As S3 and the CDN give it: readers that revalidate with If-Modified-Since get their 304.
      ...(obj.lastModified && { "last-modified": obj.lastModified.toUTCString() }),
    };
    const link = linkHeader(key, options.links?.());
    if (link) headers.link = link;
    // Every document (all are XML or JSON) is served compressed or not by Accept-Encoding, so
    // each answer says so to caches, a 304 included (RFC 9110 §15.4.5 keeps Vary).
    headers.vary = "Accept-Encoding";
    const size = obj.body.byteLength;
    if (size >= GZIP_MIN_BYTES && size <= GZIP_MAX_BYTES && prefersGzip(c.req.header("accept-encoding"))) {
      headers.etag = `W/${etag.replace(/^W\//, "")}`;
      headers["content-encoding"] = "gzip";
      return conditionalResponse(c, gzipOf(key, etag, obj.body), headers);
    }
    return conditionalResponse(c, obj.body, headers);
  };
}
