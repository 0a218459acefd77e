/**
 * sst.config.ts run() under Pulumi mocks (issue 4 "Offline checks in CI"): what would be
 * deployed, asserted resource by resource. Needs `sst install` first (npm run check:infra).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runStack, type StackRun } from "./harness.ts";
import { byType, expectHandlers, expectRoutes, grants, one, plain } from "./expectations.ts";
import { SCHEDULE_EVENT } from "../../functions/handlers/build.ts";
import { BLOCK_INTERNAL, RESPONSE_HEADERS } from "../../stacks/edge.ts";
import { API_READ_KEYS, API_WRITE_KEYS, BUILD_RECORDS, BUILD_RECORD_DAYS as STACK_RECORD_DAYS } from "../../stacks/access.ts";
import { BUILD_TIMEOUT_SECONDS, MAX_RECEIVE } from "../../stacks/build-limits.ts";
import { BUILD_RECORD_DAYS, BUILD_RECORD_PREFIX, buildRecordKey } from "../../functions/core/build-record.ts";
import { latestKey } from "../../functions/handlers/latest.ts";
import { MANIFEST_KEY, STATUS_KEY } from "../../functions/handlers/contract.ts";

let run: StackRun;
beforeAll(async () => {
  run = await runStack();
});

const fn = (name: string) => one(run, "aws:lambda/function:Function", `${name}Function`).inputs;

describe("storage", () => {
  it("serves the feeds bucket only through CloudFront, public access blocked", () => {
    const policy = JSON.parse(one(run, "aws:s3/bucketPolicy:BucketPolicy", "FeedsBucketPolicy").inputs.policy);
    const reads = policy.statements.filter((s: any) => s.actions.includes("s3:GetObject") && (s.effect ?? "Allow") === "Allow");
    expect(reads).toHaveLength(1);
    expect(reads[0].principals).toEqual([{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }]);
    // Only this account's distributions: SST's grant names the service alone. And never what is
    // not published: the build's objects (the cache holds drafts' HTML) and the build status.
    const scoped = policy.statements.filter((s: any) => s.effect === "Deny" && s.actions.includes("s3:GetObject"));
    expect(scoped).toEqual([
      expect.objectContaining({
        principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
        conditions: [{ test: "StringNotEquals", variable: "AWS:SourceAccount", values: ["123456789012"] }],
      }),
      expect.objectContaining({ principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }] }),
    ]);
    expect(scoped[1].conditions ?? []).toEqual([]);
    expect(scoped[1].resources.map((r: string) => r.replace(/^.*FeedsBucketBucket/, ""))).toEqual(["/.syndicate/*", "/status.json", "/builds/*"]);
    // CloudFront (this account's) may list the bucket, so that S3 answers 404 for a key it does
    // not hold (a removed tag's feed) instead of 403: no viewer-response function runs on a 4xx.
    const lists = policy.statements.filter((s: any) => s.actions.includes("s3:ListBucket"));
    expect(lists).toEqual([
      expect.objectContaining({
        principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
        actions: ["s3:ListBucket"],
        conditions: [{ test: "StringEquals", variable: "AWS:SourceAccount", values: ["123456789012"] }],
      }),
    ]);
    expect(lists[0].effect ?? "Allow").toBe("Allow");
    expect(lists[0].resources).toEqual([expect.stringMatching(/FeedsBucketBucket$/)]);
    expect(one(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "FeedsBucketPublicAccessBlock").inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
  });

  it("expires the build requests' records (builds/) after the 7 days GET /builds/{id} promises, and nothing else of the feeds bucket", () => {
    const rules = one(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "FeedsBucketLifecycle").inputs.rules;
    expect(rules).toEqual([{ id: "expire-build-records", status: "Enabled", filter: { prefix: "builds/" }, expiration: { days: 7 } }]);
    expect(one(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "FeedsBucketLifecycle").inputs.bucket).toMatch(/feedsbucketbucket/i);
    // The stack and the code that writes and reads the records agree.
    expect([BUILD_RECORDS, STACK_RECORD_DAYS]).toEqual([BUILD_RECORD_PREFIX, BUILD_RECORD_DAYS]);
    expect(buildRecordKey("x").startsWith(BUILD_RECORDS)).toBe(true);
  });

  it("keeps the content bucket's old versions for 90 days, not for ever", () => {
    const rules = one(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "ContentVersions").inputs.rules;
    expect(rules).toEqual([expect.objectContaining({ status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 90 } })]);
  });

  it("keeps the content bucket private: no one but the account is granted reads", () => {
    const policy = JSON.parse(one(run, "aws:s3/bucketPolicy:BucketPolicy", "ContentBucketPolicy").inputs.policy);
    expect(policy.statements.filter((s: any) => (s.effect ?? "Allow") === "Allow")).toEqual([]);
    expect(one(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "ContentBucketPublicAccessBlock").inputs).toMatchObject({ blockPublicPolicy: true, restrictPublicBuckets: true });
  });
});

describe("functions", () => {
  it("builds each handler from a file that exports it", () => expectHandlers(run));

  it("runs both on a supported Node runtime with the sizes chosen in stacks/", () => {
    expect(fn("Build")).toMatchObject({ runtime: "nodejs24.x", architectures: ["arm64"], memorySize: 1769, timeout: 180 });
    // The time limit the API judges a build's running record by (functions/core/build-record.ts) is the function's.
    expect(fn("Build").timeout).toBe(BUILD_TIMEOUT_SECONDS);
    expect(fn("ApiHandler")).toMatchObject({ runtime: "nodejs24.x", architectures: ["arm64"], memorySize: 512, timeout: 10 });
  });

  it("leaves the AWS SDK to the runtime in the build only", () => {
    const external = Object.fromEntries(run.builds.map((b) => [b.functionID, b.properties.esbuild?.external]));
    expect(external).toEqual({ Build: ["@aws-sdk/*"], ApiHandler: undefined });
  });

  it("bundles the build with the esbuild plugins that leave it one htmlparser2 (test/infra/esbuild-plugins.test.ts runs them)", () => {
    const plugins = Object.fromEntries(run.builds.map((b) => [b.functionID, b.properties.plugins]));
    expect(plugins).toEqual({ Build: "stacks/esbuild-plugins.mjs", ApiHandler: undefined });
  });

  it("bounds the builds by the queue poller's maximum concurrency, and throttles none of them (the build lease keeps builds apart)", () => {
    const esm = byType(run, "aws:lambda/eventSourceMapping:EventSourceMapping")[0]!.inputs;
    expect(esm.scalingConfig.maximumConcurrency).toBe(2);
    expect(byType(run, "aws:scheduler/schedule:Schedule")).toHaveLength(1);
    // Reserved concurrency below the poller's 2 plus the tick throttled a batch back to the queue
    // for its whole visibility timeout (18 minutes); any reservation needs 100 unreserved after it.
    expect(fn("Build").reservedConcurrentExecutions).toBeUndefined();
    expect(fn("ApiHandler").reservedConcurrentExecutions).toBeUndefined();
  });

  it("links exactly what each handler reads through Resource", () => {
    const links = Object.fromEntries(run.builds.map((b) => [b.functionID, Object.keys(b.links).sort()]));
    expect(links).toEqual({ Build: ["Content", "Feeds"], ApiHandler: ["BuildRequests", "Feeds", "WebhookSecret"] });
    const build = run.builds.find((b) => b.functionID === "Build")!;
    // The bucket's root: where the contract's `syndicate push --bucket` puts content.
    expect(build.links.Content.prefix).toBe("");
    expect(build.links.Feeds.name).toMatch(/feedsbucket/);
    const apiLinks = run.builds.find((b) => b.functionID === "ApiHandler")!.links;
    expect(apiLinks.WebhookSecret.value).toBe("test-secret-not-real");
    expect(apiLinks.BuildRequests.url).toMatch(/^https:\/\/sqs\..*BuildQueueQueue$/);
  });

  it("grants the build read/write on feeds, read on content, consume on the queue, nothing else", () => {
    expect(grants(run, "BuildRole")).toEqual([
      "s3:DeleteObject FeedsBucketBucket/*",
      "s3:GetObject ContentBucketBucket/*",
      "s3:GetObject FeedsBucketBucket/*",
      "s3:ListBucket ContentBucketBucket",
      "s3:ListBucket FeedsBucketBucket",
      "s3:PutObject FeedsBucketBucket/*",
      "sqs:ChangeMessageVisibility BuildQueueQueue",
      "sqs:DeleteMessage BuildQueueQueue",
      "sqs:GetQueueAttributes BuildQueueQueue",
      "sqs:ReceiveMessage BuildQueueQueue",
    ]);
  });

  it("grants the API read on the feeds keys it reads (not the build cache), write on the build records only, and send on the queue, nothing more", () => {
    expect(grants(run, "ApiHandlerRole")).toEqual([
      "s3:GetObject FeedsBucketBucket/builds/*",
      "s3:GetObject FeedsBucketBucket/latest.json",
      "s3:GetObject FeedsBucketBucket/manifest.json",
      "s3:GetObject FeedsBucketBucket/status.json",
      "s3:GetObject FeedsBucketBucket/tags/*/latest.json",
      "s3:ListBucket FeedsBucketBucket",
      "s3:PutObject FeedsBucketBucket/builds/*",
      "sqs:SendMessage BuildQueueQueue",
    ]);
    // Every key the API's code reads is within them (IAM's * spans slashes).
    const pattern = (k: string) => new RegExp(`^${k.replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`);
    const granted = API_READ_KEYS.map(pattern);
    const record = buildRecordKey("3f1c2a7e-0b1d-4c55-9a8e-2f6b1d0c9e41");
    for (const key of [latestKey(undefined), latestKey("libya"), MANIFEST_KEY, STATUS_KEY, record]) expect([key, granted.some((g) => g.test(key))]).toEqual([key, true]);
    expect(granted.some((g) => g.test(".syndicate/build-cache"))).toBe(false);
    // It writes a build record, and nothing published, nothing of the build's.
    const writable = API_WRITE_KEYS.map(pattern);
    expect(writable.some((g) => g.test(record))).toBe(true);
    for (const key of [latestKey(undefined), "feed.xml", MANIFEST_KEY, STATUS_KEY, ".syndicate/build-cache", ".syndicate/lease/x.json"]) expect([key, writable.some((g) => g.test(key))]).toEqual([key, false]);
  });
});

