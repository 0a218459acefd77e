/**
 * The `syndicate` command (CONTRACT.md "CLI"). Exit codes: 0 success, 1 invalid content or a
 * failed build, 2 wrong usage.
 */
import { parseArgs } from "node:util";
import { join, relative } from "node:path";
import { DirectoryContent } from "./adapters/content-dir.ts";
import { DirectoryStore } from "./adapters/dir-store.ts";
import { build, validate, type BuildReport } from "./pipeline/build.ts";
import { ContentError, RenderCheckError, PublishError, formatIssue, type ContentIssue } from "./core/errors.ts";

const USAGE = `Usage:
  syndicate validate [--content DIR] [--json]
  syndicate build [--content DIR] (--out DIR | --bucket NAME [--endpoint URL]) [--json] [--now ISO]

Options:
  --content DIR   content directory with site.yaml and articles/ (default: content)
  --out DIR       publish into a directory (atomic per file; manifest.json last)
  --json          machine-readable output
  --now ISO       the time to build at (default: now); future-dated articles wait
`;

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

function displayIssue(contentDir: string, issue: ContentIssue): ContentIssue {
  return { ...issue, file: relative(process.cwd(), join(contentDir, issue.file)) || issue.file };
}

function printIssues(contentDir: string, issues: ContentIssue[], json: boolean): void {
  const shown = issues.map((i) => displayIssue(contentDir, i));
  if (json) process.stdout.write(`${JSON.stringify({ ok: !shown.some((i) => i.severity === "error"), issues: shown }, null, 2)}\n`);
  else for (const i of shown) (i.severity === "error" ? process.stdout : process.stderr).write(`${formatIssue(i)}\n`);
}

async function cmdValidate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { content: { type: "string", default: "content" }, json: { type: "boolean", default: false } } });
  const result = await validate(new DirectoryContent(values.content));
  printIssues(values.content, result.issues, values.json);
  if (!values.json) {
    const errors = result.issues.filter((i) => i.severity === "error").length;
    process.stderr.write(errors ? `${errors} error${errors === 1 ? "" : "s"} in ${values.content}\n` : `${result.articles} articles valid\n`);
  }
  return result.ok ? 0 : 1;
}

function progress(enabled: boolean) {
  let last = "";
  return {
    phase: (p: string) => {
      if (enabled) process.stderr.write(`\r\x1b[K${(last = p)}…`);
    },
    count: (done: number, total: number) => {
      if (enabled && (done === total || done % 25 === 0)) process.stderr.write(`\r\x1b[K${last} ${done}/${total}`);
    },
    end: () => {
      if (enabled) process.stderr.write("\r\x1b[K");
    },
  };
}

function summary(report: BuildReport, target: string): string {
  const extra = [
    report.drafts ? `${report.drafts} draft${report.drafts === 1 ? "" : "s"} left out` : "",
    report.scheduled ? `${report.scheduled} scheduled (next ${report.next_publication})` : "",
  ].filter(Boolean);
  const d = report.documents;
  return (
    `Built ${report.items} item${report.items === 1 ? "" : "s"}${extra.length ? ` (${extra.join(", ")})` : ""} into ${target}\n` +
    `  documents: ${d.total} in all, ${d.written} written, ${d.unchanged} unchanged, ${d.deleted} deleted\n` +
    `  build ${report.build_id} in ${report.duration_ms} ms\n`
  );
}

async function cmdBuild(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      content: { type: "string", default: "content" },
      out: { type: "string" },
      bucket: { type: "string" },
      endpoint: { type: "string" },
      json: { type: "boolean", default: false },
      now: { type: "string" },
    },
  });
  if (!values.out === !values.bucket) fail("build needs exactly one of --out DIR or --bucket NAME");
  const now = values.now ? Date.parse(values.now) : Date.now();
  if (Number.isNaN(now)) fail(`--now ${values.now} is not a date-time`);
  let store;
  if (values.out) store = new DirectoryStore(values.out);
  else fail("--bucket: publishing to S3 is not available in this version; use --out DIR");
  const bar = progress(!values.json && process.stderr.isTTY === true);
  try {
    const report = await build({ source: new DirectoryContent(values.content), store, now, onPhase: bar.phase, onProgress: bar.count });
    bar.end();
    if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, ...report, warnings: report.warnings.map((w) => displayIssue(values.content, w)) }, null, 2)}\n`);
    else {
      for (const w of report.warnings) process.stderr.write(`${formatIssue(displayIssue(values.content, w))}\n`);
      process.stdout.write(summary(report, store.description));
    }
    return 0;
  } catch (err) {
    bar.end();
    if (err instanceof ContentError) {
      printIssues(values.content, err.issues, values.json);
      if (!values.json) process.stderr.write(`Build stopped: invalid content; ${store.description} was left as it was.\n`);
      return 1;
    }
    if (err instanceof RenderCheckError || err instanceof PublishError) {
      if (values.json) process.stdout.write(`${JSON.stringify({ ok: false, error: { name: err.name, message: err.message } }, null, 2)}\n`);
      else process.stderr.write(`Build failed: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = { validate: cmdValidate, build: cmdBuild };

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  try {
    if (!run) fail(`unknown command ${JSON.stringify(command)}`);
    return await run(args);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`syndicate: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`syndicate: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] && /cli\.(ts|js)$|syndicate(\.js)?$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
