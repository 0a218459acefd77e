/**
 * `npm run bench:s3`: the S3 requests of a build (issue 6.4), in figures. The real `syndicate
 * build --bucket` against s3rver on 127.0.0.1 (the local stack's S3-compatible server), on a
 * generated corpus: a first build, an unchanged rebuild, and a rebuild after one article's
 * title was edited. Prints the CLI's own report of each (requests by kind, documents written);
 * asserts nothing (test/integration/s3-publish.test.ts asserts an unchanged rebuild's counts).
 *
 *   npm run bench:s3                     # 10,000 articles, archives on
 *   S3_ARTICLES=1000 S3_ARCHIVES=0 npm run bench:s3
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startS3Server } from "../../functions/local/s3.ts";
import { createS3Client, ensureBucket } from "../../functions/adapters/s3-store.ts";
import { siteYaml, writeCorpus } from "../support/corpus.ts";

const articles = Number(process.env.S3_ARTICLES ?? 10_000);
const archives = process.env.S3_ARCHIVES !== "0";
const BIN = resolve(import.meta.dirname, "../../bin/syndicate.js");
const BUCKET = "bench-feeds";

const dir = await mkdtemp(join(tmpdir(), "syndicate-s3-requests-"));
const s3 = await startS3Server({ dir: join(dir, "s3"), silent: true });
try {
  const client = createS3Client({ endpoint: s3.endpoint });
  await ensureBucket(client, BUCKET);
  client.destroy();
  const content = await writeCorpus(join(dir, "content"), { articles, itemsPerFeed: 50 });
  await writeFile(join(content, "site.yaml"), siteYaml({ archives, itemsPerFeed: 50 }));
  const env = { ...process.env, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1", NO_COLOR: "1" };
  const build = (label: string) => {
    const args = [BIN, "build", "--content", content, "--bucket", BUCKET, "--endpoint", s3.endpoint, "--now", "2030-01-01T00:00:00Z"];
    console.log(`--- ${label}\n${execFileSync(process.execPath, args, { encoding: "utf8", env }).trimEnd()}`);
  };
  console.log(`Syndicate S3 requests ${new Date().toISOString()}, node ${process.version}, ${articles} articles, archives ${archives ? "on" : "off"}, s3rver at ${s3.endpoint}`);
  build("first build");
  build("unchanged rebuild");
  // The newest article: it is in the main feed and its tags' feeds.
  const file = join(content, "articles", `article-${String(articles - 1).padStart(6, "0")}.md`);
  await writeFile(file, (await readFile(file, "utf8")).replace(/^title: .*$/m, 'title: "Edited once"'));
  build("one article edited");
} finally {
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
}
