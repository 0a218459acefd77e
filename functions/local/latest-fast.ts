/**
 * `GET`/`HEAD /latest` on the local server (`syndicate serve`) straight from node:http, before
 * @hono/node-server turns the request into a Fetch `Request` for the Hono app: the same bytes,
 * from the same in-memory copies (`LatestReader`), with the same headers, in the same order, as
 * the app's route answers (docs/bench-http.md: the framework cost `/latest` its target of half
 * nginx's req/s). Each (document version, limit) answer's header lists are prepared once.
 *
 * It answers only what it fully understands: GET or HEAD of `/latest` with no query, or with
 * `tag=<slug>` and/or `limit=<1-50>` each at most once and nothing else, while the document is
 * held, fresh and published. Everything else goes to the app unchanged: other paths and methods
 * (OPTIONS preflight included), a Host that is not a plain host name, If-Match or
 * If-Unmodified-Since, any other query (400s, encoded or repeated parameters), a document due for
 * revalidation (the app reads the store), nothing published (404), store errors (503). The API
 * Lambda (handlers/api.ts) keeps answering through the app alone.
 * test/integration/latest-fast-path.test.ts compares the two answer by answer.
 */
import { createServer, maxHeaderSize, type IncomingMessage, type RequestListener, type ServerOptions, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener, RequestError, type ServerType } from "@hono/node-server";
import { ERROR_CODES, errorBody, ifNoneMatchMatches, JSON_UTF8, notModifiedHeaders } from "../handlers/http.ts";
import { LATEST_MAX } from "../handlers/contract.ts";
import { latestAnswer, latestHeaders, latestKey, validLimit, validTag, type LatestAnswer, type LatestReader } from "../handlers/latest.ts";
import { READ_HEADERS } from "../handlers/routes.ts";
import { WEBHOOK_BODY_LIMIT } from "../handlers/webhook.ts";

const WEBHOOK_PATH = "/webhooks/rebuild";

/** Answers the request and returns true, or returns false and leaves it untouched. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/** One answer's header lists, flat (`[name, value, …]`) as `writeHead` takes them. */
interface Prepared {
  get: string[];
  head: string[];
  notModified: string[];
}

/**
 * The header list as the app's answer carries it: undici's `Headers` sorts the names (all
 * lowercase here), and @hono/node-server adds `Content-Length` after them when there is a body.
 */
function headerList(headers: Record<string, string>, contentLength?: number): string[] {
  const all = contentLength === undefined ? headers : { ...headers, "content-length": String(contentLength) };
  return Object.keys(all)
    .sort()
    .flatMap((name) => [name, all[name]!]);
}

function prepare(answer: LatestAnswer): Prepared {
  const headers = { ...latestHeaders(answer.etag), ...READ_HEADERS };
  return {
    get: headerList(headers, answer.body.length),
    // HEAD: the headers of GET, Content-Length included (RFC 9110 §9.3.2), and no body.
    head: headerList(headers, answer.body.length),
    notModified: headerList(notModifiedHeaders(latestHeaders(answer.etag), READ_HEADERS)),
  };
}

/** `tag=…&limit=…` in either order, each at most once, nothing else; undefined when anything else. */
function parseQuery(query: string): { tag?: string; limit: number } | undefined {
  let tag: string | undefined;
  let limit: number | undefined;
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (eq > 0 && name === "tag" && tag === undefined && validTag(value)) tag = value;
    else if (eq > 0 && name === "limit" && limit === undefined) {
      limit = validLimit(value);
      if (limit === undefined) return undefined;
    } else return undefined;
  }
  return { tag, limit: limit ?? LATEST_MAX };
}

const NO_QUERY = { tag: undefined, limit: LATEST_MAX };
const PATH = "/latest";
/**
 * A Host that @hono/node-server takes (a lower-case name, and any port up to 65535: its
 * `reValidHost`, or a URL it parses to the same name): any other (`a/b`, `exa mple`, an
 * upper-case name) is the app's to judge, which answers one that is no host name 400 (RFC 9112
 * §3.2). Every port, not only reValidHost's 1000–59999, so that a server on an ephemeral port
 * (60000–60999 on Linux: the HTTP bench's, test/bench/http.ts) keeps its fast path.
 */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:\d{1,4}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5]))?$/;

export function latestFastPath(reader: LatestReader): FastPath {
  const prepared = new WeakMap<LatestAnswer, Prepared>();
  return (req, res) => {
    const method = req.method;
    const url = req.url;
    if ((method !== "GET" && method !== "HEAD") || url === undefined || !url.startsWith(PATH)) return false;
    const host = req.headers.host;
    if (host === undefined || !PLAIN_HOST.test(host)) return false;
    // Preconditions that can fail (412) are the app's to evaluate (http.ts conditionalResponse).
    if (req.headers["if-match"] !== undefined || req.headers["if-unmodified-since"] !== undefined) return false;
    let query: { tag?: string; limit: number } | undefined = NO_QUERY;
    if (url.length > PATH.length) {
      if (url[PATH.length] !== "?") return false;
      query = parseQuery(url.slice(PATH.length + 1));
      if (!query) return false;
    }
    const entry = reader.fresh(latestKey(query.tag));
    const answer = entry && latestAnswer(entry, query.limit);
    if (!answer) return false;
    let headers = prepared.get(answer);
    if (!headers) prepared.set(answer, (headers = prepare(answer)));
    if (ifNoneMatchMatches(req.headers["if-none-match"], answer.etag)) {
      res.writeHead(304, headers.notModified);
      res.end();
    } else if (method === "HEAD") {
      res.writeHead(200, headers.head);
      res.end();
    } else {
      res.writeHead(200, headers.get);
      res.end(answer.body);
    }
    return true;
  };
}

