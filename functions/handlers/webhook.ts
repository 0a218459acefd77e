/**
 * `POST /webhooks/rebuild`: signed requests start a (coalesced) rebuild.
 *
 * Two signature schemes, both HMAC-SHA256 compared in constant time:
 * - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC(secret, raw body)>`
 *   (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries);
 * - Standard Webhooks: `webhook-signature: v1,<base64 HMAC(key, "<id>.<timestamp>.<body>")>`,
 *   key = base64 after `whsec_`, timestamps within 5 minutes
 *   (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 * A delivery id seen in the last 24 hours is answered 202 `duplicate: true` and starts nothing.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import type { BuildRequest, TriggerBuild } from "../pipeline/coalesce.ts";
import { ApiError, JSON_UTF8, readBodyLimited } from "./http.ts";

/** Bodies past this are refused with 413 without being read further. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** Standard Webhooks: "the timestamp … should be within a tolerance" (5 minutes, as its libraries). */
export const TIMESTAMP_TOLERANCE_S = 5 * 60;
export const DELIVERY_TTL_MS = 24 * 60 * 60 * 1000;
const DELIVERY_MAX = 10_000;

const GITHUB_SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

function hmac(key: Buffer | string, ...parts: (string | Buffer)[]): Buffer {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Equal-length buffers compared in constant time; different lengths never match. */
function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function verifyGithub(secret: string, body: Buffer, header: string): boolean {
  const m = GITHUB_SIGNATURE.exec(header.trim());
  return m !== null && same(Buffer.from(m[1]!, "hex"), hmac(secret, body));
}

/** The Standard Webhooks key: base64 after `whsec_`; any other secret is used as its UTF-8 bytes. */
export function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith("whsec_") ? Buffer.from(secret.slice(6), "base64") : Buffer.from(secret, "utf8");
}

export function verifyStandard(secret: string, body: Buffer, id: string, timestamp: string, header: string): boolean {
  const expected = hmac(standardWebhooksKey(secret), `${id}.${timestamp}.`, body);
  // Space-delimited `version,signature` pairs; any v1 match passes (key rotation sends several).
  return header.split(" ").some((pair) => {
    const [version, sig] = pair.split(",", 2);
    return version === "v1" && sig !== undefined && same(Buffer.from(sig, "base64"), expected);
  });
}

/**
 * Delivery ids already accepted, for 24 hours. A repeat waits for and shares the first
 * delivery's build id; a delivery whose build could not be started is forgotten, so a retry works.
 */
export class DeliveryLog {
  private readonly seen = new Map<string, { at: number; build: Promise<string> }>();
  constructor(private readonly now: () => number = Date.now) {}

  async claim(id: string, start: () => Promise<string>): Promise<{ build_id: string; duplicate: boolean }> {
    const now = this.now();
    for (const [key, v] of this.seen) {
      if (now - v.at < DELIVERY_TTL_MS && this.seen.size <= DELIVERY_MAX) break;
      this.seen.delete(key);
    }
    const earlier = this.seen.get(id);
    if (earlier) return { build_id: await earlier.build, duplicate: true };
    const build = start();
    this.seen.set(id, { at: now, build });
    try {
      return { build_id: await build, duplicate: false };
    } catch (err) {
      this.seen.delete(id);
      throw err;
    }
  }
}

export interface WebhookOptions {
  secret: string;
  triggerBuild?: TriggerBuild;
  deliveries: DeliveryLog;
  now: () => number;
}

const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * The delivery id of a Standard Webhooks request: its `webhook-id` alone, which the signature
 * covers (an unsigned header such as X-GitHub-Delivery beside it must not make a replay look
 * new); one that is not a short printable token stands as its SHA-256, so that it is still
 * remembered. (GitHub signs only the body: its X-GitHub-Delivery, or X-Request-Id, tells a
 * redelivery, but a replayed body under a new id is a new delivery, as SECURITY.md says.)
 */
function signedDeliveryId(id: string): string {
  return DELIVERY_ID.test(id) ? id : `sha256:${createHash("sha256").update(id).digest("hex")}`;
}

/**
 * A 401 with the challenge RFC 9110 §15.5.2 requires: the two ways a delivery may be signed (no
 * registered HTTP scheme names an HMAC over the body, so the scheme is named after its header).
 */
const CHALLENGE = 'X-Hub-Signature-256 realm="webhooks", Standard-Webhooks realm="webhooks"';
const unauthorized = (message: string) => new ApiError(401, message, { "www-authenticate": CHALLENGE });

export function webhookHandler(o: WebhookOptions) {
  return async (c: Context): Promise<Response> => {
    const h = (name: string) => c.req.header(name);
    const standard = h("webhook-signature");
    const github = h("x-hub-signature-256");
    if (!standard && !github) {
      throw unauthorized(h("x-hub-signature")
        ? "X-Hub-Signature (SHA-1) is not accepted: send X-Hub-Signature-256"
        : "missing signature: send X-Hub-Signature-256 or the Standard Webhooks headers");
    }
    const id = h("webhook-id");
    const timestamp = h("webhook-timestamp");
    if (standard) {
      if (!id || !timestamp) throw unauthorized("webhook-signature needs webhook-id and webhook-timestamp");
      if (!/^\d{1,12}$/.test(timestamp) || Math.abs(o.now() / 1000 - Number(timestamp)) > TIMESTAMP_TOLERANCE_S) {
        throw unauthorized(`webhook-timestamp is not within ${TIMESTAMP_TOLERANCE_S} seconds of now`);
      }
    }
    const body = await readBodyLimited(c.req.raw, WEBHOOK_BODY_LIMIT);
    const valid = standard ? verifyStandard(o.secret, body, id!, timestamp!, standard) : verifyGithub(o.secret, body, github!);
    if (!valid) throw unauthorized("the signature does not match the body");
    if (!o.triggerBuild) throw new ApiError(503, "rebuilds are not configured on this deployment");
    const trigger = o.triggerBuild;
    const delivery = standard ? signedDeliveryId(id!) : [h("x-github-delivery"), h("x-request-id")].find((d) => d !== undefined && DELIVERY_ID.test(d));
    const request: BuildRequest = { trigger: "webhook", delivery_id: delivery, received_at: new Date(o.now()).toISOString() };
    const start = async () => (await trigger(request)).id;
    const result = delivery ? await o.deliveries.claim(delivery, start) : { build_id: await start(), duplicate: false };
    return c.json({ accepted: true, ...result }, 202, { "content-type": JSON_UTF8, "cache-control": "no-store" });
  };
}
