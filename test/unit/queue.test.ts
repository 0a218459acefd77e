import { createServer } from "node:http";
import { afterEach, expect, it } from "vitest";
import { SqsBuildQueue } from "../../functions/handlers/queue.ts";
import { buildRequestSchema } from "../../functions/handlers/build-request.ts";
import { classifyRecord } from "../../functions/handlers/build.ts";

let close: (() => void) | undefined;
afterEach(() => close?.());

/** A stand-in SQS JSON endpoint on 127.0.0.1 that records requests. */
async function fakeSqs(status = 200) {
  const seen: { headers: Record<string, unknown>; body: any }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ headers: req.headers, body: JSON.parse(body) });
      res.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
      res.end(status === 200 ? JSON.stringify({ MessageId: "m-1", MD5OfMessageBody: "x" }) : JSON.stringify({ __type: "AccessDenied" }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  close = () => server.close();
  return { seen, endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
}

const aws = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-secret", region: "us-east-1" };
const queueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/BuildQueue";

it("sends a signed SendMessage whose body the build consumer accepts", async () => {
  const { seen, endpoint } = await fakeSqs();
  const sent = await new SqsBuildQueue({ queueUrl, endpoint, aws }).send({ source: "webhook", id: "req-1", now: Date.UTC(2030, 0, 1) });
  expect(sent).toEqual({ id: "req-1", messageId: "m-1" });
  expect(seen[0]!.headers["x-amz-target"]).toBe("AmazonSQS.SendMessage");
  expect(String(seen[0]!.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/sqs\/aws4_request/);
  expect(seen[0]!.body.QueueUrl).toBe(queueUrl);
  const message = JSON.parse(seen[0]!.body.MessageBody);
  expect(buildRequestSchema.parse(message)).toMatchObject({ id: "req-1", source: "webhook", requested_at: "2030-01-01T00:00:00.000Z" });
  expect(classifyRecord({ messageId: "x", body: seen[0]!.body.MessageBody })).toEqual({ messageId: "x", trigger: "webhook request req-1", request: { id: "req-1", requested_at: "2030-01-01T00:00:00.000Z" } });
});

it("rejects when SQS refuses the message", async () => {
  const { endpoint } = await fakeSqs(400);
  await expect(new SqsBuildQueue({ queueUrl, endpoint, aws }).send({ source: "webhook" })).rejects.toThrow(/HTTP 400/);
});
