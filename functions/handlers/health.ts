/**
 * `GET /health`: can the store be read, what it serves (manifest.json), and the last build.
 * The last build comes from the caller: the local stack knows the builds it ran; the API Lambda
 * reads `status.json`, which the build Lambda records after each build (core/status.ts), so it
 * reports failures and dead-lettered builds with read access to the feeds bucket and nothing else.
 * No zod here: these documents were written by our own build; a hand check of the fields we
 * show is enough, and anything else reads as "unknown" (null), never as a crash.
 */
import { within } from "../adapters/store.ts";
import type { Context } from "hono";
import type { StoredObject } from "../adapters/store.ts";
import type { BuildStatus } from "../core/status.ts";
import { MANIFEST_KEY, MANIFEST_VERSION, STATUS_KEY, STATUS_VERSION } from "./contract.ts";
import { JSON_UTF8 } from "./http.ts";
import { isBuildError, isCount, isDate, isObject, isString, orNull, parseJson } from "./json-checks.ts";
import type { BuildState, Health } from "./openapi.ts";

/** How long `/health` waits for the store before calling it unreachable. */
export const HEALTH_STORE_TIMEOUT_MS = 3_000;

/** What `/health` needs of a store. */
export interface ReadStore {
  get(key: string): Promise<StoredObject | undefined>;
}

/** The last build, from memory (local stack) or from the store (Lambda); null when unknown. */
export type LastBuild = () => BuildState | null | Promise<BuildState | null>;

export interface HealthDeps {
  store: ReadStore;
  lastBuild?: LastBuild;
  /** Whether the last finished build failed, when lastBuild may be one still running (routes.ts AppDeps). */
  lastFinishedFailed?: () => boolean;
  webhookConfigured: boolean;
}

/** manifest.json's build id and item count, or undefined for a missing or unexpected object. */
export function readPublished(bytes: Uint8Array | undefined): Health["published"] | undefined {
  const m = parseJson(bytes);
  if (m?.version !== MANIFEST_VERSION || !isString(m.build_id) || !Number.isInteger(m.items)) return undefined;
  return { build_id: m.build_id, items: m.items as number };
}

const isSuccess = (v: unknown): v is NonNullable<BuildStatus["last_success"]> => isObject(v) && isDate(v.at) && isString(v.build_id);

/**
 * status.json as core/status.ts `buildStatusSchema` defines it, checked by hand (same verdicts:
 * test/unit/api-health-lambda.test.ts compares both), or undefined.
 */
export function readStatus(bytes: Uint8Array | undefined): BuildStatus | undefined {
  const s = parseJson(bytes);
  if (!s || s.version !== STATUS_VERSION) return undefined;
  const valid =
    typeof s.ok === "boolean" && isDate(s.at) && (s.trigger === "queue" || s.trigger === "schedule") && isCount(s.messages) &&
    orNull(isString)(s.build_id) && orNull(isCount)(s.items) && orNull(isDate)(s.next_publication) &&
    typeof s.duration_ms === "number" && s.duration_ms >= 0 && orNull(isBuildError)(s.error) &&
    typeof s.dead_lettered === "boolean" && orNull(isSuccess)(s.last_success);
  if (!valid) return undefined;
  const { version, ok, at, trigger, messages, build_id, items, next_publication, duration_ms, error, dead_lettered, last_success } = s;
  return { version, ok, at, trigger, messages, build_id, items, next_publication, duration_ms, error, dead_lettered, last_success } as BuildStatus;
}

/**
 * A recorded build status as `/health`'s `last_build`. status.json has no run id: the id is the
 * time the build started, in the local build ids' sortable form (`20300101T000000Z`).
 */
export function buildStateFromStatus(s: BuildStatus): BuildState {
  const started = Date.parse(s.at);
  return {
    id: new Date(started).toISOString().replace(/[-:]|\.\d+/g, ""),
    trigger: s.trigger,
    state: s.ok ? "succeeded" : "failed",
    started_at: new Date(started).toISOString(),
    finished_at: new Date(started + s.duration_ms).toISOString(),
    build_id: s.build_id,
    error: s.error && { name: s.error.name, message: s.error.message },
    retryable: s.error ? s.error.retryable : null,
    dead_lettered: s.dead_lettered,
    last_success: s.last_success,
  };
}

/** The Lambda's `lastBuild`: status.json read from the feeds bucket (null when none or unreadable). */
export function lastBuildFromStore(store: ReadStore): LastBuild {
  return async () => {
    const status = readStatus((await store.get(STATUS_KEY))?.body);
    return status ? buildStateFromStatus(status) : null;
  };
}

export async function healthResponse(c: Context, deps: HealthDeps): Promise<Response> {
  // Both reads at once, each bounded: an unreachable store answers within the timeout.
  const [manifest, last] = await Promise.allSettled([
    within(deps.store.get(MANIFEST_KEY), HEALTH_STORE_TIMEOUT_MS),
    within(Promise.resolve().then(() => deps.lastBuild?.() ?? null), HEALTH_STORE_TIMEOUT_MS),
  ]);
  const reachable = manifest.status === "fulfilled";
  const lastBuild = last.status === "fulfilled" ? last.value : null;
  const body: Health = {
    status: reachable && lastBuild?.state !== "failed" && !deps.lastFinishedFailed?.() ? "ok" : "degraded",
    store: { reachable },
    published: reachable ? (readPublished(manifest.value?.body) ?? null) : null,
    last_build: lastBuild,
    webhook: { configured: deps.webhookConfigured },
  };
  const text = JSON.stringify(body);
  // Content-Length given, so that a HEAD answer (no body) carries the length GET's would.
  // An unreachable store: Retry-After as every other 503 of the API carries it.
  const retry: Record<string, string> = reachable ? {} : { "retry-after": "5" };
  return c.body(text, reachable ? 200 : 503, { "content-type": JSON_UTF8, "cache-control": "no-store", ...retry, "content-length": String(Buffer.byteLength(text)) });
}
