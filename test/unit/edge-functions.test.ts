/**
 * The CDN's edge functions (stacks/edge.ts), run as CloudFront runs them: the code inside a
 * handler of `event`; a viewer-request function that returns nothing lets the request through.
 * (test/infra/stack.test.ts checks that the deployed Router carries this very code.)
 */
import { describe, expect, it } from "vitest";
import { BLOCK_INTERNAL, RESPONSE_HEADERS, SERVED_TYPE_HEADER } from "../../stacks/edge.ts";
import { SERVED_TYPE_META } from "../../functions/adapters/cdn-types.ts";

type Headers = Record<string, { value: string }>;
type Query = Record<string, { value: string }>;
const viewerRequest = new Function("event", `${BLOCK_INTERNAL}\nreturn event.request;`) as (e: { request: { uri: string; querystring?: Query; headers?: Headers } }) => {
  statusCode?: number;
  uri?: string;
  querystring?: Query;
  headers?: Headers;
};
const viewerResponse = new Function("event", `${RESPONSE_HEADERS}\nreturn event.response;`) as (e: { request: { uri: string }; response: { statusCode?: number; headers: Headers } }) => {
  statusCode?: number;
  headers: Headers;
};

describe("edge: viewer request", () => {
  it.each(["/.syndicate/build-cache", "/.syndicate/publishing.json", "/%2Esyndicate/build-cache", "/%2esyndicate/lease/x.json", "/.syndicate%2Fbuild-cache", "/status.json", "/%73tatus.json", "/builds/3f1c2a7e-0b1d-4c55-9a8e-2f6b1d0c9e41.json", "/%62uilds/x.json"])("answers 404 for %s", (uri) => {
    expect(viewerRequest({ request: { uri } })).toMatchObject({ statusCode: 404 });
  });

  // CloudFront may list the bucket (so that a missing key is S3's 404, not 403): GET / would be that listing.
  it("answers 404 for the bucket's root (a listing)", () => {
    const uri = "/";
    expect(viewerRequest({ request: { uri, querystring: { "list-type": { value: "2" } }, headers: {} } })).toMatchObject({ statusCode: 404 });
  });

  it.each(["/feed.xml", "/tags/libya/feed.json", "/archive/1/atom.xml", "/manifest.json", "/robots.txt", "/%ZZ", "/a/.syndicate/x", "/tags/x/status.json"])("lets %s through, without its query string (one cache key per document)", (uri) => {
    expect(viewerRequest({ request: { uri, querystring: { v: { value: "123" } }, headers: {} } })).toEqual({ uri, querystring: {}, headers: {} });
  });

  it("keeps /latest's query string (?tag=, ?limit=), and nothing else of it", () => {
    const querystring = { tag: { value: "libya" }, limit: { value: "5" } };
    expect(viewerRequest({ request: { uri: "/latest", querystring, headers: {} } })).toEqual({ uri: "/latest", querystring, headers: {} });
    expect(viewerRequest({ request: { uri: "/latest", querystring: { ...querystring, bust: { value: "1" } }, headers: {} } }).querystring).toEqual(querystring);
    expect(viewerRequest({ request: { uri: "/latest", querystring: { cb: { value: "2" } }, headers: {} } }).querystring).toEqual({});
  });

  it("drops the headers SST's cache policy keys on, which a viewer could send to miss the cache", () => {
    for (const uri of ["/feed.xml", "/latest"]) {
      const headers = { "x-open-next-cache-key": { value: "bust-456" }, "x-forwarded-host": { value: "random-123" }, host: { value: "feeds.example.com" }, "accept-encoding": { value: "gzip" } };
      expect(viewerRequest({ request: { uri, querystring: {}, headers } }).headers).toEqual({ host: { value: "feeds.example.com" }, "accept-encoding": { value: "gzip" } });
    }
  });
});

describe("edge: viewer response", () => {
  it("adds nosniff to every response", () => {
    for (const uri of ["/feed.xml", "/feed.json", "/latest", "/nothing-here"]) {
      expect(viewerResponse({ request: { uri }, response: { headers: {} } }).headers["x-content-type-options"]).toEqual({ value: "nosniff" });
    }
  });

  it("serves a document stored as the generic type the CDN compresses with its own type, and drops the metadata header", () => {
    expect(SERVED_TYPE_HEADER).toBe(`x-amz-meta-${SERVED_TYPE_META}`);
    const stored = { "content-type": { value: "application/xml; charset=utf-8" }, "x-amz-meta-served-type": { value: "application/atom+xml; charset=utf-8" }, "content-encoding": { value: "br" } };
    expect(viewerResponse({ request: { uri: "/atom.xml" }, response: { statusCode: 200, headers: { ...stored } } }).headers).toEqual({
      "content-type": { value: "application/atom+xml; charset=utf-8" },
      "content-encoding": { value: "br" },
      "x-content-type-options": { value: "nosniff" },
      "access-control-allow-origin": { value: "*" },
      "access-control-expose-headers": { value: "etag" },
    });
    const rss = { "content-type": { value: "application/rss+xml; charset=utf-8" } };
    expect(viewerResponse({ request: { uri: "/feed.xml" }, response: { statusCode: 200, headers: { ...rss } } }).headers["content-type"]).toEqual(rss["content-type"]);
  });

  it("adds CORS to the documents (JSON and XML) and /latest, not to other objects, and keeps the origin's own", () => {
    expect(viewerResponse({ request: { uri: "/tags/x/feed.json" }, response: { headers: {} } }).headers).toMatchObject({ "access-control-allow-origin": { value: "*" }, "access-control-expose-headers": { value: "etag" } });
    expect(viewerResponse({ request: { uri: "/latest" }, response: { headers: {} } }).headers["access-control-allow-origin"]).toEqual({ value: "*" });
    expect(viewerResponse({ request: { uri: "/tags/x/atom.xml" }, response: { headers: {} } }).headers).toMatchObject({ "access-control-allow-origin": { value: "*" }, "access-control-expose-headers": { value: "etag" } });
    expect(viewerResponse({ request: { uri: "/robots.txt" }, response: { headers: {} } }).headers["access-control-allow-origin"]).toBeUndefined();
    const own = { "access-control-allow-origin": { value: "https://partner.example" } };
    expect(viewerResponse({ request: { uri: "/feed.json" }, response: { headers: { ...own } } }).headers["access-control-allow-origin"]).toEqual(own["access-control-allow-origin"]);
  });
});
