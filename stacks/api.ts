/**
 * The HTTP API: one Lambda (functions/handlers/api.ts, the Hono app's API routes) behind API
 * Gateway v2. Least privilege: it reads the feeds bucket's latest.json documents, manifest.json,
 * status.json and the build requests' records under builds/ (API_READ_KEYS, by signed GET), sends
 * build requests to the queue (signed SendMessage) and records each one queued under builds/
 * (API_WRITE_KEYS, by signed PUT); it cannot write any other object, delete one, or read content.
 */
import { ARCHITECTURE, RUNTIME, type Pipeline } from "./pipeline";
import { bucketPermissions, type Storage } from "./storage";
import { API_READ_KEYS, API_WRITE_KEYS } from "./access";

/**
 * The app's routes, and `$default`: every other request (HEAD, OPTIONS preflights, other methods,
 * unknown paths) reaches the app too, which answers it as it does locally (405 with Allow, a
 * JSON 404, CORS), instead of the gateway's own `{"message":"Not Found"}`.
 */
export const ROUTES = ["GET /latest", "GET /health", "GET /openapi.json", "POST /webhooks/rebuild", "GET /builds/{id}", "$default"] as const;

/**
 * Per-second steady rate and burst of each route (API Gateway's token bucket): the stage's default
 * route settings, which an HTTP API applies to every route of the stage separately.
 */
export const THROTTLE = { rateLimit: 50, burstLimit: 100 };

export function api(storage: Storage, pipeline: Pipeline) {
  const secret = new sst.Secret("WebhookSecret");

  const handler = new sst.aws.Function("ApiHandler", {
    handler: "functions/handlers/api.handler",
    runtime: RUNTIME,
    architecture: ARCHITECTURE,
    // More memory is more CPU: 512 MB keeps a cold start (bundle import) short; requests
    // themselves are one S3 GET and a little JSON.
    memory: "512 MB",
    timeout: "10 seconds",
    // No AWS SDK in this function: S3 and SQS are called with aws4fetch (sst/aws/client), so the
    // bundle is ~60 KB and imports in ~25 ms (npm run bundle; docs/deploy.md "Bundles").
    link: [storage.feedsLink, pipeline.buildRequests, secret],
    permissions: [
      // ListBucket: a missing object then answers 404 rather than 403.
      ...bucketPermissions(storage.feeds, { bucket: ["s3:ListBucket"] }),
      { actions: ["s3:GetObject"], resources: API_READ_KEYS.map((key) => $interpolate`${storage.feeds.arn}/${key}`) },
      // The build requests' records only: a request is recorded `queued` as it is queued.
      { actions: ["s3:PutObject"], resources: API_WRITE_KEYS.map((key) => $interpolate`${storage.feeds.arn}/${key}`) },
      { actions: ["sqs:SendMessage"], resources: [pipeline.queue.arn] },
    ],
  });

  const gateway = new sst.aws.ApiGatewayV2("Api", {
    // CORS is the app's (functions/handlers/app.ts: read routes only, never the webhook, preflight
    // included through $default): a gateway CORS configuration would answer preflights itself and
    // put its headers on every route's responses, the webhook's too.
    cors: false,
    transform: {
      // `cors: false` alone is not enough: SST 4.17.1 passes it on as `corsConfiguration: {}`, a
      // CORS configuration that allows nothing, and with any configuration API Gateway answers
      // every preflight itself and ignores the CORS headers the app returns (API Gateway Developer
      // Guide, "Configure CORS for HTTP APIs"; sst#6748). Without one, the app's reach the reader.
      api: (args) => {
        delete args.corsConfiguration;
      },
      stage: (args) => {
        args.defaultRouteSettings = { throttlingRateLimit: THROTTLE.rateLimit, throttlingBurstLimit: THROTTLE.burstLimit };
      },
    },
  });
  for (const route of ROUTES) gateway.route(route, handler.arn);

  return { gateway, handler, secret };
}

export type Api = ReturnType<typeof api>;
