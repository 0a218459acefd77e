/**
 * WebSub publisher pings (W3C WebSub §7 leaves the ping to the hub; the de facto form, from
 * PubSubHubbub 0.4, is `POST hub.mode=publish&hub.url=<topic>`). After a publish that changed
 * a feed, each changed feed's public URL is sent to the hub named by the published feeds.
 * Failures are retried with backoff and logged; they never fail the build. Only builds that
 * publish to where subscribers read (a bucket) ping: never `build --out`.
 */
import type { ObjectStore } from "../adapters/store.ts";
import { mapLimit } from "../adapters/store.ts";

/**
 * Topics: the current feeds (main and per tag). Archive pages are left out: nobody subscribes
 * to them, and full pages never change.
 */
export const TOPIC_KEY = /^(?:tags\/[a-z0-9-]+\/)?(?:feed\.xml|atom\.xml|feed\.json)$/;

export interface FeedLinks {
  /** The WebSub hub (site.yaml `websub_hub`), when one is set. */
  hub?: string;
  /** Public base URL of the published documents (site.yaml `feed_url`). */
  base: string;
}

/**
 * Hub and base URL as the published JSON Feed states them (`hubs`, `feed_url`): what
 * subscribers discover is what the hub is told about.
 */
export async function readFeedLinks(store: ObjectStore): Promise<FeedLinks | undefined> {
  const obj = await store.get("feed.json");
  if (!obj) return undefined;
  try {
    const feed = JSON.parse(obj.body.toString("utf8")) as { feed_url?: unknown; hubs?: { type?: unknown; url?: unknown }[] };
    if (typeof feed.feed_url !== "string" || !feed.feed_url.endsWith("feed.json")) return undefined;
    const hub = feed.hubs?.find((h) => typeof h.type === "string" && h.type.toLowerCase() === "websub" && typeof h.url === "string")?.url as string | undefined;
    return { hub, base: feed.feed_url.slice(0, -"feed.json".length) };
  } catch {
    return undefined;
  }
}

export function topicUrls(written: readonly string[], base: string): string[] {
  return written.filter((k) => TOPIC_KEY.test(k)).sort().map((k) => new URL(k, base).href);
}

export interface PingOptions {
  fetch?: typeof fetch;
  /** Attempts per topic, first included. */
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  concurrency?: number;
  /** Epoch ms after which no attempt starts, no pause waits and no request runs on (a Lambda's time left). */
  deadline?: number;
  log?: (line: string) => void;
}

export interface PingResult {
  hub: string;
  notified: string[];
  failed: { url: string; error: string }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

async function pingOne(hub: string, url: string, o: Required<Omit<PingOptions, "log" | "deadline">> & Pick<PingOptions, "log" | "deadline">): Promise<string | undefined> {
  let error = "";
  const timeLeft = () => (o.deadline === undefined ? Infinity : o.deadline - Date.now());
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    if (timeLeft() <= 0) {
      error ||= "no time left to ping";
      break;
    }
    try {
      const res = await o.fetch(hub, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ "hub.mode": "publish", "hub.url": url }).toString(),
        signal: AbortSignal.timeout(Math.max(1, Math.min(o.timeoutMs, timeLeft()))),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return undefined;
      error = `hub answered ${res.status}`;
      if (!retryable(res.status)) break;
    } catch (err) {
      error = (err as Error).message;
    }
    o.log?.(JSON.stringify({ level: "warn", msg: "websub ping failed", hub: new URL(hub).origin, url, attempt, error }));
    if (attempt === o.attempts) break;
    const pause = o.baseDelayMs * 2 ** (attempt - 1);
    if (pause >= timeLeft()) {
      error = `${error}; no time left to try again`;
      break;
    }
    await sleep(pause);
  }
  return error;
}

/** Tell `hub` that each of `urls` changed. Never throws: failures are in the result and the log. */
export async function notifyHub(hub: string, urls: string[], options: PingOptions = {}): Promise<PingResult> {
  const o = { fetch: globalThis.fetch, attempts: 4, baseDelayMs: 500, timeoutMs: 10_000, concurrency: 4, ...options };
  const errors = await mapLimit(urls, o.concurrency, (url) => pingOne(hub, url, o));
  const result: PingResult = { hub, notified: [], failed: [] };
  urls.forEach((url, i) => (errors[i] === undefined ? result.notified.push(url) : result.failed.push({ url, error: errors[i]! })));
  o.log?.(JSON.stringify({ level: result.failed.length ? "error" : "info", msg: "websub", hub: new URL(hub).origin, notified: result.notified.length, failed: result.failed.length }));
  return result;
}

/** readFeedLinks, a failed read logged and given as undefined: a ping is never worth failing a build. */
export async function publishedLinks(store: ObjectStore, log?: (line: string) => void): Promise<FeedLinks | undefined> {
  try {
    return await readFeedLinks(store);
  } catch (err) {
    log?.(JSON.stringify({ level: "error", msg: "websub: could not read feed.json", error: (err as Error).message }));
    return undefined;
  }
}

/** After a publish to `store`: ping the hub about the feeds it wrote, if a hub is set and any feed changed. */
export async function pingAfterPublish(store: ObjectStore, written: readonly string[], options: PingOptions = {}): Promise<PingResult | undefined> {
  if (!written.some((k) => TOPIC_KEY.test(k))) return undefined;
  return pingHub(await publishedLinks(store, options.log), written, options);
}

/**
 * Ping the hub `links` names (as readFeedLinks read them after the publish) about the feeds in
 * `written`; nothing when no hub is set or no feed was written.
 */
export async function pingHub(links: FeedLinks | undefined, written: readonly string[], options: PingOptions = {}): Promise<PingResult | undefined> {
  if (!links?.hub) return undefined;
  const urls = topicUrls(written, links.base);
  if (!urls.length) return undefined;
  return notifyHub(links.hub, urls, options);
}
