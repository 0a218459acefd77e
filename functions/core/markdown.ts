/**
 * Markdown → safe HTML. markdown-it (CommonMark, with footnotes) renders; sanitize-html enforces
 * an allow-list (no script, style, iframe, forms, event handlers, javascript:/data: URLs; an
 * http(s) embed becomes a link); relative links and images are made absolute against the
 * article's URL, because feed readers have no base URL.
 *
 * A body without raw HTML (no `html_block`/`html_inline` token) skips sanitize-html: everything
 * in it would come from markdown-it's own rules, so `renderDirect` applies the allow-list to the
 * tokens and writes what sanitize-html would write, byte for byte (test/unit/markdown-direct.test.ts
 * compares the two over content, a generated corpus and fast-check bodies).
 *
 * Beside it: embeds.ts (an iframe, video or audio published as a link), autolinks.ts (GFM's
 * `www.` links) and body-urls.ts (URLs made absolute and their schemes judged).
 */
import { createHash, randomBytes } from "node:crypto";
import { escapeHtmlText, feedSafeHtml } from "./html.ts";
import MarkdownIt, { type MarkdownIt as MarkdownParser, type Token } from "markdown-it";
import footnotes from "markdown-it-footnote";
import sanitizeHtml from "sanitize-html";
import { Parser } from "htmlparser2";
import { htmlTagNames } from "html-tag-names";
import { LIMITS } from "./limits.ts";
import { lineAt as textLineAt } from "./text.ts";
import { absolutise, ALLOWED_SCHEMES, IMG_SCHEMES, naughtyUrl, schemesFor, urlRefused } from "./body-urls.ts";
import { AS_SANITIZE_HTML, EMBED_OPENING, EMBED_TAGS, embedsAsLinks, MEDIA_TAGS, planEmbeds, plannedLink, type EmbedEnv, type EmbedPlan } from "./embeds.ts";
import { gfmLinkify, hasWww } from "./autolinks.ts";

/** Renders bodies without raw HTML the way sanitize-html serialises them (`<br />`, `<img … />`). */
const direct = new MarkdownIt("default", { html: true, linkify: false, typographer: false, xhtmlOut: true });
// Every link and image is parsed as one, whatever its URL: markdown-it's own check refused
// `javascript:`, `file:` and most `data:` links by leaving `[text](file:///C:/…)` as it was
// written, published as text with no word to the editor. The URL is judged here instead, like
// any other: dropped from the link by the allow-list (both paths), and told (bodyWarnings).
// The body parsers (bodyParser, below) do the same.
direct.validateLink = () => true;

const KNOWN_TAGS: ReadonlySet<string> = new Set(htmlTagNames);
const INLINE_TAG_NAME = /^<\/?([A-Za-z][A-Za-z0-9-]*)/;

/**
 * `The <Ministry> said`, `Dear <NAME>`: a word in angle brackets that is no HTML element is text
 * the editor wrote, not a tag to remove with nothing left of it (a custom element, named with a
 * hyphen, stays a tag: an embed's).
 */
function wordsInAngleBrackets(state: { tokens: Token[] }): void {
  for (const block of state.tokens) {
    if (block.type !== "inline" || !block.children) continue;
    for (const t of block.children) {
      if (t.type !== "html_inline") continue;
      const name = INLINE_TAG_NAME.exec(t.content)?.[1];
      if (name && !name.includes("-") && !KNOWN_TAGS.has(name.toLowerCase())) t.type = "text";
    }
  }
}

/**
 * An ordered list numbered as written where the numbers do not count up by one: `1974. Oil
 * boom.` then `2011. Uprising.` is a list to Markdown, which a reader shows as 1974, 1975: each
 * item whose number would be shown otherwise gets it as its `value`. `1. 1. 1.` (Markdown's lazy
 * numbering, shown 1, 2, 3) and `1. 2. 3.` are left as they are.
 */
function writtenNumbers(state: { tokens: Token[] }): void {
  const tokens = state.tokens;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.type !== "ordered_list_open") continue;
    const level = tokens[i]!.level + 1;
    const items: Token[] = [];
    for (let j = i + 1; j < tokens.length && tokens[j]!.level >= level; j++) {
      if (tokens[j]!.type === "list_item_open" && tokens[j]!.level === level) items.push(tokens[j]!);
    }
    const numbers = items.map((t) => Number(t.info));
    if (numbers.some(Number.isNaN) || numbers.every((n) => n === numbers[0]) || numbers.every((n, k) => n === numbers[0]! + k)) continue;
    for (let k = 1; k < items.length; k++) if (numbers[k] !== numbers[k - 1]! + 1) items[k]!.attrSet("value", String(numbers[k]));
  }
}

/** What a render is given, and what the footnote rules leave in it (markdown-it's `env`). */
type RenderEnv = EmbedEnv & {
  /** The footnotes' id prefix (markdown-it-footnote's docId): `fn-<docId>-1`. */
  docId?: string;
  /** markdown-it-footnote's: each label (`:1`) and its note's number, -1 for one never referred to. */
  footnotes?: { refs?: Record<string, number> };
  /** Every footnote definition, in order, with its body line (footnoteLines). */
  footnoteDefs?: { label: string; line: number }[];
};

/**
 * Each footnote definition's label and line, before markdown-it-footnote's last rule moves the
 * notes to the end and drops those nothing refers to (and all but the last of a label defined
 * twice), untold: bodyWarnings tells them.
 */
function footnoteLines(state: { tokens: Token[]; env: object }): void {
  const tokens = state.tokens;
  const defs: { label: string; line: number }[] = [];
  let line = 1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.map) line = t.map[0] + 1;
    if (t.type !== "footnote_reference_open") continue;
    // The definition's token has no line: its first block's is its own (an empty one: the line before).
    const first = tokens[i + 1]?.map;
    defs.push({ label: String(t.meta!.label), line: first ? first[0] + 1 : line });
  }
  if (defs.length) (state.env as RenderEnv).footnoteDefs = defs;
}

