/**
 * The seed wire article (content/articles/italy-turkey-…md) keeps every part in every format,
 * as outside parsers read it: summary, photo (caption, credit, image/jpeg), sub-headings,
 * quotations, related links, source line and Turkish letters.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { buildContent, type BuiltTree } from "../support/built.ts";
import { feedparserDump, type FpItem, type JsonFeedDoc } from "../support/parsers.ts";

const SEED_ID = "https://news.example.com/articles/italy-turkey-reaffirm-support-for-libya-gna";
const SUMMARY = "Italy and Turkey reaffirmed their support for Libya's UN-backed Government of National Accord";
const IMAGE = "https://news.example.com/images/placeholder/cavusoglu-di-maio-ankara-2020-06-19.jpg";
const CAPTION = "Turkish Foreign Minister Mevlut Cavusoglu (R) and Foreign Minister of Italy Luigi Di Maio (L) hold a joint news conference";
const CREDIT = "Fatih Aktaş / AA";
const HEADINGS = ["Sustainable ceasefire", "Operation Irini", "Turkish-US cooperation on Libya", "Turkey-Libya pacts"];
const QUOTES = [
  "We are aware of the critical role Italy has played. We thank them. They played a balanced role,",
  "“Operation Irini is not balanced. It has never met any of the Government of National Accord’s requests and concerns,”",
  "constant arms transfers to Hafter by France.",
];
const RELATED = [
  ["France's underhand tactics have made things in Libya worse", "https://news.example.com/placeholder/france-underhand-tactics-libya-worse"],
  ["Arab League ‘shifts’ stance on Libya and recognises Libya's GNA", "https://news.example.com/placeholder/arab-league-shifts-stance-on-libya"],
] as const;
const SOURCE = "TRTWorld and agencies";
const TAGS = ["Libya", "Turkey", "Italy", "Diplomacy", "European Union"];

type Format = "rss" | "atom" | "json";
interface SeedView {
  summary: string;
  html: string;
  tags: string[];
  imageType?: string;
  credit?: string;
  imageUrl?: string;
}

describe("the seed article", () => {
  let views: Record<Format, SeedView>;
  let atomItem: FpItem;
  let rssItem: FpItem;
  let json: JsonFeedDoc["items"][number];

  beforeAll(async () => {
    const tree: BuiltTree = await buildContent();
    const dump = feedparserDump([tree.path("feed.xml"), tree.path("atom.xml")]);
    const fpView = (file: string): [FpItem, SeedView] => {
      const item = dump[tree.path(file)]!.items.find((i) => i.id === SEED_ID)!;
      expect(item, file).toBeDefined();
      const media = item.media_content.find((m) => m.url === IMAGE);
      return [item, {
        summary: item.summary ?? "",
        html: item.content.map((c) => c.value ?? "").join(""),
        tags: item.tags,
        imageType: media?.type,
        imageUrl: media?.url,
        credit: item.media_credit.map((c) => c.content).join(""),
      }];
    };
    const doc = JSON.parse(await tree.text("feed.json")) as JsonFeedDoc;
    json = doc.items.find((i) => i.id === SEED_ID)!;
    const [rssFp, rss] = fpView("feed.xml");
    rssItem = rssFp;
    const [atomFp, atom] = fpView("atom.xml");
    atomItem = atomFp;
    views = {
      rss,
      atom,
      json: {
        summary: json.summary ?? "",
        html: json.content_html ?? "",
        tags: json.tags ?? [],
        imageType: json._syndicate?.image?.mime_type,
        imageUrl: json.image,
        credit: json._syndicate?.image?.credit,
      },
    };
  });

  const FORMATS: Format[] = ["rss", "atom", "json"];

  it.each(FORMATS)("%s: carries the standfirst as the summary", (f) => {
    expect(views[f].summary).toContain(SUMMARY);
  });

  it.each(FORMATS)("%s: carries the photo as image/jpeg with its credit", (f) => {
    expect(views[f].imageUrl).toBe(IMAGE);
    expect(views[f].imageType).toBe("image/jpeg");
    expect(views[f].credit).toBe(CREDIT);
  });

  it.each(FORMATS)("%s: content shows the photo, its caption and its credit (Turkish letters intact)", (f) => {
    expect(views[f].html).toContain(`<img src="${IMAGE}"`);
    expect(views[f].html).toContain(CAPTION);
    expect(views[f].html).toContain(CREDIT);
  });

  it.each(FORMATS)("%s: content keeps every sub-heading as a heading", (f) => {
    for (const h of HEADINGS) expect(views[f].html).toContain(`<h2>${h}</h2>`);
  });

  it.each(FORMATS)("%s: content keeps the quotations", (f) => {
    for (const q of QUOTES) expect(views[f].html).toContain(q.replaceAll('"', "&quot;"));
  });

  it.each(FORMATS)("%s: content links the related articles", (f) => {
    // "'" as it is: `&apos;` is no HTML 4 entity (older HTML parsers showed it as it is).
    for (const [title, url] of RELATED) expect(views[f].html).toContain(`<a href="${url}">${title}</a>`);
    expect(views[f].html).not.toContain("&apos;");
  });

  it.each(FORMATS)("%s: content ends with the source line", (f) => {
    // Its last element, as each parser gives the content back (trailing white space aside).
    expect(views[f].html.trimEnd()).toMatch(new RegExp(`<p><em>Source: ${SOURCE.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}</em></p>$`));
  });

  it.each(FORMATS)("%s: carries the tags as categories", (f) => {
    expect(views[f].tags).toEqual(TAGS);
  });

  it("atom: the entry's only links are its own page and the photo (NetNewsWire showed a rel=related link as the article's)", () => {
    expect(atomItem.links.map((l) => l.rel).sort()).toEqual(["alternate", "enclosure"]);
  });

  it("atom: the photo is an enclosure with type image/jpeg", () => {
    expect(atomItem.enclosures.map((e) => [e.href, e.type])).toEqual([[IMAGE, "image/jpeg"]]);
  });

  it("rss: the photo is also an enclosure, length 0 as its size is unknown (RSS Best Practices Profile)", () => {
    expect(rssItem.enclosures.map((e) => [e.href, e.type, e.length])).toEqual([[IMAGE, "image/jpeg", "0"]]);
  });

  it("json: the extension keeps the source line and related links", () => {
    expect(json._syndicate?.source).toBe(SOURCE);
    expect(json._syndicate?.related).toEqual(RELATED.map(([title, url]) => ({ title, url })));
  });
});
