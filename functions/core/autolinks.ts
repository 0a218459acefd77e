/**
 * GFM's autolinks for bodies (markdown.ts bodyParser): the linkify-it instance that finds bare
 * http(s) URLs and, for a body that has one (hasWww, the cheap test), `www.` and a domain.
 * Where each link ends is GFM's (https://github.github.com/gfm/#autolinks-extension-): see linkEnd.
 */
import { LinkifyIt, REBuilder } from "linkify-it";

type Schema = NonNullable<Parameters<LinkifyIt["add"]>[1]>;

/**
 * linkify-it's patterns (its documented `rebuilder` hook), three changed to GFM's:
 * - a link may follow `_` or `~` (GFM: "at the beginning of a line, after whitespace, or any of
 *   the delimiting characters *, _, ~, and ("), where linkify-it starts none after `_` and knows
 *   no `~`: `_www.example.com_` (emphasis) and `~~www.example.com~~` were text. WWW_LINK holds
 *   a `www.` link to GFM's list of what may come before it (markdown-it's own rule finds an
 *   http(s) link after anything but a scheme's characters, as before);
 * - a host may end before a `_` that closes emphasis (get_host_terminator);
 * - a `)` may be anywhere in a link's path (GFM), its unmatched trailing ones left out by
 *   linkEnd: linkify-it ended a link at a `)` it could not pair, so that
 *   `www.google.com/search?q=(business))+ok` linked only `…?q=(business)` (GFM's example).
 */
class GfmPatterns extends REBuilder {
  /**
   * linkify-it's end of a host (what may follow it), but a host may end before a `_` that closes
   * emphasis or ends the text (`_www.example.com_`, `_https://example.com_.`): then only `_`, the
   * end, a space or punctuation but `-` and a `.` going on follow. A `_` inside a host
   * (`www.exa_mple.com`) still ends none. Written for linkify-it's `---` option off (ours).
   */
  override get_host_terminator(): RegExp {
    if (this.cache.src_host_terminator) return this.cache.src_host_terminator;
    const ZCc = `(?:${this.src_ZCc})`, ZPCc = `(?:${this.src_ZPCc})`, separators = this.get_text_separators().source;
    const closingUnderscore = `_*(?:$|${ZCc}|${separators}|\\.(?:$|${ZCc})|(?![-.])(?:${this.src_P}))`;
    return (this.cache.src_host_terminator = new RegExp(`(?=$|${separators}|${ZPCc})(?!-|_(?!${closingUnderscore})|:\\d|\\.-|\\.(?!$|${ZPCc}))`));
  }
  override get_schema_search(): RegExp {
    return (this.cache.schema_search ??= new RegExp(`(^|[~><\uff5c]|${this.src_ZPCc})(${this.get_schema_names().source})`, "ig"));
  }
  override get_path_extra(): RegExp {
    // linkify-it writes it in front of its own alternatives for a path character: `)` becomes one.
    return (this.cache.src_path_extra ??= /\)|/);
  }
}

/** Trailing characters GFM leaves out of an autolink ("?, !, ., ,, :, *, _, and ~"). */
const TRAILING = new Set(["?", "!", ".", ",", ":", "*", "_", "~"]);
/** `&` and letters or digits at the end of a link: with the `;` after it, what looks like an entity. */
const ENTITY_LIKE = /&[A-Za-z0-9]+$/;

/**
 * Where GFM ends an autolink that linkify-it read from `start` to `end` in `text` (its extended
 * autolink path validation): trailing `?`, `!`, `.`, `,`, `:`, `*`, `_` and `~` are not part of
 * it (linkify-it kept a `:`, `_`, `~` or `*`, and a `.` or `?` before another: `/report:`,
 * `/a?!`); a trailing `)` only while the link has more `)` than `(`; a `;` after the link is
 * left out, and with it an `&` and letters or digits it ends (`?q=x&hl;`: GFM's example links
 * `?q=x`, where linkify-it linked `?q=x&hl`).
 */
