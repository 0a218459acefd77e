/**
 * `npm start` end to end: the local stack from a real `npm start` on a temporary content copy,
 * data directory and port; every feed and /latest over HTTP with the headers a CDN would give, a
 * signed webhook rebuild, a rebuild on a content change, then SIGTERM and nothing left running.
 */
import { describe, expect, it } from "vitest";
import { spawn, execFileSync } from "node:child_process";
import { cp, writeFile } from "node:fs/promises";
import { freePort } from "../support/net.ts";
import { join, resolve } from "node:path";
import { tempDir, articleText } from "../support/content-tree.ts";
import { githubSignature, randomSecret } from "../support/api.ts";
import { isRunning } from "../support/s3.ts";
import { DEBIAN_PYTHON } from "../support/parsers.ts";

const REPO = resolve(import.meta.dirname, "../..");

/** Polls each feed twice as a reader does, keeping the validators: [status, bozo, encoding, has entries], then [status, entries]. */
const FEEDPARSER_POLL = `
import feedparser, json, sys
out = []
for path in ["/feed.xml", "/atom.xml", "/tags/libya/feed.xml"]:
    d = feedparser.parse(sys.argv[1] + path)
    again = feedparser.parse(sys.argv[1] + path, etag=d.get("etag"), modified=d.get("modified"))
    out.append({"path": path, "first": [d.status, int(d.bozo), d.headers.get("content-encoding"), len(d.entries) > 0], "again": [again.status, len(again.entries)]})
print(json.dumps(out))
`;
const DEADLINE_MS = 60_000;


/** Polls `check` until it returns a value; fails with `what` past the deadline. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + DEADLINE_MS;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Pids of every process in a process group (ps is procps on Linux). */
function groupPids(pgid: number): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,pgid="], { encoding: "utf8" });
  return out.split("\n").map((l) => l.trim().split(/\s+/).map(Number)).filter(([, g]) => g === pgid).map(([p]) => p!);
}

describe("npm start", () => {
  it("runs the local stack, serves the feeds and the API, rebuilds, and stops cleanly on SIGTERM", { timeout: 180_000 }, async () => {
    const dir = await tempDir("syn-start-");
    const content = join(dir, "content");
    await cp(join(REPO, "content"), content, { recursive: true });
    const port = await freePort();
    const secret = randomSecret();
    const child = spawn("npm", ["start", "--", "--port", String(port), "--data", join(dir, "data"), "--content", content], {
      cwd: REPO,
      env: { ...process.env, WEBHOOK_SECRET: secret, NO_COLOR: "1" },
      detached: true, // its own process group, to find everything it started
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const base = `http://127.0.0.1:${port}`;
    try {
      await until("/health", async () => ((await fetch(`${base}/health`)).ok ? true : undefined));
      await until("the printed URLs", async () => (output.includes("Press Ctrl-C to stop.") ? true : undefined));
      expect(output).not.toContain(secret);

      const expected: Record<string, string> = {
        "/feed.xml": "application/rss+xml; charset=utf-8",
        "/atom.xml": "application/atom+xml; charset=utf-8",
        "/feed.json": "application/feed+json; charset=utf-8",
        "/tags/libya/feed.xml": "application/rss+xml; charset=utf-8",
        "/latest": "application/json; charset=utf-8",
      };
      for (const [path, type] of Object.entries(expected)) {
        const res = await fetch(base + path);
        expect(res.status, path).toBe(200);
        expect(res.headers.get("content-type"), path).toBe(type);
        expect(res.headers.get("cache-control"), path).toMatch(/^public, max-age=\d+$/);
        expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
        const etag = res.headers.get("etag")!;
        // fetch asks for gzip: the documents come compressed (fetch decodes them), their ETag weak.
        const document = path !== "/latest";
        expect([etag.startsWith('W/"'), res.headers.get("content-encoding")], path).toEqual(document ? [true, "gzip"] : [false, null]);
        expect(etag, path).toMatch(/^(?:W\/)?"[^"]+"$/);
        const text = await res.text();
        expect(text.startsWith("<?xml") || text.startsWith("{"), path).toBe(true);
        expect((await fetch(base + path, { headers: { "if-none-match": etag } })).status, path).toBe(304);
      }
      // As a feed reader polls: Debian's feedparser (urllib, gzip, ETag and Last-Modified kept
      // between polls) gets every feed compressed and well-formed, then a 304 with nothing.
      const polled = execFileSync(DEBIAN_PYTHON, ["-c", FEEDPARSER_POLL, base], { encoding: "utf8" });
      expect(JSON.parse(polled)).toEqual(["/feed.xml", "/atom.xml", "/tags/libya/feed.xml"].map((path) => ({ path, first: [200, 0, "gzip", true], again: [304, 0] })));
      expect((await fetch(`${base}/feed.json`)).headers.get("access-control-allow-origin")).toBe("*");
      expect((await fetch(`${base}/feed.xml`)).headers.get("link")).toBe('<https://news.example.com/feeds/feed.xml>; rel="self"');

      const body = JSON.stringify({ ref: "refs/heads/main" });
      const hook = await fetch(`${base}/webhooks/rebuild`, { method: "POST", headers: { "x-hub-signature-256": githubSignature(secret, body), "x-github-delivery": "e2e-1" }, body });
      expect(hook.status).toBe(202);
      const { build_id } = (await hook.json()) as { build_id: string };
      await until("the webhook build", async () => {
        const h = (await (await fetch(`${base}/health`)).json()) as { last_build: { id: string; state: string } };
        return h.last_build.id === build_id && h.last_build.state === "succeeded" ? true : undefined;
      });
      expect((await fetch(`${base}/webhooks/rebuild`, { method: "POST", body })).status).toBe(401);

      await writeFile(join(content, "articles", "e2e-added.md"), articleText({ title: "Added while serving", date: "2021-01-01T00:00:00Z" }));
      await until("the rebuild on change", async () => {
        const latest = (await (await fetch(`${base}/latest?limit=1`)).json()) as { item: { title: string } };
        return latest.item.title === "Added while serving" ? true : undefined;
      });

      const servePid = Number(/local stack at \S+ \(pid (\d+)\)/.exec(output)?.[1]);
      const s3Pid = Number(/s3rver pid (\d+)/.exec(output)?.[1]);
      expect(isRunning(servePid) && isRunning(s3Pid)).toBe(true);
      process.kill(servePid, "SIGTERM");
      expect(await exited).toBe(0);
      expect(output).toContain("stopped");
      expect(isRunning(s3Pid)).toBe(false);
      // Helpers that exit when their parent's pipe closes (tsx's esbuild service) may take a moment.
      await until("every process it started to exit", async () => (groupPids(child.pid!).length === 0 ? true : undefined)).catch((err: Error) => {
        throw new Error(`${err.message}:\n${execFileSync("ps", ["-o", "pid,ppid,stat,cmd", "-g", String(child.pid)], { encoding: "utf8" })}`);
      });
    } finally {
      for (const pid of groupPids(child.pid!)) process.kill(pid, "SIGKILL");
    }
  });
});
