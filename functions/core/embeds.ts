/**
 * Embeds in a body's raw HTML: an iframe, video or audio with an http(s) source is published as
 * a link to it (readers drop embeds, so nothing of one reached them), its fallback content left
 * out; a video or audio whose source is a `<source>` child gets the same. markdown.ts plans them
 * over the body rendered as written (planEmbeds), then calls embedsAsLinks from its renderer
 * rules, and reads the same plans when it tells what the sanitiser removes (removedHtml, with
 * plannedLink); sanitize-html then drops the bare elements with their content.
 */
import { Parser } from "htmlparser2";
import { escapeHtmlAttr, escapeHtmlText } from "./html.ts";
import { absolutise } from "./body-urls.ts";

/** What the whole body does with one embed (planEmbeds). */
export interface EmbedPlan {
  /** Its closing tag is its own (not implied by a parent's or the body's end): its content goes with it. */
  closed: boolean;
  /** A video or audio without a `src`: its first http(s) `<source src>`, made absolute. */
  source?: string;
}

/** What the embeds' rendering reads of markdown.ts's render environment (a type, not an interface: markdown-it's env is a string-keyed record). */
export type EmbedEnv = {
  /** The article's URL: an embed's link is made absolute against it. */
  baseUrl: string;
  /**
   * Each embed's plan by the number of its opening tag among the body's raw HTML, in order
   * (planEmbeds); absent while the plans are made, when embedsAsLinks numbers the tags instead.
   */
  embeds?: ReadonlyMap<number, EmbedPlan>;
  /** The number embedsAsLinks gives the next embed's opening tag, in either rendering. */
  embedAt?: number;
};

export const EMBED_TAGS: ReadonlySet<string> = new Set(["iframe", "video", "audio"]);
/**
 * The embeds whose content is fallback, for browsers that cannot play them (HTML's "Content
 * model: … transparent, but with no media element descendants"): `<source>`, `<track>`, and
 * "Your browser does not support the video tag."
 */
export const MEDIA_TAGS: ReadonlySet<string> = new Set(["video", "audio"]);
export const EMBED_OPENING = /<(?:iframe|video|audio)(?=[\s/>])/i;
/** The attribute that numbers each embed's opening tag in the rendering planEmbeds reads (never published). */
const EMBED_NUMBER = "data-syndicate-embed";
/** How sanitize-html reads HTML (htmlparser2's options), and so embedsAsLinks and removedHtml. */
export const AS_SANITIZE_HTML = { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true };

/** An embed's URL as its link's: made absolute against the article's URL, if it is http(s) (not `javascript:`, `data:` or none). */
function embedHref(src: string | undefined, baseUrl: string): string | undefined {
  if (!src) return undefined;
  const href = absolutise(src, baseUrl);
  // After absolutise the URL is parsed and written out again: its scheme is what it says.
  return /^https?:/i.test(href) ? href : undefined;
}

/** The link an embed is published as: to its `src` (embedHref), its `title` as the text, or the URL. */
function embedLink(attribs: Record<string, string>, baseUrl: string): { href: string; text: string } | undefined {
  const href = embedHref(attribs.src, baseUrl);
  if (!href) return undefined;
  const title = attribs.title?.replace(/\s+/g, " ").trim();
  return { href, text: title || href };
}

/** The link an embed is published as, given its plan: a video's or audio's `<source>` stands for a missing `src`. */
export function plannedLink(attribs: Record<string, string>, plan: EmbedPlan | undefined, baseUrl: string): { href: string; text: string } | undefined {
  return embedLink(plan?.source ? { ...attribs, src: plan.source } : attribs, baseUrl);
}

/**
 * Each embed of a body, as the sanitiser's parser (htmlparser2, as sanitize-html runs it) pairs
 * its tags in the whole rendered body `html`: whether its closing tag is its own, so that its
 * content goes with it (a closed iframe's, a video's fallback), or it is never closed (no closing
 * tag left for it, `<iframe … />`, which closes nothing in HTML, or a parent's end closing it),
 * so that the text after it stays: sanitize-html would otherwise drop the rest of the body, every
 * paragraph after a pasted embed code missing its closing tag. And for a video or audio without a
 * `src`, the first http(s) `<source src>` among what it holds, which a browser would play (HTML's
 * resource selection). `html` is the body rendered with each embed's opening tag numbered
 * (embedsAsLinks without plans): a plan is found by that number, by embedsAsLinks and by
 * markdown.ts's removedHtml, which meet the tags token by token. An opening tag the whole body's
 * parse does not read as one (inside a `<script>`'s text) has no plan: it goes with what holds it.
 */
