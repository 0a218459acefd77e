/** From bytes to text an editor would recognise: UTF-8 checked, BOM dropped, CRLF → LF. */
import { isUtf8 } from "node:buffer";
import { firstXmlIllegal, stripXmlIllegal, lineAt, LINE_KEY, unquoteKey } from "./text.ts";
import { ARTICLE_KEYS } from "./schema.ts";

export type DecodedText =
  | { ok: true; text: string; removedIllegal: boolean; removedIllegalLine?: number }
  | { ok: false; message: string; line?: number };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const UTF16 = "is not valid UTF-8 text: it is UTF-16 (Windows' \"Unicode\"); save it as UTF-8";

/**
 * UTF-16 text (as Windows editors save "Unicode"): a byte-order mark, or, without one, ASCII
 * characters that leave every other byte a NUL, all at the same parity, in the file's first
 * 1,024 bytes. Read as UTF-8, such a file without its mark is valid: the NULs would be removed as
 * control characters and each other character mangled (U+015E Ş, the bytes 5E 01, as "^").
 */
function isUtf16(bytes: Uint8Array): boolean {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return true;
  const n = Math.min(bytes.length, 1024) & ~1;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  const most = Math.max(even, odd);
  return most >= 4 && most * 4 >= n / 2 && Math.min(even, odd) * 8 <= most;
}

export function decodeText(bytes: Uint8Array): DecodedText {
  let text: string;
  try {
    text = utf8.decode(bytes); // also drops a leading BOM
  } catch {
    if (isUtf16(bytes)) return { ok: false, message: UTF16, line: 1 };
    const lossy = new TextDecoder("utf-8").decode(bytes);
    // The first U+FFFD that stands for bytes that are not UTF-8, past any written in the file
    // (EF BF BD); its line counted as the text's will be, CR LF and a CR alone ending one too.
    // The byte offset is carried from one U+FFFD to the next (a file of many written ones stays linear).
    let b = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    let at = lossy.indexOf("\uFFFD");
    for (let from = 0; at >= 0; from = at + 1, b += 3, at = lossy.indexOf("\uFFFD", at + 1)) {
      b += Buffer.byteLength(lossy.slice(from, at));
      if (bytes[b] !== 0xef || bytes[b + 1] !== 0xbf || bytes[b + 2] !== 0xbd) break;
    }
    const before = at >= 0 ? lossy.slice(0, at).replace(/\r\n?/g, "\n") : "";
    return { ok: false, message: "is not valid UTF-8 text (save it as UTF-8)", line: at >= 0 ? lineAt(before, before.length) : undefined };
  }
  if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
  const first = firstXmlIllegal(text);
  if (first < 0) return { ok: true, text, removedIllegal: false };
  // Only text with a NUL can be UTF-16 read as UTF-8.
  if (text.includes("\0") && isUtf16(bytes)) return { ok: false, message: UTF16, line: 1 };
  return { ok: true, text: stripXmlIllegal(text), removedIllegal: true, removedIllegalLine: lineAt(text, first) };
}

export type SplitSource =
  | { ok: true; frontMatter: string; frontMatterLine: number; body: string; bodyLine: number }
  | { ok: false; message: string; line?: number };

/** `---\n<yaml>\n---\n<markdown>`; the closing fence may also be `...` (YAML's document end). */
export function splitFrontMatter(text: string): SplitSource {
  const firstEnd = text.indexOf("\n");
  if ((firstEnd < 0 ? text : text.slice(0, firstEnd)).trimEnd() !== "---") return { ok: false, ...notOpened(text) };
  // Walk line starts with indexOf rather than splitting a long body into lines.
  let line = 2;
  for (let start = firstEnd + 1; firstEnd >= 0 && start <= text.length; line++) {
    const end = text.indexOf("\n", start);
    const l = (end < 0 ? text.slice(start) : text.slice(start, end)).trimEnd();
    if (l === "---" || l === "...") {
      const frontMatter = text.slice(firstEnd + 1, Math.max(firstEnd + 1, start - 1));
      return { ok: true, frontMatter, frontMatterLine: 2, body: end < 0 ? "" : text.slice(end + 1), bodyLine: line + 1 };
    }
    if (end < 0) break;
    start = end + 1;
  }
  return { ok: false, ...notClosed(text, firstEnd) };
}

