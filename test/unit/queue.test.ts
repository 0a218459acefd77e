import { createServer } from "node:http";
import { afterEach, expect, it } from "vitest";
import { SqsBuildQueue, queueTrigger, type RequestClaims } from "../../functions/handlers/queue.ts";
import { queuedRecord, type RequestRef } from "../../functions/core/build-record.ts";
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

/** Claims as the bucket would answer them (test/integration/build-records.test.ts: the bucket's own), and what was asked. */
function claimsOf(answer: (request: RequestRef) => Promise<Awaited<ReturnType<RequestClaims["claim"]>>>) {
  const asked: RequestRef[] = [];
  return { asked, claims: { claim: (request: RequestRef) => (asked.push(request), answer(request)) } satisfies RequestClaims };
}
const received_at = "2030-01-01T00:00:00.000Z";

it("claims a request's record before it sends it, under the request id given (a delivery's), and answers with it", async () => {
  const { seen, endpoint } = await fakeSqs();
  const sentBefore: number[] = [];
  const { asked, claims } = claimsOf(async () => (sentBefore.push(seen.length), { release: async () => true }));
  const trigger = queueTrigger(new SqsBuildQueue({ queueUrl, endpoint, aws }), () => undefined, claims);
  const ticket = await trigger({ trigger: "webhook", delivery_id: "d-1", request_id: "delivery-0123", received_at });
  expect(ticket).toEqual({ id: "delivery-0123", shared: true });
  expect(asked).toEqual([{ id: "delivery-0123", requested_at: received_at }]);
  expect(sentBefore).toEqual([0]);
  expect(JSON.parse(seen[0]!.body.MessageBody)).toMatchObject({ id: "delivery-0123", requested_at: received_at });
  // Without a request id (no delivery id), a random one, claimed the same way.
  const other = await trigger({ trigger: "webhook", received_at });
  expect(other.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(asked[1]!.id).toBe(other.id);
  expect(JSON.parse(seen[1]!.body.MessageBody).id).toBe(other.id);
});

it("sends nothing for a request whose id an earlier request holds: a duplicate, with that id", async () => {
  const { seen, endpoint } = await fakeSqs();
  const earlier = queuedRecord({ id: "delivery-0123", requested_at: "2029-12-31T23:59:00.000Z" });
  const { claims } = claimsOf(async () => ({ taken: earlier }));
  const trigger = queueTrigger(new SqsBuildQueue({ queueUrl, endpoint, aws }), () => undefined, claims);
  expect(await trigger({ trigger: "webhook", delivery_id: "d-1", request_id: "delivery-0123", received_at })).toEqual({ id: "delivery-0123", duplicate: true, shared: true });
  expect(seen).toHaveLength(0);
});

it("queues a request whose record the bucket cannot take, logging why: this instance remembers it", async () => {
  const { seen, endpoint } = await fakeSqs();
  const logs: string[] = [];
  const { claims } = claimsOf(async () => {
    throw new Error("PUT s3://feeds/builds/x.json failed: HTTP 403 AccessDenied");
  });
  const trigger = queueTrigger(new SqsBuildQueue({ queueUrl, endpoint, aws }), (l) => logs.push(l), claims);
  const ticket = await trigger({ trigger: "webhook", delivery_id: "d-1", request_id: "delivery-0123", received_at });
  expect(ticket).toEqual({ id: "delivery-0123", shared: false });
  expect(seen).toHaveLength(1);
  expect(logs.map((l) => JSON.parse(l))).toEqual([
    { level: "error", msg: "could not record a build request as queued; queueing it without its record", id: "delivery-0123", delivery_id: "d-1", error: "PUT s3://feeds/builds/x.json failed: HTTP 403 AccessDenied" },
  ]);
});

it("releases the claim of a request SQS refused, answering 503; a release that fails is logged", async () => {
  const refused = await fakeSqs(400);
  let released = 0;
  const logs: string[] = [];
  const { claims } = claimsOf(async () => ({ release: async () => (++released === 1 ? true : Promise.reject(new Error("PUT s3://feeds/builds/x.json failed: HTTP 503 SlowDown"))) }));
  const trigger = queueTrigger(new SqsBuildQueue({ queueUrl, endpoint: refused.endpoint, aws }), (l) => logs.push(l), claims);
  await expect(trigger({ trigger: "webhook", delivery_id: "d-1", request_id: "delivery-0123", received_at })).rejects.toMatchObject({ status: 503 });
  expect(released).toBe(1);
  await expect(trigger({ trigger: "webhook", delivery_id: "d-1", request_id: "delivery-0123", received_at })).rejects.toMatchObject({ status: 503 });
  expect(logs.map((l) => JSON.parse(l))).toEqual([
    { level: "error", msg: "could not queue a build request", id: "delivery-0123", delivery_id: "d-1", error: expect.stringContaining("HTTP 400") },
    { level: "error", msg: "could not queue a build request", id: "delivery-0123", delivery_id: "d-1", error: expect.stringContaining("HTTP 400") },
    { level: "error", msg: "could not mark a build request that was not queued as failed", id: "delivery-0123", delivery_id: "d-1", error: "PUT s3://feeds/builds/x.json failed: HTTP 503 SlowDown" },
  ]);
});
