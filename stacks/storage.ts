/**
 * Storage: the feeds bucket, readable only by the CDN (stacks/cdn.ts) and written only by the
 * build; the content bucket, private, written by `syndicate push` and read by the build.
 */
import { BUILD_RECORD_DAYS, BUILD_RECORDS, UNPUBLISHED_KEYS } from "./access";

/**
 * Where content lives in the content bucket: at its root, where the contract's
 * `syndicate push --bucket <contentBucket>` puts it (and the local stack keeps it). Under a
 * prefix, that command uploaded beside what the build reads, and no build ever ran. The bucket
 * holds nothing else, so every change to it queues a build.
 */
export const CONTENT_PREFIX = "";
/** How long the content bucket keeps an overwritten or deleted version. */
export const NONCURRENT_DAYS = 90;

export function storage() {
  // "cloudfront": a bucket policy lets CloudFront read objects (Origin Access Control); S3 Block
  // Public Access stays on. SST's grant names the service only, which any account's distribution
  // could use (the confused deputy: the build cache and lease under .syndicate/ are not public):
  // the first deny keeps the grant to this account's distributions. The second keeps CloudFront
  // from what is not published, whatever the edge function does: the build's own objects under
  // .syndicate/ (the cache holds every article's HTML, drafts' included) and status.json (the
  // last build's errors, for /health and the operator, not the public).
  // The allow of s3:ListBucket (this account's distributions only) makes S3 answer 404 for a key
  // it does not hold, where it answers 403 to a reader that may not list: a removed tag's feed
  // must read as gone, not as forbidden. CloudFront runs no viewer-response function on an
  // origin's 4xx, so the edge cannot turn that 403 into a 404 afterwards. The listing itself
  // (GET /) is refused at the edge (stacks/edge.ts BLOCK_INTERNAL).
  const account = aws.getCallerIdentityOutput({}).accountId;
  const feeds = new sst.aws.Bucket("FeedsBucket", {
    access: "cloudfront",
    // The build requests' records expire; nothing else of the bucket does (the documents are the
    // build's to delete, publish.ts; the build's own objects are rewritten by every build).
    lifecycle: [{ id: "expire-build-records", prefix: BUILD_RECORDS, expiresIn: `${BUILD_RECORD_DAYS} days` }],
    policy: [
      {
        effect: "deny",
        principals: [{ type: "service", identifiers: ["cloudfront.amazonaws.com"] }],
        actions: ["s3:GetObject"],
        paths: ["*"],
        conditions: [{ test: "StringNotEquals", variable: "AWS:SourceAccount", values: [account] }],
      },
      {
        effect: "deny",
        principals: [{ type: "service", identifiers: ["cloudfront.amazonaws.com"] }],
        actions: ["s3:GetObject"],
        paths: [...UNPUBLISHED_KEYS],
      },
      {
        principals: [{ type: "service", identifiers: ["cloudfront.amazonaws.com"] }],
        actions: ["s3:ListBucket"],
        paths: [""],
        conditions: [{ test: "StringEquals", variable: "AWS:SourceAccount", values: [account] }],
      },
    ],
  });
  // No `access`: private, public access blocked; SST adds a policy that denies plain HTTP.
  const content = new sst.aws.Bucket("ContentBucket", { versioning: true });
  // Versioning keeps what a push overwrote or deleted, for an undo; for 90 days, not for ever
  // (every push and every removed article kept a version, and the bucket only grew).
  new aws.s3.BucketLifecycleConfiguration("ContentVersions", {
    bucket: content.name,
    rules: [{ id: "expire-old-versions", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_DAYS } }],
  });

  // What handlers read through `Resource` (functions/handlers/linked.ts). Linkables carry names
  // only; each function gets its IAM actions explicitly (least privilege), where linking the
  // buckets themselves would grant s3:* on them.
  const feedsLink = new sst.Linkable("Feeds", { properties: { name: feeds.name } });
  const contentLink = new sst.Linkable("Content", { properties: { name: content.name, prefix: CONTENT_PREFIX } });

  return { feeds, content, feedsLink, contentLink, account };
}

export type Storage = ReturnType<typeof storage>;

/** IAM statements on a bucket: `bucket` actions on the bucket, `objects` actions on its keys (under `prefix`, if given). */
export function bucketPermissions(bucket: sst.aws.Bucket, actions: { bucket?: string[]; objects?: string[] }, prefix = "") {
  return [
    ...(actions.bucket?.length ? [{ actions: actions.bucket, resources: [bucket.arn] }] : []),
    ...(actions.objects?.length ? [{ actions: actions.objects, resources: [$interpolate`${bucket.arn}/${prefix}*`] }] : []),
  ];
}
