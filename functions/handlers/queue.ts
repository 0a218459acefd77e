/**
 * Build requests on the build queue. The API's webhook route sends one per accepted request;
 * the build consumer (build.ts) coalesces a batch of them, and of S3 content notifications,
 * into one build. SQS is called through its JSON protocol, signed with SigV4 by aws4fetch
 * (`sst/aws/client`): the API bundle stays small and needs no SQS SDK.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { client as awsClient } from "sst/aws/client";
import { linked } from "./linked.ts";

export const BUILD_REQUEST_TYPE = "syndicate.rebuild";

export const buildRequestSchema = z.object({
  type: z.literal(BUILD_REQUEST_TYPE),
  /** Request id, returned by the API in its 202 and logged by the build. */
  id: z.string().min(1).max(128),
  /** Who asked: `webhook`, `cli`… (free text, bounded). */
  source: z.string().min(1).max(64),
  requested_at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date-time"),
});
export type BuildRequest = z.infer<typeof buildRequestSchema>;

export interface BuildQueue {
  /** Resolves once SQS has stored the request; rejects with the SQS error otherwise. */
  send(request: { source: string; id?: string; now?: number }): Promise<{ id: string; messageId: string }>;
}

export interface SqsBuildQueueOptions {
  queueUrl: string;
  /** Another endpoint for the SQS API (tests: a server on 127.0.0.1). Default: the queue URL's origin. */
  endpoint?: string;
  /** Explicit credentials and region; default: the Lambda environment's. */
  aws?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; region: string };
}

export class SqsBuildQueue implements BuildQueue {
  constructor(readonly options: SqsBuildQueueOptions) {}

  async send(input: { source: string; id?: string; now?: number }): Promise<{ id: string; messageId: string }> {
    const request: BuildRequest = buildRequestSchema.parse({
      type: BUILD_REQUEST_TYPE,
      id: input.id ?? randomUUID(),
      source: input.source,
      requested_at: new Date(input.now ?? Date.now()).toISOString(),
    });
    const { queueUrl, endpoint, aws } = this.options;
    const signer = await awsClient(aws && { ...aws, service: "sqs" });
    // The JSON protocol posts to the service root; the queue is named in the body.
    const res = await signer.fetch(endpoint ?? `${new URL(queueUrl).origin}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.SendMessage" },
      body: JSON.stringify({ QueueUrl: queueUrl, MessageBody: JSON.stringify(request) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`SQS SendMessage to ${queueUrl} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
    const messageId = (JSON.parse(text) as { MessageId?: unknown }).MessageId;
    if (typeof messageId !== "string") throw new Error(`SQS SendMessage to ${queueUrl}: no MessageId in the response`);
    return { id: request.id, messageId };
  }
}

/** The queue linked as `BuildRequests` (or `BUILD_QUEUE_URL`); what api.ts hands to createApp. */
export function linkedBuildQueue(): SqsBuildQueue {
  return new SqsBuildQueue({ queueUrl: linked("BuildRequests", "url", "BUILD_QUEUE_URL") });
}
