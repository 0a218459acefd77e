/**
 * Which deliveries are the same, and who remembers them: the request id a delivery id gives
 * (webhook.ts deliveryRequestId), signed and unsigned ids kept apart, the delivery log that
 * leaves to the feeds bucket what the bucket remembers (BuildTicket.shared), and when a
 * request's record may be taken by a redelivery (builds.ts claimable). Over a real bucket, with
 * several API instances: test/integration/build-records.test.ts.
 */
import { describe, expect, it } from "vitest";
import { createApiApp, type TriggerBuild } from "../../functions/handlers/routes.ts";
import { DELIVERY_REQUEST_PREFIX, DELIVERY_TTL_MS, deliveryRequestId } from "../../functions/handlers/webhook.ts";
import { QUEUED_HOLD_MS, claimable } from "../../functions/handlers/builds.ts";
import { BUILD_RECORD_ID, RUNNING_MARGIN_MS, buildRecord, queuedRecord, type BuildRecordState } from "../../functions/core/build-record.ts";
import { BUILD_TIMEOUT_SECONDS } from "../../stacks/build-limits.ts";
import type { BuildRequest, BuildTicket } from "../../functions/pipeline/coalesce.ts";
import { defaultBuildId } from "../../functions/pipeline/coalesce.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { tempDir } from "../support/content-tree.ts";
import { githubSignature, randomSecret, standardHeaders } from "../support/api.ts";

const BODY = JSON.stringify({ ref: "refs/heads/main" });

async function app(secret: string, triggerBuild: TriggerBuild) {
  const a = createApiApp({ store: new DirectoryStore(await tempDir()), webhookSecret: secret, triggerBuild });
  const post = async (headers: Record<string, string>) => (await a.request("/webhooks/rebuild", { method: "POST", body: BODY, headers })).json() as Promise<{ build_id: string; duplicate: boolean }>;
  return {
    github: (delivery: string) => post({ "x-hub-signature-256": githubSignature(secret, BODY), "x-github-delivery": delivery }),
    standard: (id: string) => post(standardHeaders(secret, BODY, { id })),
  };
}

describe("a delivery's request id", () => {
  it("is derived from its id and the secret: the same on every instance, a build record id apart from UUIDs and the local stack's, without the secret in it", async () => {
    const secret = randomSecret();
    const requests: BuildRequest[] = [];
    const trigger: TriggerBuild = async (r) => (requests.push(r), { id: r.request_id ?? "none" });
    const [one, two] = [await app(secret, trigger), await app(secret, trigger)];
    const first = await one.github("72d3162e-cc78-11e3-81ab-4c9367dc0958");
    expect(await two.github("72d3162e-cc78-11e3-81ab-4c9367dc0958")).toEqual(first);
    expect(first.build_id).toMatch(new RegExp(`^${DELIVERY_REQUEST_PREFIX}[0-9a-f]{32}$`));
    expect(BUILD_RECORD_ID.test(first.build_id)).toBe(true);
    expect(requests.map((r) => r.request_id)).toEqual([first.build_id, first.build_id]);
    // Not a UUID (a request without a delivery id), nor a local build id (a date first).
    expect(first.build_id).not.toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(defaultBuildId(Date.UTC(2030, 0, 1))).not.toMatch(new RegExp(`^${DELIVERY_REQUEST_PREFIX}`));
    // Another secret, another id: no one without the secret can tell it from the delivery id.
    const other = await app(randomSecret(), trigger);
    expect((await other.github("72d3162e-cc78-11e3-81ab-4c9367dc0958")).build_id).not.toBe(first.build_id);
    expect(first.build_id).not.toContain(secret.slice(0, 8));
    expect(deliveryRequestId(secret, "unsigned 72d3162e-cc78-11e3-81ab-4c9367dc0958")).toBe(first.build_id);
  });

  it("keeps signed ids apart from unsigned ones: a GitHub-signed delivery naming a Standard Webhooks sender's webhook-id is not that delivery", async () => {
    const secret = randomSecret();
    const requests: BuildRequest[] = [];
    const a = await app(secret, async (r) => (requests.push(r), { id: `b${requests.length}` }));
    // The unsigned header first (a captured GitHub body resent under a chosen id), then the sender's own delivery.
    expect(await a.github("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")).toMatchObject({ build_id: "b1", duplicate: false });
    expect(await a.standard("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")).toMatchObject({ build_id: "b2", duplicate: false });
    expect(await a.standard("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")).toMatchObject({ build_id: "b2", duplicate: true });
    expect(new Set(requests.map((r) => r.request_id)).size).toBe(2);
  });
});