describe("queue", () => {
  it("sends every change of the content bucket to the build queue", () => {
    const n = one(run, "aws:s3/bucketNotification:BucketNotification", "ContentBucketNotificationsNotification").inputs;
    expect(n.queues).toEqual([{ id: "ContentChanged", events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], queueArn: expect.stringMatching(/BuildQueueQueue$/) }]);
    expect(n.lambdaFunctions).toEqual([]);
    const policy = JSON.parse(one(run, "aws:sqs/queuePolicy:QueuePolicy", "ContentBucketNotificationsNotificationContentChangedPolicy").inputs.policy);
    expect(policy.statements[0].actions).toEqual(["sqs:SendMessage"]);
  });

  it("lets only the content bucket (S3, this account) send to the build queue", () => {
    // SST's queue policy grants sqs:SendMessage to the S3, SNS and EventBridge services with no
    // condition: any account's bucket, topic or rule could put messages on the build queue.
    const policies = byType(run, "aws:sqs/queuePolicy:QueuePolicy");
    expect(policies.map((p) => p.name)).toEqual(["ContentBucketNotificationsNotificationContentChangedPolicy"]);
    expect(JSON.parse(policies[0]!.inputs.policy).statements).toEqual([
      {
        principals: [{ type: "Service", identifiers: ["s3.amazonaws.com"] }],
        actions: ["sqs:SendMessage"],
        resources: [expect.stringMatching(/BuildQueueQueue$/)],
        conditions: [
          { test: "ArnEquals", variable: "aws:SourceArn", values: [expect.stringMatching(/ContentBucketBucket$/)] },
          { test: "StringEquals", variable: "aws:SourceAccount", values: ["123456789012"] },
        ],
      },
    ]);
  });

  it("batches a burst into one invocation of the build, with partial failures reported", () => {
    const esm = byType(run, "aws:lambda/eventSourceMapping:EventSourceMapping");
    expect(esm).toHaveLength(1);
    expect(esm[0]!.inputs).toMatchObject({
      eventSourceArn: expect.stringMatching(/BuildQueueQueue$/),
      functionName: expect.stringMatching(/BuildFunction$/),
      batchSize: 1000,
      maximumBatchingWindowInSeconds: 10,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: 2 },
    });
  });

  it("dead-letters after 10 receives, with a visibility timeout of 6 × the build timeout + the window", () => {
    const q = one(run, "aws:sqs/queue:Queue", "BuildQueueQueue").inputs;
    expect(JSON.parse(q.redrivePolicy)).toEqual({ deadLetterTargetArn: expect.stringMatching(/BuildDeadLettersQueue$/), maxReceiveCount: 10 });
    expect(q.visibilityTimeoutSeconds).toBe(6 * fn("Build").timeout + 10);
    expect(one(run, "aws:sqs/queue:Queue", "BuildDeadLettersQueue").inputs.messageRetentionSeconds).toBe(14 * 24 * 3600);
    expect(fn("Build").environment.variables.BUILD_MAX_RECEIVE).toBe("10");
    // The constant the build falls back on without the variable (functions/handlers/build.ts linkedDeps) is the queue's.
    expect(JSON.parse(q.redrivePolicy).maxReceiveCount).toBe(MAX_RECEIVE);
  });
});