function linkEnd(text: string, start: number, end: number): number {
  let open = 0, close = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28) open++;
    else if (c === 0x29) close++;
  }
  // linkify-it leaves out a `;` that ends the text or comes before a space; GFM reads it first.
  if (text[end] === ";") {
    const entity = ENTITY_LIKE.exec(text.slice(start, end));
    if (entity) end -= entity[0].length;
  }
  while (end > start) {
    const c = text[end - 1]!;
    if (c === ")") {
      if (close <= open) break;
      close--;
    } else if (c === ";") {
      const entity = ENTITY_LIKE.exec(text.slice(start, end - 1));
      if (entity) end -= entity[0].length;
    } else if (!TRAILING.has(c)) break;
    end--;
  }
  return end;
}

/** An http(s) link: linkify-it's, ended as GFM ends it (linkEnd). `pos` is after `http:`, at `//`. */
const WEB_LINK: Schema = {
  validate(text, pos, self) {
    const re = self.re.get_http_validator();
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return 0;
    const end = linkEnd(text, pos, pos + m[0].length);
    // `//` and a host at least.
    return end > pos + 2 ? end - pos : 0;
  },
};

/**
 * What follows `www.` in an extended www autolink: linkify-it's own host, port and path of an
 * http link (after its `//`), one for each of its host patterns (made anew when its options change).
 */
const WWW_TAILS = new WeakMap<RegExp, RegExp>();
/**
 * Before `www.`: the start of the text, white space, `*`, `_`, `~` or `(`, GFM's. (`_` and `~`
 * also where they are text, not emphasis: `snake_www.example.com` links `www.example.com`, as GFM does.)
 */
const BEFORE_WWW = /[\s*_~(]/;

/**
 * GFM's extended www autolink (https://github.github.com/gfm/#extended-www-autolink-extension-):
 * `www.` and a domain is a link, `http://` put before it (`www.example.com/a` links
 * `http://www.example.com/a`). As GFM has it, only `www.` in lower case, at the start of the text
 * or after white space, `*`, `_`, `~` or `(` (BEFORE_WWW: not in `desk@www.example.com` or
 * `ftp://www.…`). The rest is read as linkify-it reads an http link's host, port and path, and
 * ended as GFM ends it (linkEnd). A bare domain (`example.com`, `file.py`) stays text.
 */
const WWW_LINK: Schema = {
  validate(text, pos, self) {
    if (!text.startsWith("www.", pos - 4) || (pos > 4 && !BEFORE_WWW.test(text[pos - 5]!))) return 0;
    const host = self.re.get_url_host_port();
    let tail = WWW_TAILS.get(host);
    if (!tail) WWW_TAILS.set(host, (tail = new RegExp(host.source + self.re.get_path().source, "iy")));
    tail.lastIndex = pos;
    const length = linkEnd(text, pos, pos + (tail.exec(text)?.[0].length ?? 0)) - pos;
    // markdown-it's rule for `scheme://` asks for a link where a scheme starts (`www.x://…`): none of ours.
    return text.startsWith("://", pos + length) ? 0 : length;
  },
  normalize(match) {
    match.url = `http://${match.url}`;
  },
};

/**
 * The linkify-it a body parser uses: bare http(s) URLs and, with `www`, `www.` links (WWW_LINK).
 * Only those: a fuzzy `file.py` would link Paraguay, ftp: or `//` links would be refused anyway,
 * and a bare `mailto:` stays text.
 */
export function gfmLinkify(www: boolean): LinkifyIt {
  const linkify = new LinkifyIt({ rebuilder: new GfmPatterns(), fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  linkify.add("ftp:", null).add("//", null).add("mailto:", null).add("http:", WEB_LINK).add("https:", WEB_LINK);
  return www ? linkify.add("www.", WWW_LINK) : linkify;
}

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
