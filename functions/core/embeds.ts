/**
 * Embeds in a body's raw HTML: an iframe, video or audio with an http(s) source is published as
 * a link to it (readers drop embeds, so nothing of one reached them), its fallback content left
 * out; a video or audio whose source is a `<source>` child gets the same. markdown.ts calls these
 * from its renderer rules (embedsAsLinks), before rendering (mediaSources) and when it tells what
 * the sanitiser removes (embedLink, leadingCloses); sanitize-html then drops the bare elements.
 */
import type { Token } from "markdown-it";
import { Parser } from "htmlparser2";
import { escapeHtmlAttr, escapeHtmlText } from "./html.ts";
import { absolutise, IMG_SCHEMES, naughtyUrl } from "./body-urls.ts";

/** What the embeds' rendering reads of markdown.ts's render environment (a type, not an interface: markdown-it's env is a string-keyed record). */
export type EmbedEnv = {
  /** The article's URL: an embed's link is made absolute against it. */
  baseUrl: string;
  /** The embeds (`iframe`, `video`, `audio`) the body's raw HTML closes somewhere (mediaSources). */
  closed?: ReadonlySet<string>;
};

export const EMBED_TAGS: ReadonlySet<string> = new Set(["iframe", "video", "audio"]);
/**
 * The embeds whose content is fallback, for browsers that cannot play them (HTML's "Content
 * model: … transparent, but with no media element descendants"): `<source>`, `<track>`, and
 * "Your browser does not support the video tag."
 */
export const MEDIA_TAGS: ReadonlySet<string> = new Set(["video", "audio"]);
export const EMBED_OPENING = /<(?:iframe|video|audio)(?=[\s/>])/i;
const EMBED_CLOSING = /<\/(iframe|video|audio)\s*>/gi;
export const NO_EMBEDS: ReadonlySet<string> = new Set();
/** How sanitize-html reads HTML (htmlparser2's options), and so embedsAsLinks and removedHtml. */
export const AS_SANITIZE_HTML = { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true };

/** An embed's URL as its link's: made absolute against the article's URL, if it is http(s) (not `javascript:`, `data:` or none). */
function embedHref(src: string | undefined, baseUrl: string): string | undefined {
  if (!src) return undefined;
  const href = absolutise(src, baseUrl);
  return /^https?:/i.test(href) && !naughtyUrl(href, IMG_SCHEMES) ? href : undefined;
}

/** The link an embed is published as: to its `src` (embedHref), its `title` as the text, or the URL. */
export function embedLink(attribs: Record<string, string>, baseUrl: string): { href: string; text: string } | undefined {
  const href = embedHref(attribs.src, baseUrl);
  if (!href) return undefined;
  const title = attribs.title?.replace(/\s+/g, " ").trim();
  return { href, text: title || href };
}

/**
 * A video or audio written without a `src` plays the first of its `<source src>` it can (HTML's
 * resource selection): the first http(s) one is written into its opening tag as its `src`, made
 * absolute, so that it is published as a link and told as one with a `src` is (embedsAsLinks,
 * removedHtml). Read across the raw HTML in order, as it is rendered: a one-line `<video><source
 * …>…</video>` is inline HTML in a paragraph, a token for each tag.
 *
 * Returns the embeds the body closes (an `</iframe>`, `</video>`, `</audio>` somewhere in its raw
 * HTML): only those leave out their content, up to the closing tag. One never closed (or written
 * `<iframe … />`, which closes nothing) keeps the text after it: sanitize-html would otherwise
 * drop the rest of the body with it, every paragraph after the embed gone.
 */