/**
 * A node:http `createServer` for @hono/node-server's `serve({ createServer })`: each request goes
 * to `fast` first, and to the app's listener when `fast` leaves it. An HTTP/1.1 request without
 * Host is a 400 (RFC 9112 §3.2), given here with the JSON error body rather than by node:http
 * (`requireHostHeader`), whose own answer has no body, CORS or nosniff.
 */
export function createServerWith(fast: FastPath): typeof createServer {
  return ((options: ServerOptions, listener: RequestListener) => {
    const server = createServer({ ...options, requireHostHeader: false }, (req, res) => {
      if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) {
        return answerError(res, 400, "an HTTP/1.1 request needs a Host header (RFC 9112 §3.2)");
      }
      if (!fast(req, res)) return listener(req, res);
    });
    // `Expect: 100-continue` (curl sends it with a body over 1 MiB): node:http would answer 100 to
    // every such request, asking for a body before the app has looked at it. 100 is sent only
    // where a body is read, a webhook delivery within the size limit; anything else gets its
    // final answer at once (RFC 9110 §10.1.1), a larger declared body its 413 unsent.
    server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
      if (readsBody(req)) res.writeContinue();
      server.emit("request", req, res);
    });
    return server.on("clientError", answerClientError);
  }) as typeof createServer;
}

/** Whether the app reads this request's body: a webhook delivery not declared over the limit (a chunked one is cut off as it is read). */
function readsBody(req: IncomingMessage): boolean {
  const declared = req.headers["content-length"];
  return req.method === "POST" && req.url?.split("?")[0] === WEBHOOK_PATH && (declared === undefined || Number(declared) <= WEBHOOK_BODY_LIMIT);
}

/**
 * The local server as `syndicate serve` runs it: the app (`fetch`) behind @hono/node-server's
 * request listener, with `fast` in front of it (createServerWith). A request the listener cannot
 * make a URL of (`OPTIONS *`, a backslash in the path, a Host that is no host name) never reaches
 * the app, and @hono/node-server alone answers it with a bare 400; here it gets the JSON error,
 * as what node:http cannot parse does (answerClientError). `hostname`: where it will listen, the
 * host of a request that names none (HTTP/1.0), as `serve` of @hono/node-server makes it. Not
 * listening yet.
 */
export function createLocalServer(fetch: (request: Request) => Response | Promise<Response>, fast: FastPath, hostname = "127.0.0.1"): ServerType {
  const errorHandler = (err: unknown): Response => {
    const [status, message] = err instanceof RequestError ? ([400, `the request is not valid HTTP/1.1: ${err.message.toLowerCase()}`] as const) : ([500, "internal error"] as const);
    const body = errorBody(ERROR_CODES[status], message);
    return new Response(body, { status, headers: errorHeaders(Buffer.byteLength(body), status === 400) });
  };
  return createServerWith(fast)({}, getRequestListener(fetch, { hostname, errorHandler }));
}

/** The headers of a JSON error answered outside the app, as the app's errors carry them (CORS included), `close` when asked. */
function errorHeaders(bodyLength: number, close: boolean): Record<string, string> {
  return { ...READ_HEADERS, "cache-control": "no-store", ...(close && { connection: "close" }), "content-length": String(bodyLength), "content-type": JSON_UTF8 };
}

function answerError(res: ServerResponse, status: keyof typeof ERROR_CODES, message: string): void {
  const body = errorBody(ERROR_CODES[status], message);
  res.writeHead(status, errorHeaders(Buffer.byteLength(body), true));
  res.end(body);
}

/**
 * Whether node's header size limit (which counts the request line too) was reached within the
 * request line, by the target alone: what node had parsed of the packet holds no line end yet.
 */
function overTargetAlone(err: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }): boolean {
  return err.rawPacket !== undefined && err.bytesParsed !== undefined && !err.rawPacket.subarray(0, err.bytesParsed).includes("\n");
}

/** node:http's own answers to what it cannot parse, as `[status, reason, code, message]`. */
function clientErrorAnswer(err: NodeJS.ErrnoException): [number, string, string, string] {
  const code = err.code;
  if (code === "HPE_CHUNK_EXTENSIONS_OVERFLOW") return [413, "Payload Too Large", ERROR_CODES[413], "the request's chunk extensions are too large"];
  if (code === "HPE_HEADER_OVERFLOW" && overTargetAlone(err)) return [414, "URI Too Long", ERROR_CODES[414], `the request's target (its path and query) is longer than this server takes (${maxHeaderSize} bytes)`];
  if (code === "HPE_HEADER_OVERFLOW") return [431, "Request Header Fields Too Large", ERROR_CODES[431], `the request's headers are larger than this server takes (${maxHeaderSize} bytes)`];
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return [408, "Request Timeout", ERROR_CODES[408], "the request was not received in time"];
  return [400, "Bad Request", ERROR_CODES[400], "the request is not valid HTTP/1.1"];
}

/**
 * A request node:http cannot parse (headers past its size limit, a malformed request line, a
 * request sent too slowly) never reaches the app; node answers it with a bare `400`/`431` and no
 * body. Answered here as the app answers errors instead: the JSON error body, `no-store`, nosniff
 * and the CORS headers, so that a partner's browser sees the status and the reason rather than an opaque
 * network error. (On AWS, API Gateway answers these itself.)
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Nothing to answer on a connection the client reset, or once a response's head was sent (as node decides).
  if (err.code === "ECONNRESET" || !socket.writable || (socket as Duplex & { _httpMessage?: { _headerSent?: boolean } })._httpMessage?._headerSent) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] = clientErrorAnswer(err);
  const body = errorBody(code, message);
  const headers = errorHeaders(Buffer.byteLength(body), true);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n${body}`);
}
