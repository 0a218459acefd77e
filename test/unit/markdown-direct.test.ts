/**
 * The direct path of renderMarkdown (functions/core/markdown.ts): a body without raw HTML is
 * rendered from markdown-it's tokens without sanitize-html. Its output must be byte for byte
 * what the sanitize-html path gives (`direct: false`), errors included (the element depth), and
 * sanitize-html must not run for it — over the content tree, a generated corpus, targeted
 * cases and fast-check bodies built from Markdown pieces with hostile URLs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import MarkdownIt from "markdown-it";
import { htmlTagNames } from "html-tag-names";
import { renderMarkdown, sanitize, type MarkdownResult } from "../../functions/core/markdown.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { article } from "../support/corpus.ts";
import { unsafeHtml } from "../support/safe-html.ts";

/** Counts sanitize-html calls, so a test can tell which path a body took. */
const sanitizeCalls = vi.hoisted(() => ({ n: 0 }));
vi.mock("sanitize-html", async (importOriginal) => {
  const actual = await importOriginal<{ default: (...args: unknown[]) => string }>();
  const counted = Object.assign((...args: unknown[]) => {
    sanitizeCalls.n++;
    return actual.default(...args);
  }, actual.default);
  return { ...actual, default: counted };
});

const BASE = "https://news.example.com/articles/talks";
const md = new MarkdownIt("default", { html: true });

/** An inline tag of a name no HTML element has (`<Ministry>`) is text to the renderer. */
const KNOWN = new Set(htmlTagNames);
const isTag = (html: string) => {
  const name = /^<\/?([A-Za-z][A-Za-z0-9-]*)/.exec(html)?.[1];
  return !name || name.includes("-") || KNOWN.has(name.toLowerCase());
};

function hasRawHtml(markdown: string): boolean {
  const walk = (tokens: ReturnType<typeof md.parse>): boolean =>
    tokens.some((t) => t.type === "html_block" || (t.type === "html_inline" && isTag(t.content)) || (t.children !== null && walk(t.children)));
  return walk(md.parse(markdown, {}));
}

/** Both paths for one body: equal results; without raw HTML, sanitize-html not called by the
 * direct path, and its HTML a fixed point of sanitize and safe by the test's own reading. */
function check(markdown: string, base = BASE): MarkdownResult {
  const before = sanitizeCalls.n;
  const fast = renderMarkdown(markdown, base);
  const directCalls = sanitizeCalls.n - before;
  const slow = renderMarkdown(markdown, base, { direct: false });
  expect(fast).toEqual(slow);
  if (!hasRawHtml(markdown)) {
    expect(directCalls).toBe(0);
    if (fast.ok) {
      expect(sanitize(fast.html, base)).toBe(fast.html);
      expect(unsafeHtml(fast.html)).toEqual([]);
    }
  } else {
    expect(directCalls).toBe(fast.ok || fast.message.startsWith("HTML nested") ? 1 : 0);
  }
  return fast;
}

const bodyOf = (text: string) => text.slice(text.indexOf("\n---\n", 4) + 5);

