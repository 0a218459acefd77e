/**
 * A parse worker (parse-pool.ts): the same parseArticle and renderBody as the main thread, on
 * another core. It parses the chunks it is posted, reading the files' bytes from each chunk's
 * shared buffer, and posts the results without the Markdown text; it counts each chunk done in
 * the shared counters, which the main thread reads while it is busy reading and parsing. Then it
 * renders the bodies it is asked for, from the same bytes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { parseSite } from "../core/content.ts";
import { bodyOf, parseArticle, renderBody, type Article } from "../core/article.ts";
import { siteLabels } from "../core/labels.ts";
import { dropText, fileBytes, type FromWorker, type ToWorker, type WorkerSetup } from "./parse-pool.ts";

const setup = workerData as WorkerSetup;
const { site } = parseSite(setup.siteBytes);
const port = parentPort!;
if (!site) throw new Error("parse worker: site.yaml does not parse here, though it did on the main thread");
// From the same bytes as the main thread's: the same words around every body.
const labels = siteLabels(site);

port.on("message", (m: ToWorker) => {
  if (m.type === "parse") {
    const results = m.paths.map((path, i) => dropText(parseArticle(path, fileBytes(m.at, i), site, { keepBody: false })));
    port.postMessage({ type: "parsed", chunk: m.chunk, results } satisfies FromWorker);
    Atomics.add(setup.control, 2 * setup.slot + 1, 1);
    return;
  }
  const out = m.items.map(({ at, i, n, ...item }) => {
    const body = bodyOf(fileBytes(at, i));
    if (!body) return { n, issues: [{ file: item.file, field: "body", severity: "error" as const, message: "could not be read again" }] };
    const a = { ...item, ...body } as Article;
    const issues = renderBody(a, labels);
    return { n, html: a.contentHtml, issues };
  });
  port.postMessage({ type: "rendered", out } satisfies FromWorker);
});
Atomics.store(setup.control, 2 * setup.slot, 1); // up: the main thread may post chunks now
