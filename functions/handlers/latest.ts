/**
 * `GET /latest`: latest.json (or tags/<slug>/latest.json) from the store, kept in memory and
 * revalidated at most once per `revalidateMs`, so a burst of partner requests costs one store
 * read every few seconds. Each (document, limit) answer is serialised once per document version.
 * The document is not validated again: the build checked it against core/latest.ts's schema
 * before publishing it (core/check.ts); a hand check of its shape catches a foreign object.
 */
import type { Context } from "hono";
import type { StoredObject } from "../adapters/store.ts";
import type { LatestDocument } from "../core/latest.ts";
import { CACHE_LATEST, LATEST_MAX, LATEST_VERSION, MANIFEST_KEY, SLUG_RE } from "./contract.ts";
import { type ReadStore } from "./health.ts";
import { within } from "../adapters/store.ts";
import { ApiError, conditionalResponse, strongEtag } from "./http.ts";
import { slugifyOnce } from "../core/urls.ts";

/** How long a document read from the store is served before it is revalidated. */
export const REVALIDATE_MS = 5_000;
/**
 * A store read still unsettled after this counts as failed: the held copy is served (or 503).
 * A read can stall for good: a body cut off mid-stream on a kept-alive socket never ends, and
 * every /latest request waits on the one shared read (found by latest-under-load.test.ts).
 */
export const STORE_READ_TIMEOUT_MS = 5_000;
/**
 * With a copy held, how long a request waits for its revalidation before the copy is answered;
 * the read goes on, and what it brings (within STORE_READ_TIMEOUT_MS) is held for the next
 * request. A store that stalls then costs a request this much, not the whole read timeout (an
 * audit paused s3rver: /latest took 5 s, `?tag=` 10 s, every revalidation interval).
 */
export const HELD_WAIT_MS = 250;
/** Documents kept in memory (main + tags); the oldest is dropped past this. */
const MAX_ENTRIES = 512;
const TAG_MAX_CHARS = 120;

/** A store that can revalidate cheaply: S3 answers If-None-Match with 304 and no body. */
export interface RevalidatingStore extends ReadStore {
  getIfNoneMatch(key: string, etag: string): Promise<StoredObject | "not-modified" | undefined>;
}

function canRevalidate(store: ReadStore): store is RevalidatingStore {
  return typeof (store as Partial<RevalidatingStore>).getIfNoneMatch === "function";
}

/** One (document version, limit) answer: the exact body bytes and their strong ETag. */
export interface LatestAnswer {
  body: Buffer;
  etag: string;
}

export interface LatestEntry {
  checkedAt: number;
  /** The store's ETag, or our hash of the bytes when the store gives none. */
  version?: string;
  doc: LatestDocument | null;
  answers: Map<number, LatestAnswer>;
}

/** The store key of the main (no tag) or a tag's latest document. */
export const latestKey = (tag: string | undefined): string => (tag ? `tags/${tag}/latest.json` : "latest.json");

/** The headers of a 200 from `GET /latest` (besides the app's `always` ones: nosniff, CORS). */
export const latestHeaders = (etag: string): Record<string, string> => ({
  "content-type": "application/json; charset=utf-8",
  "cache-control": CACHE_LATEST,
  etag,
});

/** The answer for `limit` items of the entry's document (none when nothing is published), serialised once per document version. */
export function latestAnswer({ doc, answers }: LatestEntry, limit: number): LatestAnswer | undefined {
  if (!doc) return undefined;
  let answer = answers.get(limit);
  if (!answer) {
    const body = Buffer.from(JSON.stringify({ ...doc, items: doc.items.slice(0, limit) }));
    answer = { body, etag: strongEtag(body) };
    answers.set(limit, answer);
  }
  return answer;
}

/** The keys a published manifest lists (read by hand: the API bundle carries no zod); undefined when it is not one. */
function manifestKeys(body: Buffer): Set<string> | undefined {
  try {
    const m = JSON.parse(body.toString("utf8")) as { outputs?: unknown };
    return m.outputs !== null && typeof m.outputs === "object" && !Array.isArray(m.outputs) ? new Set(Object.keys(m.outputs)) : undefined;
  } catch {
    return undefined;
  }
}

