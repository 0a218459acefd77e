/**
 * What type an object is stored with in a bucket that a CDN serves, so that the CDN compresses
 * it. CloudFront compresses a response only when the origin's Content-Type is on its list
 * ("File types that CloudFront compresses", the CloudFront Developer Guide); Atom
 * (`application/atom+xml`) and JSON Feed (`application/feed+json`) are not on it, RSS, XML and
 * JSON are. Such a document is stored as its generic twin (`application/xml`,
 * `application/json`), which the CDN compresses, with the type it is served as in the object's
 * metadata (`x-amz-meta-served-type`): the CDN's viewer-response function puts it back
 * (stacks/edge.ts), and S3Store gives it back as the object's type, so readers (and the local
 * stack) see the document's own type. Plain constants, with no AWS in this module.
 */

/** The media types (parameters aside) CloudFront compresses that a feed publisher could use. */
export const CDN_COMPRESSED_TYPES: ReadonlySet<string> = new Set([
  "application/json", "application/rss+xml", "application/xml", "application/xhtml+xml",
  "text/css", "text/csv", "text/html", "text/javascript", "text/plain", "text/xml", "image/svg+xml",
]);

/** A type CloudFront does not compress → its twin that it does (same bytes, same syntax). */
const TWINS: Readonly<Record<string, string>> = { "application/atom+xml": "application/xml", "application/feed+json": "application/json" };

/** The object metadata key that carries the served type (S3 answers it as `x-amz-meta-served-type`). */
export const SERVED_TYPE_META = "served-type";

const mediaType = (contentType: string) => contentType.split(";")[0]!.trim().toLowerCase();

/** The Content-Type to store an object with, and the served type to keep in its metadata when they differ. */
export function storedType(contentType: string): { contentType: string; servedType?: string } {
  const twin = TWINS[mediaType(contentType)];
  if (!twin) return { contentType };
  const params = contentType.slice(contentType.split(";")[0]!.length);
  return { contentType: `${twin}${params}`, servedType: contentType };
}

/** Whether the CDN compresses a response of this Content-Type. */
export function cdnCompresses(contentType: string): boolean {
  return CDN_COMPRESSED_TYPES.has(mediaType(contentType));
}