describe("schedule", () => {
  it("ticks the build every 5 minutes with the event the handler recognises", () => {
    const s = one(run, "aws:scheduler/schedule:Schedule", "PublishDueSchedule").inputs;
    expect(s.scheduleExpression).toBe("rate(5 minutes)");
    expect(s.target.arn).toMatch(/BuildFunction$/);
    expect(JSON.parse(s.target.input)).toEqual(SCHEDULE_EVENT);
    const role = one(run, "aws:iam/role:Role", "PublishDueRole").inputs.inlinePolicies[0].policy;
    expect(JSON.parse(role).statements).toEqual([{ actions: ["lambda:InvokeFunction"], resources: [expect.stringMatching(/BuildFunction$/)] }]);
  });
});

describe("api", () => {
  it("routes the API's endpoints to the one API function", () => {
    expectRoutes(run);
    const targets = byType(run, "aws:apigatewayv2/integration:Integration").map((i) => plain(i.inputs.integrationUri));
    expect(targets).toHaveLength(6);
    for (const t of targets) expect(t).toMatch(/ApiHandlerFunction$/);
  });

  it("leaves CORS to the app: no gateway CORS configuration at all (it would answer preflights and drop the app's CORS headers)", () => {
    // SST 4.17.1 turns `cors: false` into `corsConfiguration: {}`, which API Gateway keeps as a
    // CORS configuration that allows nothing: it then answers every preflight itself and ignores
    // the CORS headers the integration returns (API Gateway Developer Guide, "Configure CORS for
    // HTTP APIs"; sst#6748). The configuration must be absent, not empty.
    const inputs = one(run, "aws:apigatewayv2/api:Api", "ApiApi").inputs;
    expect(inputs.corsConfiguration).toBeUndefined();
  });

  it("throttles the stage", () => {
    expect(one(run, "aws:apigatewayv2/stage:Stage", "ApiStage").inputs.defaultRouteSettings).toEqual({ throttlingRateLimit: 50, throttlingBurstLimit: 100 });
  });

  it("declares the webhook secret and passes it only to the API", () => {
    expect(byType(run, "sst:sst:Secret").map((r) => r.name)).toEqual(["WebhookSecret"]);
    expect(Object.keys(run.builds.find((b) => b.functionID === "Build")!.links)).not.toContain("WebhookSecret");
  });
});

