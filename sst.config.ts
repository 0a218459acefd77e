/// <reference path="./.sst/platform/config.d.ts" />
/**
 * Syndicate on AWS (docs/deploy.md). Infra modules live in stacks/ and are imported inside
 * run(), as SST advises: sst.config.ts itself is evaluated before the platform is loaded.
 */
export default $config({
  app(input) {
    // "prod" too: the issue's own deploy command says `--stage prod`, and a production stage
    // under that name lost its feeds and every content version to `sst remove`.
    const production = input?.stage === "production" || input?.stage === "prod";
    return {
      name: "syndicate",
      // Production keeps its buckets on `sst remove` and refuses to be removed at all.
      removal: production ? "retain" : "remove",
      protect: production,
      home: "aws",
      // Pinned: `sst install` would otherwise resolve "latest" (../shared/notes/sst-offline.md).
      providers: { aws: { version: "7.20.0", region: "us-east-1" } },
    };
  },
  async run() {
    const { storage } = await import("./stacks/storage");
    const { pipeline } = await import("./stacks/pipeline");
    const { api } = await import("./stacks/api");
    const { cdn } = await import("./stacks/cdn");
    const s = storage();
    const p = pipeline(s);
    const a = api(s, p);
    const c = cdn(s, a);
    return {
      api: a.gateway.url,
      cdn: c.router.url,
      feedsBucket: s.feeds.name,
      contentBucket: s.content.name,
      contentPrefix: s.contentLink.properties.prefix,
      buildQueue: p.queue.url,
      deadLetterQueue: p.dlq.url,
    };
  },
});
