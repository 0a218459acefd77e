/** One problem found in the content, addressed the way an editor finds it: file, line, field. */
export interface ContentIssue {
  /** Path relative to the content directory, e.g. `articles/x.md`. */
  file: string;
  /** 1-based line in that file, where known. */
  line?: number;
  /** Dotted field path, e.g. `image.url`; `body` for the Markdown, `file` for the file itself. */
  field: string;
  message: string;
  severity: "error" | "warning";
  /** The other file of a conflict (a duplicate slug or id); its path also appears in `message`. */
  other?: { file: string; line?: number };
}

/**
 * `articles/x.md:12: image.url: must be an absolute http(s) URL`: one line, always (an issue per
 * line is the contract's output), whatever line breaks a quoted value or a file name held.
 */
export function formatIssue(issue: ContentIssue): string {
  const where = issue.line ? `${issue.file}:${issue.line}` : issue.file;
  const prefix = issue.severity === "warning" ? "warning: " : "";
  return `${where}: ${prefix}${issue.field}: ${issue.message}`.replace(/[\r\n\u2028\u2029]+/g, " ");
}

/** Invalid content: carries every issue found, so one run reports them all. */
export class ContentError extends Error {
  override readonly name = "ContentError";
  constructor(
    readonly issues: ContentIssue[],
    options?: { cause?: unknown },
  ) {
    const errors = issues.filter((i) => i.severity === "error");
    super(
      `${errors.length} content error${errors.length === 1 ? "" : "s"}:\n` +
        errors.map(formatIssue).join("\n"),
      options,
    );
  }
}

/** A rendered document failed its check gate: names the document and, where known, the item. */
export class RenderCheckError extends Error {
  override readonly name = "RenderCheckError";
  constructor(
    readonly document: string,
    readonly detail: string,
    readonly itemId?: string,
    options?: { cause?: unknown },
  ) {
    super(`${document}${itemId ? ` (item ${itemId})` : ""}: ${detail}`, options);
  }
}

/** Writing or reading published output failed (I/O, S3). Previously published output is intact. */
export class PublishError extends Error {
  override readonly name = "PublishError";
  /** The build whose manifest was written before the failure: its outputs are live (only the cleanup after it failed). */
  readonly committed?: string;
  constructor(message: string, options?: { cause?: unknown; committed?: string }) {
    super(message, options);
    if (options?.committed !== undefined) this.committed = options.committed;
  }
}
