/** A stand-in for SQS's JSON protocol on 127.0.0.1, for the API Lambda's SendMessage (functions/handlers/queue.ts). */
import { createServer } from "node:http";

export interface SentMessage {
  target: unknown;
  authorization: unknown;
  QueueUrl: string;
  MessageBody: string;
}

/**
 * Answers `reply.status` (a MessageId on 200, an SQS error otherwise) and records each
 * SendMessage; `reply.before`, when set, is awaited before the answer (what happens while the
 * API waits for SQS). `close` stops it, its connections too.
 */
export async function fakeSqs(status = 200) {
  const sent: SentMessage[] = [];
  const reply: { status: number; before?: (message: SentMessage) => Promise<void> } = { status };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const message = { target: req.headers["x-amz-target"], authorization: req.headers.authorization, ...JSON.parse(body) } as SentMessage;
      sent.push(message);
      await reply.before?.(message);
      res.writeHead(reply.status, { "content-type": "application/x-amz-json-1.0" });
      res.end(reply.status === 200 ? JSON.stringify({ MessageId: `m-${sent.length}` }) : JSON.stringify({ __type: "com.amazonaws.sqs#QueueDoesNotExist" }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((ok) => server.close(() => ok()));
  };
  return { sent, reply, close, queueUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/123456789012/BuildQueue` };
}
