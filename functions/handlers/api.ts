/**
 * The API Lambda behind API Gateway v2 (HTTP API): the API routes of the local stack's app
 * (routes.ts; document serving is the CDN's job here), with
 *   - the feeds bucket read by a signed fetch (adapters/s3-fetch.ts), no AWS SDK;
 *   - webhooks queued as build requests on the build queue (queue.ts), no SQS SDK, each
 *     recorded `queued` in the feeds bucket first, for `GET /builds/{id}` and as the claim of
 *     its delivery id that every instance sees (builds.ts recordClaims);
 *   - `/health` reporting status.json, the build Lambda's record of the last build.
 * Configuration comes from linked SST resources, or else environment variables:
 *   feeds bucket   Resource.Feeds.name          | FEEDS_BUCKET
 *   build queue    Resource.BuildRequests.url   | BUILD_QUEUE_URL  (without it webhooks answer 503)
 *   webhook secret Resource.WebhookSecret.value | WEBHOOK_SECRET
 *   S3 endpoint    (none)                       | S3_ENDPOINT (tests, S3-compatible stores)
 * Least privilege (stacks/api.ts): s3:GetObject (+ ListBucket, for 404s) on the feeds bucket,
 * s3:PutObject on its build records (`builds/`) only (conditional writes: S3 asks for GetObject
 * too, which they have), sqs:SendMessage on the build queue.
 */
import { handle } from "hono/aws-lambda";
import { SignedS3Client } from "../adapters/s3-fetch.ts";
import { recordClaims, type RecordBucket } from "./builds.ts";
import { lastBuildFromStore, type ReadStore } from "./health.ts";
import { linked, linkedOptional } from "./linked.ts";
import { SqsBuildQueue, queueTrigger } from "./queue.ts";
import { webhookSecretFrom } from "./webhook.ts";
import { createApiApp, type TriggerBuild } from "./routes.ts";

export type { BuildRequest, BuildTicket, TriggerBuild } from "./routes.ts";

export interface ApiConfig {
  feedsBucket: string;
  webhookSecret?: string;
  /** The build queue's URL; webhooks are queued there. */
  queueUrl?: string;
  endpoint?: string;
}

/** Linked resources first, then the environment (linked.ts); `env` stands in for process.env in tests. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return {
    // Throws "Feeds.name is not linked to this function and FEEDS_BUCKET is not set".
    feedsBucket: linked("Feeds", "name", "FEEDS_BUCKET", env),
    webhookSecret: webhookSecretFrom(linkedOptional("WebhookSecret", "value", "WEBHOOK_SECRET", env)),
    queueUrl: linkedOptional("BuildRequests", "url", "BUILD_QUEUE_URL", env),
    endpoint: env.S3_ENDPOINT || undefined,
  };
}

export interface HandlerOptions {
  /** Another way to start builds (tests); default: the build queue of the configuration. */
  triggerBuild?: TriggerBuild;
  config?: ApiConfig;
  /** Another feeds bucket reader (tests); default: a signed-fetch client of `config.feedsBucket`. */
  store?: ReadStore;
  /**
   * Where queued requests are recorded and delivery ids claimed (tests); default: the
   * signed-fetch client of `config.feedsBucket`, unless `store` is given (then none: each
   * instance knows only the deliveries it accepted).
   */
  records?: RecordBucket;
  /** The clock (tests): a `running` record is judged stopped by it. Default: Date.now. */
  now?: () => number;
  /** Where errors are logged, one JSON line each (default: stderr, i.e. CloudWatch Logs). */
  log?: (line: string) => void;
}

/** The app as the Lambda runs it (also what the tests drive through `app.request`). */
export function createLambdaApp(options: HandlerOptions = {}) {
  const config = options.config ?? readConfig();
  const bucket = options.store ? undefined : new SignedS3Client({ bucket: config.feedsBucket, endpoint: config.endpoint });
  const store = options.store ?? bucket!;
  const records = options.records ?? bucket;
  const queue = config.queueUrl && new SqsBuildQueue({ queueUrl: config.queueUrl });
  const triggerBuild = options.triggerBuild ?? (queue ? queueTrigger(queue, options.log, records && recordClaims(records, options.now)) : undefined);
  // Module scope of a warm Lambda: /latest's in-memory copy and the delivery ids it is answering
  // (or could not record in the bucket) live as long as it.
  return createApiApp({ store, webhookSecret: config.webhookSecret, triggerBuild, health: lastBuildFromStore(store), log: options.log, now: options.now });
}

export function createHandler(options: HandlerOptions = {}) {
  return handle(createLambdaApp(options));
}

let cached: ReturnType<typeof createHandler> | undefined;
/** The default export for `handler: "functions/handlers/api.handler"`, created on first use. */
export const handler: ReturnType<typeof createHandler> = (event, context) => (cached ??= createHandler())(event, context);
