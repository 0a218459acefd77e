/**
 * Helpers for the hostile-content corpus (test/fixtures/hostile): run the `syndicate` CLI on a
 * case (in this process through its `main`, or as the real bin/syndicate.js child process),
 * build a case with the real pipeline, and read every published document back through
 * feedparser and JSON.parse as per-format views of the one item.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { decodeHTML } from "entities";
import { main } from "../../functions/cli.ts";
import { build, type BuildReport } from "../../functions/pipeline/build.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import type { ExpectedError } from "../fixtures/hostile/cases.ts";
import { feedparserDump, type FpDocument, type FpItem, type JsonFeedDoc } from "./parsers.ts";

export const NOW = Date.UTC(2030, 0, 1);
export const NOW_ISO = new Date(NOW).toISOString();
const BIN = resolve(import.meta.dirname, "../../bin/syndicate.js");

export interface Run {
  code: number;
  output: string;
}

/** The real command as a child process, in `cwd`. */
export function runChild(cwd: string, args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, output: stdout + stderr });
    });
  });
}

/**
 * The CLI's `main` (what bin/syndicate.js runs) in this process, its stdout and stderr captured:
 * the same argument parsing, printing and exit codes without a process start per command.
 */
export async function runInProcess(args: string[]): Promise<Run> {
  let output = "";
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((s) => s.write);
  for (const s of streams) s.write = ((chunk: string | Uint8Array) => ((output += String(chunk)), true)) as typeof s.write;
  try {
    return { code: await main(args), output };
  } finally {
    streams.forEach((s, i) => (s.write = writes[i]!));
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** An issue line as the CLI prints it: `…content/<file>[:line]: <field>: …<message>…`. */
export function issueLine(e: ExpectedError): RegExp {
  const line = e.line === undefined ? "(?::\\d+)?" : e.line === null ? "" : `:${e.line}`;
  return new RegExp(`(?:^|/)content/${escapeRe(e.file)}${line}: ${escapeRe(e.field)}: [^\\n]*${escapeRe(e.message ?? "")}`, "m");
}

export interface BuiltCase {
  report: BuildReport;
  /** Published keys, sorted. */
  keys: string[];
  bytes: Record<string, Buffer>;
  feedparser: Record<string, FpDocument>;
  json(key: string): JsonFeedDoc;
}

export async function buildCase(content: string, out: string): Promise<BuiltCase> {
  const report = await build({ source: new DirectoryContent(content), store: new DirectoryStore(out), now: NOW });
  const entries = await readdir(out, { recursive: true, withFileTypes: true });
  const keys = entries
    .filter((e) => e.isFile())
    .map((e) => relative(out, join(e.parentPath, e.name)).split(sep).join("/"))
    // The build's own state (cache, lease) beside the documents is not a published document.
    .filter((k) => !k.startsWith(".syndicate/"))
    .sort();
  const bytes = Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await readFile(join(out, k))] as const)));
  const xml = keys.filter((k) => k.endsWith(".xml"));
  const dump = feedparserDump(xml.map((k) => join(out, k)));
  const feedparser = Object.fromEntries(xml.map((k) => [k, dump[join(out, k)]!]));
  return { report, keys, bytes, feedparser, json: (key) => JSON.parse(bytes[key]!.toString("utf8")) as JsonFeedDoc };
}

/** One item as a format carries it, text decoded where the format marks it as HTML. */
export interface ItemView {
  title: string;
  summary: string | undefined;
  tags: string[];
  id: string;
  url: string;
  published: string;
  content: string;
}

const asText = (value: string | null, type: string | null) => (value === null ? undefined : type === "text/html" ? decodeHTML(value) : value);

export function feedparserView(i: FpItem): ItemView {
  return {
    title: asText(i.title, i.title_type) ?? "",
    summary: asText(i.summary, i.summary_type),
    tags: i.tags,
    id: i.id ?? "",
    url: i.link ?? "",
    published: i.published ?? "",
    content: i.content[0]?.value ?? "",
  };
}

const iso = (d: string | undefined) => (d ? new Date(d).toISOString().replace(/\.000Z$/, "Z") : "");

export function jsonView(i: JsonFeedDoc["items"][number]): ItemView {
  return { title: i.title ?? "", summary: i.summary, tags: i.tags ?? [], id: i.id ?? "", url: i.url ?? "", published: iso(i.date_published), content: i.content_html ?? "" };
}

interface LatestItem {
  id: string;
  url: string;
  title: string;
  summary?: string;
  date_published: string;
  tags: { name: string; slug: string }[];
}

/** latest.json carries no content: `content` is left empty. */
export function latestView(i: LatestItem): ItemView {
  return { title: i.title, summary: i.summary, tags: i.tags.map((t) => t.name), id: i.id, url: i.url, published: iso(i.date_published), content: "" };
}

export function latestItems(b: BuiltCase, key: string): LatestItem[] {
  return (JSON.parse(b.bytes[key]!.toString("utf8")) as { items: LatestItem[] }).items;
}
