/**
 * The API Lambda behind API Gateway v2 (HTTP API): the same Hono app as the local stack.
 * Configuration comes from linked SST resources, or else environment variables:
 *   feeds bucket   Resource.Feeds.name          | FEEDS_BUCKET
 *   webhook secret Resource.WebhookSecret.value | WEBHOOK_SECRET
 *   S3 endpoint    (none)                       | S3_ENDPOINT (tests, S3-compatible stores)
 * Rebuilds are queued by a `TriggerBuild` passed to `createHandler`, e.g. over the build queue:
 *   createHandler({ triggerBuild: async (r) => ({ id: (await queue.send({ source: r.trigger, now: Date.parse(r.received_at) })).id }) })
 * Without one, signed webhooks are answered 503.
 */
import { handle } from "hono/aws-lambda";
import { Resource } from "sst";
import { S3Store, createS3Client } from "../adapters/s3-store.ts";
import { revalidating } from "../adapters/s3-revalidate.ts";
import { createApp, type TriggerBuild } from "./app.ts";

export type { BuildRequest, BuildTicket, TriggerBuild } from "./app.ts";

export interface ApiConfig {
  feedsBucket: string;
  webhookSecret?: string;
  endpoint?: string;
}

type Linked = Record<string, { name?: string; value?: string } | undefined>;

/** Linked resources first; each one guarded, since outside `sst dev`/Lambda none are linked. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const r = Resource as unknown as Linked;
  const feedsBucket = ("Feeds" in Resource ? r.Feeds?.name : undefined) || env.FEEDS_BUCKET;
  const webhookSecret = ("WebhookSecret" in Resource ? r.WebhookSecret?.value : undefined) || env.WEBHOOK_SECRET;
  if (!feedsBucket) throw new Error("no feeds bucket: link Feeds or set FEEDS_BUCKET");
  return { feedsBucket, webhookSecret: webhookSecret || undefined, endpoint: env.S3_ENDPOINT || undefined };
}

export function createHandler(options: { triggerBuild?: TriggerBuild; config?: ApiConfig } = {}) {
  const config = options.config ?? readConfig();
  const store = new S3Store({ client: createS3Client({ endpoint: config.endpoint }), bucket: config.feedsBucket });
  // Module scope of a warm Lambda: /latest's in-memory copy and seen delivery ids live as long as it.
  const app = createApp({ store: revalidating(store), webhookSecret: config.webhookSecret, triggerBuild: options.triggerBuild });
  return handle(app);
}

let cached: ReturnType<typeof createHandler> | undefined;
/** The default export for `handler: "functions/handlers/api.handler"`, created on first use. */
export const handler: ReturnType<typeof createHandler> = (event, context) => (cached ??= createHandler())(event, context);
