/**
 * The words Syndicate itself writes into published documents, in the site's language: site.yaml
 * `labels` (README "Content"), English when not given. A label is plain text; a template holds
 * placeholders, `{name}`, that the build fills in (one pass: a value holding `{page}` is kept as
 * written). The defaults are what every build wrote before labels existed, so a site without
 * them publishes the same bytes.
 */
import type { Labels, Site } from "./schema.ts";

/** The labels site.yaml may give (schema.ts labelsSchema has one field for each). */
export type LabelKey = "read_more" | "source" | "archive" | "tag";

export const DEFAULT_LABELS: Readonly<Labels> = {
  read_more: "Read more",
  source: "Source: {source}",
  archive: "{title} (archive {page})",
  tag: "{title}: {tag}",
};

/**
 * The placeholders each label takes, and the one it must hold: without `{page}` every archive
 * page would have one title, without `{tag}` every tag feed, and without `{source}` the source
 * line would not name the source.
 */
const LABEL_PLACEHOLDERS: Readonly<Record<LabelKey, { takes: readonly string[]; needs?: string }>> = {
  read_more: { takes: [] },
  source: { takes: ["source"], needs: "source" },
  archive: { takes: ["title", "page"], needs: "page" },
  tag: { takes: ["title", "tag"], needs: "tag" },
};

/** `{name}`, or a brace outside one. */
const BRACES = /\{[^{}]*\}|[{}]/g;

const listed = (names: readonly string[]) => names.map((n) => `{${n}}`).join(" and ");

/**
 * What is wrong with a label's text, in words for site.yaml's editor, or undefined. Braces are
 * for placeholders only, so that a misspelt one (`{sayfa}`, `{ page }`) is told, not published.
 */
export function labelProblem(key: LabelKey, text: string): string | undefined {
  const { takes, needs } = LABEL_PLACEHOLDERS[key];
  const example = `like the default, "${DEFAULT_LABELS[key]}"`;
  const found = new Set<string>();
  for (const [token] of text.matchAll(BRACES)) {
    const name = token.length > 1 ? token.slice(1, -1) : undefined;
    if (name !== undefined && takes.includes(name)) {
      found.add(name);
      continue;
    }
    const what = takes.length ? `its placeholders are ${listed(takes)}` : "it takes no placeholder";
    return name === undefined
      ? `has a "${token}" outside a placeholder: braces are for placeholders only, and ${what}`
      : `has ${token}, which is no placeholder of this label: ${what}, ${example}`;
  }
  if (needs !== undefined && !found.has(needs)) return `must hold {${needs}}, where the build writes the ${needs === "page" ? "page number" : needs}, ${example}`;
  return undefined;
}

/** The site's labels, each the default where site.yaml gives none. */
export function siteLabels(site: Pick<Site, "labels">): Labels {
  const own = site.labels;
  if (!own) return DEFAULT_LABELS;
  return {
    read_more: own.read_more ?? DEFAULT_LABELS.read_more,
    source: own.source ?? DEFAULT_LABELS.source,
    archive: own.archive ?? DEFAULT_LABELS.archive,
    tag: own.tag ?? DEFAULT_LABELS.tag,
  };
}

/** A label with its placeholders filled in (labelProblem vouches that it holds no others). */
export function fillLabel(label: string, values: Readonly<Record<string, string | number>>): string {
  return label.includes("{") ? label.replace(/\{([^{}]*)\}/g, (token, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : token)) : label;
}
