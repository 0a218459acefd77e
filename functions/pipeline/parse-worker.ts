/**
 * A parse worker (parse-pool.ts): the same parseArticle and renderBody as the main thread, on
 * another core. It reads the files' bytes from the shared buffer the pool filled, claims chunks
 * of files from a shared counter until none are left, and posts each chunk's parse results
 * without the Markdown (the pool gets a body again from the same bytes when it is needed).
 * Then it renders the bodies it is asked for.
 */
import { parentPort, workerData } from "node:worker_threads";
import { parseSite } from "../core/content.ts";
import { bodyOf, parseArticle, renderBody, type Article } from "../core/article.ts";
import type { PoolData, RenderItem, WorkerMessage } from "./parse-pool.ts";

const data = workerData as PoolData;
const { site } = parseSite(data.siteBytes);
const port = parentPort!;
const bytesOf = (i: number) => new Uint8Array(data.bytes, data.offsets[2 * i]!, data.offsets[2 * i + 1]!);
const chunks = Math.ceil(data.paths.length / data.chunk);

if (!site) throw new Error("parse worker: site.yaml does not parse here, though it did on the main thread");
for (let k = Atomics.add(data.counter, 0, 1); k < chunks; k = Atomics.add(data.counter, 0, 1)) {
  const results = [];
  for (let i = k * data.chunk; i < Math.min(data.paths.length, (k + 1) * data.chunk); i++) {
    const r = parseArticle(data.paths[i]!, bytesOf(i), site);
    if (r.article) r.article.markdown = "";
    results.push(r);
  }
  port.postMessage({ type: "parsed", chunk: k, results } satisfies WorkerMessage);
}
port.postMessage({ type: "idle" } satisfies WorkerMessage);

port.on("message", (m: { type: "render"; items: RenderItem[] }) => {
  const out = m.items.map(({ index, ...item }) => {
    const body = bodyOf(bytesOf(index));
    if (!body) return { index, issue: { file: item.file, field: "body", severity: "error" as const, message: "could not be read again" } };
    const a = { ...item, ...body } as Article;
    const issue = renderBody(a);
    return issue ? { index, issue } : { index, html: a.contentHtml! };
  });
  port.postMessage({ type: "rendered", out } satisfies WorkerMessage);
});
