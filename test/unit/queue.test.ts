import { createServer } from "node:http";
import { afterEach, expect, it } from "vitest";
import { SqsBuildQueue, queueTrigger } from "../../functions/handlers/queue.ts";
import type { RequestRef } from "../../functions/core/build-record.ts";
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
  expect(sent).toEqual({ id: "req-1", requested_at: "2030-01-01T00:00:00.000Z", messageId: "m-1" });
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

it("records a request once SQS has stored it, as the message says (id, time), and answers with its id", async () => {
  const { seen, endpoint } = await fakeSqs();
  const recorded: { request: RequestRef; sentBefore: number }[] = [];
  const trigger = queueTrigger(new SqsBuildQueue({ queueUrl, endpoint, aws }), () => undefined, async (request) => void recorded.push({ request, sentBefore: seen.length }));
  const ticket = await trigger({ trigger: "webhook", delivery_id: "d-1", received_at: "2030-01-01T00:00:00.000Z" });
  const message = JSON.parse(seen[0]!.body.MessageBody) as { id: string; requested_at: string };
  expect(ticket).toEqual({ id: message.id });
  expect(recorded).toEqual([{ request: expect.objectContaining({ id: message.id, requested_at: "2030-01-01T00:00:00.000Z" }), sentBefore: 1 }]);
});

it("answers with the id when the record cannot be written, logging why; records nothing SQS refused", async () => {
  const { endpoint } = await fakeSqs();
  const logs: string[] = [];
  const trigger = queueTrigger(new SqsBuildQueue({ queueUrl, endpoint, aws }), (l) => logs.push(l), async () => {
    throw new Error("PUT s3://feeds/builds/x.json failed: HTTP 403 AccessDenied");
  });
  const ticket = await trigger({ trigger: "webhook", delivery_id: "d-1", received_at: "2030-01-01T00:00:00.000Z" });
  expect(logs.map((l) => JSON.parse(l))).toEqual([{ level: "error", msg: "could not record a queued build request", id: ticket.id, delivery_id: "d-1", error: "PUT s3://feeds/builds/x.json failed: HTTP 403 AccessDenied" }]);
  close?.();
  const refused = await fakeSqs(400);
  let records = 0;
  const failing = queueTrigger(new SqsBuildQueue({ queueUrl, endpoint: refused.endpoint, aws }), () => undefined, async () => void records++);
  await expect(failing({ trigger: "webhook", received_at: "2030-01-01T00:00:00.000Z" })).rejects.toMatchObject({ status: 503 });
  expect(records).toBe(0);
});
