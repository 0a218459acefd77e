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
  413: "payload_too_large",
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
  return new Response(errorBody(code, message), {
    status,
    headers: { "content-type": JSON_UTF8, "cache-control": "no-store", ...extra },
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

/** 200 with `body`, or 304 keeping the headers RFC 9110 §15.4.5 requires, when If-None-Match matches. */
/** `always`: headers that every answer carries, 304 included (nosniff, CORS). */
export function conditionalResponse(c: Context, body: Uint8Array, headers: Record<string, string>, always: Record<string, string> = {}): Response {
  const etag = headers.etag ?? headers.ETag;
  const ifNoneMatch = c.req.header("if-none-match");
  const notModified =
    ifNoneMatch !== undefined ? etag !== undefined && ifNoneMatchMatches(ifNoneMatch, etag) : notModifiedSince(c.req.header("if-modified-since"), headers["last-modified"]);
  if (notModified) return c.body(null, 304, notModifiedHeaders(headers, always));
  // Content-Length given, not left to the server: a HEAD answer (the same headers, no body) keeps it.
  return c.body(body as Uint8Array<ArrayBuffer>, 200 as ContentfulStatusCode, { ...headers, ...always, "content-length": String(body.byteLength) });
}

/**
 * If-Modified-Since (RFC 9110 §13.1.3), only when the request has no If-None-Match (which takes
 * precedence, §13.2.2): not modified when the representation's Last-Modified is at or before
 * the date given (HTTP dates have whole seconds). An invalid date is ignored.
 */
function notModifiedSince(ifModifiedSince: string | undefined, lastModified: string | undefined): boolean {
  if (ifModifiedSince === undefined || lastModified === undefined) return false;
  const since = Date.parse(ifModifiedSince), modified = Date.parse(lastModified);
  return !Number.isNaN(since) && !Number.isNaN(modified) && Math.floor(modified / 1000) <= Math.floor(since / 1000);
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
