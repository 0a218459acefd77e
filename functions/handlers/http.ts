/**
 * HTTP pieces every route shares: the one error type and its JSON body, strong ETags and
 * conditional GET (RFC 9110 §13.1.2, §15.4.5), and the bounded body reader.
 */
import { createHash } from "node:crypto";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * RFC 9110 §15.4.5: "The server generating a 304 response MUST generate any of the following
 * header fields that would have been sent in a 200 (OK) response to the same request:
 * Content-Location, Date, ETag, and Vary; Cache-Control and Expires".
 */
export const RETAINED_304_HEADERS = ["cache-control", "content-location", "date", "etag", "expires", "vary"] as const;

/** Machine-readable error codes of `{"error":{"code","message"}}` (docs/api.md "Errors"). */
export const ERROR_CODES = {
  400: "bad_request",
  401: "unauthorized",
  404: "not_found",
  405: "method_not_allowed",
  /** The local server only, for what node:http answers before the app (local/latest-fast.ts). */
  408: "request_timeout",
  412: "precondition_failed",
  413: "payload_too_large",
  /** As 408. */
  414: "uri_too_long",
  /** As 408. */
  431: "headers_too_large",
  500: "internal",
  503: "unavailable",
} as const;

/** The one exception routes throw; the app's error handler turns it into the JSON error body. */
export class ApiError extends HTTPException {
  override readonly name = "ApiError";
  constructor(
    status: keyof typeof ERROR_CODES,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
  }
  get code(): string {
    return ERROR_CODES[this.status as keyof typeof ERROR_CODES];
  }
}

/** Every JSON answer of the API: the same media type and charset (errors, /latest, /health, the webhook's 202). */
export const JSON_UTF8 = "application/json; charset=utf-8";

export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** Any thrown value → a JSON error response; unknown errors become a 500 that names nothing internal. */
export function errorResponse(err: unknown, log: (line: string) => void): Response {
  let status: number;
  let code: string;
  let message: string;
  let extra: Record<string, string> = {};
  if (err instanceof ApiError) {
    ({ status, code, message, headers: extra } = err);
  } else if (err instanceof HTTPException) {
    status = err.status;
    code = ERROR_CODES[status as keyof typeof ERROR_CODES] ?? "error";
    message = err.message || "request failed";
  } else {
    status = 500;
    code = ERROR_CODES[500];
    message = "internal error";
    log(JSON.stringify({ level: "error", msg: "unhandled error", error: { name: (err as Error)?.name, message: String((err as Error)?.message ?? err) } }));
  }
  const body = errorBody(code, message);
  // Content-Length given, so that a HEAD answer (no body) carries the length GET's would.
  return new Response(body, {
    status,
    headers: { "content-type": JSON_UTF8, "cache-control": "no-store", ...extra, "content-length": String(Buffer.byteLength(body)) },
  });
}