/**
 * A line an editor may have meant as a fence: `—`, `–`, `___`, `----`, `- - -` (on the first
 * line also after spaces, ` ---`). Only looked for once a file is found wrong (no fence, front
 * matter that does not parse), or in front matter with an unknown key and a blank line.
 */
const FENCE_LIKE = /^(?:[\u2010-\u2015\u2212]|[-_\u2010-\u2015\u2212](?:[ \t]*[-_\u2010-\u2015\u2212])+)[ \t]*$/;

/** A line quoted for a message, cut short if long. */
const shown = (l: string, max = 40) => JSON.stringify(l.length > max ? `${l.slice(0, max)}…` : l);

const notFence = (line: number, l: string, where: string) => ({
  message: `line ${line} ${shown(l.trimEnd())} is not '---': the front matter must ${where} with a line of exactly three hyphens`,
  line,
});

/** Why a file that does not start with `---` is not read: the blank line or look-alike fence, if any. */
function notOpened(text: string): { message: string; line: number } {
  if (text.trim() === "") return { message: "the file is empty: it must start with a line '---', then YAML fields (title, date…), then '---'", line: 1 };
  let line = 1;
  let start = 0;
  for (; ; line++) {
    const end = text.indexOf("\n", start);
    const l = end < 0 ? text.slice(start) : text.slice(start, end);
    if (l.trim() !== "") {
      if (line > 1 && l.trimEnd() === "---") return { message: `the file must start with '---' on line 1: delete the blank line${line > 2 ? "s" : ""} before it`, line: 1 };
      if (FENCE_LIKE.test(l.trimStart())) return notFence(line, l, "start and end");
      // Front matter as other generators write it (Hugo: TOML between `+++`, or JSON), which an
      // editor moving content over most likely brought: said, with what to write instead.
      const other = l.trim() === "+++" ? "TOML front matter (between '+++' lines, as Hugo writes it)" : /^\{\s*(?:"|$)/.test(l.trim()) ? "JSON front matter" : undefined;
      if (other) return { message: `${other} is not read: write the fields as YAML between two lines '---' (title: …, date: …)`, line };
      break;
    }
    start = end + 1;
  }
  return { message: "the file must start with a line '---', then YAML fields (title, date…), then '---'", line: 1 };
}

/** A line that can be front matter: a field, an indented line, a list item, a comment, a blank. */
const yamlish = (l: string) => l.trim() === "" || /^[\s#]/.test(l) || /^-(?:\s|$)/.test(l) || LINE_KEY.test(l);

/** Why front matter is not closed: a look-alike fence among the lines that can be front matter, if any. */
function notClosed(text: string, firstEnd: number): { message: string; line: number } {
  let line = 2;
  for (let start = firstEnd + 1; firstEnd >= 0 && start < text.length; line++) {
    const end = text.indexOf("\n", start);
    const l = end < 0 ? text.slice(start) : text.slice(start, end);
    if (FENCE_LIKE.test(l)) return notFence(line, l, "end");
    if (!yamlish(l) || end < 0) break;
    start = end + 1;
  }
  return { message: "front matter is not closed: add a line '---' after the last field", line: 1 };
}

/**
 * A line of body text, not a field: a line at its start that has no `name:`, or whose name is
 * neither a field of an article (any case: `Title:`) nor a lowercase name (`sumary:`, a field
 * misspelt), before a sentence (`Update: the talks resumed on Thursday.`).
 */
function isBodyText(l: string): boolean {
  if (/^[\s#[{"']|^-(?:\s|$)/.test(l)) return false;
  const m = LINE_KEY.exec(l);
  if (!m) return true;
  const name = unquoteKey(m[1]!);
  if (ARTICLE_KEYS.has(name.toLowerCase()) || /^[a-z_][a-z0-9_-]*$/.test(name)) return false;
  const value = l.slice(m[0].length).trim();
  return name.includes(" ") || /[.!?]$/.test(value) || value.split(/\s+/).length >= 3;
}

/** A blank line: spaces and tabs at most. */
const isWhite = (l: string) => /^[ \t]*$/.test(l);

/**
 * A closing `---` that is missing, where a later `---` (a rule in the body) closed the front
 * matter instead: the body's first paragraph was read as fields (`Update: the talks resumed.`
 * as an unknown one, and the article published without it). Told when, after the fields, a
 * line of body text follows a blank line, or ends the front matter before a blank line; and
 * for a look-alike fence (`—`, `____`) among the fields. A guess, so a warning, and only looked
 * for where the front matter has an unknown key and a blank line (article.ts): valid front
 * matter with keys of its own (`linkTitle:`, `Category:`) must never be refused for it, and the
 * article of every other editor pays nothing. `firstLine`: the file line of the front matter's
 * first line.
 */
export function bodyInFrontMatter(frontMatter: string, firstLine: number): { message: string; line: number } | undefined {
  const lines = frontMatter.split("\n");
  let lastField = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (isWhite(l)) continue;
    if (FENCE_LIKE.test(l)) return notFence(firstLine + i, l, "end");
    if (!isBodyText(l)) {
      lastField = i;
      continue;
    }
    if (lastField < 0) return undefined; // no field before it: the YAML parser tells what it finds
    // A blank line before it; or it and the lines after it body text up to a blank line, and
    // only blank lines from there to the fence (a `---` rule has a blank line before it).
    let next = i + 1;
    while (next < lines.length && !isWhite(lines[next]!)) next++;
    const lastBlock = next < lines.length && lines.slice(next).every(isWhite) && lines.slice(i, next).every(isBodyText);
    if (!isWhite(lines[i - 1]!) && !lastBlock) return undefined;
    return {
      message: `${shown(l.trim())} is not a field: if it is the article's text, the closing '---' is missing after line ${firstLine + lastField}`,
      line: firstLine + i,
    };
  }
  return undefined;
}

const isControl = (c: number) => c < 0x20 && c !== 9 && c !== 10;

/**
 * Whether the bytes hold a C0 control other than tab and line feed (CR included). Four bytes at a
 * time: a word with no byte below 0x20 is passed over with one test (`(w - 0x20202020) & ~w &
 * 0x80808080` is zero only then: it never misses one); the bytes of a word it flags are checked
 * one by one. About 4x faster than testing every byte (the whole corpus passes through here).
 */
export function hasControlByte(bytes: Uint8Array): boolean {
  const n = bytes.length;
  let i = 0;
  while (i < n && ((bytes.byteOffset + i) & 3) !== 0) if (isControl(bytes[i++]!)) return true;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (n - i) >>> 2);
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (((w - 0x20202020) & ~w & 0x80808080) !== 0) {
      const at = i + 4 * k;
      if (isControl(bytes[at]!) || isControl(bytes[at + 1]!) || isControl(bytes[at + 2]!) || isControl(bytes[at + 3]!)) return true;
    }
  }
  for (let j = i + 4 * words.length; j < n; j++) if (isControl(bytes[j]!)) return true;
  return false;
}

const NONCHARACTERS = [Buffer.from([0xef, 0xbf, 0xbe]), Buffer.from([0xef, 0xbf, 0xbf])]; // U+FFFE, U+FFFF

/**
 * splitFrontMatter(decodeText(bytes)) without decoding the body, for a file where the two cannot
 * differ: valid UTF-8, no BOM, no CR, none of the characters decodeText removes, and a closing
 * fence. Only the front matter is decoded (the body is decoded when it is rendered). Undefined
 * for anything else: the caller then takes the full path, which reports every problem exactly.
 */
export function quickSplit(bytes: Uint8Array): { frontMatter: string; frontMatterLine: number; bodyLine: number } | undefined {
  if (bytes.length < 4 || bytes[0] !== 0x2d || bytes[1] !== 0x2d || bytes[2] !== 0x2d || !isUtf8(bytes) || hasControlByte(bytes)) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (NONCHARACTERS.some((n) => buf.includes(n))) return undefined;
  const firstEnd = buf.indexOf(10);
  if (firstEnd < 0 || buf.toString("utf8", 0, firstEnd).trimEnd() !== "---") return undefined;
  let line = 2;
  for (let start = firstEnd + 1; start <= buf.length; line++) {
    const end = buf.indexOf(10, start);
    const stop = end < 0 ? buf.length : end;
    // Only a line starting with "---" or "..." can be the fence (trimEnd takes nothing from the front).
    const c = buf[start];
    if ((c === 0x2d || c === 0x2e) && stop - start >= 3) {
      const l = buf.toString("utf8", start, stop).trimEnd();
      if (l === "---" || l === "...") {
        return { frontMatter: buf.toString("utf8", firstEnd + 1, Math.max(firstEnd + 1, start - 1)), frontMatterLine: 2, bodyLine: line + 1 };
      }
    }
    if (end < 0) break;
    start = end + 1;
  }
  return undefined;
}
