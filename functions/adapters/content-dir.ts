/**
 * Reads a content directory: site.yaml and articles/*.md. Symbolic links are followed only
 * when they stay inside the content directory; oversized files are reported, not read.
 */
import { closeSync, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import { isArticlePath, isSourcePath, SITE_FILE, type ContentFile } from "../core/content.ts";
import type { ContentIssue } from "../core/errors.ts";
import { LIMITS } from "../core/limits.ts";
import { ReadAhead } from "./read-ahead.ts";

export interface ReadOptions {
  /** Called with each file's cheap change marker (a directory's stat, a bucket's ETag): true
   * means the caller already knows this version of the file, so it is not read. */
  skip?: (path: string, fingerprint: string) => boolean;
  /** Read only these paths (a second pass for files skipped before). */
  only?: ReadonlySet<string>;
  /** Called with each file as soon as it is read; true means the caller took it over, and it is
   * left out of `files` (so a large tree is never all in memory). site.yaml is read first. */
  onFile?: (file: ContentFile) => boolean;
  /** Where to read a file of `size` bytes (the parse pool's shared buffer: ParsePool.space), if
   * the caller has room for it; otherwise the file gets a buffer of its own. The room is the
   * caller's to reuse: a caller that gives it must, in `onFile`, take over each file read into it
   * or let its bytes go. Sources that do not read files themselves (a bucket's) ignore it. */
  into?: (path: string, size: number) => Uint8Array | undefined;
}

export interface ContentRead {
  files: ContentFile[];
  issues: ContentIssue[];
  /** The source itself could not be read (no such folder): its issue says so, and nothing
   * else (a missing site.yaml, say) is worth reporting. */
  unreadable?: boolean;
  /** Files `skip` said were known: not read. */
  unchanged: { path: string; fingerprint: string }[];
}

export interface ContentSource {
  readonly description: string;
  /** True when reading a file again is a read on this machine (a directory), not a request to a
   * service: a build then lets go of bytes it can read again cheaply (cached-load.ts). */
  readonly local?: boolean;
  read(options?: ReadOptions): Promise<ContentRead>;
}

/** A directory file's change marker: inode, size, modification and change times. */
function statFingerprint(s: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): string {
  return `stat:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/**
 * How recent a file's times may be for its change marker to be trusted by the next build. A file
 * written again within one tick of its file system's clock, at the same size, keeps its times
 * (Linux stamps files from a clock that ticks every few milliseconds; FAT every 2 s): read by a
 * build within that tick of its last write, its marker could match a later version of it. Such
 * a file gets no marker (git's "racily clean" files), so the next build reads it and compares
 * its bytes' hash instead; that build, later, records one.
 */
export const RACY_MS = 2_000;

/** The change marker a build may record for a file read at `now`, or undefined when it is too recent to trust. */
function trustedFingerprint(s: { ino: number; size: number; mtimeMs: number; ctimeMs: number }, now: number): string | undefined {
  return Math.max(s.mtimeMs, s.ctimeMs) > now - RACY_MS ? undefined : statFingerprint(s);
}

/**
 * What every content source reads: site.yaml and the direct entries of articles/, except hidden
 * ones (a name starting with "."): editors' lock files (Emacs's `.#name.md`, a link to nothing),
 * macOS's `._name.md`, swap and backup files. A directory warns of each hidden `.md` file.
 */
export function isContentPath(path: string): boolean {
  return path === SITE_FILE || /^articles\/[^/.][^/]*$/.test(path);
}

const ARTICLES_PREFIX = "articles/";

/** A file whose problems are told (site.yaml, an article); any other in articles/ is ignored with a warning (content.ts). */
const reported = isSourcePath;

/**
 * Why a Markdown file that is not read would have been meant as an article, or undefined: a file
 * outside articles/ (`content/geneva.md`) or in a folder inside it (`articles/2020/geneva.md`),
 * which no source reads, published nothing and said nothing. (A file in articles/ with another
 * extension is told by content.ts.) Both content sources tell it, the directory and the bucket.
 */
export function misplacedArticle(path: string): string | undefined {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (!/\.(?:md|markdown|mdx)$/i.test(name) || name.startsWith(".") || path.startsWith(".")) return undefined;
  if (!path.startsWith(ARTICLES_PREFIX)) {
    if (/^readme\b/i.test(name) && !path.includes("/")) return undefined; // the folder's own notes
    return `is not read: articles are read from articles/<slug>.md only; move it to articles/${name.replace(/\.(?:markdown|mdx)$/i, ".md")} to publish it`;
  }
  // articles/<name> itself is read (or told by content.ts when not .md); a folder inside is not.
  return path.indexOf("/", ARTICLES_PREFIX.length) === -1 ? undefined : `is in a folder inside articles/, which is not read: move it to articles/${name} to publish it`;
}

/** Files of one misplaced folder told one by one; the rest are counted. */
const MISPLACED_TOLD = 20;

/** The warning for a hidden `.md` file in articles/, which is not read. */
const HIDDEN_FILE = "is a hidden file (its name starts with '.', as editors' lock and backup files do): not read";

/** A content file past its size limit is reported, not read (LIMITS). */
/** The most bytes a content file may have. */
export const sizeLimit = (path: string): number => (path === SITE_FILE ? LIMITS.siteFileBytes : LIMITS.articleFileBytes);

export function sizeProblem(path: string, size: number): string | undefined {
  const limit = sizeLimit(path);
  return size > limit ? `is ${size} bytes; at most ${limit} bytes are allowed` : undefined;
}

/** `articles/x.md/`: a folder named as an article. */
const FOLDER_NOT_ARTICLE = "is a folder, not a file: an article is one Markdown file in articles/";

/** `site.yml`, `Site.yaml` beside the content: read by no one (the settings are site.yaml). */
function misnamedSettings(name: string): string | undefined {
  return name !== SITE_FILE && /^site\.ya?ml$/i.test(name) ? `is not read: the settings file is named ${SITE_FILE} (rename it)` : undefined;
}

export function fileIssue(file: string, message: string): ContentIssue {
  return { file, field: "file", message, severity: "error" };
}

/**
 * The first `size` bytes of an open file (fewer if it shrank since its fstat), as readFileSync
 * reads a regular file, without the second fstat readFileSync makes (~3 µs of every file).
 */
function readOpen(fd: number, size: number, into?: Uint8Array): Uint8Array {
  const bytes = into ?? Buffer.allocUnsafe(size);
  let got = 0;
  for (let n; got < size && (n = readSync(fd, bytes, got, size - got, null)) > 0; ) got += n;
  return got === size ? bytes : bytes.subarray(0, got);
}

/** A synchronous file-system call's result, or undefined when it throws (missing, no access, a loop). */
function attempt<T>(call: () => T): T | undefined {
  try {
    return call();
  } catch {
    return undefined;
  }
}

export class DirectoryContent implements ContentSource {
  readonly description: string;
  readonly local = true;
  /** `clock`: the time a read starts, for RACY_MS (tests read files as if written long before). */
  constructor(
    readonly root: string,
    private readonly clock: () => number = Date.now,
    /** Files in a read from which a reader thread reads them ahead (read-ahead.ts READ_AHEAD_MIN). */
    private readonly readAheadMin?: number,
  ) {
    this.description = `directory ${root}`;
  }

  /** The Markdown files in a folder inside articles/, which are not read: each told, up to MISPLACED_TOLD. */
  private async tellMisplaced(folder: string, issues: ContentIssue[]): Promise<void> {
    const names = await readdir(join(this.root, ...folder.split("/")), { recursive: true }).catch(() => [] as string[]);
    const told = names.map((n) => `${folder}/${n.split(sep).join("/")}`).filter((p) => misplacedArticle(p)).sort();
    for (const p of told.slice(0, MISPLACED_TOLD)) issues.push({ file: p, field: "file", severity: "warning", message: misplacedArticle(p)! });
    if (told.length > MISPLACED_TOLD) issues.push({ file: `${folder}/`, field: "file", severity: "warning", message: `and ${told.length - MISPLACED_TOLD} more Markdown files in this folder are not read` });
  }

  async read(options: ReadOptions = {}): Promise<ContentRead> {
    // Before anything is listed: a file changed after this may not get a trusted marker (RACY_MS).
    const now = this.clock();
    const issues: ContentIssue[] = [];
    const unchanged: ContentRead["unchanged"] = [];
    const err = (file: string, message: string) => issues.push(fileIssue(file, message));
    let rootReal: string;
    try {
      rootReal = await realpath(this.root);
    } catch {
      err(".", `content directory ${this.root} does not exist${this.root === "content" ? " (give the folder that holds site.yaml and articles/ with --content DIR)" : ""}`);
      return { files: [], issues, unchanged, unreadable: true };
    }
    if (!(await stat(rootReal)).isDirectory()) {
      err(".", `content directory ${this.root} is not a folder: give the folder that holds site.yaml and articles/`);
      return { files: [], issues, unchanged, unreadable: true };
    }
    const inside = (target: string) => {
      const rel = relative(rootReal, target);
      return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
    };
    // Entries whose real path must be checked: links, and everything under an `articles/`
    // that is itself a link (its files are then no links at all). A regular file in a real
    // folder inside the content directory needs no check: one realpath per folder, not per file.
    const entries: { path: string; link: boolean; special?: boolean }[] = [];
    const siteEntry = !options.only || options.only.has(SITE_FILE) ? await lstat(join(this.root, SITE_FILE)).catch(() => undefined) : undefined;
    if (siteEntry) entries.push({ path: SITE_FILE, link: siteEntry.isSymbolicLink(), special: !siteEntry.isFile() && !siteEntry.isSymbolicLink() });
    const articlesDir = join(this.root, "articles");
    const siteFull = join(this.root, SITE_FILE);
    const articlesReal = await realpath(articlesDir).catch(() => undefined);
    const articlesInside = articlesReal !== undefined && inside(articlesReal);
    if (options.only) {
      // Just these files (bodies read again, a group of archive pages at a time): each looked up
      // by its name, not found in a listing of the whole folder (50,000 entries at 50,000 articles).
      for (const path of options.only) {
        if (!isContentPath(path) || path === SITE_FILE) continue;
        const d = attempt(() => lstatSync(join(this.root, ...path.split("/"))));
        if (d) entries.push({ path, link: d.isSymbolicLink() || !articlesInside, special: !d.isFile() && !d.isSymbolicLink() });
      }
    } else {
      try {
        for (const d of await readdir(articlesDir, { withFileTypes: true })) {
          if (d.name.startsWith(".")) {
            // Said of what looks like an article; .DS_Store and the like pass without a word.
            if (/\.md$/i.test(d.name)) issues.push({ file: `articles/${d.name}`, field: "file", severity: "warning", message: HIDDEN_FILE });
            continue;
          }
          // A folder inside articles/ (articles/2020/): told, with the articles it holds.
          if (d.isDirectory() && !isSourcePath(`articles/${d.name}`)) {
            await this.tellMisplaced(`articles/${d.name}`, issues);
            continue;
          }
          entries.push({ path: `articles/${d.name}`, link: d.isSymbolicLink() || !articlesInside, special: !d.isFile() && !d.isSymbolicLink() });
        }
        // Markdown files beside site.yaml (content/geneva.md) are read by no one: told.
        for (const d of await readdir(this.root, { withFileTypes: true }).catch(() => [])) {
          if (d.isFile() || d.isSymbolicLink()) {
            const why = misplacedArticle(d.name) ?? misnamedSettings(d.name);
            if (why) issues.push({ file: d.name, field: "file", severity: "warning", message: why });
          }
        }
      } catch (e) {
        // Never read as "no articles": that would publish empty feeds over the full ones (and
        // `push` would delete every article in the bucket). A site with none yet has an empty folder.
        const code = (e as NodeJS.ErrnoException).code;
        err(
          "articles/",
          code === "ENOENT"
            ? `is missing: the content directory needs an articles/ folder (an empty one for a site with no articles yet)${basename(rootReal) === "articles" ? `; ${this.root} is itself an articles/ folder: give its parent, the folder that holds site.yaml` : ""}`
            : code === "ENOTDIR"
              ? "is not a folder: articles go in an articles/ folder"
              : `cannot be read (${code ?? (e as Error).message}): no article was read`,
        );
      }
    }
    entries.sort((a, b) => (a.path === SITE_FILE ? -1 : b.path === SITE_FILE ? 1 : a.path < b.path ? -1 : 1));
    // Synchronous reads on purpose: for many small files they are 6-10x faster than promise-based
    // ones (measured: 10,000 files in ~90 ms against 500-900 ms through the thread pool). When
    // many files are read whole, a reader thread reads them ahead and this thread takes its
    // results as it comes to each file (read-ahead.ts); links and anything unusual are read here.
    // Not when the build cache is asked first (`skip`): most files are then only stat'ed.
    const ahead = options.skip
      ? undefined
      : ReadAhead.start(
          {
            site: entries[0]?.path === SITE_FILE ? siteFull : "",
            articles: `${articlesDir}${sep}`,
            names: entries.map((e) => (e.link || e.special ? null : e.path.slice(e.path === SITE_FILE ? 0 : ARTICLES_PREFIX.length))),
            limits: [LIMITS.siteFileBytes, LIMITS.articleFileBytes],
          },
          this.readAheadMin,
        );
    // Stopped however the reading ends (an onFile that throws).
    const files: (ContentFile | undefined)[] = [];
    try {
      for (let i = 0; i < entries.length; i++) files.push(readEntry(entries[i]!, i));
    } finally {
      ahead?.stop();
    }
    return { files: files.filter((f): f is ContentFile => f !== undefined), issues, unchanged };

    function readEntry(this: void, { path, link, special }: (typeof entries)[number], i: number): ContentFile | undefined {
      const got = ahead?.take(i);
      if (got) {
        const bytes = options.into?.(path, got.bytes.byteLength) ?? Buffer.allocUnsafe(got.bytes.byteLength);
        bytes.set(got.bytes);
        const file = { path, bytes, fingerprint: trustedFingerprint(got.stat, now) };
        return options.onFile?.(file) ? undefined : file;
      }
      // An article's path by concatenation (a readdir name holds no separator): path.join per
      // file was ~1 µs, ~9 ms of a one-edit build at 10,000 articles. Not made for a file the
      // reader read.
      const full = path === SITE_FILE ? siteFull : `${articlesDir}${sep}${path.slice(ARTICLES_PREFIX.length)}`;
      // Never open a folder, FIFO or device: opening a FIFO would wait for a writer.
      if (special && !link) {
        if (reported(path)) err(path, attempt(() => statSync(full))?.isDirectory() ? FOLDER_NOT_ARTICLE : "is not a regular file");
        return undefined;
      }
      if (link) {
        let target: string;
        try {
          target = realpathSync(full);
        } catch (e) {
          const loop = (e as NodeJS.ErrnoException).code === "ELOOP";
          err(path, loop ? "is a symbolic link that loops (its chain of links leads back to itself): not read" : "is a symbolic link to nothing (its target does not exist): not read");
          return undefined;
        }
        if (!inside(target)) {
          err(path, "is a symbolic link to a file outside the content directory: not read");
          return undefined;
        }
        // A link beside its target (`old-name.md` → `new-name.md`, kept for an old URL): both are
        // read, so one article is published twice, under two slugs and two ids.
        if (path !== SITE_FILE && articlesReal !== undefined && dirname(target) === articlesReal && isArticlePath(`${ARTICLES_PREFIX}${basename(target)}`)) {
          issues.push({ file: path, field: "file", severity: "warning", message: `is a symbolic link to ${ARTICLES_PREFIX}${basename(target)}: the article is published twice, under two slugs (and two ids)` });
        }
        if (!attempt(() => statSync(full))?.isFile()) {
          if (reported(path)) err(path, "is not a regular file");
          return undefined;
        }
      }
      if (options.skip) {
        const info = attempt(() => statSync(full));
        const fingerprint = info && trustedFingerprint(info, now);
        if (info?.isFile() && fingerprint && !sizeProblem(path, info.size) && options.skip(path, fingerprint)) {
          unchanged.push({ path, fingerprint });
          return undefined;
        }
      }
      let fd: number;
      try {
        fd = openSync(full, "r");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Deleted since the folder was listed (an `rm` of many files, a checkout under way): a
        // file that is gone, not one that cannot be read; the change is seen by the next build.
        if (code === "ENOENT") return undefined;
        if (reported(path)) err(path, `could not be opened (${code === "EACCES" || code === "EPERM" ? `${code}: the build may not read it` : (code ?? (e as Error).message)})`);
        return undefined;
      }
      try {
        const info = fstatSync(fd);
        if (!info.isFile()) {
          if (reported(path)) err(path, "is not a regular file");
          return undefined;
        }
        const tooBig = sizeProblem(path, info.size);
        if (tooBig) {
          err(path, tooBig);
          return undefined;
        }
        const file = { path, bytes: readOpen(fd, info.size, options.into?.(path, info.size)), fingerprint: trustedFingerprint(info, now) };
        return options.onFile?.(file) ? undefined : file;
      } finally {
        closeSync(fd);
      }
    }
  }
}
