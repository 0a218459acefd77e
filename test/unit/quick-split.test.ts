/**
 * parseArticle with keepBody: false reads only the front matter of an ordinary file (source.ts
 * quickSplit) and must give exactly what the full path gives, the Markdown aside, for every
 * file: the repository's content, the hostile fixtures, a generated corpus, and arbitrary
 * insertions of what makes a file unordinary (CR, BOM, control characters, U+FFFE, invalid
 * UTF-8, fences with trailing spaces or NBSP, `...`).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArticle, type ArticleResult } from "../../functions/core/article.ts";
import { hasControlByte, quickSplit } from "../../functions/core/source.ts";
import { article as corpusArticle } from "../support/corpus.ts";
import { bytes, TEST_SITE } from "../support/content-tree.ts";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".md") ? [p] : [];
  });
}

const withoutBody = (r: ArticleResult): ArticleResult => ({ ...r, article: r.article && { ...r.article, markdown: "" } });

function same(name: string, b: Uint8Array) {
  expect(parseArticle(name, b, TEST_SITE, { keepBody: false }), name).toEqual(withoutBody(parseArticle(name, b, TEST_SITE)));
}

describe("front matter read without decoding the body", () => {
  const samples = [
    ...files("content/articles").map((p) => [p, readFileSync(p)] as const),
    ...files("test/fixtures/hostile").map((p) => [p, readFileSync(p)] as const),
    ...Array.from({ length: 60 }, (_, i) => [`articles/g${i}.md`, bytes(corpusArticle(i, { articles: 60 }))] as const),
  ];

  it("agrees with the full path on every sample file", () => {
    expect(samples.length).toBeGreaterThan(150);
    let quick = 0;
    for (const [name, b] of samples) {
      same(name, b);
      if (quickSplit(b)) quick++;
    }
    // Most ordinary files take the quick path, and the unusual ones (hostile) do not all.
    expect(quick).toBeGreaterThan(60);
    expect(quick).toBeLessThan(samples.length);
  });

  const pieces = ["\r", "\r\n", "\u00a0", "\t", " ", "...", "---", "\n", "\n---\n", "\n... \n", "\ufeff", "\u0001", "\u000b", "\ufffe", "\uffff", "é", "ı", "🎉", "\u2028", "\u3000"];
  it("agrees with the full path after arbitrary insertions", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 59 }),
        fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...pieces).map((p) => bytes(p)), fc.constantFrom(new Uint8Array([0xff]), new Uint8Array([0xc3]), new Uint8Array([0xed, 0xa0, 0x80])))), { maxLength: 4 }),
        (i, inserts) => {
          let b: Uint8Array = bytes(corpusArticle(i, { articles: 60 }));
          for (const [at, piece] of inserts) {
            const k = at % (b.length + 1);
            b = Buffer.concat([b.subarray(0, k), piece, b.subarray(k)]);
          }
          same(`articles/p${i}.md`, b);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("finds the closing fence exactly where the full path does", () => {
    for (const text of ["---\ntitle: a\n---", "---\ntitle: a\n--- \nbody", "---\ntitle: a\n...\nbody", "---\ntitle: a\n---\u00a0\nbody", "---  \ntitle: a\n---\n", "---\n---\n", "---\ntitle: a\n----\n---\nx", "---\ntitle: a\n-- -\n"]) {
      same("articles/x.md", bytes(text));
    }
  });

  it("finds a control byte at any position and alignment, and only those", () => {
    const base = Buffer.from("---\ntitle: a\n---\nÇeşme, \t İzmir 🎉 body text\n".repeat(3));
    // Views at every offset within a larger buffer: the word-at-a-time scan starts unaligned.
    const host = new Uint8Array(base.length + 8);
    for (let shift = 0; shift < 4; shift++) {
      const view = host.subarray(shift, shift + base.length);
      view.set(base);
      expect(hasControlByte(view)).toBe(false);
      for (let at = 0; at < view.length; at += 5) {
        for (let c = 0; c < 0x100; c++) {
          const old = view[at]!;
          view[at] = c;
          expect(hasControlByte(view), `byte ${c} at ${at}, shift ${shift}`).toBe(c < 0x20 && c !== 9 && c !== 10);
          view[at] = old;
        }
      }
    }
  });
});
