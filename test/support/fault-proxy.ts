/**
 * A fault-injecting HTTP proxy on 127.0.0.1 between the AWS SDK and s3rver (issue 5, deliverable 2).
 * Point a client (or `build --endpoint`) at `proxy.endpoint`; requests are forwarded to the
 * upstream s3rver unchanged (the Host header too, so SigV4 signatures still verify) unless a rule
 * picks them for a fault:
 *
 * - `500`, `503`: an S3 XML error (InternalError, SlowDown), the request body read first;
 * - `reset`: the client connection is reset (TCP RST) as soon as the request has arrived;
 * - `stall`: never answered (optionally forwarded first, so the write lands): the SDK's request
 *   timeout fires;
 * - `truncate-response`: forwarded, then half the response body sent with the original
 *   Content-Length and the connection cut; `truncate-response-short` sends half the body with a
 *   Content-Length that matches it (framing intact, bytes missing);
 * - `truncate-request`: half the request body forwarded with the original Content-Length, then
 *   the upstream request aborted and the client reset (a client dying mid-upload);
 *   `truncate-request-short` forwards half the body with a matching Content-Length and relays
 *   the upstream answer (a body cut short in transit).
 *
 * Rules choose requests by operation, key pattern, occurrence (nth match, first k matches) and
 * probability from a seeded RNG, so a run is reproducible. Every request is recorded in order
 * with what was done to it; the SDK's `app/<id>` user-agent part (AWS_SDK_UA_APP_ID) tells which
 * client sent it.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import type { Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";

export type Op = "GET" | "HEAD" | "PUT" | "LIST" | "DELETE" | "OTHER";

export type Fault =
  | "500" | "503" | "reset" | "stall" | "stall-after-forward"
  | "truncate-response" | "truncate-response-short"
  | "truncate-request" | "truncate-request-short";

export interface FaultRule {
  op?: Op | Op[];
  /** Matches the object key (decoded, without the bucket). */
  key?: RegExp;
  /** Fault these occurrences (1-based) among the requests this rule matches. */
  nth?: number[];
  /** Otherwise: fault matching requests from this occurrence on (default 1)… */
  from?: number;
  /** …at most this many times (default: no limit). */
  times?: number;
  /** Each candidate is faulted with this probability (seeded RNG). */
  probability?: number;
  fault: Fault;
}

export interface ProxyEvent {
  seq: number;
  op: Op;
  method: string;
  bucket: string;
  key: string;
  /** The SDK's app id from the user agent (AWS_SDK_UA_APP_ID), if any. */
  app?: string;
  /** sha256 of the request body (PUT), when complete. */
  bodySha256?: string;
  bodyBytes: number;
  fault?: Fault;
  /** The status relayed to the client; undefined when the connection was cut or never answered. */
  status?: number;
  /** Milliseconds since the proxy started. */
  started: number;
  ended?: number;
  /** The client went away before the request was complete. */
  clientAborted?: boolean;
}

export interface FaultProxy {
  endpoint: string;
  rules: FaultRule[];
  events: ProxyEvent[];
  /** Called for each request once its body has arrived, before rules; may return a fault to apply. */
  onRequest?: (event: ProxyEvent) => Fault | undefined | void;
  /** Awaited before a request is answered or forwarded: delays, or holds it until something happens. */
  hold?: (event: ProxyEvent) => Promise<void> | undefined;
  /** Faults injected so far, by kind. */
  injected(): Partial<Record<Fault, number>>;
  /** Stops listening and destroys every connection (stalled ones included). */
  close(): Promise<void>;
}

