/**
 * handlers/linked.ts (SST link first, then an environment variable) and the API Lambda's
 * readConfig, which reads its configuration through it. A link is simulated the way SST's
 * Resource proxy holds one: an entry of its raw object (globalThis.__SST_RESOURCE_RAW__).
 */
import { afterEach, describe, expect, it } from "vitest";
import { linked, linkedOptional } from "../../functions/handlers/linked.ts";
import { readConfig } from "../../functions/handlers/api.ts";

const raw = (globalThis as { __SST_RESOURCE_RAW__?: Record<string, unknown> }).__SST_RESOURCE_RAW__!;
const LINKS = ["Feeds", "WebhookSecret", "BuildRequests"];
afterEach(() => {
  for (const name of LINKS) delete raw[name];
});

describe("linked / linkedOptional", () => {
  it("prefer a non-empty link, fall back to the given environment, and name both when neither is there", () => {
    expect(linkedOptional("Feeds", "name", "FEEDS_BUCKET", {})).toBeUndefined();
    expect(linked("Feeds", "name", "FEEDS_BUCKET", { FEEDS_BUCKET: "from-env" })).toBe("from-env");
    expect(() => linked("Feeds", "name", "FEEDS_BUCKET", { FEEDS_BUCKET: "" })).toThrow("Feeds.name is not linked to this function and FEEDS_BUCKET is not set");
    raw.Feeds = { name: "" };
    expect(linked("Feeds", "name", "FEEDS_BUCKET", { FEEDS_BUCKET: "from-env" })).toBe("from-env");
    raw.Feeds = { name: "from-link" };
    expect(linked("Feeds", "name", "FEEDS_BUCKET", { FEEDS_BUCKET: "from-env" })).toBe("from-link");
  });
});

describe("readConfig", () => {
  it("reads links first, then the environment, through linked.ts", () => {
    raw.Feeds = { name: "linked-feeds" };
    raw.BuildRequests = { url: "https://sqs.example/queue" };
    expect(readConfig({ FEEDS_BUCKET: "env-feeds", WEBHOOK_SECRET: "s", BUILD_QUEUE_URL: "https://sqs.example/env", S3_ENDPOINT: "" })).toEqual({
      feedsBucket: "linked-feeds",
      webhookSecret: "s",
      queueUrl: "https://sqs.example/queue",
      endpoint: undefined,
    });
  });

  it("without a feeds bucket, fails naming the link and the variable", () => {
    expect(() => readConfig({ WEBHOOK_SECRET: "s" })).toThrow(/Feeds\.name is not linked .* FEEDS_BUCKET is not set/);
  });
});
