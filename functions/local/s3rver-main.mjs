/**
 * Child-process entry for the local S3-compatible server (see ./s3.ts). Plain JavaScript so
 * it runs under `node --openssl-legacy-provider` with no loader: s3rver 3.7.1 encrypts
 * ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy provider
 * (../../../shared/notes/local-s3.md), so without the flag every truncated listing answers 500.
 *
 * Usage: node --openssl-legacy-provider s3rver-main.mjs --dir DIR [--port N] [--silent]
 * Prints one JSON line `{"ready":true,"port":N}` on stdout once listening on 127.0.0.1.
 * Exits on SIGTERM/SIGINT, and when its stdin closes, so it never outlives the parent that
 * spawned it with a stdin pipe.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { link, mkdir, rename, rm } from "node:fs/promises";
import { createHash, randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import S3rver from "s3rver";

// s3rver deletes the keys of one DeleteObjects request in parallel, and each then removes its
// directory if empty: when a request empties a directory (a removed tag's four feeds), one of
// them reads a directory another just removed, and the whole request answers 500 (the SDK's
// retry then succeeds). The files are unlinked before that cleanup, so ENOENT there means done.
const FilesystemStore = createRequire(import.meta.url)("s3rver/lib/stores/filesystem.js");
const deleteObject = FilesystemStore.prototype.deleteObject;
FilesystemStore.prototype.deleteObject = async function (bucket, key) {
  try {
    await deleteObject.call(this, bucket, key);
  } catch (err) {
    if (err?.code !== "ENOENT") throw err;
  }
};

// s3rver streams a PUT body straight into the object's file and never checks Content-MD5 or
// Content-Length: a client that dies mid-upload leaves half an object served under the old
// ETag, a body cut short in transit is stored with 200, and a GET during a PUT reads a part
// (all measured through test/support/fault-proxy.ts). S3 itself stores an object whole or not
// at all and answers BadDigest / IncompleteBody; this does the same: the body goes to a
// temporary file beside the buckets (a file in the root is not a bucket to s3rver), is checked
// against Content-Length and Content-MD5, and only then is renamed over the object. And s3rver
// ignores S3's conditional writes, which the API's build records rely on: `If-None-Match: *`
// (write only if no object is there) and `If-Match: <ETag>` (only over that object), answered
// 412 PreconditionFailed when they do not hold, and If-Match 404 NoSuchKey when no object is.
// The checked body is committed (moved into place, its ETag and metadata written) under a lock
// of its key, so that a condition is checked against the object as it is, not against one that a
// write of the same key is committing at the same moment; an If-None-Match body is linked to
// the object's path, which fails if a file is there.
const S3Error = createRequire(import.meta.url)("s3rver/lib/models/error.js");
const commits = new Map();
/** Runs `commit` once the commits of `path` before it have finished. */
async function exclusive(path, commit) {
  const before = commits.get(path) ?? Promise.resolve();
  const mine = before.then(commit);
  const tail = mine.catch(() => undefined);
  commits.set(path, tail);
  try {
    return await mine;
  } finally {
    if (commits.get(path) === tail) commits.delete(path);
  }
}
const unquoted = (etag) => etag.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
FilesystemStore.prototype.putObject = async function (object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, "object");
  const headers = Buffer.isBuffer(object.content) ? {} : (object.content.headers ?? {});
  const tmp = join(this.rootDirectory, `.put-${randomBytes(8).toString("hex")}`);
  const hash = createHash("md5");
  let size = 0;
  try {
    const count = new Transform({
      transform(chunk, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    await pipeline(source, count, createWriteStream(tmp));
    const declared = headers["content-length"];
    if (declared !== undefined && Number(declared) !== size) {
      throw new S3Error("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header");
    }
    const md5 = hash.digest();
    const expected = headers["content-md5"];
    if (expected !== undefined && expected !== md5.toString("base64")) {
      throw new S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.");
    }
    await mkdir(dirname(objectPath), { recursive: true });
    const failed = (condition) => new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { Condition: condition });
    await exclusive(objectPath, async () => {
      if (headers["if-none-match"] === "*") {
        await link(tmp, objectPath).catch((err) => {
          throw err?.code === "EEXIST" ? failed("If-None-Match") : err;
        });
      } else {
        if (headers["if-match"] !== undefined) {
          const current = await this.getMetadata(object.bucket, object.key).catch((err) => {
            if (err?.code !== "ENOENT") throw err;
            throw new S3Error("NoSuchKey", "The specified key does not exist.", { Key: object.key });
          });
          if (unquoted(current.etag) !== unquoted(headers["if-match"])) throw failed("If-Match");
        }
        await rename(tmp, objectPath);
      }
      await this.putMetadata(object.bucket, object.key, object.metadata, md5.toString("hex"));
    });
    return { size, md5: md5.toString("hex") };
  } finally {
    await rm(tmp, { force: true });
  }
};

const { values } = parseArgs({
  options: { dir: { type: "string" }, port: { type: "string", default: "0" }, silent: { type: "boolean", default: false } },
});
if (!values.dir) {
  process.stderr.write("s3rver-main: --dir DIR is required\n");
  process.exit(2);
}
mkdirSync(values.dir, { recursive: true });

const server = new S3rver({
  address: "127.0.0.1",
  port: Number(values.port),
  directory: values.dir,
  silent: values.silent,
  // Path-style only: `bucket.localhost` does not resolve here.
  vhostBuckets: false,
});
const { port } = await server.run();
// Node's default keep-alive timeout (5 s) is shorter than a build's rendering phase, so the
// client would reuse a socket the server had just closed: ECONNRESET, a retry, an extra request
// in the counts. Locally, idle connections are simply kept (0 = no timeout); close() still
// closes them.
server.httpServer.keepAliveTimeout = 0;
process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  server.close(() => process.exit(0));
  // Keep-alive sockets can hold close() open; the data is on disk already.
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
process.stdin.on("end", shutdown);
process.stdin.on("error", shutdown);
process.stdin.resume();