describe("the delivery log and the bucket", () => {
  it("leaves a delivery the bucket remembers to it: each repeat asks again (its build may have failed since), a repeat in flight joins the first; one the bucket could not record is kept", async () => {
    const secret = randomSecret();
    const asked: string[] = [];
    const held: (() => void)[] = [];
    // As queueTrigger answers with a bucket: the first claim queues, the next ones find the
    // record; for `unrecorded`, the bucket failed and the request was queued anyway.
    const trigger: TriggerBuild = async (r): Promise<BuildTicket> => {
      asked.push(r.delivery_id!);
      if (r.delivery_id === "unrecorded") return { id: r.request_id!, shared: false };
      await new Promise<void>((ok) => held.push(ok));
      return { id: r.request_id!, shared: true, duplicate: asked.length > 1 };
    };
    const a = await app(secret, trigger);
    const both = [a.github("g-1"), a.github("g-1")] as const;
    await new Promise((r) => setImmediate(r));
    expect(asked).toHaveLength(1);
    held.shift()!();
    const [first, joined] = await Promise.all(both);
    expect(first.duplicate).toBe(false);
    expect(joined).toEqual({ ...first, duplicate: true });
    // Settled: the next repeat is the bucket's to answer, and its answer is given.
    const again = a.github("g-1");
    await new Promise((r) => setImmediate(r));
    held.shift()!();
    expect(await again).toEqual({ ...first, duplicate: true });
    expect(asked).toEqual(["g-1", "g-1"]);
    // Not in the bucket: this instance answers its repeats for 24 hours, as without one.
    const unrecorded = await a.github("unrecorded");
    expect(await a.github("unrecorded")).toEqual({ ...unrecorded, duplicate: true });
    expect(asked).toEqual(["g-1", "g-1", "unrecorded"]);
  });
});

describe("a request's record, taken by a redelivery", () => {
  const T = Date.UTC(2030, 0, 1);
  const at = (t: number) => new Date(t).toISOString();
  const record = (state: BuildRecordState, o: { attempt?: number; started?: number } = {}) =>
    buildRecord({ id: "delivery-0", state, requested_at: at(T), started_at: o.started === undefined ? null : at(o.started), finished_at: null, attempt: o.attempt ?? null, max_attempts: o.attempt === undefined ? null : 3 });

  it("when its build failed, as the API reads it (a stopped last attempt too), never while it may still build", () => {
    expect(claimable(record("failed"), T + 1)).toBe(true);
    for (const state of ["succeeded", "retrying", "running"] as const) expect([state, claimable(record(state), T + 1)]).toEqual([state, false]);
    // A running record past the build's time limit: its last attempt stopped is failed; an earlier one is retried by the queue.
    const stale = T + BUILD_TIMEOUT_SECONDS * 1000 + RUNNING_MARGIN_MS + 1;
    expect(claimable(record("running", { attempt: 3, started: T }), stale)).toBe(true);
    expect(claimable(record("running", { attempt: 1, started: T }), stale)).toBe(false);
  });

  it(`when it was accepted ${DELIVERY_TTL_MS / 3_600_000} hours ago or more, whatever became of it`, () => {
    expect(claimable(record("succeeded"), T + DELIVERY_TTL_MS - 1)).toBe(false);
    expect(claimable(record("succeeded"), T + DELIVERY_TTL_MS)).toBe(true);
    expect(claimable(record("running", { attempt: 1, started: T }), T + DELIVERY_TTL_MS)).toBe(true);
  });

  it(`when it is queued and ${QUEUED_HOLD_MS / 60_000} minutes old: a claim whose request may never have been sent`, () => {
    expect(QUEUED_HOLD_MS).toBe(15 * 60_000);
    const queued = queuedRecord({ id: "delivery-0", requested_at: at(T) });
    expect(claimable(queued, T + QUEUED_HOLD_MS - 1)).toBe(false);
    expect(claimable(queued, T + QUEUED_HOLD_MS)).toBe(true);
    expect(claimable(record("running", { attempt: 1, started: T }), T + QUEUED_HOLD_MS)).toBe(false);
  });
});
