/**
 * The HTML an item carries around its body: the image with caption and credit (wire photos must
 * travel with their credit), the related links ("Read more") and the source line, in the words of
 * the site's labels (labels.ts). Readers show content, not our extension fields, so nothing of the
 * article is lost in any of them.
 */
import { stripXmlIllegal } from "./text.ts";
import { fillLabel } from "./labels.ts";
import type { Labels } from "./schema.ts";

/** Text as HTML text content: only `&`, `<` and `>` escaped (as sanitize-html re-escapes text;
 * quotes need no escaping outside attributes). */
export function escapeHtmlText(s: string): string {
  return /[&<>]/.test(s) ? s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") : s;
}

/**
 * Text as a double-quoted HTML attribute value: `&`, `<`, `>` and `"` escaped. Not `'` (no need
 * inside double quotes): `&apos;` is no HTML 4 entity, and readers with older HTML parsers
 * showed it as it is ("France&apos;s").
 */
export function escapeHtmlAttr(s: string): string {
  return /[&<>"]/.test(s) ? escapeHtmlText(s).replace(/"/g, "&quot;") : s;
}

export interface ArticleHtmlParts {
  body: string;
  image?: { url: string; alt: string; caption?: string; credit?: string };
  related: { title: string; url: string }[];
  source?: string;
  /** The article's summary: in the body's place when there is no body (below). */
  summary?: string;
  labels: Pick<Labels, "read_more" | "source">;
}

export function articleHtml({ body, image, related, source, summary, labels }: ArticleHtmlParts): string {
  const parts: string[] = [];
  if (image) {
    const caption = [image.caption && escapeHtmlText(image.caption), image.credit && `<small>${escapeHtmlText(image.credit)}</small>`]
      .filter(Boolean)
      .join(" ");
    parts.push(
      `<figure><img src="${escapeHtmlAttr(image.url)}" alt="${escapeHtmlAttr(image.alt)}">` +
        (caption ? `<figcaption>${caption}</figcaption>` : "") +
        `</figure>`,
    );
  }
  if (body) parts.push(body);
  // A brief without a body whose image, related links or source line make a content of it: its
  // summary in the body's place, since readers show an item's content, not its summary (else a
  // photo and "Source: AFP" with none of its text). A link post with nothing else has no content,
  // and readers show its summary.
  else if (summary && parts.length + related.length + (source ? 1 : 0) > 0) parts.push(`<p>${escapeHtmlText(summary)}</p>`);
  if (related.length) {
    parts.push(
      `<aside><p><strong>${escapeHtmlText(labels.read_more)}</strong></p><ul>` +
        related.map((r) => `<li><a href="${escapeHtmlAttr(r.url)}">${escapeHtmlText(r.title)}</a></li>`).join("") +
        `</ul></aside>`,
    );
  }
  // Labels are plain text like the source: the line is escaped whole once it is filled in.
  if (source) parts.push(`<p><em>${escapeHtmlText(fillLabel(labels.source, { source }))}</em></p>`);
  return parts.join("\n");
}

/**
 * HTML every format carries alike: without the characters XML 1.0 cannot carry (a `&#1;` in raw
 * HTML is decoded by the sanitiser into one), and with a literal CR written as `&#13;` (XML
 * parsers turn a literal CR into LF, XML 1.0 §2.11). Applied to an item's whole content, so
 * JSON Feed carries the same HTML as RSS and Atom.
 */
export function feedSafeHtml(html: string): FeedSafeHtml {
  const s = stripXmlIllegal(html);
  return (s.includes("\r") ? s.replace(/\r/g, "&#13;") : s) as FeedSafeHtml;
}

/**
 * HTML that feedSafeHtml made (an item's content: renderBody, or the build cache, which holds
 * what renderBody made with this very code), so that the renderers need not scan it again: an
 * item's body was scanned for characters XML cannot carry up to six times, ~3% of a build with
 * archives. The check gate still scans every fragment it is put in, independently.
 */
export type FeedSafeHtml = string & { readonly __feedSafe: true };
