/**
 * `syndicate push --bucket NAME [--endpoint URL] [--region R] [--content DIR] [--prefix P]`: makes a content
 * bucket (prefix) hold what the content directory holds (CONTRACT.md "CLI"). Only files whose MD5
 * differs from the object's ETag are uploaded; objects whose file is gone are deleted.
 */
import { parseArgs } from "node:util";
import { DirectoryContent, isContentPath } from "../adapters/content-dir.ts";
import { S3RequestError, S3Store, createS3Client, md5 } from "../adapters/s3-store.ts";
import { formatRequests, mapLimit, type ObjectMeta, type RequestStats } from "../adapters/store.ts";
import { hasErrors, isSourcePath, SITE_FILE } from "../core/content.ts";
import type { ContentIssue } from "../core/errors.ts";
import { MANIFEST_KEY } from "../core/manifest.ts";
import { contentOption, displayIssue, endpointOption, fail, printIssues } from "./shared.ts";

export interface PushResult {
  /** Set when the content directory could not be read as a whole: then nothing was changed. */
  issues: ContentIssue[];
  uploaded: string[];
  deleted: string[];
  unchanged: number;
}

/** The bucket (prefix) given holds what is not content: published feeds. */
export class WrongBucketError extends Error {
  override readonly name = "WrongBucketError";
}

function metaFor(path: string): ObjectMeta {
  const contentType = path === SITE_FILE ? "application/yaml; charset=utf-8" : path.endsWith(".md") ? "text/markdown; charset=utf-8" : "application/octet-stream";
  return { contentType, cacheControl: "no-cache" };
}

/**
 * Used by the CLI and by `syndicate serve`. A directory with file-level problems (missing,
 * unreadable, oversized, a link outside it) is not pushed at all: pushing the rest would delete
 * the remote copies of the files that could not be read.
 */
export async function pushContent(contentDir: string, store: S3Store, concurrency = 8): Promise<PushResult> {
  const read = await new DirectoryContent(contentDir).read();
  const issues = [...read.issues];
  if (hasErrors(issues)) return { issues, uploaded: [], deleted: [], unchanged: 0 };
  // What a build reads, and nothing else: an editor's backup or autosave beside an article
  // (`x.md~`, `#x.md#`, `x.md.bak`, vim's `4913`) would only be ignored there (and, in a bucket,
  // each upload queues a build). Told, and deleted from the bucket if an earlier push put it there.
  const files: typeof read.files = [];
  for (const f of read.files) {
    if (isSourcePath(f.path)) files.push(f);
    else issues.push({ file: f.path, field: "file", severity: "warning", message: "not pushed: not site.yaml or articles/<slug>.md (an editor's backup?)" });
  }
  // Only keys a content source would read are compared and deleted; anything else under the
  // prefix is left alone.
  const entries = await store.listEntries();
  // The feeds bucket (a build published there): content pushed into it would be served to
  // everyone, drafts included, and no build would read it.
  if (entries.some((e) => e.key === MANIFEST_KEY)) {
    throw new WrongBucketError(`${store.description} holds published feeds (${MANIFEST_KEY}): it is the feeds bucket, where builds publish, not a content bucket; nothing was pushed. Push to the bucket builds read content from`);
  }
  const remote = new Map(entries.filter((e) => isContentPath(e.key)).map((e) => [e.key, e.etag]));
  const changed = files.filter((f) => remote.get(f.path) !== md5(f.bytes, "hex"));
  await mapLimit(changed, concurrency, (f) => store.put(f.path, Buffer.from(f.bytes), metaFor(f.path)));
  const local = new Set(files.map((f) => f.path));
  const removed = [...remote.keys()].filter((k) => !local.has(k)).sort();
  if (removed.length) await store.delete(removed);
  return { issues, uploaded: changed.map((f) => f.path), deleted: removed, unchanged: files.length - changed.length };
}

function summary(result: PushResult, target: string, requests: RequestStats): string {
  return (
    `Pushed content to ${target}: ${result.uploaded.length} uploaded, ${result.unchanged} unchanged, ${result.deleted.length} deleted\n` +
    `  requests: ${formatRequests(requests)}\n`
  );
}

export default async function cmdPush(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      bucket: { type: "string" },
      endpoint: { type: "string" },
      region: { type: "string" },
      content: { type: "string", default: "content" },
      prefix: { type: "string", default: "" },
      json: { type: "boolean", default: false },
    },
  });
  if (!values.bucket) fail("push needs --bucket NAME");
  contentOption(values.content);
  endpointOption(values.endpoint);
  const client = createS3Client({ endpoint: values.endpoint, region: values.region });
  const store = new S3Store({ client, bucket: values.bucket, prefix: values.prefix });
  try {
    const result = await pushContent(values.content, store);
    if (hasErrors(result.issues)) {
      printIssues(values.content, result.issues, values.json);
      if (!values.json) process.stderr.write(`Push stopped: ${values.content} cannot be read as a whole; ${store.description} was left as it was.\n`);
      return 1;
    }
    if (values.json) {
      const issues = result.issues.map((i) => displayIssue(values.content, i));
      process.stdout.write(`${JSON.stringify({ ok: true, target: store.description, ...result, issues, requests: store.stats }, null, 2)}\n`);
    } else {
      if (result.issues.length) printIssues(values.content, result.issues, false);
      process.stdout.write(summary(result, store.description, store.stats));
    }
    return 0;
  } catch (err) {
    if (!(err instanceof S3RequestError || err instanceof WrongBucketError)) throw err;
    if (values.json) process.stdout.write(`${JSON.stringify({ ok: false, error: { name: err.name, message: err.message } }, null, 2)}\n`);
    else process.stderr.write(`Push failed: ${err.message}\n`);
    return 1;
  } finally {
    client.destroy();
  }
}
