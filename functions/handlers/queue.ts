/**
 * Build requests on the build queue. The API's webhook route sends one per accepted request;
 * the build consumer (build.ts) coalesces a batch of them, and of S3 content notifications,
 * into one build. SQS is called through its JSON protocol, signed with SigV4 by aws4fetch
 * (`sst/aws/client`): the API bundle stays small and needs no SQS SDK, nor zod (the consumer's
 * schema is build-request.ts).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 */
import { randomUUID } from "node:crypto";
import { client as awsClient } from "sst/aws/client";
import type { TriggerBuild } from "../pipeline/coalesce.ts";
import type { BuildRecord, RequestRef } from "../core/build-record.ts";
import { ApiError } from "./http.ts";

export const BUILD_REQUEST_TYPE = "syndicate.rebuild";
export const REQUEST_ID_MAX = 128;
export const SOURCE_MAX = 64;

/** The message body (build-request.ts validates it on the consumer's side). */
export interface BuildRequest {
  type: typeof BUILD_REQUEST_TYPE;
  /** Request id, returned by the API in its 202 and logged by the build. */
  id: string;
  /** Who asked: `webhook`, `cli`… (free text, bounded). */
  source: string;
  requested_at: string;
}

/** The request to send, checked as the consumer will check it: a bad one is never sent. */
export function buildRequest(input: { source: string; id?: string; now?: number }): BuildRequest {
  const id = input.id ?? randomUUID();
  const when = new Date(input.now ?? Date.now());
  const bounded = (s: string, max: number) => s.length >= 1 && s.length <= max;
  if (!bounded(id, REQUEST_ID_MAX)) throw new Error(`build request id must be 1 to ${REQUEST_ID_MAX} characters`);
  if (!bounded(input.source, SOURCE_MAX)) throw new Error(`build request source must be 1 to ${SOURCE_MAX} characters`);
  if (Number.isNaN(when.getTime())) throw new Error("build request time is not a valid date");
  return { type: BUILD_REQUEST_TYPE, id, source: input.source, requested_at: when.toISOString() };
}

/** A request SQS has stored: its id and time (as the message carries them), and SQS's message id. */
export interface SentRequest extends RequestRef {
  messageId: string;
}

export interface BuildQueue {
  /** Resolves once SQS has stored the request; rejects with the SQS error otherwise. */
  send(request: { source: string; id?: string; now?: number }): Promise<SentRequest>;
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

  async send(input: { source: string; id?: string; now?: number }): Promise<SentRequest> {
    const request = buildRequest(input);
    const { queueUrl, endpoint, aws } = this.options;
    const signer = await awsClient(aws && { ...aws, service: "sqs" });
    // Service and region named, not guessed from the host (which fails for any other endpoint).
    const region = aws?.region ?? /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(queueUrl).hostname)?.[1] ?? process.env.AWS_REGION;
    // The JSON protocol posts to the service root; the queue is named in the body.
    const res = await signer.fetch(endpoint ?? `${new URL(queueUrl).origin}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.SendMessage" },
      body: JSON.stringify({ QueueUrl: queueUrl, MessageBody: JSON.stringify(request) }),
      aws: { service: "sqs", region },
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`SQS SendMessage to ${queueUrl} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
    const messageId = (JSON.parse(text) as { MessageId?: unknown }).MessageId;
    if (typeof messageId !== "string") throw new Error(`SQS SendMessage to ${queueUrl}: no MessageId in the response`);
    return { id: request.id, requested_at: request.requested_at, messageId };
  }
}

/**
 * The records the API claims for the requests it queues (builds.ts recordClaims): what makes a
 * delivery id known to every API Lambda instance, not only to the one that accepted it.
 */
export interface RequestClaims {
  /**
   * Claims the request's id before the request is sent: its record is written `queued`, and
   * `release` marks it failed if the request cannot be queued after all; or the record of an
   * earlier request with that id (`taken`: the same delivery, accepted before, whose build is
   * not known to have failed). Rejects when the bucket cannot be read or written.
   */
  claim(request: RequestRef): Promise<{ release: () => Promise<boolean> } | { taken: BuildRecord }>;
}

/**
 * The API's `TriggerBuild` on AWS (api.ts: the queue linked as `BuildRequests`, or
 * `BUILD_QUEUE_URL`): each accepted webhook becomes one message on the build queue; the 202's
 * `build_id` is the request id (the delivery's own, webhook.ts deliveryRequestId, or a random
 * one), which the build consumer logs when it covers it.
 *
 * With `claims`, the request's record is claimed first: an id already claimed (another instance,
 * or this one, took the same delivery) is answered as a duplicate and nothing is sent, so that a
 * delivery is queued once whichever instances it reaches. A claim the bucket cannot make is
 * logged and the request is queued anyway: a build twice is better than none, and the delivery
 * log of this instance still knows it. A send that fails answers 503 (the sender may redeliver)
 * and logs why; its claim is released, so that the redelivery is taken as new.
 */
export function queueTrigger(
  queue: BuildQueue,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  claims?: RequestClaims,
): TriggerBuild {
  return async (request) => {
    const now = Date.parse(request.received_at);
    const { id, requested_at } = buildRequest({ source: request.trigger, id: request.request_id, now });
    const about = { id, delivery_id: request.delivery_id };
    let claim: Awaited<ReturnType<RequestClaims["claim"]>> | undefined;
    try {
      claim = await claims?.claim({ id, requested_at });
    } catch (err) {
      log(JSON.stringify({ level: "error", msg: "could not record a build request as queued; queueing it without its record", ...about, error: (err as Error).message }));
    }
    if (claim && "taken" in claim) return { id, duplicate: true, shared: true };
    try {
      await queue.send({ source: request.trigger, id, now });
    } catch (err) {
      log(JSON.stringify({ level: "error", msg: "could not queue a build request", ...about, error: (err as Error).message }));
      await claim?.release().catch((e: unknown) =>
        log(JSON.stringify({ level: "error", msg: "could not mark a build request that was not queued as failed", ...about, error: (e as Error).message })),
      );
      throw new ApiError(503, "the build could not be queued; retry the delivery", { "retry-after": "5" });
    }
    return { id, shared: claim !== undefined };
  };
}
