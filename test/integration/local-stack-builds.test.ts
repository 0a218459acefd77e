/**
 * `GET /builds/{id}` on the local stack (functions/local/stack.ts): the id a webhook's 202 gave
 * answers queued, running, then the build's outcome, in the shape the API Lambda answers with.
 * Real s3rver, real builds, over HTTP.
 */
import { afterEach, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startLocalStack, type LocalStack } from "../../functions/local/stack.ts";
import { articleText, tempDir, tree, writeTree } from "../support/content-tree.ts";
import { ARTICLES, githubSignature, randomSecret } from "../support/api.ts";

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function start(secret?: string) {
  const dir = await tempDir("syn-stack-builds-");
  const content = await writeTree(join(dir, "content"), tree(ARTICLES));
  stack = await startLocalStack({ contentDir: content, dataDir: join(dir, "data"), port: 0, watch: false, webhookSecret: secret, log: () => undefined });
  await stack.firstBuild;
  return { stack, content };
}

const getBuild = async (id: string) => {
  const res = await fetch(`${stack!.url}/builds/${id}`);
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
};

describe("GET /builds/{id} on the local stack", () => {
  it("answers the webhook's build_id with the published build once it has finished", async () => {
    const secret = randomSecret();
    const { stack } = await start(secret);
    const body = JSON.stringify({ ref: "main" });
    const accepted = await fetch(`${stack.url}/webhooks/rebuild`, { method: "POST", body, headers: { "x-hub-signature-256": githubSignature(secret, body), "content-type": "application/json" } });
    expect(accepted.status).toBe(202);
    const { build_id: id } = (await accepted.json()) as { build_id: string };
    await stack.builds.idle();
    const answer = await getBuild(id);
    expect(answer.status).toBe(200);
    const manifest = (await (await fetch(`${stack.url}/manifest.json`)).json()) as { build_id: string };
    expect(answer.json).toEqual({
      id, state: "succeeded", requested_at: expect.any(String), started_at: expect.any(String), finished_at: expect.any(String), attempt: null, max_attempts: null,
      build_id: manifest.build_id, items: 3, error: null, issues: [], issues_omitted: 0,
    });
    expect(Date.parse(answer.json.finished_at)).toBeGreaterThanOrEqual(Date.parse(answer.json.started_at));
    expect(Date.parse(answer.json.started_at)).toBeGreaterThanOrEqual(Date.parse(answer.json.requested_at));
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answers queued and running while the stack has them, then a content failure with the file and field", async () => {
    const { stack, content } = await start();
    await writeFile(join(content, "articles", "bad.md"), articleText({ title: "Bad", date: "yesterday" }));
    const running = stack.builds.request({ trigger: "watch", received_at: new Date().toISOString() });
    const waiting = stack.builds.request({ trigger: "watch", received_at: new Date().toISOString() });
    expect(stack.record(running.id)).toMatchObject({ state: "running", started_at: expect.any(String), finished_at: null, build_id: null });
    expect(stack.record(waiting.id)).toMatchObject({ state: "queued", started_at: null, finished_at: null });
    await waiting.done;
    const answer = await getBuild(running.id);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ state: "failed", build_id: null, items: null, error: { name: "ContentError", retryable: false }, issues_omitted: 0 });
    expect(answer.json.issues).toContainEqual({ file: "articles/bad.md", line: 3, field: "date", message: expect.any(String), severity: "error" });
  });

  it("answers a finished build by its id; an unknown id is a 404, a malformed one a 400", async () => {
    const { stack } = await start();
    const first = stack.builds.latest!.id;
    expect((await getBuild(first)).json.state).toBe("succeeded");
    const unknown = await getBuild("20300101T000000Z-000000");
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toEqual({ code: "not_found", message: expect.stringMatching(/this stack has no build by that id.*last 1,000 finished/) });
    expect(unknown.headers.get("access-control-allow-origin")).toBe("*");
    const bad = await getBuild("x".repeat(129));
    expect([bad.status, bad.json.error.code]).toEqual([400, "bad_request"]);
  });
});
