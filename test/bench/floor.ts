/**
 * The I/O floor of one build, in a fresh process of its own: node reading every content file and
 * writing the same number of bytes in the same number of files, nothing else. A module of its
 * own, bundled apart from test/bench/child.ts, so that the floor does not load (compile and
 * evaluate) the pipeline's code. Arguments: `<content> <out> <bytes> <files>`. Prints one JSON line.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [content, out, bytesArg, filesArg] = process.argv.slice(2);
const t0 = performance.now();
// The fastest way node reads and writes many small files: synchronous calls (the content source
// reads the same way).
const names = readdirSync(join(content!, "articles")).map((n) => join(content!, "articles", n));
let read = readFileSync(join(content!, "site.yaml")).byteLength;
for (const p of names) read += readFileSync(p).byteLength;
const files = Number(filesArg), bytes = Number(bytesArg);
const chunk = Buffer.alloc(Math.ceil(bytes / files), 120);
mkdirSync(out!, { recursive: true });
for (let i = 0; i < files; i++) writeFileSync(join(out!, `f${i}`), chunk);
const ms = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ mode: "floor", ms, max_rss_mib: process.resourceUsage().maxRSS / 1024, read_bytes: read, written_bytes: chunk.byteLength * files })}\n`);
