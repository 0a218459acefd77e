/**
 * What "sanitised" means for HTML a reader will render, checked on the published HTML as a
 * browser-grade parser reads it (htmlparser2 with entities decoded, so `&#106;avascript:` is
 * seen as `javascript:`): only allow-listed elements, never an active one, no event handler or
 * style attribute, no comment, and every URL attribute http(s) or mailto.
 */
import { Parser } from "htmlparser2";

/**
 * The allow-list as README "What HTML an article may contain" documents it, written out here,
 * not taken from the code it checks (a tag added to markdown.ts ALLOWED_TAGS must be added here
 * too, on purpose), plus the `aside` that functions/core/html.ts writes around related links.
 */
export const DOCUMENTED_TAGS = [
  "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "kbd", "samp",
  "em", "strong", "b", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark", "q", "cite",
  "abbr", "dfn", "time", "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "figure", "figcaption",
  "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "span", "div", "details", "summary",
];
const ALLOWED = new Set([...DOCUMENTED_TAGS, "aside"]);
/** Elements that run code, load resources or change how the page is read: never, whatever the allow-list says. */
export const NEVER_ELEMENTS = [
  "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "base", "meta", "link",
  "form", "input", "button", "textarea", "select", "template", "noscript", "source", "picture", "video", "audio",
];
const URL_ATTRIBUTES = new Set(["href", "src", "cite", "action", "formaction", "xlink:href", "poster", "background", "data", "longdesc"]);
const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;

/** Every problem found in `html` (empty when it is safe to render). */
export function unsafeHtml(html: string): string[] {
  const problems: string[] = [];
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (!ALLOWED.has(name) || NEVER_ELEMENTS.includes(name)) problems.push(`<${name}>`);
        for (const [key, value] of Object.entries(attributes)) {
          // style: only a table column's alignment, as Markdown writes it.
          if (/^on/.test(key) || (key === "style" && !((name === "th" || name === "td") && /^text-align:(?:left|right|center)$/.test(value))) || key === "srcset") problems.push(`${name}[${key}]`);
          else if (URL_ATTRIBUTES.has(key) && !SAFE_URL.test(value.trim())) problems.push(`${name}[${key}=${JSON.stringify(value)}]`);
        }
      },
      oncomment(text) {
        problems.push(`<!--${text}-->`);
      },
      onprocessinginstruction(name) {
        problems.push(`<${name}>`);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return problems;
}
