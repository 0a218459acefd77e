/**
 * The `syndicate` command (CONTRACT.md "CLI"). Exit codes: 0 success, 1 invalid content or a
 * failed command, 2 wrong usage. Each command lives in functions/commands/<name>.ts and is
 * loaded only when run.
 */
import { UsageError } from "./commands/shared.ts";
import packageJson from "../package.json" with { type: "json" };

const USAGE = `Usage:
  syndicate validate [--content DIR] [--json]
  syndicate build [--content DIR] (--out DIR | --bucket NAME [--endpoint URL] [--region R] [--ping]) [--json] [--now ISO] [--no-cache] [--allow-empty]
  syndicate push --bucket NAME [--endpoint URL] [--region R] [--content DIR] [--prefix P] [--json]
  syndicate serve [--port 3000] [--host 127.0.0.1] [--content DIR] [--data DIR] [--log text|json] [--no-watch]   (local stack; npm start)

Options:
  --content DIR   content directory with site.yaml and articles/ (default: content)
  --out DIR       publish into a directory (atomic per file; manifest.json last)
  --bucket NAME   publish to (build) or upload content to (push) an S3 bucket; only changed objects are written
  --endpoint URL  an S3-compatible endpoint, e.g. the local s3rver at http://127.0.0.1:PORT
  --region R      the bucket's AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1)
  --prefix P      push: the key prefix of the content tree in the bucket
  --ping          build --bucket: notify the WebSub hub (site.yaml websub_hub) of the feeds that changed
  --json          machine-readable output
  --now ISO       the time to build at (default: now); future-dated articles wait
  --no-cache      build: ignore and do not update the build cache (.syndicate/ beside the outputs)
  --allow-empty   build: publish no articles even though the published feeds hold items (refused otherwise)
  --port, --host  serve: where the local stack listens (default 127.0.0.1:3000; --port 0 picks a free port)
  --data DIR      serve: where the local stack keeps its S3 store (default .data)
  --log FORMAT    serve: one build log line per build, as text or json
  --no-watch      serve: do not rebuild when content changes
  -h, --help      this text
  --version       the version of syndicate
`;

/** The usage of one command (its line above), for a usage error: the error stays in sight. */
function commandUsage(command: string): string {
  const line = USAGE.split("\n").find((l) => l.startsWith(`  syndicate ${command} `));
  return line ? `Usage: ${line.trim()}\n(syndicate --help describes every option)\n` : USAGE;
}


type Command = (args: string[]) => Promise<number>;
const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  validate: () => import("./commands/validate.ts"),
  build: () => import("./commands/build.ts"),
  push: () => import("./commands/push.ts"),
  serve: () => import("./commands/serve.ts"),
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    // Asked for: on stdout, exit 0. No command at all is a usage error: on stderr, exit 2.
    (command ? process.stdout : process.stderr).write(USAGE);
    return command ? 0 : 2;
  }
  if (command === "--version" || command === "-v" || command === "version") {
    process.stdout.write(`syndicate ${packageJson.version}\n`);
    return 0;
  }
  const load = COMMANDS[command];
  // `syndicate build --help`: the usage, as for `syndicate --help`, not an unknown option.
  if (load && (args.includes("--help") || args.includes("-h"))) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    if (!load) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    return await (await load()).default(args);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`syndicate: ${(err as Error).message}\n\n${load ? commandUsage(command) : USAGE}`);
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