/**
 * The footnotes' own elements carry this attribute, with a value drawn when the module loads,
 * which no author can write: `transform` keeps their ids and classes for it, and removes it.
 * Ids and classes an author writes are refused as before (ALLOWED_ATTRIBUTES has none).
 *
 * The value also names the element's tag, id and class (noteMark), and `transform` keeps them
 * only if the element has exactly those: an author's unclosed tag before a footnote's element
 * (`<div id="x"` at the end of a body) takes the footnote's attributes as its own, after its
 * own (the first of an attribute written twice wins), and must not take the mark's trust with
 * them. Markup of the footnotes that an author's HTML swallows as text or as an attribute's value
 * (`<title>`, `<p title='`) keeps the mark's text: `sanitize` removes the value from its output,
 * which is never in a feed or the build cache (it differs in every process).
 */
const NOTE_ATTR = "data-syndicate-note";
const NOTE_VALUE = randomBytes(12).toString("hex");
/**
 * The elements footnotes are written with, and the one class each keeps (markdown-it-footnote's).
 * The notes are in a `div`, as goldmark (Hugo) writes them, not markdown-it-footnote's `section`:
 * an element the allow-list has, so that footnotes add none an author could write.
 */
const NOTE_CLASSES: Readonly<Record<string, string>> = {
  sup: "footnote-ref", a: "footnote-backref", hr: "footnotes-sep", div: "footnotes", ol: "footnotes-list", li: "footnote-item",
};
/** The mark of a footnote's `<tag id class>` (its class by default the tag's): what `transform` checks. */
const noteMark = (tag: string, id = "", cls = NOTE_CLASSES[tag]!) => `${NOTE_ATTR}="${NOTE_VALUE}/${tag}/${id}/${cls}"`;

/** `-<docId>-<n>`: a note's part of its ids, `fn-…` on the note, `fnref-…` on the reference. */
const noteName = (t: Token, env: RenderEnv) => `-${env.docId}-${Number(t.meta!.id) + 1}`;
/** A second reference to the same note: `:1` (its id `fnref-…-1:1`, shown as [1:1]). */
const subName = (t: Token) => (Number(t.meta!.subId) > 0 ? `:${t.meta!.subId}` : "");
type Rule = (tokens: Token[], idx: number, options: unknown, env: RenderEnv) => string;
/**
 * markdown-it-footnote's HTML, each element marked (noteMark) for the sanitiser. The links are
 * written `#fn-…` and made absolute against the article's URL by `transform`, like every relative
 * URL (README "What HTML an article may contain" says why).
 */
const FOOTNOTE_RULES: Record<string, Rule> = {
  footnote_ref: (tokens, idx, _o, env) => {
    const t = tokens[idx]!, name = noteName(t, env), sub = subName(t), id = `fnref${name}${sub}`;
    return `<sup class="footnote-ref" ${noteMark("sup")}><a href="#fn${name}" id="${id}" ${noteMark("a", id, "")}>[${Number(t.meta!.id) + 1}${sub}]</a></sup>`;
  },
  footnote_block_open: () => `<hr class="footnotes-sep" ${noteMark("hr")}>\n<div class="footnotes" ${noteMark("div")}>\n<ol class="footnotes-list" ${noteMark("ol")}>\n`,
  footnote_block_close: () => "</ol>\n</div>\n",
  footnote_open: (tokens, idx, _o, env) => {
    const id = `fn${noteName(tokens[idx]!, env)}`;
    return `<li id="${id}" class="footnote-item" ${noteMark("li", id)}>`;
  },
  footnote_close: () => "</li>\n",
  // ↩ with U+FE0E, so that iOS does not show it as an emoji (as markdown-it-footnote writes it).
  footnote_anchor: (tokens, idx, _o, env) => {
    const t = tokens[idx]!;
    return ` <a href="#fnref${noteName(t, env)}${subName(t)}" class="footnote-backref" ${noteMark("a")}>\u21a9\uFE0E</a>`;
  },
};

/** A body's footnote id prefix: 8 hex digits of the SHA-256 of the item's id, which is unique
 * and stable, so two items on one reader's page (from any feed) do not share `fn-…-1`. */
export const footnoteDocId = (itemId: string) => createHash("sha256").update(itemId).digest("hex").slice(0, 8);

/** Inline markup that opens around text: the text in it follows what comes before it directly. */
const OPENS_AROUND_TEXT = new Set(["strong_open", "em_open", "s_open", "link_open"]);

/**
 * The text right after inline token `idx` in its paragraph (embedsAsLinks: a link made of an embed
 * needs a space before text): the next text, or code, through markup that opens around it
 * (`<iframe …>**now**`, `*now*`, `[the page](…)`) and the empty text token markdown-it leaves of a
 * `**`; "" where something else comes first (a tag of its own, a line break, an image, the end).
 */
function textAfter(tokens: Token[], idx: number): string {
  for (let i = idx + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "text" || t.type === "code_inline") {
      if (t.content) return t.content;
    } else if (!OPENS_AROUND_TEXT.has(t.type)) return "";
  }
  return "";
}

/**
 * A parser for bodies. `links`: linkify, bare http(s) URLs become links (GFM's autolinks), found
 * before emphasis, so that `https://example.org/_private_/file` is not read as emphasis inside
 * the URL; with "www", `www.` and a domain too (autolinks.ts gfmLinkify, which ends each as GFM
 * does). Without it for a body with neither "://" nor "www." (most): linkify's scan of every text token
 * was a quarter of the conversion's time; and without `www.` for a body with none (its search
 * stopping at each word that starts with a `w` made a body with a URL ~4% slower). `notes`:
 * footnotes (`Text.[^1]` … `[^1]: The note.`), as Hugo (goldmark), Ghost and most blog tools
 * render them, only for a body with a `[^` in it (a note needs one), so that no other body pays
 * for their rules. Their inline notes (`^[note]`, Pandoc's) are off: goldmark has none, and `^[`
 * in a body stays text as it was.
 */
