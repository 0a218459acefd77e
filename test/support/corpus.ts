/**
 * Deterministic generated content trees for conformance tests and the benchmark: N articles
 * with varied titles (escaping cases, Turkish letters, RTL, emoji), tags, authors, images and
 * Markdown bodies of realistic size. Same arguments → same bytes.
 */
import { mkdir, writeFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { mapLimit } from "../../functions/adapters/store.ts";

export interface CorpusOptions {
  articles: number;
  /** Paragraphs per body (default 8, about 4 KB like the seed article). */
  paragraphs?: number;
  itemsPerFeed?: number;
  archives?: boolean;
  tags?: number;
  seed?: number;
}

function rng(seed: number) {
  // Mix the seed first: xorshift's first draws are nearly equal for neighbouring seeds.
  let s = Math.imul(seed ^ (seed >>> 16), 0x45d9f3b);
  s = Math.imul(s ^ (s >>> 16), 0x45d9f3b);
  s = (s ^ (s >>> 16)) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const TITLE_PARTS = [
  "Ankara talks", "AT&T <b>bold</b> claims", "Çeşme & İzmir", "Gümüşhane report", "ığdır notes",
  "مرحبا بالعالم", "שלום עולם", "Emoji 🎉 news", "Café déjà vu", "x < y > z", "Tom's \"quoted\" view",
  "Libya ceasefire", "Mediterranean patrol", "Operation Irini", "Rome summit",
];
const WORDS = "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their".split(" ");

export function siteYaml(o: { itemsPerFeed?: number; archives?: boolean } = {}): string {
  return [
    "title: Generated corpus",
    "description: A generated corpus for tests and benchmarks.",
    "site_url: https://corpus.example.com/",
    "feed_url: https://corpus.example.com/feeds/",
    "language: en",
    "authors:",
    "  - name: Corpus Desk",
    `items_per_feed: ${o.itemsPerFeed ?? 50}`,
    `archives: ${o.archives ?? true}`,
    "",
  ].join("\n");
}

export function article(i: number, o: CorpusOptions): string {
  const r = rng((o.seed ?? 7) * 100_003 + i);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const tagCount = o.tags ?? 20;
  const tags = Array.from(new Set([pick(Array.from({ length: tagCount }, (_, k) => `Topic ${k}`)), pick(["Libya", "Turkey", "Italy", "Türkiye"])]));
  // Seven hours apart, closer for large corpora: every article dated before 2026, so all are
  // published (Syndicate builds at 2030 in the bench; Hugo leaves out what is after its "now").
  const step = Math.min(3_600_000 * 7, Math.floor((6 * 365 * 86_400_000) / Math.max(o.articles, 1) / 1000) * 1000);
  const day = new Date(Date.UTC(2020, 0, 1) + i * step).toISOString().replace(".000Z", "Z");
  const para = () => Array.from({ length: 60 + Math.floor(r() * 40) }, () => pick(WORDS)).join(" ") + ".";
  const body: string[] = [];
  for (let p = 0; p < (o.paragraphs ?? 8); p++) {
    if (p === 3) body.push("## A sub-heading");
    if (p === 5) body.push(`> "A quotation ${i}," he said.`);
    body.push(para());
  }
  body.push(`[A relative link](/related/${i}) and **bold** text.`);
  return [
    "---",
    `title: ${JSON.stringify(`${pick(TITLE_PARTS)} ${i}`)}`,
    `date: ${day}`,
    `summary: ${JSON.stringify(`Summary of article ${i}: ${pick(TITLE_PARTS)}.`)}`,
    `tags: ${JSON.stringify(tags)}`,
    ...(i % 3 === 0 ? ["authors:", `  - name: ${JSON.stringify(`Yazar Şahin ${i % 7}`)}`, `    email: writer${i % 7}@example.com`] : []),
    ...(i % 4 === 0
      ? ["image:", `  url: https://corpus.example.com/img/${i}.jpg`, `  alt: ${JSON.stringify(`Photo ${i}`)}`, "  credit: Corpus / AA"]
      : []),
    "---",
    body.join("\n\n"),
    "",
  ].join("\n");
}

/** Writes a corpus under `dir` (replacing what is there) and returns the content directory. */
export async function writeCorpus(dir: string, o: CorpusOptions): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "articles"), { recursive: true });
  await writeFile(join(dir, "site.yaml"), siteYaml({ itemsPerFeed: o.itemsPerFeed, archives: o.archives }));
  const ids = Array.from({ length: o.articles }, (_, i) => i);
  await mapLimit(ids, 32, (i) => writeFile(join(dir, "articles", `article-${String(i).padStart(6, "0")}.md`), article(i, o)));
  return dir;
}
