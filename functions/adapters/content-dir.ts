/**
 * Reads a content directory: site.yaml and articles/*.md. Symbolic links are followed only
 * when they stay inside the content directory; oversized files are reported, not read.
 */
import { lstat, readFile, readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { SITE_FILE, type ContentFile } from "../core/content.ts";
import type { ContentIssue } from "../core/errors.ts";
import { LIMITS } from "../core/limits.ts";
import { mapLimit } from "./store.ts";

export interface ContentSource {
  readonly description: string;
  read(): Promise<{ files: ContentFile[]; issues: ContentIssue[] }>;
}

/** What every content source reads: site.yaml and the direct entries of articles/. */
export function isContentPath(path: string): boolean {
  return path === SITE_FILE || /^articles\/[^/]+$/.test(path);
}

/** A content file past its size limit is reported, not read (LIMITS). */
export function sizeProblem(path: string, size: number): string | undefined {
  const limit = path === SITE_FILE ? LIMITS.siteFileBytes : LIMITS.articleFileBytes;
  return size > limit ? `is ${size} bytes; at most ${limit} bytes are allowed` : undefined;
}

export function fileIssue(file: string, message: string): ContentIssue {
  return { file, field: "file", message, severity: "error" };
}

export class DirectoryContent implements ContentSource {
  readonly description: string;
  constructor(readonly root: string) {
    this.description = `directory ${root}`;
  }

  async read(): Promise<{ files: ContentFile[]; issues: ContentIssue[] }> {
    const issues: ContentIssue[] = [];
    const err = (file: string, message: string) => issues.push(fileIssue(file, message));
    let rootReal: string;
    try {
      rootReal = await realpath(this.root);
    } catch {
      err(".", `content directory ${this.root} does not exist`);
      return { files: [], issues };
    }
    const paths: string[] = [];
    try {
      await lstat(join(this.root, "site.yaml"));
      paths.push("site.yaml");
    } catch {
      /* reported as missing by the loader */
    }
    try {
      for (const name of await readdir(join(this.root, "articles"))) paths.push(`articles/${name}`);
    } catch {
      /* no articles yet */
    }
    const files = await mapLimit(paths.sort(), 32, async (path): Promise<ContentFile | undefined> => {
      const full = join(this.root, ...path.split("/"));
      // The real path of every file is checked, not only of links: `articles/` itself may be a
      // link to a folder elsewhere, and then its files are no links at all.
      const target = await realpath(full).catch(() => undefined);
      if (!target) {
        err(path, "is a symbolic link to nothing (its target does not exist): not read");
        return undefined;
      }
      const rel = relative(rootReal, target);
      if (!rel || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
        err(path, "is a symbolic link to a file outside the content directory: not read");
        return undefined;
      }
      const real = await stat(full).catch(() => undefined);
      if (!real?.isFile()) {
        if (path.endsWith(".md")) err(path, "is not a regular file");
        return undefined;
      }
      const tooBig = sizeProblem(path, real.size);
      if (tooBig) {
        err(path, tooBig);
        return undefined;
      }
      return { path, bytes: await readFile(full) };
    });
    return { files: files.filter((f): f is ContentFile => f !== undefined), issues };
  }
}
