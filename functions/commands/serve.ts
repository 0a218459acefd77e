/**
 * `syndicate serve [--port 3000] [--content DIR] [--data DIR] [--log text|json]` (also `npm start`):
 * the whole system on one machine (functions/local/stack.ts, docs/api.md). Ctrl-C or SIGTERM
 * stops everything it started.
 */
import { parseArgs } from "node:util";
import { startLocalStack } from "../local/stack.ts";
import { formatBuildLog } from "../pipeline/log.ts";
import type { BuildReport } from "../pipeline/build.ts";
import type { BuildRun } from "../pipeline/coalesce.ts";
import { contentOption, displayIssue, fail } from "./shared.ts";
import { formatIssue } from "../core/errors.ts";
import { webhookSecretFrom, webhookSecretProblem } from "../handlers/webhook.ts";

/** Signals this soon after the first are the same stop request, delivered twice. */
const REPEAT_SIGNAL_MS = 1_000;
const out = (line: string) => process.stdout.write(`${line}\n`);

/**
 * A build as the terminal shows it. A published build's warnings (what `validate` would say: a
 * date without a zone, an unknown key) follow it whenever they differ from the last published
 * build's, so that an editor sees what the save just made wrong or right; unchanged, they are
 * counted.
 */
export function describeBuild(run: BuildRun<BuildReport>, ms: number, contentDir: string, told: { warnings?: string }): string {
  const triggers = [...new Set(run.requests.map((r) => r.trigger))].join(",");
  const r = run.result;
  if (!r) {
    const err = run.error as Error | undefined;
    if (err?.name === "BuildStoppedError") return `build ${run.id} (${triggers}) ${err.message}`;
    return `build ${run.id} (${triggers}) failed after ${ms} ms; the published documents are unchanged:\n  ${String(err?.message ?? run.error).replaceAll("\n", "\n  ")}`;
  }
  const d = r.documents;
  const line = `build ${run.id} (${triggers}): ${r.items} items; ${d.written} written, ${d.unchanged} unchanged, ${d.deleted} deleted; ${ms} ms`;
  const warnings = r.warnings.map((w) => formatIssue(displayIssue(contentDir, w)));
  const now = warnings.join("\n");
  const changed = now !== (told.warnings ?? "");
  told.warnings = now;
  if (!warnings.length) return changed ? `${line}; no warnings now` : line;
  const count = `${warnings.length} warning${warnings.length === 1 ? "" : "s"}`;
  if (!changed) return `${line}; ${count}, as before`;
  const shown = warnings.slice(0, SHOWN_WARNINGS);
  if (warnings.length > shown.length) shown.push(`… and ${warnings.length - shown.length} more: syndicate validate --content ${contentDir} lists them all`);
  return `${line}; ${count}:\n  ${shown.join("\n  ")}`;
}

/** Most warnings shown after a build. */
const SHOWN_WARNINGS = 20;

export default async function cmdServe(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string", default: "3000" },
      host: { type: "string", default: "127.0.0.1" },
      content: { type: "string", default: "content" },
      data: { type: "string", default: ".data" },
      log: { type: "string", default: "text" },
      "no-watch": { type: "boolean", default: false },
    },
  });
  if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) fail(`--port ${values.port} is not a port number`);
  if (values.log !== "text" && values.log !== "json") fail("--log is text or json");
  contentOption(values.content);
  const secret = webhookSecretFrom(process.env.WEBHOOK_SECRET);
  const secretProblem = secret === undefined ? undefined : webhookSecretProblem(secret);
  if (secretProblem) {
    // A setting, not the command line: the reason alone, without the usage text.
    process.stderr.write(`syndicate serve: WEBHOOK_SECRET cannot be used: ${secretProblem}\n`);
    return 2;
  }
  let stack;
  const told: { warnings?: string } = {};
  try {
    stack = await startLocalStack({
    contentDir: values.content,
    dataDir: values.data,
    port: Number(values.port),
    host: values.host,
    webhookSecret: secret,
    watch: !values["no-watch"],
    onBuild: (run, ms) => {
      const trigger = [...new Set(run.requests.map((r) => r.trigger))].join(",");
      if (values.log === "json") process.stdout.write(formatBuildLog({ id: run.id, trigger, requests: run.requests.length, duration_ms: ms, report: run.result, error: run.error }));
      else out(describeBuild(run, ms, values.content, told));
    },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    process.stderr.write(`syndicate serve: port ${values.port} on ${values.host} is in use; choose another with --port N\n`);
    return 1;
  }
  const u = stack.url;
  await stack.firstBuild;
  out(`Syndicate local stack at ${u} (pid ${process.pid})`);
  out(`  API        ${u}/latest   ${u}/health   ${u}/openapi.json   ${u}/builds/<id>`);
  out(`  feeds      ${u}/feed.xml   ${u}/atom.xml   ${u}/feed.json   (tags: ${u}/tags/<slug>/feed.xml)`);
  out(`  S3 store   ${stack.s3.endpoint} (s3rver pid ${stack.s3.pid}; data in ${values.data}/s3; buckets syndicate-feeds, syndicate-content)`);
  if (secret) out(`  webhook    POST ${u}/webhooks/rebuild (signed with WEBHOOK_SECRET)`);
  else out(`  webhook    off: set a secret to enable POST /webhooks/rebuild, e.g.\n             WEBHOOK_SECRET=$(openssl rand -hex 32) npm start`);
  out(stack.watching ? `  watching   ${values.content}/ (rebuilds on change)` : `  watching   off`);
  out("Press Ctrl-C to stop.");

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    let first: number | undefined;
    const onSignal = (sig: NodeJS.Signals) => {
      // A terminal signals the whole process group and tsx relays it too: the same Ctrl-C can
      // arrive twice. A later one, while stopping takes long, forces the exit.
      if (first === undefined) {
        first = Date.now();
        resolve(sig);
      } else if (Date.now() - first > REPEAT_SIGNAL_MS) process.exit(130);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  out(`${signal}: stopping…`);
  await stack.stop();
  out("stopped");
  return 0;
}