describe("direct path = sanitize-html path, byte for byte", () => {
  it("over content/articles", () => {
    const dir = new URL("../../content/articles/", import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith(".md"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) check(bodyOf(readFileSync(new URL(f, dir), "utf8")));
  });

  it("with a line break inside an image's alt text before a refused link (fast-check's case): the same warnings, in line order", () => {
    const r = check("![[\\\n [](a:b/c) []](<javascript:alert(1)>)](<https://x.example/(a)>) <irc://x>](javascript:alert(1))");
    // The autolink after the image, on line 2; the links in the alt text are its text (no link
    // published: no warning of theirs, as for an http one).
    expect(r.ok && r.removed?.map((x) => `${x.line}: ${x.what}`)).toEqual(["2: the link's URL (irc: URLs are not allowed)"]);
  });

  it("over a generated corpus", () => {
    for (let i = 0; i < 300; i++) {
      const body = bodyOf(article(i, { articles: 300 }));
      expect(hasRawHtml(body)).toBe(false);
      check(body, `https://corpus.example.com/articles/a-${i}`);
    }
  });

  it.each([
    // markdown-it's own check left these as the text written (`[click](javascript:…)`), untold.
    ["a javascript: link (href dropped)", "[click](javascript:alert(1))", "<p><a>click</a></p>"],
    ["a file: link (href dropped)", "[the statement](file:///C:/Users/e/s.pdf)", "<p><a>the statement</a></p>"],
    ["an ftp: link (href dropped)", "[a](ftp://x.example/y)", "<p><a>a</a></p>"],
    ["an irc: autolink", "<irc://x.example>", "<p><a>irc://x.example</a></p>"],
    ["a javascript: autolink", "<javascript:alert(1)>", "<p><a>javascript:alert(1)</a></p>"],
    ["a data: image markdown-it allows", "![x](data:image/png;base64,AAAA)", '<p><img alt="x" /></p>'],
    ["a data: link markdown-it allows", "[x](data:image/png;base64,AAAA)", "<p><a>x</a></p>"],
    ["a protocol-relative link (resolved against the https base)", "[a](//other.example/x)", '<p><a href="https://other.example/x">a</a></p>'],
    ["a protocol-relative image", "![a](//other.example/x.png)", '<p><img src="https://other.example/x.png" alt="a" /></p>'],
    ["a mailto: image (src dropped)", "![a](mailto:x@y.example)", '<p><img alt="a" /></p>'],
    ["a URL the WHATWG parser refuses (href dropped)", "[a](http://a:b:c/)", "<p><a>a</a></p>"],
    ["an upper-case scheme", "[a](HTTP://X.Example/A)", '<p><a href="http://x.example/A">a</a></p>'],
    ["an email autolink", "<desk@x.example>", '<p><a href="mailto:desk@x.example">desk@x.example</a></p>'],
    ["an autolink with a query", "<https://x.example/a?b=1&c=2>", '<p><a href="https://x.example/a?b=1&amp;c=2">https://x.example/a?b=1&amp;c=2</a></p>'],
    ["a link title with quotes and an ampersand", '[a](/x "t &amp; \\"q\\"")', '<p><a href="https://news.example.com/x" title="t &amp; &quot;q&quot;">a</a></p>'],
    ["an image title and alt with markup", '![a *b* `c` "d"](/x.png "tt")', '<p><img src="https://news.example.com/x.png" alt="a b c &quot;d&quot;" title="tt" /></p>'],
    ["an empty image destination (the article itself)", "![]()", `<p><img src="${BASE}" alt="" /></p>`],
    ["table alignment (kept: the one style)", "| a | b |\n|:-|-:|\n| 1 | 2 |", '<table>\n<thead>\n<tr>\n<th style="text-align:left">a</th>\n<th style="text-align:right">b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td style="text-align:left">1</td>\n<td style="text-align:right">2</td>\n</tr>\n</tbody>\n</table>'],
    ["an ordered list start", "3. x\n4. y", '<ol start="3">\n<li>x</li>\n<li>y</li>\n</ol>'],
    ["an ordered list starting at 0", "0. x", '<ol start="0">\n<li>x</li>\n</ol>'],
    ["a code class with upper case (kept)", "```C++ x\nq\n```", '<pre><code class="language-C++">q\n</code></pre>'],
    ["a code class with a character outside the allow-list (dropped)", "```a&b\nq\n```", "<pre><code>q\n</code></pre>"],
    ["a code class allowed", "```c++ x\n\"q\" & <\n```", '<pre><code class="language-c++">"q" &amp; &lt;\n</code></pre>'],
    ["a code class with an entity (dropped)", "```a&amp;b\nx\n```", "<pre><code>x\n</code></pre>"],
    ["an indented code block with quotes", '    code "q"\n', '<pre><code>code "q"\n</code></pre>'],
    ["quotes and entities in text", "a &quot; b ' c &nbsp; d &amp;amp; &#0;", "<p>a \" b ' c \u00a0 d &amp;amp; \ufffd</p>"],
    ["a CR from an entity", "x&#13;y", "<p>x&#13;y</p>"],
    ["a CR in alt text", "![a&#13;b](/i.png)", '<p><img src="https://news.example.com/i.png" alt="a&#13;b" /></p>'],
    ["a hard break and a rule", "a  \nb\n\n***", "<p>a<br />\nb</p>\n<hr />"],
    ["strikethrough, emphasis, code", "~~s~~ *e* **s** `c`", "<p><s>s</s> <em>e</em> <strong>s</strong> <code>c</code></p>"],
    ["an image in a link", "[![i](a.png)](b)", '<p><a href="https://news.example.com/articles/b"><img src="https://news.example.com/articles/a.png" alt="i" /></a></p>'],
    ["a link inside image alt (its text only)", "![a [b](javascript:x) d](e.png)", '<p><img src="https://news.example.com/articles/e.png" alt="a b d" /></p>'],
    ["an internationalised host", "[a](https://ünï.example/ä)", '<p><a href="https://xn--n-nga1b.example/%C3%A4">a</a></p>'],
    ["a www. autolink (http:// put before it)", "See *www.x.example/a_b*.", '<p>See <em><a href="http://www.x.example/a_b">www.x.example/a_b</a></em>.</p>'],
    ["an empty document", "", ""],
  ])("%s", (_, markdown, want) => {
    const r = check(markdown);
    // A refused URL also draws a warning (`removed`): the same on both paths (check).
    expect(r.ok && r.html).toEqual(want);
  });

  it("bodies with raw HTML take the sanitize-html path", () => {
    for (const body of ["<b>x</b>", "a <i>b</i>", "![<b>x</b>](y.png)", "<div>\nx\n</div>", "<!-- c -->"]) {
      expect(hasRawHtml(body)).toBe(true);
      check(body);
    }
  });

  it("counts the element depth exactly: the same results either side of the limit", () => {
    // Depth = base (the containers, <p> unless in a tight list) + n nested <em> + what the tail adds.
    const structures = [
      [31, (inner: string) => `${"> ".repeat(30)}${inner}`],
      [32, (inner: string) => `${"- ".repeat(16)}${inner}`], // a tight list: <p> hidden
      [49, (inner: string) => `${"- > ".repeat(16)}${inner}`],
      [24, (inner: string) => `${"1. ".repeat(10)}| h |\n${"   ".repeat(10)}|---|\n${"   ".repeat(10)}| ${inner} |`],
    ] as const;
    const tails = ["x", "`c`", "![i](i.png)", "**x**", "[l](/l)"];
    for (const [base, structure] of structures) {
      for (const tail of tails) {
        const outcomes = new Set<boolean>();
        const limit = LIMITS.htmlElementDepth - base;
        for (let n = limit - 3; n <= limit + 2; n++) outcomes.add(check(structure(`${"*a ".repeat(n)}${tail}${" b*".repeat(n)}`)).ok);
        expect([...outcomes].sort()).toEqual([false, true]);
      }
    }
  });
});

// ---- fast-check: Markdown from pieces, hostile URLs among them ----

const URLS = fc.constantFrom(
  "javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)", "file:///etc/passwd", "data:text/html,x",
  "data:image/png;base64,AAAA", "data:image/svg+xml;base64,PHN2Zz4=", "//evil.example/x", "\\\\evil.example/x", "/\\evil.example",
  "relative/path", "../up", "/root/x.png", "#frag", "?q=1&r=2", "", "mailto:desk@x.example", "MAILTO:x@y", "ftp://x.example/f",
  "irc://x.example", "tel:+123", "http://a:b:c/", "http://[::1", "https://x.example/a b", "https://ünï.example/ä", "%zz", "a%20b",
  "&amp;x", "&#106;avascript:alert(1)", "java&#9;script:x", "https://x.example/?a=\"b\"", "x.png 'title'", "<https://x.example/a b>",
  "https://x.example/(a)", "http://x.example:99999/", "https:x.example", "HTTPS://X.EXAMPLE/", "x:y", "a:b/c",
);
const TEXT = fc.constantFrom(
  "word", "two words", "&amp;", "&quot;", "&#13;", "&nbsp;", "&#0;", "&bogus;", "&", "\"", "'", ">", "\\*", "\\[", "*", "_", "**",
  "~~", "`", "``", "é", "🎉", "מ", "\u00a0", "\t", "AT&T", "x > y", "a\\", "]", "[", "(", ")", "!", "#", "|", "\\|",
  "www.x.example", "(www.x.example/a_b).", "www.ünï.example/ä?q=&amp;", "www.",
);
const INFO = fc.constantFrom("", "ts", "c++", "C#", "c#", "a&b", "a&amp;b", "x y", "x\ty", "{.class}", "language-x", "\"q\"", "ü", "-", "#", "a+b-c");

const inline = fc.letrec<{ inline: string; piece: string }>((tie) => ({
  piece: fc.oneof(
    { weight: 5, arbitrary: TEXT },
    fc.tuple(tie("inline"), URLS).map(([t, u]) => `[${t}](${u})`),
    fc.tuple(tie("inline"), URLS, TEXT).map(([t, u, title]) => `[${t}](${u} "${title}")`),
    fc.tuple(tie("inline"), URLS).map(([t, u]) => `![${t}](${u})`),
    fc.tuple(tie("inline"), URLS, TEXT).map(([t, u, title]) => `![${t}](${u} '${title}')`),
    fc.tuple(tie("inline"), URLS).map(([t, u]) => `[${t}](<${u}>)`),
    URLS.map((u) => `<${u}>`),
    fc.constantFrom("<https://x.example/a?b=1&c=2>", "<desk@x.example>", "<irc://x>", "<javascript:alert(1)>", "<HTTP://X.EXAMPLE>", "<a+b:c>"),
    tie("inline").map((t) => `*${t}*`),
    tie("inline").map((t) => `**${t}**`),
    tie("inline").map((t) => `~~${t}~~`),
    TEXT.map((t) => `\`${t}\``),
    fc.constant("  \n"),
    fc.constant("\\\n"),
    fc.constant("\n"),
  ),
  inline: fc.array(tie("piece"), { maxLength: 5 }).map((a) => a.join(" ")),
})).inline;

const block = fc.oneof(
  { weight: 4, arbitrary: inline },
  fc.tuple(fc.integer({ min: 1, max: 7 }), inline).map(([n, t]) => `${"#".repeat(n)} ${t}`),
  fc.array(inline, { minLength: 1, maxLength: 4 }).map((items) => items.map((t) => `- ${t}`).join("\n")),
  fc.tuple(fc.integer({ min: 0, max: 1_000_000_000 }), fc.array(inline, { minLength: 1, maxLength: 3 })).map(([start, items]) =>
    items.map((t, i) => `${start + i}. ${t}`).join("\n"),
  ),
  inline.map((t) => `> ${t}`),
  fc.tuple(fc.array(fc.constantFrom("-", ":-", "-:", ":-:"), { minLength: 1, maxLength: 3 }), inline, inline).map(
    ([align, a, b]) => `| ${align.map(() => a.replace(/\n/g, " ")).join(" | ")} |\n| ${align.join(" | ")} |\n| ${b.replace(/\n/g, " ")} |`,
  ),
  fc.tuple(fc.constantFrom("```", "~~~"), INFO, fc.array(TEXT, { maxLength: 4 })).map(([f, info, lines]) => `${f}${info}\n${lines.join("\n")}\n${f}`),
  fc.array(TEXT, { minLength: 1, maxLength: 3 }).map((lines) => lines.map((l) => `    ${l}`).join("\n")),
  fc.constantFrom("***", "---", "___"),
  fc.tuple(TEXT, URLS, inline).map(([label, u, t]) => `[${label}]: ${u}\n\n[${t}][${label}] [${label}]`),
);

/** A body of blocks, nested under list and quote markers now and then. */
const body = fc
  .array(fc.tuple(fc.constantFrom("", "", "", "> ", "- ", "  ", "1. ", "> > "), block), { maxLength: 6 })
  .map((blocks) => blocks.map(([prefix, b]) => b.split("\n").map((l) => prefix + l).join("\n")).join("\n\n"));

describe("direct path = sanitize-html path, fast-check", () => {
  it("over Markdown pieces without raw HTML (hostile URLs, autolinks, tables, fences)", () => {
    let direct = 0, total = 0;
    fc.assert(
      fc.property(body, (markdown) => {
        total++;
        if (!hasRawHtml(markdown)) direct++;
        check(markdown);
      }),
      { numRuns: 600 },
    );
    // The generator is meant to exercise the direct path: most bodies take it.
    expect(direct / total).toBeGreaterThan(0.8);
  });

  it("over arbitrary text, raw HTML or not", () => {
    const unit = fc.constantFrom("a", " ", "\n", "*", "_", "`", "[", "]", "(", ")", "<", ">", "!", "&", "#", ";", ":", "/", "\\", "|", "-", "\r", "\u0000", "é", "1", ".");
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 120 }), (markdown) => {
        check(markdown);
      }),
      { numRuns: 400 },
    );
  });
});
