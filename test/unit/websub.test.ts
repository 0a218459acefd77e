import { describe, expect, it } from "vitest";
import { timeoutsAsked } from "../support/clock.ts";
import { join } from "node:path";
import { notifyHub, pingAfterPublish, readFeedLinks } from "../../functions/pipeline/websub.ts";
import { build } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { createApp } from "../../functions/handlers/app.ts";
import { main } from "../../functions/cli.ts";
import { NOW, published, startHub } from "../support/api.ts";

const FEEDS = ["feed.xml", "atom.xml", "feed.json"];
const fast = { baseDelayMs: 1, log: () => undefined };

describe("WebSub pings", () => {
  it("after a publish that changed feeds, POSTs hub.mode=publish and hub.url for each changed feed", async () => {
    const hub = await startHub();
    const { store, report } = await published(undefined, { websub_hub: hub.url });
    const result = await pingAfterPublish(store, report.written, fast);
    const expected = ["", "tags/energy-policy/", "tags/libya/"].flatMap((p) => FEEDS.map((f) => `https://news.example.com/feeds/${p}${f}`)).sort();
    expect(hub.pings.map((p) => p.url).sort()).toEqual(expected);
    expect(hub.pings.every((p) => p.mode === "publish" && p.contentType === "application/x-www-form-urlencoded")).toBe(true);
    expect(result?.notified.sort()).toEqual(expected);
    expect(result?.failed).toEqual([]);
  });

  it("sends nothing after a build that changed no feed", async () => {
    const hub = await startHub();
    const { store, content } = await published(undefined, { websub_hub: hub.url });
    const again = await build({ source: new DirectoryContent(content), store, now: NOW });
    expect(again.written).toEqual([]);
    expect(await pingAfterPublish(store, again.written, fast)).toBeUndefined();
    expect(hub.pings).toHaveLength(0);
  });

  it("sends nothing when the site names no hub", async () => {
    const { store, report } = await published();
    expect(await pingAfterPublish(store, report.written, fast)).toBeUndefined();
    expect((await readFeedLinks(store))?.hub).toBeUndefined();
  });

  it("retries a failing hub with backoff, then succeeds", async () => {
    const hub = await startHub();
    hub.failures.push(503, 500);
    // Pauses of 7 then 14 ms (exponential from baseDelayMs) before the 2nd and 3rd attempts.
    const sent: number[] = [];
    const timedFetch: typeof fetch = (input, init) => (sent.push(performance.now()), fetch(input, init));
    const { result, asked } = await timeoutsAsked(() => notifyHub(hub.url, ["https://news.example.com/feeds/feed.xml"], { ...fast, baseDelayMs: 7, fetch: timedFetch }));
    expect(asked.filter((ms) => ms < 1000)).toEqual([7, 14]);
    // And waited for: a pause lasts at least what it asked (a slow machine only lengthens it).
    const gaps = sent.slice(1).map((t, i) => t - sent[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(6);
    expect(gaps[1]).toBeGreaterThanOrEqual(13);
    expect(hub.pings).toHaveLength(3);
    expect(result.notified).toEqual(["https://news.example.com/feeds/feed.xml"]);
  });

  it("gives up on a hub that keeps failing, logs it, and does not throw", async () => {
    const hub = await startHub();
    hub.failures.push(500, 500, 500, 500);
    const logs: string[] = [];
    const result = await notifyHub(hub.url, ["https://news.example.com/feeds/feed.xml"], { baseDelayMs: 1, attempts: 4, log: (l) => logs.push(l) });
    expect(hub.pings).toHaveLength(4);
    expect(result.failed).toEqual([{ url: "https://news.example.com/feeds/feed.xml", error: "hub answered 500" }]);
    expect(logs.filter((l) => JSON.parse(l).msg === "websub ping failed")).toHaveLength(4);
  });

  it("does not retry a hub that refuses the request (4xx)", async () => {
    const hub = await startHub();
    hub.failures.push(400);
    const result = await notifyHub(hub.url, ["https://news.example.com/feeds/feed.xml"], fast);
    expect(hub.pings).toHaveLength(1);
    expect(result.failed).toHaveLength(1);
  });

  it("survives a hub that is down", async () => {
    const hub = await startHub();
    const down = hub.url.replace(/:\d+\//, ":1/");
    const result = await notifyHub(down, ["https://news.example.com/feeds/feed.xml"], { ...fast, attempts: 2 });
    expect(result.failed).toHaveLength(1);
  });

  it("never pings from build --out, and refuses --ping without --bucket", async () => {
    const hub = await startHub();
    const { dir, content } = await published(undefined, { websub_hub: hub.url });
    expect(await main(["build", "--content", content, "--out", join(dir, "other"), "--now", new Date(NOW).toISOString()])).toBe(0);
    expect(await main(["build", "--content", content, "--out", join(dir, "third"), "--ping"])).toBe(2);
    expect(hub.pings).toHaveLength(0);
  });
});

describe("Link headers on served feeds", () => {
  it("carry rel=hub and rel=self on feeds, and CORS on XML and JSON documents", async () => {
    const hub = await startHub();
    const { store } = await published(undefined, { websub_hub: hub.url });
    const links = await readFeedLinks(store);
    const app = createApp({ store, documents: { links: () => links } });
    const res = await app.request("/tags/libya/atom.xml");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    expect(res.headers.get("link")).toBe(`<${hub.url}>; rel="hub", <https://news.example.com/feeds/tags/libya/atom.xml>; rel="self"`);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const json = await app.request("/feed.json");
    expect(json.headers.get("access-control-allow-origin")).toBe("*");
    expect((await app.request("/latest.json")).headers.get("link")).toBeNull();
  });
});
