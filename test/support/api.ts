/**
 * Fixtures for the HTTP API tests: a store holding a published build of a small tree, a store
 * that counts reads or fails on demand, webhook signatures, a WebSub hub on 127.0.0.1, and an app
 * served on 127.0.0.1.
 */
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import type { ObjectStore, StoredObject } from "../../functions/adapters/store.ts";
import { build } from "../../functions/pipeline/build.ts";
import { tempDir, tree, writeTree, type Fields } from "./content-tree.ts";

export const NOW = Date.UTC(2030, 0, 1);

export const ARTICLES: Record<string, Fields> = {
  first: { title: "First", date: "2020-06-01T10:00:00Z", tags: ["Libya"] },
  second: { title: "Second", date: "2020-06-02T10:00:00Z", tags: ["Libya", "Energy policy"] },
  third: { title: "Third", date: "2020-06-03T10:00:00Z" },
};

/** A content directory and a store with its build published. */
export async function published(articles: Record<string, Fields> = ARTICLES, site: Fields = {}) {
  const dir = await tempDir("syn-api-");
  const content = await writeTree(join(dir, "content"), tree(articles, site));
  const store = new DirectoryStore(join(dir, "out"));
  const report = await build({ source: new DirectoryContent(content), store, now: NOW });
  return { dir, content, store, report };
}

/** Wraps a store: counts `get`s and fails them while `down` is set. */
export class ProbeStore implements ObjectStore {
  gets = 0;
  down = false;
  readonly description = "probe";
  constructor(readonly inner: ObjectStore) {}
  async get(key: string): Promise<StoredObject | undefined> {
    this.gets++;
    if (this.down) throw new Error("connect ECONNREFUSED 10.1.2.3:443 (internal detail)");
    return this.inner.get(key);
  }
  put = (...a: Parameters<ObjectStore["put"]>) => this.inner.put(...a);
  delete = (keys: string[]) => this.inner.delete(keys);
  list = (prefix?: string) => this.inner.list(prefix);
}

export const randomSecret = () => randomBytes(24).toString("hex");

export const githubSignature = (secret: string, body: string | Buffer) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/** Standard Webhooks headers for `body`, signed with a `whsec_` secret's key. */
export interface StandardHeaders extends Record<string, string> {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

export function standardHeaders(secret: string, body: string, o: { id?: string; timestamp?: number } = {}): StandardHeaders {
  const id = o.id ?? `msg_${randomBytes(8).toString("hex")}`;
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const key = secret.startsWith("whsec_") ? Buffer.from(secret.slice(6), "base64") : Buffer.from(secret);
  const sig = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${sig}` };
}

export interface Hub {
  url: string;
  pings: { mode: string | null; url: string | null; contentType: string | undefined }[];
  /** Status to answer each next ping with, in order; afterwards 204. */
  failures: number[];
}

/** A WebSub hub on 127.0.0.1 that records publish pings; closed when the test ends. */
export async function startHub(): Promise<Hub> {
  const hub: Hub = { url: "", pings: [], failures: [] };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (c: string) => (body += c));
    req.on("end", () => {
      const p = new URLSearchParams(body);
      hub.pings.push({ mode: p.get("hub.mode"), url: p.get("hub.url"), contentType: req.headers["content-type"] });
      res.statusCode = hub.failures.shift() ?? 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub`;
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return hub;
}

export interface LocalServer {
  server: ServerType;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Stops listening and ends the connections still open (keep-alive ones too). */
  close(): Promise<void>;
}

/** Serves an app (@hono/node-server) on 127.0.0.1 at a free port (whatever `options` say), once it is listening. */
export async function serveLocal(options: Parameters<typeof serve>[0]): Promise<LocalServer> {
  const server = serve({ ...options, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((r) => server.once("listening", () => r()));
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      return closed;
    },
  };
}