/** A strong validator over the exact response bytes. */
export function strongEtag(bytes: Uint8Array): string {
  return `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 32)}"`;
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison; `*` matches any representation. */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((t) => t.replace(/^W\//, "") === opaque);
}

/** The headers of the 304 answering a 200 with `headers`: those RFC 9110 §15.4.5 keeps, then `always`. */
export function notModifiedHeaders(headers: Record<string, string>, always: Record<string, string> = {}): Record<string, string> {
  const kept = Object.fromEntries(Object.entries(headers).filter(([k]) => (RETAINED_304_HEADERS as readonly string[]).includes(k.toLowerCase())));
  return { ...kept, ...always };
}

/**
 * RFC 9110 §13.1.1: If-Match uses the strong comparison (a weak tag never matches); `*` matches
 * the representation there is.
 */
function ifMatchMatches(header: string, etag: string | undefined): boolean {
  if (header.trim() === "*") return true;
  if (etag === undefined || etag.startsWith("W/")) return false;
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((t) => t === etag);
}

/**
 * A GET or HEAD answered after RFC 9110 §13.2.2's order of preconditions: If-Match, else
 * If-Unmodified-Since, false → 412; then If-None-Match, else If-Modified-Since, false → 304
 * keeping the headers §15.4.5 requires; else 200 with `body`.
 * `always`: headers that every answer carries, 304 included (nosniff, CORS).
 */
export function conditionalResponse(c: Context, body: Uint8Array, headers: Record<string, string>, always: Record<string, string> = {}): Response {
  const etag = headers.etag ?? headers.ETag;
  const ifMatch = c.req.header("if-match");
  const failed = ifMatch !== undefined ? !ifMatchMatches(ifMatch, etag) : modifiedSince(c.req.header("if-unmodified-since"), headers["last-modified"]);
  if (failed) throw new ApiError(412, ifMatch !== undefined ? "If-Match names no current version of this resource" : "the resource was modified after If-Unmodified-Since", { ...always, ...(etag && { etag }) });
  const ifNoneMatch = c.req.header("if-none-match");
  const notModified =
    ifNoneMatch !== undefined ? etag !== undefined && ifNoneMatchMatches(ifNoneMatch, etag) : modifiedSince(c.req.header("if-modified-since"), headers["last-modified"]) === false;
  if (notModified) return c.body(null, 304, notModifiedHeaders(headers, always));
  // Content-Length given, not left to the server: a HEAD answer (the same headers, no body) keeps it.
  return c.body(body as Uint8Array<ArrayBuffer>, 200 as ContentfulStatusCode, { ...headers, ...always, "content-length": String(body.byteLength) });
}

/**
 * If-Modified-Since and If-Unmodified-Since against Last-Modified (each only when the request
 * has no If-None-Match or If-Match, which take precedence: RFC 9110 §13.2.2): whether the
 * representation was modified after the date (HTTP dates have whole seconds); undefined when
 * either date is missing or the request's is not an HTTP-date (§13.1.3, §13.1.4: then the field
 * is ignored).
 */
function modifiedSince(since: string | undefined, lastModified: string | undefined): boolean | undefined {
  if (since === undefined || lastModified === undefined) return undefined;
  const at = httpDate(since), modified = Date.parse(lastModified);
  return at === undefined || Number.isNaN(modified) ? undefined : Math.floor(modified / 1000) > at / 1000;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d\\d):(\\d\\d):(\\d\\d)";
/** RFC 9110 §5.6.7's three forms, which a recipient MUST accept: IMF-fixdate, RFC 850's, asctime's. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d\\d) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d\\d)-${MONTH}-(\\d\\d) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * An HTTP-date (RFC 9110 §5.6.7) → milliseconds since the epoch; undefined for anything else
 * (`Date.parse` reads `2099` or an ISO date, which a conditional request must ignore). A two-digit
 * year more than 50 years ahead is in the past century (§5.6.7). The day of the week is not
 * checked against the date.
 */
export function httpDate(text: string, now = Date.now()): number | undefined {
  const t = text.trim();
  let day: string, month: string, year: number, time: string[];
  let m = IMF_FIXDATE.exec(t);
  if (m) [day, month, year, time] = [m[1]!, m[2]!, Number(m[3]), m.slice(4, 7)];
  else if ((m = RFC850_DATE.exec(t))) {
    const thisYear = new Date(now).getUTCFullYear();
    year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    [day, month, time] = [m[1]!, m[2]!, m.slice(4, 7)];
  } else if ((m = ASCTIME_DATE.exec(t))) [month, day, time, year] = [m[1]!, m[2]!.trim(), m.slice(3, 6), Number(m[6])];
  else return undefined;
  const [h, min, sec] = time.map(Number) as [number, number, number];
  const d = Number(day);
  const check = new Date(Date.UTC(2000, MONTHS.indexOf(month), d, h, min, sec));
  // Set apart: Date.UTC reads a year below 100 (`0094`) as 19xx.
  check.setUTCFullYear(year, MONTHS.indexOf(month), d);
  const ms = check.getTime();
  // 31 Feb or 25:00 are not dates (Date.UTC would roll them over).
  if (check.getUTCDate() !== d || check.getUTCHours() !== h || check.getUTCMinutes() !== min || check.getUTCSeconds() !== sec) return undefined;
  return ms;
}

/**
 * Whether to send gzip (RFC 9110 §12.5.3): gzip's weight is that of `gzip` or `x-gzip`
 * (§8.4.1.3), else 0 (`*` alone does not ask for it, as CloudFront compresses only for a coding
 * named); identity's that of `identity`, else `*`'s, else 1. Gzip when its weight is above 0 and
 * not below identity's. An element with a malformed weight is ignored.
 */
export function prefersGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  let gzip: number | undefined, identity: number | undefined, any: number | undefined;
  for (const element of acceptEncoding.split(",")) {
    const [coding = "", ...params] = element.split(";");
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*(.*?)\s*$/i.exec(p);
      if (m) q = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(m[1]!) ? Number(m[1]) : NaN;
    }
    if (Number.isNaN(q)) continue;
    const name = coding.trim().toLowerCase();
    if (name === "gzip" || name === "x-gzip") gzip = Math.max(gzip ?? 0, q);
    else if (name === "identity") identity = q;
    else if (name === "*") any = q;
  }
  const g = gzip ?? 0;
  return g > 0 && g >= (identity ?? any ?? 1);
}

/**
 * The raw body, read until `limit` bytes and no further: a declared Content-Length over the
 * limit is refused before reading, a chunked body is cancelled at the first byte past it.
 */
export async function readBodyLimited(req: Request, limit: number): Promise<Buffer> {
  const tooLarge = () => new ApiError(413, `the request body is larger than ${limit} bytes`);
  const declared = req.headers.get("content-length");
  if (declared && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge();
  if (!req.body) return Buffer.alloc(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