/** mulberry32: a small seeded PRNG, same seed → same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ERRORS: Record<"500" | "503", { code: string; message: string }> = {
  "500": { code: "InternalError", message: "We encountered an internal error. Please try again." },
  "503": { code: "SlowDown", message: "Please reduce your request rate." },
};

export function classify(method: string, url: string): { op: Op; bucket: string; key: string } {
  const u = new URL(url, "http://proxy");
  const [, bucket = "", ...rest] = u.pathname.split("/");
  const key = rest.map(decodeURIComponent).join("/");
  let op: Op = "OTHER";
  if (method === "POST" && u.searchParams.has("delete")) op = "DELETE";
  else if (method === "DELETE") op = "DELETE";
  else if (method === "GET" && !key) op = "LIST";
  else if (method === "GET") op = "GET";
  else if (method === "HEAD" && key) op = "HEAD";
  else if (method === "PUT" && key) op = "PUT";
  return { op, bucket: decodeURIComponent(bucket), key };
}

export async function startFaultProxy(opts: { upstream: string; seed?: number; rules?: FaultRule[] }): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const random = seededRandom(opts.seed ?? 1);
  const t0 = performance.now();
  const since = () => Math.round((performance.now() - t0) * 10) / 10;
  const sockets = new Set<Socket>();
  const matches = new Map<FaultRule, { seen: number; fired: number }>();
  const counts: Partial<Record<Fault, number>> = {};

  const proxy: FaultProxy = {
    endpoint: "",
    rules: opts.rules ?? [],
    events: [],
    injected: () => ({ ...counts }),
    close: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  function pick(ev: ProxyEvent): Fault | undefined {
    for (const rule of proxy.rules) {
      const ops = rule.op === undefined ? undefined : Array.isArray(rule.op) ? rule.op : [rule.op];
      if (ops && !ops.includes(ev.op)) continue;
      if (rule.key && !rule.key.test(ev.key)) continue;
      const m = matches.get(rule) ?? { seen: 0, fired: 0 };
      matches.set(rule, m);
      const n = ++m.seen;
      const chosen = rule.nth ? rule.nth.includes(n) : n >= (rule.from ?? 1) && (rule.times === undefined || m.fired < rule.times);
      if (!chosen) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      m.fired++;
      return rule.fault;
    }
    return undefined;
  }

  const reset = (res: ServerResponse) => {
    const s = res.socket as (Socket & { resetAndDestroy?: () => void }) | null;
    if (s?.resetAndDestroy) s.resetAndDestroy();
    else s?.destroy();
  };

  function forward(req: IncomingMessage, body: Buffer, ev: ProxyEvent, res: ServerResponse, fault: Fault | undefined) {
    const headers = { ...req.headers };
    let sent = body;
    if (fault === "truncate-request" || fault === "truncate-request-short") sent = body.subarray(0, Math.floor(body.length / 2));
    if (fault === "truncate-request-short") headers["content-length"] = String(sent.length);
    const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent });
    up.on("error", () => {
      if (!res.headersSent && !res.destroyed) reset(res);
    });
    if (fault === "truncate-request") {
      up.flushHeaders();
      up.write(sent, () => {
        // Give the upstream time to take in the partial body before the abort, as a real client crash would.
        setTimeout(() => {
          up.destroy();
          ev.ended = since();
          reset(res);
        }, 20);
      });
      return;
    }
    up.on("response", (ures) => {
      if (fault === "stall-after-forward") {
        ures.resume();
        return; // the write has landed; the client never hears of it
      }
      const chunks: Buffer[] = [];
      ures.on("data", (c: Buffer) => chunks.push(c));
      ures.on("end", () => {
        const full = Buffer.concat(chunks);
        ev.status = ures.statusCode;
        const h = { ...ures.headers };
        if (fault === "truncate-response" || fault === "truncate-response-short") {
          const half = full.subarray(0, Math.floor(full.length / 2));
          if (fault === "truncate-response-short") h["content-length"] = String(half.length);
          res.writeHead(ures.statusCode ?? 502, h);
          res.write(half, () => {
            ev.ended = since();
            if (fault === "truncate-response") setTimeout(() => reset(res), 10);
            else res.end();
          });
          return;
        }
        res.writeHead(ures.statusCode ?? 502, h);
        res.end(full);
        ev.ended = since();
      });
    });
    up.end(sent);
  }

  const server: Server = createServer((req, res) => {
    const { op, bucket, key } = classify(req.method ?? "GET", req.url ?? "/");
    const ua = `${req.headers["x-amz-user-agent"] ?? ""} ${req.headers["user-agent"] ?? ""}`;
    const app = /(?:^|\s)app\/([^\s]+)/.exec(ua)?.[1];
    const ev: ProxyEvent = { seq: proxy.events.length + 1, op, method: req.method ?? "", bucket, key, app, bodyBytes: 0, started: since() };
    proxy.events.push(ev);
    const chunks: Buffer[] = [];
    let complete = false;
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("close", () => {
      if (complete) return;
      // The client went away mid-request: forward what arrived, then abort, as a direct client's death would.
      ev.clientAborted = true;
      ev.ended = since();
      const partial = Buffer.concat(chunks);
      ev.bodyBytes = partial.length;
      if (op === "PUT" && partial.length) {
        const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent });
        up.on("error", () => undefined);
        up.flushHeaders();
        up.write(partial, () => setTimeout(() => up.destroy(), 20));
      }
    });
    req.on("end", async () => {
      complete = true;
      await proxy.hold?.(ev);
      const body = Buffer.concat(chunks);
      ev.bodyBytes = body.length;
      if (op === "PUT") ev.bodySha256 = createHash("sha256").update(body).digest("hex");
      const fault = proxy.onRequest?.(ev) || pick(ev);
      if (fault) {
        ev.fault = fault;
        counts[fault] = (counts[fault] ?? 0) + 1;
      }
      if (res.socket?.destroyed) return; // the hook killed the client
      switch (fault) {
        case "500":
        case "503": {
          const e = ERRORS[fault];
          ev.status = Number(fault);
          res.writeHead(ev.status, { "content-type": "application/xml", ...(fault === "503" && { "retry-after": "0" }) });
          res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${e.message}</Message><Resource>/${bucket}/${key}</Resource><RequestId>FAULTPROXY${ev.seq}</RequestId></Error>`);
          ev.ended = since();
          return;
        }
        case "reset":
          ev.ended = since();
          reset(res);
          return;
        case "stall":
          return; // held until the client gives up (its request timeout) or close()
        default:
          forward(req, body, ev, res, fault);
      }
    });
  });
  server.keepAliveTimeout = 0;
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