function bodyParser(links: Autolinks, notes: boolean) {
  const parser = new MarkdownIt("default", { html: true, linkify: links !== "none", typographer: false });
  if (notes) parser.use(footnotes);
  if (links !== "none") parser.linkify = gfmLinkify(links === "www");
  // As `direct`'s: every URL parsed, then judged by the allow-list and told.
  parser.validateLink = () => true;
  parser.core.ruler.push("words_in_angle_brackets", wordsInAngleBrackets);
  parser.core.ruler.push("written_numbers", writtenNumbers);
  parser.renderer.rules.html_block = (tokens, idx, _o, env) => embedsAsLinks(tokens[idx]!.content, env as RenderEnv, true);
  parser.renderer.rules.html_inline = (tokens, idx, _o, env) => embedsAsLinks(tokens[idx]!.content, env as RenderEnv, false, () => textAfter(tokens, idx));
  if (notes) {
    parser.inline.ruler.disable("footnote_inline");
    parser.core.ruler.before("footnote_tail", "footnote_lines", footnoteLines);
    Object.assign(parser.renderer.rules, FOOTNOTE_RULES);
  }
  return parser;
}
/** The autolinks a body's parser finds: none, `https://…` ones, or those and `www.…` ones. */
type Autolinks = "none" | "urls" | "www";
/** Each kind's parser, without and with footnotes. */
const PARSERS: Record<Autolinks, readonly [MarkdownParser, MarkdownParser]> = {
  none: [bodyParser("none", false), bodyParser("none", true)],
  urls: [bodyParser("urls", false), bodyParser("urls", true)],
  www: [bodyParser("www", false), bodyParser("www", true)],
};

/** The HTML allow-list. Documented in README.md ("What HTML an article may contain"). */
export const ALLOWED_TAGS = [
  "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "kbd", "samp",
  "em", "strong", "b", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark", "q", "cite",
  "abbr", "dfn", "time", "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "figure", "figcaption",
  "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "span", "div", "details", "summary",
];

/**
 * Attributes every allowed element keeps: the writing direction and language of a passage
 * (`<p dir="rtl" lang="ar">`), which readers need for Arabic or Hebrew inside an English article.
 */
const GLOBAL_ATTRIBUTES = ["dir", "lang"];
const DIR_VALUES = ["ltr", "rtl", "auto"];
/** A `dir` HTML reads (its keyword in any case). */
const validDir = (value: string) => DIR_VALUES.includes(value.toLowerCase());

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  a: ["href", "title", "hreflang"],
  img: ["src", "alt", "title", "width", "height"],
  abbr: ["title"],
  q: ["cite"],
  blockquote: ["cite"],
  time: ["datetime"],
  // style: only a table column's alignment (`|---:|`), the one style Markdown writes (TABLE_ALIGN).
  th: ["colspan", "rowspan", "scope", "style"],
  td: ["colspan", "rowspan", "style"],
  ol: ["start", "reversed"],
  li: ["value"],
  code: ["class"],
};

/**
 * The URL attribute of each element that has one: made absolute against the article's URL, and
 * dropped (with a warning) when its scheme is not allowed. `cite` too: no browser follows it, but
 * a reader or page that links it must not get a `javascript:` URL (sanitize-html passed
 * `java&#xFFFF;script:` there as a relative URL, which feedSafeHtml then joined back).
 */
const URL_ATTRS: Readonly<Record<string, string>> = { a: "href", img: "src", q: "cite", blockquote: "cite" };

const NO_PLANS: ReadonlyMap<number, EmbedPlan> = new Map();
/** Elements whose content HTML reads as text up to their own closing tag, whatever it holds. */
const RAW_TEXT: ReadonlySet<string> = new Set(["script", "style", "textarea"]);
/** Elements removed with their content, not shown as text (sanitize-html's nonTextTags; removedHtml); an iframe only when closed (embeds.ts). */
const DROPPED_WITH_CONTENT: ReadonlySet<string> = new Set(["script", "style", "textarea", "option", "noscript", "iframe", "object", "embed", "svg", "math", "template"]);
const CODE_CLASS = /^language-[A-Za-z0-9+#-]+$/;
/** The alignment of a table's column, as markdown-it writes it and sanitize-html keeps it. */
const ALIGNMENT = /^(?:left|right|center)$/;
const TABLE_ALIGN = new RegExp(`^text-align:${ALIGNMENT.source.slice(1)}`);
const ALLOWED_STYLES = { "text-align": [ALIGNMENT] };

/**
 * sanitize-html's allowedAttributes: each element's own, plus dir and lang (dir's value checked by
 * `transform`), plus the id and class of footnotes' elements, which `transform` removes from any
 * element not marked as a footnote's (noteMark): an author's are refused as before.
 */
const SANITIZE_ATTRIBUTES: Record<string, string[]> = { ...ALLOWED_ATTRIBUTES, "*": GLOBAL_ATTRIBUTES };
for (const tag of Object.keys(NOTE_CLASSES)) SANITIZE_ATTRIBUTES[tag] = [...(SANITIZE_ATTRIBUTES[tag] ?? []), "id", "class"];

/**
 * Every allowed element's attributes before sanitize-html filters them: a `dir` other than ltr,
 * rtl or auto dropped (sanitize-html's own value check leaves an empty `dir`), and the URL
 * attribute made absolute against the article's URL.
 */
function transform(baseUrl: string) {
  return (tagName: string, attribs: sanitizeHtml.Attributes) => {
    let out = attribs;
    if (Object.hasOwn(NOTE_CLASSES, tagName)) {
      if (out[NOTE_ATTR] === `${NOTE_VALUE}/${tagName}/${out.id ?? ""}/${out.class ?? ""}`) {
        // A footnote's own element: its id and its one class kept (allowedClasses), the mark removed.
        out = { ...out };
        delete out[NOTE_ATTR];
      } else if (out.id !== undefined || out.class !== undefined) {
        out = { ...out };
        delete out.id;
        delete out.class;
      }
    }
    if (out.dir !== undefined) {
      // HTML reads the keyword in any case; written lower-case, in its place among the attributes.
      out = { ...out, dir: out.dir.toLowerCase() };
      if (!validDir(out.dir!)) delete out.dir;
    }
    const attr = Object.hasOwn(URL_ATTRS, tagName) ? URL_ATTRS[tagName] : undefined;
    if (attr !== undefined && out[attr] !== undefined) out = { ...out, [attr]: absolutise(out[attr], baseUrl) };
    return { tagName, attribs: out };
  };
}

const SANITIZE_CLASSES: Record<string, (string | RegExp)[]> = { code: [CODE_CLASS] };
for (const [tag, cls] of Object.entries(NOTE_CLASSES)) SANITIZE_CLASSES[tag] = [cls];

/**
 * `html` through the allow-list. A paragraph with nothing in it is left out: HTML reads a `</p>`
 * with no paragraph open as an empty one, and one is left wherever a paragraph Markdown began
 * inside an element ends after that element's closing tag (a video's fallback paragraph ending
 * `… more</video>`: the video, dropped with its content, took the paragraph's start with it).
 */
export function sanitize(html: string, baseUrl: string): string {
  const clean = sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: SANITIZE_ATTRIBUTES,
    allowedClasses: SANITIZE_CLASSES,
    allowedStyles: { th: ALLOWED_STYLES, td: ALLOWED_STYLES },
    allowedSchemes: ALLOWED_SCHEMES,
    allowedSchemesByTag: { img: IMG_SCHEMES },
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    // Content of these is dropped with the tag, not shown as text: a video or audio left here is
    // one made a link, its content the fallback (embedsAsLinks).
    nonTextTags: [...DROPPED_WITH_CONTENT, ...MEDIA_TAGS],
    transformTags: { "*": transform(baseUrl) },
  });
  // A footnote's mark swallowed by an author's HTML (NOTE_ATTR): its value goes, not into a feed.
  const unmarked = clean.includes(NOTE_VALUE) ? clean.replaceAll(NOTE_VALUE, "") : clean;
  // Empty paragraphs (above), and one whose every element was removed (`<p><script>…`): taken out
  // of the output, whatever emptied them (a `<p></p>` in text or an attribute is escaped by
  // now), one line break kept where one stood on either side.
  return finish(unmarked.includes("<p></p>") ? unmarked.replace(/(\n?)<p><\/p>(\n?)/g, (_, before: string, after: string) => before || after) : unmarked);
}

