import { describe, expect, it } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { Validator } from "@seriousme/openapi-schema-validator";
import * as z from "zod";
import { createApp } from "../../functions/handlers/app.ts";
import { latestDocumentSchema } from "../../functions/core/latest.ts";
import { buildRecord } from "../../functions/core/build-record.ts";
import { ContentError } from "../../functions/core/errors.ts";
import { ProbeStore, published, randomSecret } from "../support/api.ts";

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => void;

describe("GET /health", () => {
  it("reports a reachable store, the published build, the last build and whether the webhook is on", async () => {
    const { store, report } = await published();
    const last = { id: "b1", trigger: "webhook", state: "failed" as const, started_at: "2030-01-01T00:00:00.000Z", finished_at: "2030-01-01T00:00:01.000Z", build_id: null, error: { name: "ContentError", message: "articles/x.md: title: required" } };
    const app = createApp({ store, webhookSecret: randomSecret(), health: () => last });
    const res = await app.request("/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    // The same media type and charset as every other JSON answer of the API.
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({
      status: "degraded",
      store: { reachable: true },
      published: { build_id: report.build_id, items: 3 },
      last_build: last,
      webhook: { configured: true },
    });
  });

  it("stays degraded while a build runs after one that failed, until a build succeeds", async () => {
    const { store } = await published();
    const running = { id: "b2", trigger: "watch", state: "running" as const, started_at: "2030-01-01T00:00:02.000Z", finished_at: null, build_id: null, error: null };
    let failed = true;
    const app = createApp({ store, health: () => running, lastFinishedFailed: () => failed });
    expect(await (await app.request("/health")).json()).toMatchObject({ status: "degraded", last_build: running });
    failed = false;
    expect(await (await app.request("/health")).json()).toMatchObject({ status: "ok", last_build: running });
  });

  it("answers 503 when the store cannot be read, naming nothing internal", async () => {
    const { store } = await published();
    const probe = new ProbeStore(store);
    probe.down = true;
    const res = await createApp({ store: probe }).request("/health");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: "degraded", store: { reachable: false }, last_build: null, webhook: { configured: false } });
    expect(text).not.toContain("ECONNREFUSED");
  });
});

describe("GET /openapi.json", () => {
  it("carries an ETag and answers its revalidation with 304", async () => {
    const { store } = await published();
    const app = createApp({ store });
    const first = await app.request("/openapi.json");
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    const again = await app.request("/openapi.json", { headers: { "if-none-match": etag } });
    expect([again.status, await again.text(), again.headers.get("access-control-allow-origin")]).toEqual([304, "", "*"]);
  });

  it("an unknown path: a JSON 404 a partner's browser script can read (CORS)", async () => {
    const { store } = await published();
    const res = await createApp({ store }).request("/no/such/route", { method: "POST", headers: { origin: "https://partner.example" } });
    expect([res.status, res.headers.get("access-control-allow-origin"), res.headers.get("content-type")]).toEqual([404, "*", "application/json; charset=utf-8"]);
  });

  it("is an OpenAPI 3.1 document whose LatestDocument schema is latest.ts's, and /latest conforms to it", async () => {
    const { store } = await published();
    const app = createApp({ store });
    const res = await app.request("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: object }> } };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(["/builds/{id}", "/health", "/latest", "/openapi.json", "/webhooks/rebuild"]);
    // Single source: the published component has exactly the zod schema's fields.
    const fromZod = z.toJSONSchema(latestDocumentSchema) as { properties: object };
    expect(Object.keys(doc.components.schemas.LatestDocument!.properties!)).toEqual(Object.keys(fromZod.properties));
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv); // the formats the document names (date-time, uri) checked, not ignored
    ajv.addSchema({ $id: "api", components: doc.components });
    const validate = ajv.compile({ $ref: "api#/components/schemas/LatestDocument" });
    const latest = await (await app.request("/latest?limit=2")).json();
    expect(validate(latest), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...(latest as object), version: 2 })).toBe(false);
    // Open to fields a version 1 document may gain (README "latest.json"): a strict client
    // generated from it must not break on the first one.
    expect(validate({ ...(latest as object), next_field: "added later", item: { ...(latest as { item: object }).item, also_new: 1 } })).toBe(true);
    expect(JSON.stringify(doc.components)).not.toContain('"additionalProperties":false');
    // Dates and URLs carry their formats, for generated clients; a wrong one is refused.
    const item = doc.components.schemas.LatestItem as { properties: Record<string, { format?: string }> };
    expect([item.properties.date_published!.format, item.properties.date_modified!.format, item.properties.url!.format]).toEqual(["date-time", "date-time", "uri"]);
    expect(validate({ ...(latest as object), updated: "19 June 2020" })).toBe(false);
    const health = ajv.compile({ $ref: "api#/components/schemas/Health" });
    expect(health(await (await app.request("/health")).json())).toBe(true);
    const error = ajv.compile({ $ref: "api#/components/schemas/Error" });
    expect(error(await (await app.request("/latest?limit=0")).json())).toBe(true);
    // GET /builds/{id}: a failed build's record, with its issues, conforms; and so does its 404.
    const failure = new ContentError([{ file: "articles/x.md", line: 3, field: "date", message: "not a date", severity: "error" }]);
    const record = buildRecord({ id: "req-1", state: "failed", requested_at: "2030-01-01T00:00:00.000Z", finished_at: "2030-01-01T00:00:01.000Z", error: failure });
    const builds = createApp({ store, buildRecords: (id) => (id === "req-1" ? record : undefined) });
    const answer = await builds.request("/builds/req-1");
    const buildRecordValid = ajv.compile({ $ref: "api#/components/schemas/BuildRecord" });
    expect(buildRecordValid(await answer.json()), JSON.stringify(buildRecordValid.errors)).toBe(true);
    expect(buildRecordValid({ ...record, state: "done" })).toBe(false);
    expect(error(await (await builds.request("/builds/req-2")).json())).toBe(true);
  });

  it("is a valid OpenAPI 3.1 document by a validator no one here wrote (the official 3.1 schema)", async () => {
    const { store } = await published();
    const doc = (await (await createApp({ store }).request("/openapi.json")).json()) as Record<string, unknown>;
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator can say no: a document without its info, or a response code that is none.
    expect((await new Validator().validate({ ...doc, info: undefined })).valid).toBe(false);
    const paths = doc.paths as Record<string, { get?: { responses: Record<string, unknown> } }>;
    const broken = { ...doc, paths: { ...paths, "/health": { get: { ...paths["/health"]!.get!, responses: { 2000: {} } } } } };
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });
});