export class LatestReader {
  private readonly entries = new Map<string, LatestEntry>();
  /** One store read per key at a time: concurrent requests share it. */
  private readonly inflight = new Map<string, Promise<LatestEntry>>();
  /**
   * What the last manifest lists, revalidated like a document: a tag it does not list is
   * answered 404 without a store read, and takes no place among the documents held (a request
   * for each of many made-up tags cost a read each and pushed the real ones out). `keys`
   * undefined: the manifest could not be read or parsed, and tags are read as they come.
   */
  private listing?: { checkedAt: number; version?: string; keys?: ReadonlySet<string> };
  private listingRead?: Promise<void>;
  constructor(
    private readonly store: ReadStore,
    private readonly now: () => number = Date.now,
    private readonly revalidateMs = REVALIDATE_MS,
    private readonly readTimeoutMs = STORE_READ_TIMEOUT_MS,
    private readonly heldWaitMs = HELD_WAIT_MS,
  ) {}

  /** The entry held for `key` while it is fresh, without any store read; else undefined. */
  fresh(key: string): LatestEntry | undefined {
    const entry = this.entries.get(key);
    return entry && this.now() - entry.checkedAt < this.revalidateMs ? entry : undefined;
  }

  /** Whether the published manifest lists `key` (true when it cannot be told). */
  async listed(key: string): Promise<boolean> {
    const held = this.listing;
    if (!held || this.now() - held.checkedAt >= this.revalidateMs) {
      this.listingRead ??= this.readListing(held).finally(() => (this.listingRead = undefined));
      // With a listing held, it answers after heldWaitMs while the read goes on (which never rejects).
      await (held ? within(this.listingRead, this.heldWaitMs).catch(() => undefined) : this.listingRead);
    }
    const keys = this.listing?.keys;
    return keys === undefined || keys.has(key);
  }

  private async readListing(held: LatestReader["listing"]): Promise<void> {
    try {
      const read = held?.version && canRevalidate(this.store) ? this.store.getIfNoneMatch(MANIFEST_KEY, held.version) : this.store.get(MANIFEST_KEY);
      const obj = await within(read, this.readTimeoutMs);
      const checkedAt = this.now();
      if (obj === "not-modified") this.listing = { ...held!, checkedAt };
      // Nothing published yet: no tag is.
      else if (!obj) this.listing = { checkedAt, keys: new Set() };
      else this.listing = { checkedAt, version: obj.etag ?? strongEtag(obj.body), keys: manifestKeys(obj.body) };
    } catch {
      this.listing = { checkedAt: this.now() };
    }
  }

  /** The document at `key` (null when none is published), from memory while fresh. */
  async read(key: string): Promise<LatestEntry> {
    const held = this.fresh(key);
    if (held) return held;
    const entry = this.entries.get(key);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.revalidate(key, entry).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    // With a copy held, it answers after heldWaitMs while the read goes on (which, with a copy
    // held, never rejects: unreadable answers the copy).
    return entry ? within(pending, this.heldWaitMs).catch(() => entry) : pending;
  }

  private async revalidate(key: string, entry: LatestEntry | undefined): Promise<LatestEntry> {
    let obj: StoredObject | "not-modified" | undefined;
    try {
      const read = entry?.version && canRevalidate(this.store) ? this.store.getIfNoneMatch(key, entry.version) : this.store.get(key);
      obj = await within(read, this.readTimeoutMs);
    } catch {
      // Failed, or still pending after readTimeoutMs (a read can stall for good).
      return this.unreadable(key, entry, new ApiError(503, "the feed store could not be read; try again shortly", { "retry-after": "5" }));
    }
    const checkedAt = this.now();
    const version = obj === "not-modified" ? entry?.version : obj ? (obj.etag ?? strongEtag(obj.body)) : undefined;
    let next: LatestEntry;
    if (entry && (obj === "not-modified" || (version && version === entry.version))) next = { ...entry, checkedAt };
    else if (!obj || obj === "not-modified") next = { checkedAt, doc: null, answers: new Map() };
    else {
      let doc: LatestDocument;
      try {
        doc = parseLatest(obj.body);
      } catch (err) {
        // Unexpected (the build checks it): logged as an internal error when nothing is held.
        return this.unreadable(key, entry, new Error(`published ${key}: ${(err as Error).message}`));
      }
      next = { checkedAt, version, doc, answers: new Map() };
    }
    this.hold(key, next);
    return next;
  }

  /**
   * A failed or unusable read: the copy held is served for another revalidation interval (not
   * retried on every request, each waiting for the store), or, with none, `failure` is thrown.
   */
  private unreadable(key: string, entry: LatestEntry | undefined, failure: Error): LatestEntry {
    if (!entry) throw failure;
    const next = { ...entry, checkedAt: this.now() };
    this.hold(key, next);
    return next;
  }