function finish(html: string): string {
  // A literal CR (from `&#13;` in the source) is written as the reference, and what XML cannot
  // carry is removed, so RSS/Atom carry the same HTML as JSON (html.ts feedSafeHtml).
  return feedSafeHtml(html.trim());
}

// ---- The direct path: bodies without raw HTML ----

/** How each token type markdown-it's own rules emit is rendered; any other type (raw HTML
 * above all) sends the body through sanitize-html. */
type Kind = "tag" | "void" | "pre" | "code" | "text";
const DIRECT_TYPES = new Map<string, Kind>([
  ...["paragraph", "heading", "blockquote", "bullet_list", "ordered_list", "list_item", "table", "thead", "tbody", "tr", "th", "td",
    "em", "strong", "s", "link"].flatMap((t): [string, Kind][] => [[`${t}_open`, "tag"], [`${t}_close`, "tag"]]),
  ["hr", "void"], ["hardbreak", "void"], ["image", "void"],
  ["fence", "pre"], ["code_block", "pre"], ["code_inline", "code"],
  ["text", "text"], ["softbreak", "text"],
]);
const ALLOWED_TAG_SET = new Set(ALLOWED_TAGS);
/** Attributes sanitize-html writes without a value when empty (not in its nonBooleanAttributes). */
const BOOLEAN_ATTRIBUTES = new Set(["reversed"]);

/**
 * The deepest element nesting the tokens render to (what htmlDepth would count), or -1 if the
 * direct path cannot render them: a raw HTML token anywhere (image alt text included), a token
 * type or tag it does not know, or an attribute it would not write as sanitize-html does.
 */
function directDepth(tokens: Token[], depth: number): number {
  let max = depth;
  for (const t of tokens) {
    if (t.type === "inline") {
      const d = directDepth(t.children ?? [], depth);
      if (d < 0) return -1;
      if (d > max) max = d;
      continue;
    }
    const kind = DIRECT_TYPES.get(t.type);
    if (kind === undefined) return -1;
    if (kind !== "text" && !ALLOWED_TAG_SET.has(t.tag)) return -1;
    if (t.attrs) {
      if (kind === "pre" || kind === "code") return -1;
      for (const [name] of t.attrs) if (BOOLEAN_ATTRIBUTES.has(name) || name === "class") return -1;
    }
    // Alt text is the children's text (renderInlineAsText), raw HTML included: only that matters.
    if (t.type === "image" && t.children && hasRawHtml(t.children)) return -1;
    switch (kind) {
      case "tag":
        if (t.hidden) break;
        depth += t.nesting;
        if (depth > max) max = depth;
        break;
      case "void":
      case "code":
        if (depth + 1 > max) max = depth + 1;
        break;
      case "pre": // <pre><code>
        if (depth + 2 > max) max = depth + 2;
        break;
    }
  }
  return max;
}

function hasRawHtml(tokens: Token[]): boolean {
  return tokens.some((t) => t.type === "html_inline" || t.type === "html_block" || (t.children !== null && hasRawHtml(t.children)));
}

/** What sanitize-html does to each attribute, applied to the tokens: outside the allow-list
 * dropped (tables' `style`), `href`/`src` made absolute and dropped if their scheme is not
 * allowed, empty values dropped except `alt`. */
function cleanAttributes(tokens: Token[], baseUrl: string): void {
  for (const t of tokens) {
    if (t.children) cleanAttributes(t.children, baseUrl);
    if (!t.attrs) continue;
    // A refused URL is dropped here and reported to the editor by bodyWarnings.
    const allowed = ALLOWED_ATTRIBUTES[t.tag];
    const kept: [string, string][] = [];
    for (const [name, raw] of t.attrs) {
      if (!allowed?.includes(name)) continue;
      let value = String(raw);
      if (URL_ATTRS[t.tag] === name) {
        value = absolutise(value, baseUrl);
        if (naughtyUrl(value, schemesFor(t.tag))) continue;
      }
      if (name === "style" && !TABLE_ALIGN.test(value)) continue;
      if (value === "" && name !== "alt") continue;
      kept.push([name, value]);
    }
    t.attrs = kept.length > 0 ? kept : null;
  }
}

/** Text as sanitize-html re-escapes it: `&`, `<`, `>` (markdown-it also escapes `"`). */
const escapeText = escapeHtmlText;

