/**
 * Parsers no one on this project wrote, wrapped for the conformance and property tests:
 * Debian's python3-feedparser (through feedparser_dump.py), libxml2's xmllint, the JSON Feed 1.1
 * JSON Schema under Ajv, and @rowanmanning/feed-parser. A missing tool fails loudly: `.ci/run`
 * installs them.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { parseFeed } from "@rowanmanning/feed-parser";

const require = createRequire(import.meta.url);
const DUMP_SCRIPT = fileURLToPath(new URL("./feedparser_dump.py", import.meta.url));
/** Debian's interpreter: python3-feedparser belongs to it, not to a python3 earlier on PATH. */
export const DEBIAN_PYTHON = "/usr/bin/python3";

export interface FpItem {
  id: string | null;
  title: string | null;
  title_type: string | null;
  link: string | null;
  links: { rel: string | null; href: string | null; type: string | null; title: string | null; length: string | null }[];
  published: string | null;
  updated: string | null;
  tags: string[];
  authors: { name: string | null; email: string | null; href: string | null }[];
  author: string | null;
  enclosures: { href: string | null; type: string | null; length: string | null }[];
  media_content: Record<string, string>[];
  media_credit: Record<string, string>[];
  content: { type: string | null; value: string | null }[];
  summary: string | null;
  summary_type: string | null;
  /** summary_detail's value: what readers built on feedparser that read the detail show. */
  summary_detail: string | null;
  language: string | null;
}

export interface FpDocument {
  bozo: number;
  bozo_exception: string | null;
  version: string;
  encoding: string | null;
  namespaces: Record<string, string>;
  feed: {
    id: string | null;
    title: string | null;
    link: string | null;
    links: FpItem["links"];
    language: string | null;
    updated: string | null;
    subtitle: string | null;
  };
  items: FpItem[];
}

function run(command: string, args: string[], input?: string) {
  const r = spawnSync(command, args, { input, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw new Error(`${command} could not run (install it: see .ci/run): ${r.error.message}`);
  return r;
}

/** feedparser's reading of each file, by path; one Python process for the whole list. */
export function feedparserDump(files: string[]): Record<string, FpDocument> {
  const r = run(DEBIAN_PYTHON, [DUMP_SCRIPT, ...files]);
  if (r.status !== 0) throw new Error(`feedparser_dump.py failed (is python3-feedparser installed? see .ci/run):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, FpDocument>;
}

/** xmllint --noout over files (or one document on stdin): status 0 means well-formed, namespaces included. */
export function xmllint(files: string[]): { status: number | null; stderr: string } {
  const r = run("xmllint", ["--noout", "--nonet", ...files]);
  return { status: r.status, stderr: r.stderr };
}

export function xmllintText(xml: string): { status: number | null; stderr: string } {
  const r = run("xmllint", ["--noout", "--nonet", "-"], xml);
  return { status: r.status, stderr: r.stderr };
}

/** libxml2's reading of an XPath string expression over one document (xmllint appends a newline). */
export function xmllintXpath(xml: string, expression: string): { value: string; stderr: string } {
  const r = run("xmllint", ["--nonet", "--xpath", expression, "-"], xml);
  return { value: r.stdout.endsWith("\n") ? r.stdout.slice(0, -1) : r.stdout, stderr: r.status === 0 ? "" : `${r.status}: ${r.stderr}` };
}

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => void;

/** A JSON Feed 1.1 validator compiled here from jsonfeed-schema (not the build's own instance). */
export function jsonFeedValidator(): (doc: unknown) => string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(require("jsonfeed-schema/schema-v1.1.json") as object);
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`));
}

/** What every format must agree on for one item. */
export interface ItemKey {
  id: string;
  title: string;
  link: string;
  published: string;
  updated?: string;
}

const isoSeconds = (d: string | Date | null | undefined) =>
  d === null || d === undefined ? "" : new Date(d).toISOString().replace(/\.000Z$/, "Z");

export function fpItems(doc: FpDocument, withUpdated: boolean): ItemKey[] {
  return doc.items.map((i) => ({
    id: i.id ?? "",
    title: i.title ?? "",
    link: i.link ?? "",
    published: i.published ?? "",
    ...(withUpdated ? { updated: i.updated ?? "" } : {}),
  }));
}

export interface JsonFeedDoc {
  version: string;
  title: string;
  feed_url?: string;
  next_url?: string;
  language?: string;
  hubs?: { type: string; url: string }[];
  authors?: { name?: string; url?: string }[];
  items: {
    id?: string;
    url?: string;
    title?: string;
    summary?: string;
    content_html?: string;
    /** Instead of content_html for an item without HTML: its summary, or "". */
    content_text?: string;
    image?: string;
    date_published?: string;
    date_modified?: string;
    tags?: string[];
    authors?: { name?: string; url?: string }[];
    /** JSON Feed 1.0's single author (deprecated in 1.1, kept for readers that read only it). */
    author?: { name?: string; url?: string };
    _syndicate?: { source?: string; related?: { title: string; url: string }[]; image?: Record<string, string> };
  }[];
}

export function jsonItems(doc: JsonFeedDoc, withUpdated: boolean): ItemKey[] {
  return doc.items.map((i) => ({
    id: i.id ?? "",
    title: i.title ?? "",
    link: i.url ?? "",
    published: isoSeconds(i.date_published),
    ...(withUpdated ? { updated: isoSeconds(i.date_modified) } : {}),
  }));
}

/** @rowanmanning/feed-parser's reading of an RSS or Atom document. */
export function rowanItems(xml: string, withUpdated: boolean): { type: string; items: ItemKey[] } {
  const feed = parseFeed(xml);
  return {
    type: `${feed.meta.type} ${feed.meta.version}`,
    items: feed.items.map((i) => ({
      id: i.id ?? "",
      title: i.title ?? "",
      link: i.url ?? "",
      published: isoSeconds(i.published),
      ...(withUpdated ? { updated: isoSeconds(i.updated) } : {}),
    })),
  };
}
