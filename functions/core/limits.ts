/**
 * Explicit limits on content. Each one is enforced with an error that names the file and field
 * (see schema.ts, article.ts, content.ts, yaml.ts and markdown.ts); raising one is a deliberate change, not a side effect.
 */
export const LIMITS = {
  /** An article file, front matter and body together. */
  articleFileBytes: 1024 * 1024,
  /** site.yaml */
  siteFileBytes: 64 * 1024,
  /** The YAML front matter block of one article. */
  frontMatterBytes: 64 * 1024,
  /** YAML aliases in one document: stops "billion laughs" expansion. */
  yamlAliases: 50,
  /** Nesting of YAML collections in front matter. */
  yamlDepth: 8,
  /** Articles in one content tree. */
  articles: 200_000,
  titleChars: 500,
  summaryChars: 5_000,
  tagsPerArticle: 50,
  tagChars: 100,
  authorsPerArticle: 50,
  relatedPerArticle: 50,
  urlChars: 2_048,
  slugChars: 120,
  idChars: 1_024,
  /** One of site.yaml's `labels` (labels.ts), as written, placeholders included. */
  labelChars: 200,
  /** Nesting of lists and blockquotes in a body. */
  bodyNestingDepth: 32,
  /** Nesting of HTML elements in a body's rendered, sanitised HTML. */
  htmlElementDepth: 100,
  /** items_per_feed bounds: at least 1, at most this many. */
  itemsPerFeedMax: 1_000,
  /**
   * The items' HTML content, summaries and titles one feed document may carry, in characters
   * (~10 MB: readers refuse larger feeds, e.g. Miniflux past 15 MiB by default). Every article
   * within its own limits, 50 of them of 1 MiB each made a 42 MB feed.xml and a ~900 MB build.
   */
  documentItemChars: 10 * 1024 * 1024,
} as const;
