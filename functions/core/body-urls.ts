/**
 * URLs in a body's HTML, as the sanitiser judges them (markdown.ts) and embeds are linked
 * (embeds.ts): made absolute against the article's URL, and their scheme checked.
 */

/** The URL schemes a link keeps; an image's (and an embed's link) only http(s). */
export const ALLOWED_SCHEMES = ["http", "https", "mailto"];
export const IMG_SCHEMES = ["http", "https"];

/** `value` made absolute against `base`, or "" when it is no URL. */
export function absolutise(value: string, base: string): string {
  try {
    return new URL(value, base).href;
  } catch {
    return "";
  }
}

/**
 * sanitize-html's URL test (launder's naughtyHref, as sanitize-html 2.17 calls it): control
 * characters and spaces ignored, HTML comments removed, then the scheme must be allowed;
 * protocol-relative URLs are refused, scheme-less ones pass.
 */
export function naughtyUrl(url: string, schemes: readonly string[]): boolean {
  // eslint-disable-next-line no-control-regex
  let href = url.replace(/[\x00-\x20]+/g, "");
  for (;;) {
    const first = href.indexOf("<!--");
    if (first === -1) break;
    const last = href.indexOf("-->", first + 4);
    if (last === -1) break;
    href = href.substring(0, first) + href.substring(last + 3);
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9.\-+]*):/.exec(href);
  if (!scheme) return /^[/\\]{2}/.test(href);
  return !schemes.includes(scheme[1]!.toLowerCase());
}

/** The URL schemes an element keeps: images http(s) only, links mailto too. */
export const schemesFor = (tag: string): readonly string[] => (tag === "img" ? IMG_SCHEMES : ALLOWED_SCHEMES);

/**
 * Why the allow-list drops `url` from an element that keeps `schemes` (schemesFor), as a warning
 * says it; undefined when it keeps it. A scheme it refuses (`javascript: URLs are not allowed`), or
 * no URL at all (a port past 65535, a space in a host: `absolutise` finds none, and the attribute
 * goes, which was untold: an image with no `src` left, a link with no `href`).
 */
export function urlRefused(url: string, base: string, schemes: readonly string[]): string | undefined {
  const href = absolutise(url, base);
  if (href === "") return "not a valid URL";
  return naughtyUrl(href, schemes) ? `${schemeOf(url)} URLs are not allowed` : undefined;
}

/** A refused URL's scheme as sanitize-html reads it (white space and control characters ignored). */
function schemeOf(url: string): string {
  // eslint-disable-next-line no-control-regex
  const scheme = /^([a-zA-Z][a-zA-Z0-9.+-]{0,30}):/.exec(url.replace(/[\x00-\x20]+/g, ""));
  return scheme ? `${scheme[1]!.toLowerCase()}:` : "such";
}