export function mediaSources(tokens: Token[], baseUrl: string): ReadonlySet<string> {
  const closed = new Set<string>();
  /** The media open, innermost last: where its `src` goes (after its tag name), and whether it has one. */
  const open: { token: Token; at: number; name: string; src: boolean }[] = [];
  const inserts: { token: Token; at: number; text: string }[] = [];
  const close = (name: string) => {
    const i = open.findLastIndex((m) => m.name === name);
    if (i !== -1) open.length = i;
  };
  const read = (t: Token) => {
    const html = t.content;
    for (const m of html.matchAll(EMBED_CLOSING)) closed.add(m[1]!.toLowerCase());
    const start = leadingCloses(html, close);
    const parser: Parser = new Parser(
      {
        onopentag(name, attribs) {
          if (MEDIA_TAGS.has(name)) open.push({ token: t, at: start + parser.startIndex + 1 + name.length, name, src: attribs.src !== undefined });
          else if (name === "source" && open.length > 0 && !open.at(-1)!.src) {
            const media = open.at(-1)!, href = embedHref(attribs.src, baseUrl);
            if (!href) return;
            media.src = true;
            inserts.push({ token: media.token, at: media.at, text: ` src="${escapeHtmlAttr(href)}"` });
          }
        },
        onclosetag(name, implied) {
          if (!implied && MEDIA_TAGS.has(name)) close(name);
        },
      },
      AS_SANITIZE_HTML,
    );
    parser.write(start ? html.slice(start) : html);
    parser.end();
  };
  // The tokens the renderer writes as HTML (an image's alt text is not: it is the image's children).
  for (const t of tokens) {
    if (t.type === "html_block") read(t);
    else if (t.type === "inline") for (const c of t.children ?? []) if (c.type === "html_inline") read(c);
  }
  // From the last: each insertion leaves the offsets before it as they were.
  for (const { token, at, text } of inserts.reverse()) token.content = token.content.slice(0, at) + text + token.content.slice(at);
  return closed;
}

/**
 * Raw HTML with each embed's opening tag (htmlparser2's reading, as sanitize-html's and
 * removedHtml's) written as a link before a bare opening tag of its own: the link is kept, and
 * sanitize-html drops the element with its content, the fallback for browsers that cannot show it
 * (`sanitize`'s nonTextTags), when the body closes it (mediaSources). Every other opening tag of an
 * embed is cut out, so that the text after it is kept: one made a link that the body never
 * closes, its text after a space, a video or audio with no http(s) source, and an iframe with none
 * that is never closed (one that is closed goes with its content, as before). An HTML block that
 * is one embed alone, closed, is a paragraph. Readers drop iframes, and with ours nothing of the
 * embed reached them.
 */
export function embedsAsLinks(html: string, env: EmbedEnv, block: boolean, textFollows = true): string {
  if (!EMBED_OPENING.test(html)) return html;
  const cuts: { start: number; end: number; tag: string }[] = [];
  // The block holds one element, an embed made a link and closed, and no text beside it.
  let depth = 0, elements = 0, alone = block;
  const parser: Parser = new Parser(
    {
      onopentag(name, attribs) {
        const top = depth++ === 0;
        if (top) elements++;
        const link = EMBED_TAGS.has(name) ? embedLink(attribs, env.baseUrl) : undefined;
        if (!link && top) alone = false;
        const media = MEDIA_TAGS.has(name), closed = env.closed?.has(name) === true;
        if (!link && !media && (closed || !EMBED_TAGS.has(name))) return;
        // The element kept (bare) to be dropped with its content; or cut out, its text kept.
        let element = "";
        if (link && closed) element = `<${name}>`;
        else if (link && textFollows) element = " ";
        const a = link ? `<a href="${escapeHtmlAttr(link.href)}">${escapeHtmlText(link.text)}</a>` : "";
        cuts.push({ start: parser.startIndex, end: parser.endIndex + 1, tag: a + element });
      },
      ontext(text) {
        if (depth === 0 && text.trim()) alone = false;
      },
      onclosetag(name, implied) {
        // An embed the body never closes is closed by the parser at the end: alone all the same.
        if (--depth === 0 && implied && (!EMBED_TAGS.has(name) || env.closed?.has(name))) alone = false;
      },
    },
    AS_SANITIZE_HTML,
  );
  parser.write(html);
  parser.end();
  if (cuts.length === 0) return html;
  let out = "", at = 0;
  for (const c of cuts) (out += html.slice(at, c.start) + c.tag), (at = c.end);
  out += html.slice(at);
  return alone && elements === 1 ? `<p>${out.trim()}</p>\n` : out;
}

/** A closing tag at the start of a piece of HTML, white space before it allowed. */
const LEADING_CLOSE = /^\s*<\/([a-zA-Z][\w:-]*)\s*>/;

/**
 * Calls `each` with the name of every closing tag a token starts with (`</video>` after an inline
 * `<video>` is a token of its own), which htmlparser2 ignores, having seen no opening tag; returns
 * where the rest of the token begins.
 */
export function leadingCloses(html: string, each: (name: string) => void): number {
  let start = 0;
  for (let m; (m = LEADING_CLOSE.exec(html.slice(start))); start += m[0].length) each(m[1]!.toLowerCase());
  return start;
}
