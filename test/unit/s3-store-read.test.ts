/**
 * S3Store's GET takes only bytes it can check: an answer with no ETag is read again. s3rver (the
 * local stack's store) answers a GET made while it writes the object with the part written so
 * far, that part's length and ETag "" — the local stack served a cut feed.json. A stand-in HTTP
 * server plays that answer once, then the finished object.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { createHash } from "node:crypto";
import { S3Store, createS3Client } from "../../functions/adapters/s3-store.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

describe("S3Store reads", () => {
  it("reads again an object answered with no ETag (still being written), and returns the finished one", async () => {
    const full = Buffer.from(JSON.stringify({ version: "https://jsonfeed.org/version/1.1", title: "x".repeat(2000) }));
    const answers = [
      { body: full.subarray(0, 700), etag: '""' },
      { body: full, etag: `"${createHash("md5").update(full).digest("hex")}"` },
    ];
    let gets = 0;
    server = createServer((req, res) => {
      req.resume();
      const a = answers[Math.min(gets++, answers.length - 1)]!;
      res.writeHead(200, { "content-type": "application/feed+json", "content-length": String(a.body.byteLength), etag: a.etag, "last-modified": new Date().toUTCString() });
      res.end(a.body);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    const store = new S3Store({ client: createS3Client({ endpoint: `http://127.0.0.1:${port}`, region: "us-east-1" }), bucket: "b" });
    const got = await store.get("feed.json");
    expect([gets, got?.body.equals(full)]).toEqual([2, true]);
    expect(JSON.parse(got!.body.toString()).title).toHaveLength(2000);
  });
});
