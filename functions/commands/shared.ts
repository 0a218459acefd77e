/** What the commands share: usage errors, and issues printed the way editors read them. */
import { isAbsolute, join, relative } from "node:path";
import { formatIssue, type ContentIssue } from "../core/errors.ts";

export class UsageError extends Error {}

export function fail(message: string): never {
  throw new UsageError(message);
}

/** --content as given, refused when empty (`--content ""`: no folder at all). */
export function contentOption(dir: string): string {
  if (dir.trim() === "") fail("--content needs a folder (the one that holds site.yaml and articles/)");
  return dir;
}

/** Paths as the user can open them: from the content folder as given (relative to the working
 * directory, or absolute when it was given so), not the content root. */
export function displayIssue(contentDir: string, issue: ContentIssue): ContentIssue {
  const shown = (file: string) => (isAbsolute(contentDir) ? join(contentDir, file) : relative(process.cwd(), join(contentDir, file)) || file);
  if (!issue.other) return { ...issue, file: shown(issue.file) };
  const other = { ...issue.other, file: shown(issue.other.file) };
  return { ...issue, file: shown(issue.file), other, message: issue.message.replace(issue.other.file, other.file) };
}

export function printIssues(contentDir: string, issues: ContentIssue[], json: boolean): void {
  const shown = issues.map((i) => displayIssue(contentDir, i));
  if (json) process.stdout.write(`${JSON.stringify({ ok: !shown.some((i) => i.severity === "error"), issues: shown }, null, 2)}\n`);
  else for (const i of shown) (i.severity === "error" ? process.stdout : process.stderr).write(`${formatIssue(i)}\n`);
}

export function progress(enabled: boolean) {
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

