/**
 * GFM's extended www autolinks for bodies (markdown.ts bodyParser): a rule linkify-it runs beside
 * its http(s) links, and the cheap test that says whether a body needs it.
 */
import type { MarkdownIt as MarkdownParser } from "markdown-it";

/**
 * What follows `www.` in an extended www autolink: linkify-it's own host, port and path of an
 * http link (after its `//`), one for each of its host patterns (made anew when its options change).
 */
const WWW_TAILS = new WeakMap<RegExp, RegExp>();
/**
 * Before `www.`: the start of the text, white space, `*` or `(`, of GFM's; its `_` and `~` too,
 * but linkify-it looks for no link after either (`_www.…_` stays text).
 */
const BEFORE_WWW = /[\s*(]/;

/**
 * GFM's extended www autolink (https://github.github.com/gfm/#extended-www-autolink-extension-):
 * `www.` and a domain is a link, `http://` put before it (`www.example.com/a` links
 * `http://www.example.com/a`). As GFM has it, only `www.` in lower case, at the start of the text
 * or after white space, `*` or `(` (BEFORE_WWW: not in `desk@www.example.com` or `ftp://www.…`).
 * The rest is read as linkify-it reads an http link's host, port and path: a trailing `.` or `,`,
 * an unmatched `)`, a `?` or `!` at the end are not part of it. A bare domain (`example.com`,
 * `file.py`) stays text.
 */
export const WWW_LINK: NonNullable<Parameters<MarkdownParser["linkify"]["add"]>[1]> = {
  validate(text, pos, self) {
    if (!text.startsWith("www.", pos - 4) || (pos > 4 && !BEFORE_WWW.test(text[pos - 5]!))) return 0;
    const host = self.re.get_url_host_port();
    let tail = WWW_TAILS.get(host);
    if (!tail) WWW_TAILS.set(host, (tail = new RegExp(host.source + self.re.get_path().source, "iy")));
    tail.lastIndex = pos;
    let length = tail.exec(text)?.[0].length ?? 0;
    // A trailing `*` is not the link's, as markdown-it leaves it out of an http one.
    while (length > 0 && text[pos + length - 1] === "*") length--;
    // markdown-it's rule for `scheme://` asks for a link where a scheme starts (`www.x://…`): none of ours.
    return text.startsWith("://", pos + length) ? 0 : length;
  },
  normalize(match) {
    match.url = `http://${match.url}`;
  },
};

/**
 * Whether a body has a `www.` (WWW_LINK), looked for from each `.`, which prose has eight times
 * fewer of than `w`: `includes("www.")` stops at every `w` (~1.7 µs for a body of 2.6 KB, this
 * ~0.5 µs, against ~60 µs for the conversion).
 */
export function hasWww(s: string): boolean {
  for (let i = s.indexOf(".", 3); i !== -1; i = s.indexOf(".", i + 1)) {
    if (s.charCodeAt(i - 1) === 0x77 && s.charCodeAt(i - 2) === 0x77 && s.charCodeAt(i - 3) === 0x77) return true;
  }
  return false;
}
