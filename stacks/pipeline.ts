/**
 * The build pipeline: content changes and webhook requests → build queue → one build at a time
 * → feeds bucket. See docs/deploy.md for the sizing and cost.
 *
 * Why a queue: S3 notifications and webhooks arrive in bursts (one `syndicate push` of 40 files
 * is 40 notifications). The event source mapping collects them for up to BATCH_WINDOW into one
 * invocation, and the handler runs one build for the whole batch.
 * Concurrency: builds publish into the same bucket and must not overlap; the build lease
 * (functions/pipeline/lease.ts) keeps them apart, held from reading the content to the last
 * write, so a second build waits and then reads the newer content. The SQS event source invokes
 * at most SQS_MAX_CONCURRENCY at once (it cannot go below 2), the 5-minute tick one more. No
 * reserved concurrency: reserved concurrency 1 (until 2026-11-28) throttled the poller's second
 * invocation, and a throttled batch goes back to the queue until its visibility timeout ends
 * (18 minutes: an editor's change arriving during a build waited that long); and reserving any
 * needs an account whose unreserved pool stays at 100 or more after it (Lambda Developer Guide,
 * "Configuring reserved concurrency"), which new accounts' quotas do not allow.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
 */
import { bucketPermissions, CONTENT_PREFIX, type Storage } from "./storage";
import { BATCH_WINDOW_SECONDS, BUILD_TIMEOUT_SECONDS, MAX_RECEIVE, VISIBILITY_TIMEOUT_SECONDS } from "./build-limits";

/** Lambda runtime: Node 24 (Node 20's Lambda runtime is past end of support). */
export const RUNTIME = "nodejs24.x";
/** Same code on both architectures; arm64 costs 20% less per GB-second. */
export const ARCHITECTURE = "arm64";
/** The tick functions/handlers/build.ts recognises (SCHEDULE_EVENT there; test/infra checks both agree). */
export const SCHEDULE_EVENT = { type: "syndicate.schedule" };
/** Invocations the SQS event source makes at once (its minimum). */
export const SQS_MAX_CONCURRENCY = 2;

export function pipeline(storage: Storage) {
  const dlq = new sst.aws.Queue("BuildDeadLetters", {
    // Longest retention SQS allows: time to read what failed and redrive it.
    transform: { queue: { messageRetentionSeconds: 14 * 24 * 3600 } },
  });
  const queue = new sst.aws.Queue("BuildQueue", {
    // AWS: at least 6 × the function timeout plus the batching window (build-limits.ts).
    visibilityTimeout: `${VISIBILITY_TIMEOUT_SECONDS} seconds`,
    dlq: { queue: dlq.arn, retry: MAX_RECEIVE },
  });

  const build = new sst.aws.Function("Build", {
    handler: "functions/handlers/build.handler",
    runtime: RUNTIME,
    architecture: ARCHITECTURE,
    // 1769 MB is one full vCPU: rendering is single-threaded and CPU-bound, so a full core makes
    // the build as fast as it gets at the same cost per build (CPU scales with memory). The bench
    // (docs/performance-history.md, 2026-11-28) peaks at 375–382 MiB for 10,000 articles with archives and
    // 910–926 MiB for 50,000 (342 MiB without archives) on Node 20; on Node 24, the runtime here,
    // 414 and 989 MiB (370 without archives).
    memory: "1769 MB",
    // 10,000 articles with archives build in ~4.7 s here, 50,000 in ~18 s (npm run bench);
    // reading 10,000 from S3 adds ~25 s (8 GETs in flight). Three minutes is ~4× a first build
    // of 10,000 articles from a bucket; later builds GET only the files whose ETag changed.
    timeout: `${BUILD_TIMEOUT_SECONDS} seconds`,
    // The runtime's AWS SDK v3: 1.1 MB instead of 1.5 MB (npm run bundle); a background build
    // does not feel the slower import. The API bundles its SDK instead (stacks/api.ts).
    // plugins: one htmlparser2 in the bundle, not its ES module and its CommonJS copy (~160 KB
    // less to load at every cold start; docs/deploy.md "Bundles"). A path from the project root
    // (where sst.config.ts is) to a plain JavaScript module that SST's bridge imports
    // (test/infra/esbuild-plugins.test.ts runs that bridge with it).
    nodejs: { esbuild: { external: ["@aws-sdk/*"] }, plugins: "stacks/esbuild-plugins.mjs" },
    link: [storage.feedsLink, storage.contentLink],
    environment: { BUILD_MAX_RECEIVE: String(MAX_RECEIVE), NODE_OPTIONS: "--max-semi-space-size=16" },
    permissions: [
      ...bucketPermissions(storage.feeds, { bucket: ["s3:ListBucket"], objects: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] }),
      // Content objects (under the content prefix, if one is set): the build only reads them.
      ...bucketPermissions(storage.content, { bucket: ["s3:ListBucket"], objects: ["s3:GetObject"] }, CONTENT_PREFIX),
      // What the SQS event source mapping needs from the function's role.
      { actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"], resources: [queue.arn] },
    ],
  });

  queue.subscribe(build.arn, {
    batch: { size: 1000, window: `${BATCH_WINDOW_SECONDS} seconds`, partialResponses: true },
    transform: { eventSourceMapping: { scalingConfig: { maximumConcurrency: SQS_MAX_CONCURRENCY } } },
  });

  // SST's policy for the queue (Queue.createPolicy) lets the S3, SNS and EventBridge services send
  // to it with no condition: any account's bucket, topic or rule could. The content bucket of this
  // account is the only sender that needs it (the API sends with its role's grant), as the S3 User
  // Guide's destination policy has it ("Granting permissions to publish event notification
  // messages to a destination": aws:SourceArn and aws:SourceAccount). The build still drops a
  // notification of another bucket (functions/handlers/build.ts classifyRecord).
  const notification = "ContentChanged";
  const policyName = `ContentBucketNotificationsNotification${notification}Policy`;
  $transform(aws.sqs.QueuePolicy, (args, _opts, name) => {
    if (name !== policyName) return;
    args.policy = aws.iam.getPolicyDocumentOutput({
      statements: [
        {
          principals: [{ type: "Service", identifiers: ["s3.amazonaws.com"] }],
          actions: ["sqs:SendMessage"],
          resources: [queue.arn],
          conditions: [
            { test: "ArnEquals", variable: "aws:SourceArn", values: [storage.content.arn] },
            { test: "StringEquals", variable: "aws:SourceAccount", values: [storage.account] },
          ],
        },
      ],
    }).json;
  });
  storage.content.notify({
    notifications: [
      { name: notification, queue, events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], ...(CONTENT_PREFIX ? { filterPrefix: CONTENT_PREFIX } : {}) },
    ],
  });

  // Future-dated articles: a tick every 5 minutes; the handler builds only when the last
  // status says an article has become due (or a retryable failure needs another try), so most
  // ticks cost one small S3 GET. Chosen over a one-time `at()` schedule set by each build:
  // that needs scheduler:CreateSchedule and iam:PassRole in the build's role, leaves a
  // schedule outside the stack's state, and a build failing after publishing but before
  // rescheduling would leave an article unpublished; the tick is declarative and self-healing.
  const schedule = new sst.aws.CronV2("PublishDue", {
    function: build,
    schedule: "rate(5 minutes)",
    event: SCHEDULE_EVENT,
  });

  // What the API links to send build requests (functions/handlers/queue.ts).
  const buildRequests = new sst.Linkable("BuildRequests", { properties: { url: queue.url } });

  return { queue, dlq, build, schedule, buildRequests };
}

export type Pipeline = ReturnType<typeof pipeline>;
