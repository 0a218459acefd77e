/** API Gateway v2 (HTTP API, payload 2.0) events for driving the API Lambda's handler in tests. */
import type { Context } from "aws-lambda";
import type { createHandler } from "../../functions/handlers/api.ts";

type Handler = ReturnType<typeof createHandler>;
export type ApiEvent = Parameters<Handler>[0];

/** A minimal event for `method path?query`. */
export function apiEvent(method: string, path: string, query = ""): ApiEvent {
  return ({
    version: "2.0", routeKey: `${method} ${path}`, rawPath: path, rawQueryString: query, headers: { host: "api.example.com" }, isBase64Encoded: false, body: null,
    requestContext: { accountId: "1", apiId: "a", domainName: "api.example.com", domainPrefix: "api", requestId: "r", routeKey: `${method} ${path}`, stage: "$default", time: "", timeEpoch: 0, http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "t" } },
  }) as unknown as ApiEvent;
}

/** `GET path?query` through the handler: status, headers and the JSON body. */
export async function invokeGet(handler: Handler, path: string, query = "") {
  const res = (await handler(apiEvent("GET", path, query), {} as Context)) as { statusCode: number; headers: Record<string, string>; body: string };
  return { ...res, json: JSON.parse(res.body) as Record<string, any> };
}
