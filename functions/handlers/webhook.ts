/**
 * `POST /webhooks/rebuild`: signed requests start a (coalesced) rebuild.
 *
 * Two signature schemes, both HMAC-SHA256 compared in constant time:
 * - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC(secret, raw body)>`
 *   (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries);
 * - Standard Webhooks: `webhook-signature: v1,<base64 HMAC(key, "<id>.<timestamp>.<body>")>`,
 *   key = base64 after `whsec_`, timestamps within 5 minutes
 *   (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 * A delivery id seen in the last 24 hours is answered 202 `duplicate: true` and starts nothing,
 * unless the build it started is known to have failed (then the redelivery is a new delivery).
 * This process remembers the ids it accepted (`DeliveryLog`); on AWS the feeds bucket does, for
 * every instance: a delivery's request id is derived from its id (`deliveryRequestId`) and its
 * record claimed before it is queued (queue.ts queueTrigger, builds.ts recordClaims).
 * The secret is checked once, when the app is made (`webhookSecretProblem`).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import type { BuildRequest, BuildTicket, TriggerBuild } from "../pipeline/coalesce.ts";
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

/** Shortest secrets taken: a plain one in characters; a `whsec_` key in bytes (the Standard Webhooks spec: 24 to 64). */
const SECRET_MIN_CHARS = 16, WHSEC_MIN_BYTES = 24;

/** Canonical base64 (the alphabet, padding, nothing skipped), decoded; undefined for anything else. */
function strictBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}

/**
 * The secret as the environment gives it (WEBHOOK_SECRET, or the SST secret): surrounding white
 * space dropped (a pasted value's newline), blank meaning none. One rule for the local stack and
 * the Lambda.
 */
export function webhookSecretFrom(raw: string | undefined): string | undefined {
  return raw?.trim() || undefined;
}

/**
 * Why a secret cannot be used, or undefined when it can. A `whsec_` key must be canonical base64
 * of at least 24 bytes: Buffer's lenient decoding of `whsec_` alone, or of text that is not
 * base64, gives an empty or guessable HMAC key, with which anyone could sign a delivery. The
 * message never contains the secret.
 */
export function webhookSecretProblem(secret: string): string | undefined {
  if (secret.startsWith("whsec_")) {
    const key = strictBase64(secret.slice(6));
    if (!key) return "a whsec_ secret must be base64 after the prefix (as the Standard Webhooks libraries make it)";
    if (key.length < WHSEC_MIN_BYTES) return `a whsec_ secret must decode to at least ${WHSEC_MIN_BYTES} bytes (it gives ${key.length})`;
    return undefined;
  }
  if (secret.length < SECRET_MIN_CHARS) return `the secret must be at least ${SECRET_MIN_CHARS} characters (it has ${secret.length}); make one with openssl rand -hex 32`;
  return undefined;
}

/**
 * The Standard Webhooks keys a secret stands for: the base64 after `whsec_`; any other secret as its
 * UTF-8 bytes and, when it is also canonical base64 (a hex secret is), as the bytes it decodes to,
 * which is how the spec's reference libraries read a secret without the prefix.
 */
export function standardWebhooksKeys(secret: string): Buffer[] {
  if (secret.startsWith("whsec_")) {
    // None for a key that is not canonical base64 (webhookSecretProblem keeps such a secret out
    // of the app): never the empty key a lenient decoder would make of it.
    const key = strictBase64(secret.slice(6));
    return key ? [key] : [];
  }
  const decoded = strictBase64(secret);
  return decoded ? [Buffer.from(secret, "utf8"), decoded] : [Buffer.from(secret, "utf8")];
}

export function verifyStandard(secret: string, body: Buffer, id: string, timestamp: string, header: string): boolean {
  const expected = standardWebhooksKeys(secret).map((key) => Buffer.from(hmac(key, `${id}.${timestamp}.`, body).toString("base64")));
  // Space-delimited `v1,<base64>` pairs; any match passes (key rotation sends several). The
  // signature's text is compared as sent, as the reference libraries do: nothing trailing, no
  // characters a lenient decoder would skip.
  return header.split(" ").some((pair) => {
    const comma = pair.indexOf(",");
    if (comma < 0 || pair.slice(0, comma) !== "v1") return false;
    const sig = Buffer.from(pair.slice(comma + 1));
    return expected.some((e) => same(sig, e));
  });
}

/**
 * Delivery ids already accepted, for 24 hours. A repeat waits for and shares the first
 * delivery's build id. A delivery is forgotten, so that the sender's retry or redelivery starts
 * a build, when its build could not be started, and when the build is known to have failed
 * (`BuildTicket.done`). One the feeds bucket remembers (`BuildTicket.shared`, AWS) is kept only
 * until its answer is given: the bucket answers its repeats on every instance, and knows, as
 * this log cannot, when its build failed.
 */
export class DeliveryLog {
  private readonly seen = new Map<string, { at: number; build: Promise<string> }>();
  constructor(private readonly now: () => number = Date.now) {}

