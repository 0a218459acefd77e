/**
 * Markdown → safe HTML. markdown-it (CommonMark) renders; sanitize-html enforces an allow-list
 * (no script, style, iframe, forms, event handlers, javascript:/data: URLs); relative links and
 * images are made absolute against the article's URL, because feed readers have no base URL.
 */
import MarkdownIt from "markdown-it";
import sanitizeHtml from "sanitize-html";
import { Parser } from "htmlparser2";
import { LIMITS } from "./limits.ts";

const md = new MarkdownIt("default", { html: true, linkify: false, typographer: false });

/** The HTML allow-list. Documented in README.md ("What HTML an article may contain"). */
export const ALLOWED_TAGS = [
  "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "kbd", "samp",
  "em", "strong", "b", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark", "q", "cite",
  "abbr", "dfn", "time", "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "figure", "figcaption",
  "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "span", "div", "details", "summary",
];

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  a: ["href", "title", "hreflang"],
  img: ["src", "alt", "title", "width", "height"],
  abbr: ["title"],
  q: ["cite"],
  blockquote: ["cite"],
  time: ["datetime"],
  th: ["colspan", "rowspan", "scope"],
  td: ["colspan", "rowspan"],
  ol: ["start", "reversed"],
  code: ["class"],
};

export const ALLOWED_SCHEMES = ["http", "https", "mailto"];

function absolutise(value: string, base: string): string {
  try {
    return new URL(value, base).href;
  } catch {
    return "";
  }
}

export function sanitize(html: string, baseUrl: string): string {
  const clean = sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedClasses: { code: [/^language-[a-z0-9+#-]+$/] },
    allowedSchemes: ALLOWED_SCHEMES,
    allowedSchemesByTag: { img: ["http", "https"] },
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    // Content of these is dropped with the tag, not shown as text.
    nonTextTags: ["script", "style", "textarea", "option", "noscript", "iframe", "object", "embed", "svg", "math", "template"],
    transformTags: {
      a: (tagName, attribs) => ({
        tagName,
        attribs: attribs.href === undefined ? attribs : { ...attribs, href: absolutise(attribs.href, baseUrl) },
      }),
      img: (tagName, attribs) => ({
        tagName,
        attribs: attribs.src === undefined ? attribs : { ...attribs, src: absolutise(attribs.src, baseUrl) },
      }),
    },
  }).trim();
  // A literal CR (from `&#13;` in the source) is written as the reference: XML parsers turn a
  // literal CR into LF (XML 1.0 §2.11), so RSS/Atom would otherwise carry other HTML than JSON.
  return clean.includes("\r") ? clean.replace(/\r/g, "&#13;") : clean;
}

/** Deepest element nesting in an HTML fragment. */
export function htmlDepth(html: string): number {
  let depth = 0, max = 0;
  const parser = new Parser(
    {
      onopentag() {
        depth++;
        if (depth > max) max = depth;
      },
      onclosetag() {
        depth--;
      },
    },
    { decodeEntities: false },
  );
  parser.write(html);
  parser.end();
  return max;
}

const NESTING_CONTAINERS = new Set([
  "bullet_list_open", "bullet_list_close", "ordered_list_open", "ordered_list_close", "blockquote_open", "blockquote_close",
]);

export type MarkdownResult = { ok: true; html: string } | { ok: false; message: string; line?: number };

export function renderMarkdown(markdown: string, baseUrl: string): MarkdownResult {
  const tokens = md.parse(markdown, {});
  // Count lists and blockquotes themselves: markdown-it's `level` also counts list items and
  // paragraphs, so it measures a list level as two and a blockquote level as one.
  let nesting = 0;
  for (const t of tokens) {
    if (!NESTING_CONTAINERS.has(t.type)) continue;
    nesting += t.nesting;
    if (nesting > LIMITS.bodyNestingDepth) {
      return {
        ok: false,
        message: `nested deeper than ${LIMITS.bodyNestingDepth} levels (lists or blockquotes)`,
        line: t.map ? t.map[0] + 1 : undefined,
      };
    }
  }
  const html = sanitize(md.renderer.render(tokens, md.options, {}), baseUrl);
  const depth = htmlDepth(html);
  if (depth > LIMITS.htmlElementDepth) {
    return { ok: false, message: `HTML nested ${depth} elements deep; at most ${LIMITS.htmlElementDepth} are allowed` };
  }
  return { ok: true, html };
}