direct.renderer.rules.text = (tokens, idx) => escapeText(tokens[idx]!.content);
direct.renderer.rules.code_inline = (tokens, idx) => `<code>${escapeText(tokens[idx]!.content)}</code>`;
direct.renderer.rules.code_block = (tokens, idx) => `<pre><code>${escapeText(tokens[idx]!.content)}</code></pre>\n`;
direct.renderer.rules.fence = (tokens, idx) => {
  // markdown-it's class: `language-` and the info string's first word, kept if sanitize would.
  const t = tokens[idx]!;
  const info = t.info ? direct.utils.unescapeAll(t.info).trim() : "";
  const cls = info ? `language-${info.split(/\s+/)[0]}` : "";
  return `<pre><code${CODE_CLASS.test(cls) ? ` class="${cls}"` : ""}>${escapeText(t.content)}</code></pre>\n`;
};

function renderDirect(tokens: Token[], baseUrl: string): string {
  cleanAttributes(tokens, baseUrl);
  return finish(direct.renderer.render(tokens, direct.options, {}));
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

/**
 * What the allow-list removes (raw HTML, a refused link or image URL): what, and its body line
 * (1-based). `message`: a note on something kept but likely not meant (bodyWarnings), said as is.
 */
export interface RemovedHtml {
  line: number;
  what: string;
  message?: string;
}

export type MarkdownResult = { ok: true; html: string; removed?: RemovedHtml[] } | { ok: false; message: string; line?: number };

/** Elements without content: nothing of theirs is kept, or lost, but the element. */
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]);

/** An element or attribute name as a message shows it: on one line, nothing odd in it. */
const shown = (name: string) => (/^[a-z][\w:.-]{0,40}$/i.test(name) ? name : "(malformed)");

/** Openings that hide the rest of a body when never closed. */
const UNCLOSED: readonly (readonly [string, string, string])[] = [
  ["<!--", "-->", "everything after an HTML comment that is never closed (<!-- without -->)"],
  ["<![CDATA[", "]]>", "everything after a <![CDATA[ section that is never closed (no ]]>)"],
];

/** A closing tag at the start of a piece of HTML, white space before it allowed. */
const LEADING_CLOSE = /^\s*<\/([a-zA-Z][\w:-]*)\s*>/;

/**
 * Calls `each` with the name of every closing tag a token starts with (`</video>` after an inline
 * `<video>` is a token of its own), which htmlparser2 ignores, having seen no opening tag; returns
 * where the rest of the token begins.
 */
function leadingCloses(html: string, each: (name: string) => void): number {
  let start = 0;
  for (let m; (m = LEADING_CLOSE.exec(html.slice(start))); start += m[0].length) each(m[1]!.toLowerCase());
  return start;
}

/**
 * What `sanitize` will remove of the body's raw HTML (html_block and html_inline tokens), so that
 * an editor is told instead of finding an embed, a script or a link gone from the feed: elements
 * outside the allow-list, attributes outside it (event handlers, style), and links and images
 * whose URL scheme is refused. Elements sanitize-html's parser adds or drops on its own (closing
 * tags, comments) are not reported.
 */
function removedHtml(tokens: Token[], env: RenderEnv, found: RemovedHtml[] = []): RemovedHtml[] {
  const { baseUrl, embeds: plans = NO_PLANS } = env;
  const note = (line: number, what: string) => found.push({ line, what });
  // The element a drop began with, told: if the body never closes it, all that follows is gone too.
  let dropped: { told: RemovedHtml; tag: string; name: string } | undefined;
  // Each embed's plan, met in the order embedsAsLinks met them (embeds.ts planEmbeds).
  let embedAt = 0;
  // Inside an element dropped with its content nothing more is reported: it is gone with it.
  // Counted across tokens (an inline `<iframe>` and its `</iframe>` are two); closes the parser
  // implies at the end of a token's text do not count.
  let inDropped = 0;
  const drops = (name: string) => DROPPED_WITH_CONTENT.has(name) && !VOID.has(name);
  // Counted inside a dropped element: a video or audio made a link is one (embedsAsLinks).
  const counts = (name: string) => drops(name) || MEDIA_TAGS.has(name);
  const scan = (html: string, firstLine: number) => {
    // The line of the parser's position, moved forward only (startIndex only grows): counting
    // from the block's start for every tag was quadratic in a long HTML block.
    let line = firstLine, counted = 0;
    const lineAt = (index: number) => {
      for (let i = html.indexOf("\n", counted); i !== -1 && i < index; i = html.indexOf("\n", i + 1)) (line++, (counted = i + 1));
      return line;
    };
    // Closing tags a token starts with (`</iframe>` after an inline `<iframe>`, or opening an
    // HTML block): the parser below would ignore them, having seen no opening tag.
    const start = leadingCloses(html, (name) => {
      if (inDropped > 0 && counts(name)) inDropped--;
    });
    if (start >= html.length) return;
    const parser: Parser = new Parser(
      {
        onopentag(name, attribs) {
          const plan = EMBED_TAGS.has(name) ? plans.get(embedAt++) : undefined;
          if (inDropped > 0) {
            // An embed counts only when it is closed: one never closed has no closing tag to count back.
            if (EMBED_TAGS.has(name) ? plan?.closed : drops(name)) inDropped++;
            return;
          }
          // The tag's own line: its block's first line plus the lines before it in the block.
          const line = lineAt(start + parser.startIndex);
          const tag = shown(name) === name ? `<${name}>` : "a malformed tag";
          const link = EMBED_TAGS.has(name) ? plannedLink(attribs, plan, baseUrl) : undefined;
          if (link) {
            // Its content goes with it when its closing tag is its own (embeds.ts embedsAsLinks).
            const withContent = plan?.closed === true;
            if (withContent) inDropped++;
            found.push({ line, what: `${tag} as a link`, message: `${tag} is published as a link to ${link.href}: an embed is not kept in the feed (readers drop it), its link is${withContent ? `; whatever is written between ${tag} and </${name}> is not published` : ""}` });
            return;
          }
          if (!ALLOWED_TAG_SET.has(name)) {
            // An iframe with no http(s) src goes with its content only when the body closes it.
            const gone = drops(name) && (!EMBED_TAGS.has(name) || plan?.closed === true);
            note(line, gone ? `${tag} and its content` : VOID.has(name) ? tag : `${tag} (its text is kept)`);
            if (gone && inDropped++ === 0) dropped = { told: found.at(-1)!, tag, name };
            return;
          }
          const allowed = ALLOWED_ATTRIBUTES[name];
          for (const [attr, value] of Object.entries(attribs)) {
            if (GLOBAL_ATTRIBUTES.includes(attr)) {
              if (attr === "dir" && !validDir(value)) note(line, `the dir of ${tag} (ltr, rtl or auto)`);
            } else if (!allowed?.includes(attr)) note(line, `the ${shown(attr)} attribute of ${tag}`);
            else if (URL_ATTRS[name] === attr) {
              const refused = urlRefused(value, baseUrl, schemesFor(name));
              if (refused) note(line, `the ${attr} of ${tag} (${refused})`);
              else if (name === "a" && MARKDOWN_FILE_LINK.test(value)) found.push({ line, what: `link to ${value}`, message: markdownFileLink(value) });
            } else if (attr === "style" && !TABLE_ALIGN.test(value.replace(/[\s;]+/g, ""))) {
              note(line, `the style of ${tag} (only text-align is kept)`);
            } else if (name === "code" && attr === "class" && !value.split(/\s+/).filter(Boolean).every((c) => CODE_CLASS.test(c))) {
              note(line, `the class of <code> (only language-… is kept)`);
            }
          }
        },
        onclosetag(name, implied) {
          if (!implied && inDropped > 0 && counts(name)) inDropped--;
        },
      },
      AS_SANITIZE_HTML,
    );
    parser.write(start ? html.slice(start) : html);
    parser.end();
    // A comment or CDATA section never closed runs to the end of the body (markdown-it's HTML
    // block does), and sanitize-html drops it with everything after it. Nothing is parsed after
    // it, so its line is past every tag's above (lineAt only moves forward).
    for (const [open, close, what] of UNCLOSED) {
      const at = html.indexOf(open, start);
      if (at !== -1 && html.indexOf(close, at + open.length) === -1) note(lineAt(at), what);
    }
    // A closed CDATA section: HTML has none, and its text is dropped with it (sanitize-html).
    // Told once, at the first; its line counted afresh (lineAt above only moves forward).
    const cdata = html.indexOf("<![CDATA[", start);
    if (cdata !== -1 && html.indexOf("]]>", cdata) !== -1) note(firstLine + textLineAt(html, cdata) - 1, "the text of a <![CDATA[ … ]]> section (HTML has none: write the text itself, code in a code block)");
  };
  walkLines(tokens, (t, line) => {
    if (t.type === "html_block" || t.type === "html_inline") scan(t.content, line);
  });
  // Still inside a script, style or textarea at the end: it was never closed, and since HTML
  // reads all after it as its text (closing tags of lists and quotes included), sanitize-html
  // dropped every paragraph after it. Said, so that an editor does not find half an article.
  if (inDropped > 0 && dropped && RAW_TEXT.has(dropped.name)) dropped.told.what = `${dropped.tag} and everything after it in the body: it is never closed (no </${dropped.name}>)`;
  return found;
}

