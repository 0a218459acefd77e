/**
 * Fresh models for renderer tests: every call builds new objects (no shared mutable fixture),
 * and the clock is explicit. Articles are built as the content boundary would leave them
 * (contentHtml already rendered), so each renderer can be tested on its own.
 */
import type { Article } from "../../functions/core/article.ts";
import { feedSafeHtml } from "../../functions/core/html.ts";
import type { Site } from "../../functions/core/schema.ts";
import { buildModel } from "../../functions/core/model.ts";
import { planDocuments, type Format } from "../../functions/core/documents.ts";
import { documentContext, FragmentCache } from "../../functions/core/render/context.ts";
import { renderRss } from "../../functions/core/render/rss.ts";
import { renderAtom } from "../../functions/core/render/atom.ts";
import { renderJsonFeed } from "../../functions/core/render/json-feed.ts";

/** Explicit `now`: after every fixture date. */
export const TEST_NOW = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

export function testSite(overrides: Partial<Site> = {}): Site {
  return {
    title: "Test Wire",
    description: "Items for renderer tests.",
    site_url: "https://news.example.com/",
    feed_url: "https://news.example.com/feeds/",
    language: "en",
    authors: [{ name: "Desk", url: "https://news.example.com/about" }],
    items_per_feed: 50,
    archives: true,
    timezone: "UTC",
    ...overrides,
  };
}

/** Article number `n`, published n days after 2020-06-19T15:00Z. */
export function testArticle(n: number, overrides: Partial<Article> = {}): Article {
  const published = Date.UTC(2020, 5, 19, 15) + n * DAY;
  return {
    file: `articles/item-${n}.md`,
    slug: `item-${n}`,
    id: `https://news.example.com/articles/item-${n}`,
    url: `https://news.example.com/articles/item-${n}`,
    title: `Item ${n}`,
    summary: `Summary ${n}.`,
    markdown: `Body ${n}.`,
    bodyLine: 5,
    contentHtml: feedSafeHtml(`<p>Body ${n}.</p>`),
    published,
    modified: published,
    authors: [{ name: "Ayşe Yılmaz" }],
    tags: [{ name: "Libya", slug: "libya" }],
    related: [],
    draft: false,
    lines: {},
    ...overrides,
  };
}

const RENDER = { rss: renderRss, atom: renderAtom, json: renderJsonFeed } as const;

/** Renders the document at `prefix` ("" = main feed) of a fresh model in one format. */
export function render(format: Format, site: Site, articles: Article[], prefix = ""): string {
  const model = buildModel(site, articles, TEST_NOW);
  const spec = planDocuments(model).find((s) => s.prefix === prefix);
  if (!spec) throw new Error(`no document at prefix ${JSON.stringify(prefix)}`);
  return RENDER[format](documentContext(site, spec), new FragmentCache());
}

/** One article in the main feed of a fresh default site. */
export const renderOne = (format: Format, overrides: Partial<Article> = {}, site: Partial<Site> = {}) =>
  render(format, testSite(site), [testArticle(1, overrides)]);