describe("cdn", () => {
  it("puts the feeds bucket at / and the API's /latest behind one distribution", () => {
    expect(byType(run, "aws:cloudfront/distribution:Distribution")).toHaveLength(1);
    expect(byType(run, "sst:aws:RouterBucketRoute").map((r) => r.name)).toEqual(["CdnRoute/"]);
    expect(byType(run, "sst:aws:RouterUrlRoute").map((r) => r.name)).toEqual(["CdnRoute/latest"]);
  });

  it("compresses and takes TTLs from the objects' Cache-Control", () => {
    const d = byType(run, "aws:cloudfront/distribution:Distribution")[0]!.inputs;
    expect(d.defaultCacheBehavior.compress).toBe(true);
    const cache = byType(run, "aws:cloudfront/cachePolicy:CachePolicy")[0]!.inputs;
    expect(cache).toMatchObject({ minTtl: 0, defaultTtl: 0 });
    expect(cache.parametersInCacheKeyAndForwardedToOrigin).toMatchObject({ enableAcceptEncodingGzip: true, enableAcceptEncodingBrotli: true, queryStringsConfig: { queryStringBehavior: "all" } });
  });

  it("keeps each edge function within CloudFront Functions' 10 KB of code (SST's router code included)", () => {
    for (const f of byType(run, "aws:cloudfront/function:Function")) {
      const bytes = Buffer.byteLength(f.inputs.code as string);
      expect(bytes, f.name).toBeLessThanOrEqual(10_240);
    }
  });

  it("keeps no server error (the API's 503, an origin's 5xx) for the default 10 seconds", () => {
    const d = byType(run, "aws:cloudfront/distribution:Distribution")[0]!.inputs;
    expect(d.customErrorResponses).toEqual([500, 502, 503, 504].map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })));
  });

  it("answers 404 at the edge for the bucket's internal objects (.syndicate/: build cache, lease)", () => {
    const code = byType(run, "aws:cloudfront/function:Function").find((f) => f.name === "CdnCloudfrontFunctionRequest")!.inputs.code as string;
    expect(code).toContain(BLOCK_INTERNAL.trim());
    expect(code.indexOf("/.syndicate/")).toBeLessThan(code.indexOf("return event.request"));
    expect(code).toContain(JSON.stringify(`${BUILD_RECORDS}*`));
  });

  it("adds nosniff to every response and CORS to the documents at the edge", () => {
    const code = byType(run, "aws:cloudfront/function:Function").find((f) => f.name === "CdnCloudfrontFunctionResponse")!.inputs.code as string;
    expect(code).toContain(RESPONSE_HEADERS.trim());
  });
});