/**
 * Every token with its body line (1-based): a block's from its map; a token without one (an
 * inline child, a table cell's) the line before it, one more after each line break among the
 * inline children. A token is visited before its children. Not those of an image's alt text:
 * the alt attribute is their text (markdown-it's renderInlineAsText), raw HTML and links
 * included, so nothing in it is an element or a URL of the body (`![<iframe src=x>](a.png)`
 * was told as an iframe published as a link, and took a real embed's plan).
 */
function walkLines(tokens: Token[], visit: (t: Token, line: number) => void): void {
  // Returns the line it ended on: a break inside an image's alt text moves its siblings on too.
  const walk = (list: Token[], line: number, alt: boolean): number => {
    for (const t of list) {
      if (t.map) line = t.map[0] + 1;
      else if (t.type === "softbreak" || t.type === "hardbreak") line++;
      if (!alt) visit(t, line);
      if (t.children) line = walk(t.children, line, alt || t.type === "image");
    }
    return line;
  };
  walk(tokens, 1, false);
}

/**
 * In one walk of the tokens, with the body line of each, in line order:
 * - Markdown links and images whose URL the allow-list refuses (`[x](ftp://…)`,
 *   `![x](data:image/png…)`: markdown-it lets them through, `sanitize` and the direct path drop
 *   the URL);
 * - what is published as written but most likely not meant so (a `message` each): lines indented
 *   by 4 spaces or a tab (Markdown's code, shown in a monospace box), a paragraph made a heading
 *   by a `---` under it, a reference link whose label is defined nowhere (published as
 *   `[text][label]`), and a link to a `.md` file (readers get a URL of no page: an article's
 *   address is /articles/<slug>), and WordPress shortcodes and Obsidian wiki links
 *   (foreignMarkup). `brackets`: the body has a `[`; without one none of the last three can be in it.
 */
