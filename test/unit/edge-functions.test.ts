/**
 * The CDN's edge functions (stacks/edge.ts), run as CloudFront runs them: the code inside a
 * handler of `event`; a viewer-request function that returns nothing lets the request through.
 * (test/infra/stack.test.ts checks that the deployed Router carries this very code.)
 */
import { describe, expect, it } from "vitest";
import { BLOCK_INTERNAL, RESPONSE_HEADERS } from "../../stacks/edge.ts";

type Headers = Record<string, { value: string }>;
const viewerRequest = new Function("event", `${BLOCK_INTERNAL}\nreturn event.request;`) as (e: { request: { uri: string } }) => { statusCode?: number; uri?: string };
const viewerResponse = new Function("event", `${RESPONSE_HEADERS}\nreturn event.response;`) as (e: { request: { uri: string }; response: { headers: Headers } }) => { headers: Headers };

describe("edge: viewer request", () => {
  it.each(["/.syndicate/build-cache", "/.syndicate/publishing.json", "/%2Esyndicate/build-cache", "/%2esyndicate/lease/x.json", "/.syndicate%2Fbuild-cache"])("answers 404 for %s", (uri) => {
    expect(viewerRequest({ request: { uri } })).toMatchObject({ statusCode: 404 });
  });

  it.each(["/feed.xml", "/tags/libya/feed.json", "/archive/1/atom.xml", "/manifest.json", "/robots.txt", "/%ZZ", "/a/.syndicate/x"])("lets %s through", (uri) => {
    expect(viewerRequest({ request: { uri } })).toEqual({ uri });
  });
});

describe("edge: viewer response", () => {
  it("adds nosniff to every response", () => {
    for (const uri of ["/feed.xml", "/feed.json", "/latest", "/nothing-here"]) {
      expect(viewerResponse({ request: { uri }, response: { headers: {} } }).headers["x-content-type-options"]).toEqual({ value: "nosniff" });
    }
  });

  it("adds CORS to JSON documents and /latest, not to XML, and keeps the origin's own", () => {
    expect(viewerResponse({ request: { uri: "/tags/x/feed.json" }, response: { headers: {} } }).headers).toMatchObject({ "access-control-allow-origin": { value: "*" }, "access-control-expose-headers": { value: "etag" } });
    expect(viewerResponse({ request: { uri: "/latest" }, response: { headers: {} } }).headers["access-control-allow-origin"]).toEqual({ value: "*" });
    expect(viewerResponse({ request: { uri: "/feed.xml" }, response: { headers: {} } }).headers["access-control-allow-origin"]).toBeUndefined();
    const own = { "access-control-allow-origin": { value: "https://partner.example" } };
    expect(viewerResponse({ request: { uri: "/feed.json" }, response: { headers: { ...own } } }).headers["access-control-allow-origin"]).toEqual(own["access-control-allow-origin"]);
  });
});