it("returns the useful outputs", () => {
  expect(Object.keys(run.outputs).sort()).toEqual(["_protect", "api", "buildQueue", "cdn", "contentBucket", "contentPrefix", "deadLetterQueue", "feedsBucket"]);
  expect(run.outputs.contentPrefix).toBe("");
});

describe("removal", () => {
  it("keeps production's buckets on `sst remove` and protects the stage, under either name; other stages are removable", () => {
    expect(run.app).toMatchObject({ stage: "test", removal: "remove", protect: false });
    expect(run.retained.filter((r) => r.startsWith("aws:s3/bucket:"))).toEqual([]);
  });

  it.each(["production", "prod"])("stage %s: both buckets are created retainOnDelete, and the stage protected", async (stage) => {
    const prod = await runStack({ stage });
    expect(prod.app).toMatchObject({ stage, removal: "retain", protect: true });
    expect(prod.outputs._protect).toBe(true);
    const buckets = byType(prod, "aws:s3/bucket:Bucket").map((b) => `aws:s3/bucket:Bucket ${b.name}`).sort();
    expect(buckets).toEqual(["aws:s3/bucket:Bucket ContentBucketBucket", "aws:s3/bucket:Bucket FeedsBucketBucket"]);
    expect(prod.retained.filter((r) => r.startsWith("aws:s3/bucket:")).sort()).toEqual(buckets);
  });
});
