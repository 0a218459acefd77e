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
import { mkdirSync } from "node:fs";
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
