/**
 * Faults injected between the SDK and the real s3rver (issue 5, deliverable 2), through
 * test/support/fault-proxy.ts: 500 / 503 SlowDown, connection resets, stalls past the request
 * timeout, responses and uploads cut short. Transient faults are retried and the build succeeds;
 * persistent ones fail it with a PublishError naming the request, and then every object is still a
 * whole document of the old or the new build, nothing published before is gone, and the next
 * build (faults off) converges to exactly a clean build's set.
 * s3-faults.test.ts covers the endpoint down, a closed port and the server stopped mid-publish.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { createS3Client, S3Store } from "../../functions/adapters/s3-store.ts";
import { formatRequests } from "../../functions/adapters/store.ts";
import { PublishError } from "../../functions/core/errors.ts";
import { build, type BuildReport } from "../../functions/pipeline/build.ts";
import type { Fault, FaultRule } from "../support/fault-proxy.ts";
import { useTestS3 } from "../support/s3.ts";
import { NOW, completeness, publishedSet, twoVersions, type CleanBuild } from "../support/published-set.ts";

const ctx = useTestS3({ workPrefix: "syn-fault-", faultProxy: { seed: 5 } });
/** twoVersions(): B changes every document of A and drops one of its tags. */
let A: CleanBuild;
let B: CleanBuild;
const tally: string[] = [];

beforeAll(async () => {
  [A, B] = await twoVersions(ctx.work);
});

afterAll(() => {
  // The figures for docs/reliability.md.
  if (tally.length) console.log(`fault injection:\n  ${tally.join("\n  ")}`);
});

/** A fresh bucket with A published (directly, no faults), and a store on it through the proxy. */
async function bucketWithA(label: string, maxAttempts = 3) {
  const direct = await ctx.s3.bucket(label);
  await build({ source: new DirectoryContent(A.content), store: direct, now: NOW });
  expect(await publishedSet(direct)).toEqual(A.set);
  const client = createS3Client({ endpoint: ctx.proxy.endpoint, maxAttempts, requestTimeoutMs: 1_000 });
  const faulty = new S3Store({ client, bucket: direct.bucket });
  return { direct, faulty, done: () => client.destroy() };
}

/**
 * After a failed build of B over A: every object is a whole document of A or B and all of A's
 * keys are still there; then the next build, faults off, gives exactly a clean build of B.
 */
async function intactThenConverges(direct: S3Store) {
  const after = await completeness(direct, [A, B], A);
  expect(after.incomplete).toEqual([]);
  expect(after.lost).toEqual([]);
  await build({ source: new DirectoryContent(B.content), store: direct, now: NOW });
  expect(await publishedSet(direct)).toEqual(B.set);
  return after;
}

/** Runs B through the proxy with `rules`; returns the report or the error and what the proxy did. */
async function buildB(faulty: S3Store, rules: FaultRule[]): Promise<{ report?: BuildReport; error?: Error; injected: number; requests: number }> {
  ctx.proxy.rules = rules;
  const before = ctx.proxy.events.length;
  const injectedBefore = Object.values(ctx.proxy.injected()).reduce((a, b) => a + b, 0);
  try {
    const report = await build({ source: new DirectoryContent(B.content), store: faulty, now: NOW });
    return { report, injected: injected() - injectedBefore, requests: ctx.proxy.events.length - before };
  } catch (err) {
    return { error: err as Error, injected: injected() - injectedBefore, requests: ctx.proxy.events.length - before };
  } finally {
    ctx.proxy.rules = [];
  }
  function injected() {
    return Object.values(ctx.proxy.injected()).reduce((a, b) => a + b, 0);
  }
}

describe("transient faults: the SDK's retries (and ours for bodies) make the build succeed", () => {
  const transient: [Fault, FaultRule[]][] = [
    ["500", [{ op: "PUT", nth: [2, 5], fault: "500" }, { op: "GET", key: /^manifest\.json$/, nth: [1], fault: "500" }]],
    ["503", [{ op: ["PUT", "LIST"], nth: [1, 4], fault: "503" }, { op: "DELETE", nth: [1], fault: "503" }]],
    ["reset", [{ op: ["PUT", "GET", "DELETE"], nth: [2, 3, 7], fault: "reset" }]],
    ["stall", [{ op: "PUT", key: /^feed\.xml$/, nth: [1], fault: "stall" }]],
    ["stall-after-forward", [{ op: "PUT", key: /^manifest\.json$/, nth: [1], fault: "stall-after-forward" }]],
    ["truncate-response", [{ op: "GET", key: /^manifest\.json$/, nth: [1, 2], fault: "truncate-response" }]],
    ["truncate-response-short", [{ op: "GET", key: /^manifest\.json$/, nth: [1], fault: "truncate-response-short" }]],
    ["truncate-request", [{ op: "PUT", nth: [1, 6], fault: "truncate-request" }]],
    ["truncate-request-short", [{ op: "PUT", nth: [3, 4], fault: "truncate-request-short" }]],
  ];
  it.each(transient)("%s", async (kind, rules) => {
    const { direct, faulty, done } = await bucketWithA(`t-${kind}`);
    try {
      const r = await buildB(faulty, rules);
      expect(r.error).toBeUndefined();
      expect(r.injected).toBeGreaterThan(0);
      tally.push(`${kind}: ${r.injected} injected, build succeeded; ${r.requests} requests through the proxy (lease included); the build's own, retries included: ${formatRequests(r.report!.requests!)}`);
      expect(await publishedSet(direct)).toEqual(B.set);
      expect(r.report!.build_id).toBe(B.build_id);
    } finally {
      done();
    }
  });

  it("random faults of every retryable kind (p = 0.15, seeded) on every request: the build succeeds", async () => {
    const { direct, faulty, done } = await bucketWithA("t-random", 8);
    try {
      const kinds: Fault[] = ["500", "503", "reset", "truncate-response", "truncate-request", "truncate-request-short"];
      // Rules are tried in turn: each at q with (1 - q)^6 = 0.85 faults 15 % of all requests.
      const q = 1 - Math.pow(0.85, 1 / kinds.length);
      const rules: FaultRule[] = kinds.map((fault) => ({ probability: q, fault }));
      const r = await buildB(faulty, rules);
      expect(r.error).toBeUndefined();
      tally.push(`random mix: ${r.injected} injected over ${r.requests} requests, build succeeded`);
      expect(r.injected).toBeGreaterThan(0);
      expect(await publishedSet(direct)).toEqual(B.set);
    } finally {
      done();
    }
  });
});

