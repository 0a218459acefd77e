/** From bytes to text an editor would recognise: UTF-8 checked, BOM dropped, CRLF → LF. */
import { hasXmlIllegal, stripXmlIllegal, lineAt } from "./text.ts";

export type DecodedText =
  | { ok: true; text: string; removedIllegal: boolean; removedIllegalLine?: number }
  | { ok: false; message: string; line?: number };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function decodeText(bytes: Uint8Array): DecodedText {
  let text: string;
  try {
    text = utf8.decode(bytes); // also drops a leading BOM
  } catch {
    const lossy = new TextDecoder("utf-8").decode(bytes);
    const at = lossy.indexOf("\uFFFD");
    return { ok: false, message: "is not valid UTF-8 text (save it as UTF-8)", line: at >= 0 ? lineAt(lossy, at) : undefined };
  }
  text = text.replace(/\r\n?/g, "\n");
  if (!hasXmlIllegal(text)) return { ok: true, text, removedIllegal: false };
  const first = text.search(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
  return { ok: true, text: stripXmlIllegal(text), removedIllegal: true, removedIllegalLine: first >= 0 ? lineAt(text, first) : undefined };
}

export type SplitSource =
  | { ok: true; frontMatter: string; frontMatterLine: number; body: string; bodyLine: number }
  | { ok: false; message: string; line?: number };

/** `---\n<yaml>\n---\n<markdown>`; the closing fence may also be `...` (YAML's document end). */
export function splitFrontMatter(text: string): SplitSource {
  const lines = text.split("\n");
  if (lines[0]?.trimEnd() !== "---") {
    return { ok: false, message: "the file must start with a line '---', then YAML fields (title, date…), then '---'", line: 1 };
  }
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!.trimEnd();
    if (l === "---" || l === "...") {
      return {
        ok: true,
        frontMatter: lines.slice(1, i).join("\n"),
        frontMatterLine: 2,
        body: lines.slice(i + 1).join("\n"),
        bodyLine: i + 2,
      };
    }
  }
  return { ok: false, message: "front matter is not closed: add a line '---' after the last field", line: 1 };
}