export function planEmbeds(html: string, baseUrl: string): Map<number, EmbedPlan> {
  const plans = new Map<number, EmbedPlan>();
  /** The embeds open, innermost last, and whether a video or audio still looks for a source. */
  const open: { plan: EmbedPlan; name: string; wantsSource: boolean }[] = [];
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (EMBED_TAGS.has(name)) {
          const plan: EmbedPlan = { closed: false };
          plans.set(Number(attribs[EMBED_NUMBER]), plan);
          open.push({ plan, name, wantsSource: MEDIA_TAGS.has(name) && attribs.src === undefined });
        } else if (name === "source" && open.at(-1)?.wantsSource) {
          const media = open.at(-1)!, href = embedHref(attribs.src, baseUrl);
          if (href) (media.plan.source = href), (media.wantsSource = false);
        }
      },
      onclosetag(name, implied) {
        // The parser closes elements innermost first, those a closing tag of an outer one implies too.
        if (EMBED_TAGS.has(name) && open.at(-1)?.name === name) open.pop()!.plan.closed = !implied;
      },
    },
    AS_SANITIZE_HTML,
  );
  parser.write(html);
  parser.end();
  return plans;
}

/**
 * Raw HTML with each embed's opening tag (htmlparser2's reading, as sanitize-html's and
 * removedHtml's) written as a link before a bare opening tag of its own: the link is kept, and
 * sanitize-html drops the element with its content, the fallback for browsers that cannot show it
 * (`sanitize`'s nonTextTags), when its closing tag is its own (planEmbeds). Every other opening tag of an
 * embed is cut out, so that the text after it is kept: one made a link that the body never
 * closes (a space between the link and text right after the tag, none where a space or nothing
 * follows), a video or audio with no http(s) source, and an iframe with none that is never closed
 * (one that is closed goes with its content, as before). An HTML block that is one embed alone is
 * a paragraph: the whole block when the embed is closed in it or never, the link alone when its
 * closing tag comes in a later block (its fallback paragraphs in between go with it). Readers drop
 * iframes, and with ours nothing of the embed reached them. `after`: the text that follows an
 * inline tag in its paragraph (a block's own HTML holds what follows its tags), asked for only
 * where an embed's tag ends the HTML.
 */
export function embedsAsLinks(html: string, env: EmbedEnv, block: boolean, after: () => string = () => ""): string {
  if (!EMBED_OPENING.test(html)) return html;
  const plans = env.embeds;
  const cuts: { start: number; end: number; tag: string }[] = [];
  // The block holds one element, an embed made a link, and no text beside it; `spans`: its
  // closing tag is in a later block; `first`: its link and the bare element kept after it.
  let depth = 0, elements = 0, alone = block, neverClosed = false, spans = false;
  let first: { cut: (typeof cuts)[number]; a: string; element: string } | undefined;
  const parser: Parser = new Parser(
    {
      onopentag(name, attribs) {
        const top = depth++ === 0;
        if (top) elements++;
        if (!EMBED_TAGS.has(name)) {
          if (top) alone = false;
          return;
        }
        const n = (env.embedAt = (env.embedAt ?? 0) + 1) - 1;
        // Without plans (the rendering planEmbeds reads): the tag numbered, the rest as written.
        if (!plans) {
          const at = parser.startIndex + 1 + name.length;
          cuts.push({ start: at, end: at, tag: ` ${EMBED_NUMBER}="${n}"` });
          return;
        }
        // No plan: inside what the whole body's parse reads as text (a script's); it goes with it.
        const plan = plans.get(n);
        const link = plannedLink(attribs, plan, env.baseUrl);
        const closed = plan?.closed === true;
        if (top) (alone &&= link !== undefined), (neverClosed = !closed);
        // A closed iframe with no http(s) source goes with its content, as before.
        if (!link && closed && !MEDIA_TAGS.has(name)) return;
        // The element kept (bare) to be dropped with its content; or cut out, the text after it kept.
        let element = "";
        if (link && closed) element = `<${name}>`;
        else if (link && startsText(html[parser.endIndex + 1] ?? after()[0])) element = " ";
        const a = link ? `<a href="${escapeHtmlAttr(link.href)}">${escapeHtmlText(link.text)}</a>` : "";
        const cut = { start: parser.startIndex, end: parser.endIndex + 1, tag: a + element };
        cuts.push(cut);
        if (top) first = { cut, a, element };
      },
      ontext(text) {
        if (depth === 0 && text.trim()) alone = false;
      },
      onclosetag(_name, implied) {
        // Closed by the parser at the block's end: an embed never closed, or one closed in a later block.
        if (--depth === 0 && implied && !neverClosed) spans = true;
      },
    },
    AS_SANITIZE_HTML,
  );
  parser.write(html);
  parser.end();
  if (cuts.length === 0) return html;
  const paragraph = plans !== undefined && alone && elements === 1;
  // Its fallback, up to a closing tag blocks further on, stays out of the paragraph: in it, the
  // first </p> would close the embed too, and publish the fallback.
  if (paragraph && spans) first!.cut.tag = `<p>${first!.a}</p>${first!.element}`;
  let out = "", at = 0;
  for (const c of cuts) (out += html.slice(at, c.start) + c.tag), (at = c.end);
  out += html.slice(at);
  return paragraph && !spans ? `<p>${out.trim()}</p>\n` : out;
}

/** A character of text, which a link needs a space before: not white space, not a tag's `<`, not the end. */
const startsText = (c: string | undefined) => c !== undefined && c !== "<" && !/\s/.test(c);
