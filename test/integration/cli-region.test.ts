/**
 * `--region` (build --bucket, push): the requests are signed for that region (SigV4's credential
 * scope names it), not for AWS_REGION's. A stub endpoint on 127.0.0.1 records the signatures and
 * refuses every request (403, which the SDK does not retry), so each command stops at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { writeCorpus } from "../support/corpus.ts";
import { tempDir } from "../support/content-tree.ts";
import { runCli } from "../support/s3.ts";

let server: Server;
let endpoint: string;
const scopes: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const m = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/s3\/aws4_request/.exec(req.headers.authorization ?? "");
    if (m) scopes.push(m[1]!);
    req.resume();
    res.writeHead(403, { "content-type": "application/xml" });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("--region", () => {
  it.each([
    ["build", (content: string) => ["build", "--content", content, "--bucket", "feeds", "--endpoint", endpoint, "--region", "eu-west-1", "--now", "2030-01-01T00:00:00Z"]],
    ["push", (content: string) => ["push", "--content", content, "--bucket", "content", "--endpoint", endpoint, "--region", "eu-west-1"]],
  ])("%s signs its requests for the region given", async (_name, args) => {
    const content = await writeCorpus(join(await tempDir(), "content"), { articles: 3 });
    scopes.length = 0;
    const r = await runCli(args(content));
    expect(r.code).toBe(1);
    expect(scopes.length).toBeGreaterThan(0);
    expect(new Set(scopes)).toEqual(new Set(["eu-west-1"]));
  });
});