describe("persistent faults: the build fails clearly, nothing is lost or half-written, the next build converges", () => {
  const persistent: [string, FaultRule[], RegExp][] = [
    ["503 on every PUT of feed.json", [{ op: "PUT", key: /^feed\.json$/, fault: "503" }], /PUT s3:\/\/[^ ]+\/feed\.json failed after 3 attempts: SlowDown/],
    ["500 on every PUT of the manifest", [{ op: "PUT", key: /^manifest\.json$/, fault: "500" }], /writing manifest\.json .*PUT s3:\/\/[^ ]+\/manifest\.json failed after 3 attempts/],
    ["reset on every PUT from the 4th", [{ op: "PUT", key: /^(?!\.syndicate\/)/, from: 4, fault: "reset" }], /failed after [1-9]\d* of \d+ objects.*PUT s3:\/\/[^ ]+ failed after 3 attempts/],
    ["stall on every PUT of atom.xml", [{ op: "PUT", key: /^atom\.xml$/, fault: "stall" }], /PUT s3:\/\/[^ ]+\/atom\.xml failed after 3 attempts/],
    ["every upload of latest.json cut short", [{ op: "PUT", key: /^latest\.json$/, fault: "truncate-request-short" }], /PUT s3:\/\/[^ ]+\/latest\.json failed after 3 attempts: BadDigest/],
    ["500 on every DELETE", [{ op: "DELETE", key: /^$/, fault: "500" }], /the new build is published, but deleting \d+ outdated objects failed/],
  ];
  it.each(persistent)("%s", async (label, rules, message) => {
    const { direct, faulty, done } = await bucketWithA(`p-${persistent.findIndex((p) => p[0] === label)}`);
    try {
      const r = await buildB(faulty, rules);
      expect(r.error).toBeInstanceOf(PublishError);
      expect(r.error!.message).toMatch(message);
      const after = await intactThenConverges(direct);
      tally.push(`${label}: ${r.injected} injected, build failed (${r.error!.message.slice(0, 400)}…); ${after.objects} objects, ${after.incomplete.length} incomplete, ${after.lost.length} lost`);
    } finally {
      done();
    }
  });

  it("every read of the previous manifest cut short: counted as absent, every output rewritten, nothing wrongly deleted", async () => {
    const { direct, faulty, done } = await bucketWithA("p-manifest-cut");
    try {
      // Same content (A over A): with the manifest readable this writes nothing and deletes nothing.
      // Cut once, it is read again (checked against its ETag), so still nothing is written.
      ctx.proxy.rules = [{ op: "GET", key: /^manifest\.json$/, nth: [1], fault: "truncate-response-short" }];
      const once = await build({ source: new DirectoryContent(A.content), store: faulty, now: NOW }).finally(() => (ctx.proxy.rules = []));
      expect(once.documents.written).toBe(0);
      ctx.proxy.rules = [{ op: "GET", key: /^manifest\.json$/, fault: "truncate-response-short" }];
      const report = await build({ source: new DirectoryContent(A.content), store: faulty, now: NOW }).finally(() => (ctx.proxy.rules = []));
      tally.push(`manifest GET always cut short, same content: ${report.documents.written} of ${report.documents.total} rewritten, ${report.documents.deleted} deleted`);
      expect(report.documents.written).toBe(report.documents.total);
      expect(report.deleted).toEqual([]);
      expect(await publishedSet(direct)).toEqual(A.set);
      // Changed content: A's removed tag is deleted by the full listing, as a clean build would.
      const r = await buildB(faulty, [{ op: "GET", key: /^manifest\.json$/, fault: "truncate-response" }]);
      expect(r.error).toBeUndefined();
      expect(await publishedSet(direct)).toEqual(B.set);
    } finally {
      done();
    }
  });

  it("every listing cut short: the build fails before writing anything", async () => {
    const { direct, faulty, done } = await bucketWithA("p-list-cut");
    try {
      const r = await buildB(faulty, [{ op: "LIST", fault: "truncate-response-short" }]);
      expect(r.error).toBeInstanceOf(PublishError);
      tally.push(`every LIST cut short: ${r.injected} injected, build failed (${r.error!.message.slice(0, 200)}…)`);
      // Before anything was written: the bucket still holds exactly A, and no document was put.
      expect(faulty.stats.put).toBe(0);
      expect(await publishedSet(direct)).toEqual(A.set);
      await intactThenConverges(direct);
    } finally {
      done();
    }
  });
});