  async claim(id: string, start: () => Promise<BuildTicket>): Promise<{ build_id: string; duplicate: boolean }> {
    const now = this.now();
    for (const [key, v] of this.seen) {
      if (now - v.at < DELIVERY_TTL_MS && this.seen.size <= DELIVERY_MAX) break;
      this.seen.delete(key);
    }
    const earlier = this.seen.get(id);
    if (earlier) return { build_id: await earlier.build, duplicate: true };
    const ticket = start();
    const entry = { at: now, build: ticket.then((t) => t.id) };
    // Its failure is this call's to report (below); a concurrent repeat awaiting it gets it too.
    entry.build.catch(() => undefined);
    this.seen.set(id, entry);
    const forget = () => {
      if (this.seen.get(id) === entry) this.seen.delete(id);
    };
    try {
      const { id: buildId, done, duplicate = false, shared } = await ticket;
      if (shared) forget();
      else void done?.then((succeeded) => succeeded || forget(), forget);
      return { build_id: buildId, duplicate };
    } catch (err) {
      forget();
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

/** The request ids derived from delivery ids begin so: apart from random ids (UUIDs) and the local stack's build ids (a date). */
export const DELIVERY_REQUEST_PREFIX = "delivery-";
/** The key of the request ids, from the secret: its own, never one a signature is made with. */
const REQUEST_ID_KEY = "syndicate: request ids of webhook deliveries";

/**
 * The request id of a delivery (`key`: its id as remembered, signed or not), the same on every
 * API Lambda instance, so that the feeds bucket's record of it tells them all that it was
 * accepted: `delivery-` and 128 bits of an HMAC keyed by the secret. Keyed, so that no one
 * without the secret can work out a delivery's request id from its delivery id (its record,
 * `GET /builds/{id}`, names the content's wrong files; delivery ids are seen by more people, and
 * some are made of a time), nor search for two delivery ids that share one. The same delivery id
 * always has the same request id: that is what makes it a duplicate, and why signed and unsigned
 * ids are kept apart (`key`). The secret is not in it, nor in the object key made of it: an
 * HMAC of a key itself an HMAC of the secret, never used to sign.
 */
export function deliveryRequestId(secret: string, key: string): string {
  return DELIVERY_REQUEST_PREFIX + hmac(hmac(secret, REQUEST_ID_KEY), key).subarray(0, 16).toString("hex");
}

/**
 * A 401 with the challenge RFC 9110 §15.5.2 requires: the two ways a delivery may be signed (no
 * registered HTTP scheme names an HMAC over the body, so the scheme is named after its header).
 */
const CHALLENGE = 'X-Hub-Signature-256 realm="webhooks", Standard-Webhooks realm="webhooks"';
export const unauthorized = (message: string) => new ApiError(401, message, { "www-authenticate": CHALLENGE });

const PING_ANSWER = "signature verified; a ping starts no build, other events do";

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
    // A header that cannot hold a signature is told as such, not as a signature that does not
    // match: a sender's own code gets the format wrong (the hex without `sha256=`, a timestamp in
    // milliseconds or as a date) far more often than the secret.
    if (standard) {
      if (!id || !timestamp) throw unauthorized("webhook-signature needs webhook-id and webhook-timestamp");
      if (!/^\d{1,12}$/.test(timestamp)) throw unauthorized("webhook-timestamp must be Unix seconds (a whole number of seconds since 1970, like 1767225600)");
      if (Math.abs(o.now() / 1000 - Number(timestamp)) > TIMESTAMP_TOLERANCE_S) {
        throw unauthorized(`webhook-timestamp is not within ${TIMESTAMP_TOLERANCE_S} seconds of now`);
      }
      if (!standard.split(" ").some((pair) => pair.startsWith("v1,"))) {
        throw unauthorized("webhook-signature has no v1 signature: send v1,<base64 HMAC-SHA256>, several separated by spaces");
      }
    } else if (!GITHUB_SIGNATURE.test(github!.trim())) {
      throw unauthorized("X-Hub-Signature-256 must be sha256= and the HMAC-SHA256 of the raw body as 64 hex digits");
    }
    const body = await readBodyLimited(c.req.raw, WEBHOOK_BODY_LIMIT);
    const valid = standard ? verifyStandard(o.secret, body, id!, timestamp!, standard) : verifyGithub(o.secret, body, github!);
    if (!valid) throw unauthorized("the signature does not match the body");
    if (!o.triggerBuild) throw new ApiError(503, "rebuilds are not configured on this deployment");
    if (standard === undefined && h("x-github-event")?.trim().toLowerCase() === "ping") {
      // GitHub sends a ping when the webhook is made (and on "Redeliver" of it): the answer proves
      // the secret right (a deployment that cannot build says so: 503 above), and as nothing
      // changed, nothing is built.
      return c.json({ accepted: false, event: "ping", message: PING_ANSWER }, 200, { "content-type": JSON_UTF8, "cache-control": "no-store" });
    }
    const trigger = o.triggerBuild;
    const delivery = standard ? signedDeliveryId(id!) : [h("x-github-delivery"), h("x-request-id")].find((d) => d !== undefined && DELIVERY_ID.test(d));
    // Signed ids apart from unsigned ones: anyone may resend a captured GitHub-signed body under
    // any X-GitHub-Delivery, which must not make a Standard Webhooks sender's webhook-id (signed)
    // a duplicate of it.
    const key = delivery && `${standard ? "signed" : "unsigned"} ${delivery}`;
    const request: BuildRequest = { trigger: "webhook", delivery_id: delivery, ...(key && { request_id: deliveryRequestId(o.secret, key) }), received_at: new Date(o.now()).toISOString() };
    const start = () => trigger(request);
    const result = key ? await o.deliveries.claim(key, start) : { build_id: (await start()).id, duplicate: false };
    return c.json({ accepted: true, ...result }, 202, { "content-type": JSON_UTF8, "cache-control": "no-store" });
  };
}