  private hold(key: string, next: LatestEntry): void {
    this.entries.delete(key);
    this.entries.set(key, next);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** The published document as the build wrote it, once its version and shape are right. */
export function parseLatest(body: Buffer): LatestDocument {
  let doc: Partial<LatestDocument> | undefined;
  try {
    doc = JSON.parse(body.toString("utf8")) as Partial<LatestDocument>;
  } catch {
    doc = undefined;
  }
  const valid =
    typeof doc === "object" && doc !== null && doc.version === LATEST_VERSION && typeof doc.title === "string" &&
    Array.isArray(doc.items) && doc.items.length <= LATEST_MAX && doc.items.every((i) => typeof i === "object" && i !== null) &&
    (doc.item === null || (typeof doc.item === "object" && doc.item !== undefined));
  // The build checks latest.json against its schema before publishing; anything else is ours to fix.
  if (!valid) throw new Error("published latest document does not match its schema");
  return doc as LatestDocument;
}

function single(c: Context, name: string): string | undefined {
  const values = c.req.queries(name);
  if (values && values.length > 1) throw new ApiError(400, `${name} may be given once`);
  return values?.[0];
}

/** A `tag` value `/latest` accepts: a tag slug of at most 120 characters. */
export const validTag = (tag: string): boolean => tag.length <= TAG_MAX_CHARS && SLUG_RE.test(tag);

/** A `limit` value `/latest` accepts (`1`–`50`, no sign, no leading zero) as a number; else undefined. */
export function validLimit(text: string): number | undefined {
  const limit = /^[1-9]\d{0,2}$/.test(text) ? Number(text) : NaN;
  return limit >= 1 && limit <= LATEST_MAX ? limit : undefined;
}

export function parseLatestQuery(c: Context): { tag?: string; limit: number } {
  const tag = single(c, "tag");
  return { tag: tag === undefined ? undefined : tagSlug(tag, () => undecodable(c.req.url, "tag")), limit: queryLimit(single(c, "limit")) };
}

/**
 * A tag's slug, or a tag as articles write it (`Libya`, `European Union`, `Türkiye`) made into
 * its slug as the build makes the key of its feeds (core/urls.ts slugify, cut at 80 characters as
 * there): a partner need not know the rule. Without slugify's memo: values come from anyone.
 */
function tagSlug(tag: string, undecodable: () => boolean): string {
  // Only a value with `%` left in it may have been undecodable: the raw query is read for those alone.
  if (tag.trim() === "" || tag.length > TAG_MAX_CHARS || (tag.includes("%") && undecodable())) {
    throw new ApiError(400, `tag must be a tag's slug (lowercase letters, digits and single hyphens, like \`energy-policy\`) or its name, at most ${TAG_MAX_CHARS} characters, percent-encoded as UTF-8`);
  }
  return slugifyOnce(tag);
}

/** Whether a query parameter's value as sent is no percent-encoded UTF-8 (`%E0%A4%A`, `%FF`): the router hands those over undecoded. */
function undecodable(url: string, name: string): boolean {
  const query = url.split("#")[0]!.split("?")[1] ?? "";
  return query.split("&").some((pair) => {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq) !== name) return false;
    try {
      decodeURIComponent(pair.slice(eq + 1).replaceAll("+", " "));
      return false;
    } catch {
      return true;
    }
  });
}

function queryLimit(limitText: string | undefined): number {
  if (limitText === undefined) return LATEST_MAX;
  const limit = validLimit(limitText);
  if (limit === undefined) throw new ApiError(400, `limit must be a whole number from 1 to ${LATEST_MAX}`);
  return limit;
}

export function latestHandler(reader: LatestReader, always: Record<string, string> = {}) {
  return async (c: Context): Promise<Response> => {
    const { tag, limit } = parseLatestQuery(c);
    if (tag && !(await reader.listed(latestKey(tag)))) throw new ApiError(404, `no published feed for tag ${JSON.stringify(tag)}`);
    const entry = await reader.read(latestKey(tag));
    const answer = latestAnswer(entry, limit);
    if (!answer) throw new ApiError(404, tag ? `no published feed for tag ${JSON.stringify(tag)}` : "nothing has been published yet");
    return conditionalResponse(c, answer.body, latestHeaders(answer.etag), always);
  };
}