function bodyWarnings(tokens: Token[], baseUrl: string, env: RenderEnv, brackets: boolean): RemovedHtml[] {
  const found: RemovedHtml[] = env.footnoteDefs ? footnoteWarnings(env.footnoteDefs, env.footnotes?.refs ?? {}) : [];
  // The shortcodes opened so far, by name: a `[/caption]` that closes one is not told again.
  const open = new Map<string, number>();
  walkLines(tokens, (t, line) => {
    switch (t.type) {
      case "link_open":
      case "image": {
        const raw = t.attrGet(t.type === "image" ? "src" : "href");
        const url = raw === undefined || raw === null ? "" : String(raw);
        const refused = url ? urlRefused(url, baseUrl, schemesFor(t.tag)) : undefined;
        if (refused) {
          found.push({ line, what: `the ${t.type === "image" ? "image" : "link"}'s URL (${refused})` });
        } else if (t.type === "link_open" && MARKDOWN_FILE_LINK.test(url)) {
          found.push({ line, what: `link to ${url}`, message: markdownFileLink(url) });
        }
        break;
      }
      case "code_block":
        found.push({ line, what: "indented code", message: "is indented by 4 spaces or a tab, so it is published as code (a monospace box); remove the indent unless it is code (fence real code with ```)" });
        break;
      case "html_block": {
        // A tag left without its `>` (the end of a line or of the body): HTML reads it and what
        // follows as one broken tag, so what it was to hold is lost, with no other word.
        const open = unclosedTag(t.content);
        if (open) {
          const at = line + (t.content.slice(0, open.index).match(/\n/g)?.length ?? 0);
          found.push({ line: at, what: `unclosed <${open.name}>`, message: `<${open.name}> is not closed: no ">" ends the tag before its block ends, so it and the text after it are read as one broken tag and not published as meant; end the tag with ">"` });
        }
        break;
      }
      case "heading_open":
        if (t.markup === "-") found.push({ line, what: "setext heading", message: "is a heading: a line of --- right under a paragraph makes it one (Markdown's setext heading); leave a blank line before --- for a rule" });
        break;
      case "inline": {
        // The inline source first (one native scan each): nothing of a body without a `[` (most),
        // its text joined only where `][`, `[^`, a shortcode's name or `[[` appears.
        if (!brackets || !t.children || !t.content.includes("[")) break;
        if (FOREIGN_MARKUP.test(t.content)) foreignMarkup(t.children, line, open, found);
        if (!t.content.includes("][") && !t.content.includes("[^")) break;
        const text = t.children.map((c) => (c.type === "text" ? c.content : "\u0000")).join("");
        // `[video src="…"][/video]` has the shape of `[text][label]`: a shortcode, told as one (foreignMarkup).
        const ref = [...text.matchAll(UNDEFINED_REFERENCE)].find((r) => !SHORTCODE_REFERENCE.test(r[0]));
        if (ref) found.push({ line, what: "undefined reference", message: `${ref[0]} is published as written: no line "[${ref[1] || ref[0].slice(1, ref[0].indexOf("]"))}]: https://…" defines that link` });
        const note = FOOTNOTE.exec(text);
        if (note) found.push({ line, what: "footnote", message: `${note[0]} is published as written: no line "${note[0]}: …" defines that footnote` });
        break;
      }
    }
  });
  return found.sort((a, b) => a.line - b.line);
}

/**
 * A start tag an HTML block ends inside: `<` and a tag name after the block's last `>`. Looked
 * for after that `>` only, so that the scan is linear whatever the block holds.
 */
function unclosedTag(html: string): { name: string; index: number } | undefined {
  const from = html.lastIndexOf(">") + 1;
  const m = /<([A-Za-z][A-Za-z0-9-]*)(?=[\s/]|$)/.exec(html.slice(from));
  return m ? { name: m[1]!.toLowerCase(), index: from + m.index } : undefined;
}
/** `[text][label]` left as written: no `[label]: URL` line defines it. */
const UNDEFINED_REFERENCE = /\[[^\]\n]+\]\[([^\]\n]*)\]/g;
const markdownFileLink = (url: string) => `links to the file ${url}, which readers cannot open; link to the article's address instead (/articles/<slug>, its slug without .md)`;

/**
 * What markdown-it-footnote drops of the definitions, untold: one nothing in the text refers to,
 * and all but the last of a label defined twice.
 */
function footnoteWarnings(defs: { label: string; line: number }[], refs: Record<string, number>): RemovedHtml[] {
  const last = new Map(defs.map((d) => [d.label, d]));
  const found: RemovedHtml[] = [];
  for (const d of defs) {
    const note = `[^${d.label.length > 40 ? `${d.label.slice(0, 40)}…` : d.label}]`;
    if (last.get(d.label) !== d) {
      found.push({ line: d.line, what: `footnote ${note} defined again`, message: `the footnote ${note} is not published: ${note} is defined again further on, and only the last definition is; give each note its own label` });
    } else if (refs[`:${d.label}`] === -1) {
      found.push({ line: d.line, what: `footnote ${note} unused`, message: `the footnote ${note} is not published: nothing in the text refers to it (write ${note} where the note belongs)` });
    }
  }
  return found;
}

/**
 * Markup another tool reads and Markdown publishes as text (editors moving content from WordPress
 * or Obsidian): a shortcode of WordPress core (and the common `youtube`), lower-case as WordPress
 * reads them, with a shortcode's shape (`[name]`, `[name attr…]`, `[/name]`; `[VIDEO]`,
 * `[video: …]` and `[embedded]` are news text), and wiki links and embeds (`[[note]]`,
 * `[[note|label]]`, `![[image.png]]`). Looked for in an inline's text only: not in code, raw
 * HTML or an image's alt, and not starting in a link's text (`[[caption]](…)`). A closing tag is
 * told only when no opening one of its name came before it in the body.
 */
