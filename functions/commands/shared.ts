/** What the commands share: usage errors, options checked, and issues printed the way editors read them. */
import { access, realpath, stat } from "node:fs/promises";
import { constants } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { formatIssue, type ContentIssue } from "../core/errors.ts";

export class UsageError extends Error {}

export function fail(message: string): never {
  throw new UsageError(message);
}

/**
 * Why `--out DIR` cannot take the build, or undefined: inside the content folder (the outputs
 * would be read as content), a file, or in a folder that cannot be written. Paths are compared
 * as the file system resolves them (symbolic links followed), for the part of `--out` that exists.
 */
export async function outProblem(out: string, content: string): Promise<string | undefined> {
  // The nearest folder of --out that exists: where the output's folders would be made.
  let existing = resolve(out);
  let rest = "";
  for (;;) {
    const st = await stat(existing).catch(() => undefined);
    if (st) {
      if (!st.isDirectory()) return existing === resolve(out) ? `--out ${out} is a file, not a folder` : `--out ${out}: ${existing} is a file, not a folder`;
      break;
    }
    if (dirname(existing) === existing) break;
    rest = join(basename(existing), rest);
    existing = dirname(existing);
  }
  const real = async (path: string) => realpath(path).catch(() => resolve(path));
  const inside = relative(await real(content), join(await real(existing), rest));
  if (inside === "") return `--out ${out} is the content folder itself: the outputs would be read as content; choose a folder outside it`;
  if (inside !== ".." && !inside.startsWith(`..${sep}`) && !isAbsolute(inside)) return `--out ${out} is inside the content folder ${content}: the outputs would be read as content; choose a folder outside it`;
  const writable = await access(existing, constants.W_OK | constants.X_OK).then(() => true, () => false);
  return writable ? undefined : `--out ${out}: ${existing} cannot be written (permission denied)`;
}

/** --endpoint as given: an http(s) URL, or a usage error. */
export function endpointOption(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) fail(`--endpoint ${endpoint} is not an http(s) URL, like http://127.0.0.1:4569`);
  return endpoint;
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

