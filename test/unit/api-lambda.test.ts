import { describe, expect, it } from "vitest";
import { createHandler, readConfig } from "../../functions/handlers/api.ts";
import type { Context } from "aws-lambda";

type Event = Parameters<ReturnType<typeof createHandler>>[0];

/** A minimal API Gateway v2 (HTTP API, payload 2.0) event. */
function event(method: string, path: string, query = ""): Event {
  return ({
    version: "2.0", routeKey: `${method} ${path}`, rawPath: path, rawQueryString: query, headers: { host: "api.example.com" }, isBase64Encoded: false, body: null,
    requestContext: { accountId: "1", apiId: "a", domainName: "api.example.com", domainPrefix: "api", requestId: "r", routeKey: `${method} ${path}`, stage: "$default", time: "", timeEpoch: 0, http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "t" } },
  }) as unknown as Event;
}

describe("the API Lambda entry point", () => {
  it("reads its configuration from the environment when nothing is linked", () => {
    expect(readConfig({ FEEDS_BUCKET: "feeds", WEBHOOK_SECRET: "s" })).toEqual({ feedsBucket: "feeds", webhookSecret: "s", endpoint: undefined });
    expect(() => readConfig({})).toThrow(/FEEDS_BUCKET/);
  });

  it("answers an API Gateway v2 event through the same app (400 needs no store)", async () => {
    const handler = createHandler({ config: { feedsBucket: "feeds", endpoint: "http://127.0.0.1:9" } });
    const res = (await handler(event("GET", "/latest", "limit=0"), {} as Context)) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(res.statusCode).toBe(400);
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(JSON.parse(res.body).error.code).toBe("bad_request");
  });
});
