import { parseArgs } from "node:util";
import { DirectoryContent } from "../adapters/content-dir.ts";
import { DirectoryStore } from "../adapters/dir-store.ts";
import { formatRequests, type ObjectStore } from "../adapters/store.ts";
import { build, type BuildReport } from "../pipeline/build.ts";
import { pingAfterPublish } from "../pipeline/websub.ts";
import { ContentError, RenderCheckError, PublishError, formatIssue, type ContentIssue } from "../core/errors.ts";
import { contentOption, displayIssue, endpointOption, fail, outProblem, printIssues, progress } from "./shared.ts";
import { parseContentDate } from "../core/dates.ts";
import { interruptGuard } from "./interrupt.ts";

function summary(report: BuildReport, target: string): string {
  const extra = [
    report.drafts ? `${report.drafts} draft${report.drafts === 1 ? "" : "s"} left out` : "",
    report.scheduled ? `${report.scheduled} scheduled (next ${report.next_publication})` : "",
  ].filter(Boolean);
  const d = report.documents;
  return (
    `Built ${report.items} item${report.items === 1 ? "" : "s"}${extra.length ? ` (${extra.join(", ")})` : ""} into ${target}\n` +
    `  documents: ${d.total} in all, ${d.written} written, ${d.unchanged} unchanged, ${d.deleted} deleted\n` +
    (report.requests ? `  requests: ${formatRequests(report.requests)}\n` : "") +
    `  cache: ${report.cache.state}, ${report.cache.reused} articles reused (${report.cache.unread} not read), ${report.cache.parsed} parsed, ${d.rendered} documents rendered` +
    (report.cache.savedAs ? `, stored ${report.cache.savedAs === "delta" ? "as a delta" : "whole"}` : "") +
    (report.cache.saveError ? `; not stored: ${report.cache.saveError}` : "") +
    "\n" +
    `  build ${report.build_id} in ${report.duration_ms} ms\n`
  );
}

export default async function cmdBuild(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      content: { type: "string", default: "content" },
      out: { type: "string" },
      bucket: { type: "string" },
      endpoint: { type: "string" },
      region: { type: "string" },
      json: { type: "boolean", default: false },
      now: { type: "string" },
      ping: { type: "boolean", default: false },
      "no-cache": { type: "boolean", default: false },
      "allow-empty": { type: "boolean", default: false },
    },
  });
  if (!values.out === !values.bucket) fail("build needs exactly one of --out DIR or --bucket NAME");
  if (values.endpoint && !values.bucket) fail("--endpoint URL goes with --bucket NAME");
  if (values.region && !values.bucket) fail("--region R goes with --bucket NAME");
  if (values.ping && !values.bucket) fail("--ping goes with --bucket NAME: the hub fetches the feeds from where they are served");
  contentOption(values.content);
  endpointOption(values.endpoint);
  // As strict as an article's date (Date.parse would take "1" as 2001 and publish empty feeds).
  const at = values.now === undefined ? undefined : parseContentDate(values.now, "UTC");
  if (at && !at.ok) fail(`--now: ${at.message} (a date-time without a zone is read as UTC)`);
  const now = at?.ok ? at.ms : Date.now();
  // The AWS SDK (~90 ms to load) only for a bucket: a build into a directory never needs it.
  const store: ObjectStore = values.out
    ? new DirectoryStore(values.out)
    : (await import("../adapters/s3-store.ts")).storeForBucket(values.bucket!, values.endpoint, values.region);
  // Not on a terminal that cannot move the cursor back (TERM=dumb: an editor's shell buffer).
  const bar = progress(!values.json && process.stderr.isTTY === true && process.env.TERM !== "dumb");
  // Ctrl-C while publishing finishes the publish first: the output is never left a mix (interrupt.ts).
  const guard = interruptGuard(store.description, {
    beforeSay: bar.end,
    onStop: values.json ? (message) => process.stdout.write(`${JSON.stringify({ ok: false, error: { name: "Interrupted", message } }, null, 2)}\n`) : undefined,
  });
  const onPhase = (name: string) => {
    guard.phase(name);
    bar.phase(name);
  };
  try {
    // Where the output cannot go: told as a failed build (exit 1, JSON with --json), before the lease's own error.
    const outWrong = values.out === undefined ? undefined : await outProblem(values.out, values.content);
    if (outWrong) throw new PublishError(`${outWrong}; nothing was written`);
    const report = await build({ source: new DirectoryContent(values.content), store, now, cache: !values["no-cache"], allowEmpty: values["allow-empty"], onPhase, onProgress: bar.count });
    guard.dispose();
    bar.end();
    if (values.ping) await pingAfterPublish(store, report.written, { log: (line) => process.stderr.write(`${line}\n`) });
    if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, ...report, warnings: report.warnings.map((w) => displayIssue(values.content, w)) }, null, 2)}\n`);
    else {
      for (const w of report.warnings) process.stderr.write(`${formatIssue(displayIssue(values.content, w))}\n`);
      process.stdout.write(summary(report, store.description));
    }
    return 0;
  } catch (err) {
    bar.end();
    // With --json, every failure is one object on stdout: {ok: false, error: {name, message}},
    // and for invalid content its issues too (README "CLI").
    const json = (error: { name: string; message: string }, issues?: ContentIssue[]) =>
      process.stdout.write(`${JSON.stringify({ ok: false, error, ...(issues && { issues: issues.map((i) => displayIssue(values.content, i)) }) }, null, 2)}\n`);
    if (err instanceof ContentError) {
      if (values.json) json({ name: err.name, message: `invalid content; ${store.description} was left as it was` }, err.issues);
      else {
        printIssues(values.content, err.issues, false);
        process.stderr.write(`Build stopped: invalid content; ${store.description} was left as it was.\n`);
      }
      return 1;
    }
    if (err instanceof RenderCheckError || err instanceof PublishError) {
      if (values.json) json({ name: err.name, message: err.message });
      else process.stderr.write(`Build failed: ${err.message}\n`);
      return 1;
    }
    // The unforeseen: its stack on stderr (as the CLI's own handler writes it), told before a
    // stop asked while publishing ends the process (the finally below).
    if (values.json) json({ name: "Error", message: (err as Error).message ?? String(err) });
    process.stderr.write(`syndicate: ${(err as Error).stack ?? err}\n`);
    return 1;
  } finally {
    guard.dispose();
  }
}