function foreignMarkup(children: Token[], firstLine: number, open: Map<string, number>, found: RemovedHtml[]): void {
  // The text, each other token one NUL (a line break, and one in raw HTML, a "\n"), and where
  // link texts start and end (a link's own tokens are nothing of the text: `[youtube https://…]`
  // holds an autolink).
  let text = "";
  const links: number[] = [];
  let depth = 0;
  for (const c of children) {
    if (c.type === "text") text += c.content;
    else if (c.type === "softbreak" || c.type === "hardbreak") text += "\n";
    else if (c.type === "link_open") {
      if (depth++ === 0) links.push(text.length);
    } else if (c.type === "link_close") {
      if (--depth === 0) links.push(text.length);
    } else text += c.content.includes("\n") ? `\u0000${"\n".repeat(c.content.split("\n").length - 1)}` : "\u0000";
  }
  // The matches come in order: the line and the link they are in move forward only (linear in the text).
  let line = firstLine, counted = 0, link = 0;
  for (const m of text.matchAll(FOREIGN_MARKUP_ALL)) {
    while (link < links.length && links[link]! <= m.index) link++;
    // Past an odd number of link starts and ends: inside a link's text.
    if (link % 2 === 1 || m[3]?.trim() === "") continue;
    for (let i = text.indexOf("\n", counted); i !== -1 && i < m.index; i = text.indexOf("\n", i + 1)) (line++, (counted = i + 1));
    const [written, close, name, wiki] = m;
    const shown = clipped(written.replace(/\u0000+/g, "…").replace(/\s*\n\s*/g, " "));
    if (name) {
      if (close) {
        const n = open.get(name) ?? 0;
        if (n > 0) {
          open.set(name, n - 1);
          continue;
        }
      } else open.set(name, (open.get(name) ?? 0) + 1);
      found.push({ line, what: `shortcode ${shown}`, message: `${shown} is published as text: a WordPress shortcode, which Markdown does not read; ${SHORTCODE_ADVICE[name]}` });
    } else if (written.startsWith("!")) {
      const file = /[^/\\#|]+\.[A-Za-z0-9]{2,5}$/.exec(wiki!.split("|")[0]!.trim())?.[0];
      found.push({ line, what: `wiki embed ${shown}`, message: `${shown} is published as text: a wiki embed (Obsidian's), which Markdown does not read; write a Markdown image with its URL, ![description](https://…${file ? `/${file}` : ""})` });
    } else {
      const bar = wiki!.indexOf("|");
      const label = clipped((bar === -1 ? wiki! : wiki!.slice(bar + 1)).trim() || wiki!.slice(0, bar).trim());
      found.push({ line, what: `wiki link ${shown}`, message: `${shown} is published as text: a wiki link (Obsidian's), which Markdown does not read; write a Markdown link, [${label}](https://…)` });
    }
  }
}

/** Written as a message shows it: at most 60 characters, the rest `…` (a shortcode's last `]` kept). */
const clipped = (s: string) => (s.length <= 60 ? s : `${s.slice(0, 59)}…${s.endsWith("]") && !s.endsWith("]]") ? "]" : ""}`);

const SHORTCODE_NAMES = "caption|wp_caption|embed|gallery|audio|video|playlist|youtube";
const CAPTION_ADVICE = "write the image as Markdown, ![description](https://…), and the caption as text under it (the lead photo: front matter image: with its caption:)";
const EMBED_ADVICE = 'write the URL on a line of its own (published as a link) or an <iframe>, <video> or <audio> (published as a link to its source: README "Embeds")';
/** What to write instead of each shortcode. */
const SHORTCODE_ADVICE: Readonly<Record<string, string>> = {
  caption: CAPTION_ADVICE,
  wp_caption: CAPTION_ADVICE,
  gallery: "write each image as Markdown, ![description](https://…)",
  embed: EMBED_ADVICE,
  youtube: EMBED_ADVICE,
  video: EMBED_ADVICE,
  audio: EMBED_ADVICE,
  playlist: EMBED_ADVICE,
};
/** An inline's source that may hold one (foreignMarkup): a shortcode's name after `[` or `[/`, or `[[`. */
const FOREIGN_MARKUP = new RegExp(`\\[(?:\\[|\\/?(?:${SHORTCODE_NAMES})[\\s\\]])`);
/**
 * Each one in an inline's text: a shortcode (1: `/` of a closing one, 2: its name; attributes up to
 * the next bracket), or a wiki link or embed (3: what is between `[[` and `]]`; `[[ ]]` is none).
 * Each is tried to the next bracket at most: linear, whatever the text.
 */
const FOREIGN_MARKUP_ALL = new RegExp(`\\[(\\/?)(${SHORTCODE_NAMES})(?:\\]|\\s[^\\[\\]]*\\])|!?\\[\\[([^\\[\\]\\n]*)\\]\\]`, "g");
/** `[video …][/video]`: a shortcode and its end, in the shape of an undefined reference link. */
const SHORTCODE_REFERENCE = new RegExp(`^\\[(?:${SHORTCODE_NAMES})[\\s\\]]|\\]\\[\\/(?:${SHORTCODE_NAMES})\\]$`);

/** `[^1]` left as text: a footnote reference no definition matches (or a definition not read as one). */
const FOOTNOTE = /\[\^[^\]\s]{1,40}\]/;
/** A relative link to a Markdown file (`other.md`, `./other.md#part`): a file of the content, not an article's address. */
const MARKDOWN_FILE_LINK = /^(?![a-z][a-z0-9+.-]*:|\/\/)[^?#]*\.md(?:[?#]|$)/i;

/**
 * `direct: false` always takes the sanitize-html path (tests compare the two). `itemId`: the
 * item's id, whose hash prefixes the footnotes' ids (footnoteDocId; by default the URL's).
 */
export function renderMarkdown(markdown: string, baseUrl: string, options: { direct?: boolean; itemId?: string } = {}): MarkdownResult {
  // Only a body with a "://" or a "www." can have an autolink, a `[^` a footnote: the others skip their rules.
  const autolinks: Autolinks = hasWww(markdown) ? "www" : markdown.includes("://") ? "urls" : "none";
  const notes = markdown.includes("[^");
  const parser = PARSERS[autolinks][notes ? 1 : 0];
  const env: RenderEnv = notes ? { baseUrl, docId: footnoteDocId(options.itemId ?? baseUrl) } : { baseUrl };
  const tokens = parser.parse(markdown, env);
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
  const directMax = options.direct === false ? -1 : directDepth(tokens, 0);
  if (directMax > LIMITS.htmlElementDepth) return tooDeep(directMax);
  const links = bodyWarnings(tokens, baseUrl, env, markdown.includes("["));
  if (directMax >= 0) {
    const html = renderDirect(tokens, baseUrl);
    return links.length ? { ok: true, html, removed: links } : { ok: true, html };
  }
  // Only a body with a raw iframe, video or audio has embeds to plan: over the body rendered as
  // written, each embed's opening tag numbered (embedsAsLinks without plans), so that its tags are
  // paired as the sanitiser's parser will pair them.
  if (EMBED_OPENING.test(markdown)) {
    env.embeds = planEmbeds(parser.renderer.render(tokens, parser.options, env), baseUrl);
    env.embedAt = 0;
  }
  const html = sanitize(parser.renderer.render(tokens, parser.options, env), baseUrl);
  const depth = htmlDepth(html);
  if (depth > LIMITS.htmlElementDepth) return tooDeep(depth);
  const removed = removedHtml(tokens, env, links).sort((a, b) => a.line - b.line);
  return removed.length ? { ok: true, html, removed } : { ok: true, html };
}

function tooDeep(depth: number): MarkdownResult {
  return { ok: false, message: `HTML nested ${depth} elements deep; at most ${LIMITS.htmlElementDepth} are allowed` };
}
