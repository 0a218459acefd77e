/** URL and slug rules shared by the model and the renderers. */
import { createHash } from "node:crypto";

/** A base URL always ends in "/", so relative resolution appends rather than replaces. */
export function asBase(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

export function joinUrl(base: string, path: string): string {
  return new URL(path, asBase(base)).href;
}

// Letters NFKD does not decompose to ASCII (Turkish dotless ı among them).
const TRANSLIT: Record<string, string> = { ı: "i", ø: "o", æ: "ae", œ: "oe", ß: "ss", đ: "d", ł: "l", þ: "th", ð: "d" };

/**
 * A URL- and key-safe slug: lowercase ASCII letters, digits and single hyphens.
 * "Türkiye" → "turkiye", "Luigi Di Maio" → "luigi-di-maio". Text with no Latin letters
 * (e.g. Arabic) gets a stable hash-based slug instead of an empty one.
 */
// Tags repeat across thousands of articles: each distinct text is slugged once.
const slugMemo = new Map<string, string>();

export function slugify(text: string, maxLength = 80): string {
  const key = `${maxLength}\u0000${text}`;
  let slug = slugMemo.get(key);
  if (slug === undefined) {
    if (slugMemo.size > 100_000) slugMemo.clear();
    slugMemo.set(key, (slug = slugifyOnce(text, maxLength)));
  }
  return slug;
}

/** slugify without its memo: for text from requests, which must not fill a long-lived process's memory. */
export function slugifyOnce(text: string, maxLength = 80): string {
  const ascii = text
    .toLocaleLowerCase("en")
    .replace(/[ıøæœßđłþð]/g, (c) => TRANSLIT[c] ?? c)
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, maxLength)
    .replace(/-+$/g, "");
  if (ascii) return ascii;
  return `t-${createHash("sha256").update(text.normalize("NFC")).digest("hex").slice(0, 12)}`;
}

const MIME_BY_EXT: Record<string, string> = {
  jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", gif: "image/gif", webp: "image/webp",
  avif: "image/avif", svg: "image/svg+xml", jxl: "image/jxl", heic: "image/heic",
};

/** The registered MIME type of an image URL, from its extension (image/jpeg, never image/jpg). */
export function imageMimeType(url: string): string | undefined {
  const ext = new URL(url).pathname.split(".").pop()?.toLowerCase();
  return ext ? MIME_BY_EXT[ext] : undefined;
}
