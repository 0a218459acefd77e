import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { ALLOWED_TAGS, footnoteDocId, renderMarkdown, sanitize, htmlDepth } from "../../functions/core/markdown.ts";
import { LIMITS } from "../../functions/core/limits.ts";
import { DOCUMENTED_TAGS } from "../support/safe-html.ts";

const BASE = "https://news.example.com/articles/talks";

function html(markdown: string): string {
  const r = renderMarkdown(markdown, BASE);
  if (!r.ok) throw new Error(`expected the body to render: ${r.message}`);
  return r.html;
}

/** What a body's render tells, each as `line: message`. */
function notes(markdown: string): string[] {
  const r = renderMarkdown(markdown, BASE);
  return r.ok ? (r.removed ?? []).map((x) => `${x.line}: ${x.message ?? x.what}`) : [r.message];
}

const nestedList = (depth: number) => Array.from({ length: depth }, (_, i) => `${"  ".repeat(i)}- level ${i + 1}`).join("\n");
const nestedQuote = (depth: number) => `${"> ".repeat(depth)}deep`;

describe("renderMarkdown", () => {
  it("renders headings, emphasis and quotations", () => {
    expect(html('## Sub\n\n> "Quoted," he said.\n\n**bold**')).toBe(
      '<h2>Sub</h2>\n<blockquote>\n<p>"Quoted," he said.</p>\n</blockquote>\n<p><strong>bold</strong></p>',
    );
  });

  it("escapes a literal ampersand and angle bracket in text", () => {
    expect(html("AT&T says x < y")).toBe("<p>AT&amp;T says x &lt; y</p>");
  });

  it("keeps emoji, right-to-left and Turkish text", () => {
    expect(html("🎉 مرحبا Çeşme ığdır")).toBe("<p>🎉 مرحبا Çeşme ığdır</p>");
  });

  it("makes a relative link absolute against the article URL", () => {
    expect(html("[more](other-story)")).toContain('href="https://news.example.com/articles/other-story"');
  });

  it("makes a root-relative image absolute", () => {
    expect(html("![map](/img/map.png)")).toContain('src="https://news.example.com/img/map.png"');
  });

  it("makes a fragment link absolute to the article itself", () => {
    expect(html("[top](#top)")).toContain('href="https://news.example.com/articles/talks#top"');
  });

  it("leaves an absolute link as it is", () => {
    expect(html("[x](https://other.example/a?b=1&c=2)")).toContain('href="https://other.example/a?b=1&amp;c=2"');
  });

  it("keeps a mailto: link", () => {
    expect(html("[mail](mailto:desk@example.com)")).toContain('href="mailto:desk@example.com"');
  });

  it.each([
    ["a Markdown javascript: link", "[click](javascript:alert(1))"],
    ["a Markdown autolink to javascript:", "<javascript:alert(1)>"],
    ["a raw javascript: link", '<a href="javascript:alert(1)">click</a>'],
    ["a javascript: link with mixed case and a tab", '<a href="JaVa\tScRiPt:alert(1)">click</a>'],
    ["an entity-encoded javascript: link", '<a href="&#106;avascript:alert(1)">click</a>'],
    ["a vbscript: link", '<a href="vbscript:msgbox(1)">click</a>'],
  ])("leaves no link from %s", (_, md) => {
    expect(html(md)).not.toContain("href");
  });

  it("tells of a Markdown link to file: or javascript: and keeps its text, not the Markdown as written (markdown-it's own check left `[x](file:…)` as text, untold)", () => {
    for (const direct of [true, false]) {
      const r = renderMarkdown("Intro.\n\nSee [the statement](file:///C:/Users/editor/s.pdf) and [this](javascript:alert(1)).", "https://news.example.com/articles/talks", { direct });
      expect(r.ok && r.html).toBe("<p>Intro.</p>\n<p>See <a>the statement</a> and <a>this</a>.</p>");
      expect(r.ok && r.removed).toEqual([
        { line: 3, what: "the link's URL (file: URLs are not allowed)" },
        { line: 3, what: "the link's URL (javascript: URLs are not allowed)" },
      ]);
    }
  });

  it("removes a data: link", () => {
    expect(html('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>')).not.toContain("data:");
  });

  it("removes a data: image from Markdown", () => {
    expect(html("![x](data:image/png;base64,AAAA)")).not.toContain("data:");
  });

  it("removes a data: image from raw HTML", () => {
    expect(html('<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="x">')).not.toContain("data:");
  });

  it("removes a script element and its content", () => {
    expect(html("Before\n\n<script>alert('x')</script>\n\nAfter")).toBe("<p>Before</p>\n\n<p>After</p>");
  });

  it("removes an inline script inside a paragraph", () => {
    expect(html("Text <script>alert(1)</script> more")).not.toMatch(/script|alert/);
  });

  it("removes an iframe, publishing a link to its https src in its place", () => {
    expect(html('<iframe src="https://evil.example/"></iframe>')).toBe('<p><a href="https://evil.example/">https://evil.example/</a></p>');
    expect(html('<iframe src="javascript:alert(1)"></iframe>\n\n<iframe srcdoc="<script>alert(1)</script>"></iframe>\n\nKept.')).toBe("<p>Kept.</p>");
  });

  it("removes a style element and its rules", () => {
    expect(html("<style>body{display:none}</style>\n\nText")).toBe("<p>Text</p>");
  });

  it("removes style attributes", () => {
    expect(html('<p style="position:fixed">x</p>')).toBe("<p>x</p>");
  });

  it("removes event-handler attributes", () => {
    expect(html('<img src="/a.png" onerror="alert(1)" alt="a"> <b onclick="x()">b</b>')).not.toMatch(/onerror|onclick|alert/);
  });

  it("removes an svg with a script inside", () => {
    expect(html('<svg onload="alert(1)"><script>alert(2)</script></svg>')).not.toMatch(/svg|alert/);
  });

  it("removes forms but keeps their text", () => {
    const out = html('<form action="https://evil.example/"><input name="p">Log in</form>');
    expect(out).not.toMatch(/form|input|evil/);
    expect(out).toContain("Log in");
  });

  it("keeps an allowed language class on code", () => {
    expect(html("```ts\nconst x = 1;\n```")).toContain('<code class="language-ts">');
  });

  it("removes a class that is not a language class", () => {
    expect(sanitize('<code class="evil">x</code>', BASE)).toBe("<code>x</code>");
  });

  it(`accepts lists nested ${LIMITS.bodyNestingDepth} levels`, () => {
    expect(renderMarkdown(nestedList(LIMITS.bodyNestingDepth), BASE).ok).toBe(true);
  });

  it(`rejects lists nested ${LIMITS.bodyNestingDepth + 1} levels, naming the line`, () => {
    expect(renderMarkdown(nestedList(LIMITS.bodyNestingDepth + 1), BASE)).toEqual({
      ok: false,
      message: `nested deeper than ${LIMITS.bodyNestingDepth} levels (lists or blockquotes)`,
      line: LIMITS.bodyNestingDepth + 1,
    });
  });

  it(`accepts blockquotes nested ${LIMITS.bodyNestingDepth} levels`, () => {
    expect(renderMarkdown(nestedQuote(LIMITS.bodyNestingDepth), BASE).ok).toBe(true);
  });

  it(`rejects blockquotes nested ${LIMITS.bodyNestingDepth + 1} levels`, () => {
    expect(renderMarkdown(nestedQuote(LIMITS.bodyNestingDepth + 1), BASE)).toMatchObject({ ok: false, message: expect.stringContaining("nested deeper") });
  });

  it("rejects thousands of nested blockquotes", () => {
    expect(renderMarkdown(nestedQuote(5000), BASE).ok).toBe(false);
  });

  it(`rejects raw HTML nested more than ${LIMITS.htmlElementDepth} elements deep`, () => {
    const n = LIMITS.htmlElementDepth + 1;
    expect(renderMarkdown(`${"<div>".repeat(n)}x${"</div>".repeat(n)}`, BASE)).toMatchObject({ ok: false, message: expect.stringContaining(`HTML nested ${n} elements deep`) });
  });
});

describe("htmlDepth", () => {
  it("counts the deepest element nesting", () => {
    expect(htmlDepth("<p><em><b>x</b></em></p><p>y</p>")).toBe(3);
  });
});

describe("the allow-list", () => {
  it("is the documented one (test/support/safe-html.ts, written out apart from the code): widening it is a decision, not a side effect", () => {
    expect([...ALLOWED_TAGS].sort()).toEqual([...DOCUMENTED_TAGS].sort());
  });
});

describe("what editors write that Markdown reads otherwise", () => {

  it("keeps paragraphs led by years as written: 1974, 2011, 2020, not 1974, 1975, 1976", () => {
    expect(html("1974. Oil boom.\n\n2011. Uprising.\n\n2020. Berlin.")).toBe(
      '<ol start="1974">\n<li>\n<p>Oil boom.</p>\n</li>\n<li value="2011">\n<p>Uprising.</p>\n</li>\n<li value="2020">\n<p>Berlin.</p>\n</li>\n</ol>',
    );
    // Markdown's own numbering is left alone: lazy 1. 1. 1., and counting 1. 2. 3.
    expect(html("1. a\n1. b\n1. c")).toBe("<ol>\n<li>a</li>\n<li>b</li>\n<li>c</li>\n</ol>");
    expect(html("1. a\n2. b\n3. c")).toBe("<ol>\n<li>a</li>\n<li>b</li>\n<li>c</li>\n</ol>");
  });

  it("links bare http(s) URLs, with nothing in them read as emphasis; not a file name", () => {
    expect(html("Source: https://example.org/_private_/file and file.py")).toBe('<p>Source: <a href="https://example.org/_private_/file">https://example.org/_private_/file</a> and file.py</p>');
    expect(html("ftp://x.example/f")).toBe("<p>ftp://x.example/f</p>");
    // A body with a "://" is read by another parser instance than one without: the same otherwise.
    expect(html("Write to mailto:desk@example.org today.")).toBe("<p>Write to mailto:desk@example.org today.</p>");
    expect(html("Write to mailto:desk@example.org today.\n\nSee https://example.org/.")).toBe('<p>Write to mailto:desk@example.org today.</p>\n<p>See <a href="https://example.org/">https://example.org/</a>.</p>');
  });

  it("links www. and a domain, http:// put before it, as GFM does; a trailing '.', ',' or unmatched ')' is not the link's", () => {
    const a = (url: string, text = url) => `<a href="${url}">${text}</a>`;
    // A body with no "://": its parser finds www. links all the same.
    expect(html("See www.example.com. Then (www.example.org/a_b), or www.example.net/path), www.example.com/a?b=1&c=2!")).toBe(
      `<p>See ${a("http://www.example.com/", "www.example.com")}. Then (${a("http://www.example.org/a_b", "www.example.org/a_b")}), or ${a("http://www.example.net/path", "www.example.net/path")}), ${a("http://www.example.com/a?b=1&amp;c=2", "www.example.com/a?b=1&amp;c=2")}!</p>`,
    );
    expect(html("**www.example.com** and\nwww.example.com:8080/x")).toBe(`<p><strong>${a("http://www.example.com/", "www.example.com")}</strong> and\n${a("http://www.example.com:8080/x", "www.example.com:8080/x")}</p>`);
    // With an https link in the body (another parser instance): both found.
    expect(html("https://example.org/ and www.example.com")).toBe(`<p>${a("https://example.org/")} and ${a("http://www.example.com/", "www.example.com")}</p>`);
  });

  it("leaves a bare domain, a file name and www. where GFM has no link as text", () => {
    for (const text of ["example.com and file.py and README.md", "desk@www.example.com", "ftp://www.example.com/f", "awww.example.com", '"www.example.com"', "WWW.EXAMPLE.COM", "www. and www", "`www.example.com`", "www.x://y", "www.exa_mple.com"]) {
      expect(html(text), text).toBe(`<p>${text.replace(/`([^`]*)`/, "<code>$1</code>")}</p>`);
    }
    // GFM: a www. link only at a line's start, after white space, `*`, `_`, `~` or `(`; a tag's `>` is none of them.
    expect(html("Text<br>www.example.com")).toBe("<p>Text<br />www.example.com</p>");
  });

  it("ends a www. or http(s) link where GFM does (its autolinks extension's examples, and what linkify-it kept)", () => {
    const a = (url: string, text = url.replace(/^http:\/\//, "")) => `<a href="${url}">${text}</a>`;
    // GFM's examples: the interior `)` kept when the link does not end in one, an `&…;` left out, `<` ends it.
    expect(html("www.google.com/search?q=(business))+ok")).toBe(`<p>${a("http://www.google.com/search?q=(business))+ok")}</p>`);
    expect(html("(www.google.com/search?q=Markup+(business)))")).toBe(`<p>(${a("http://www.google.com/search?q=Markup+(business)")}))</p>`);
    expect(html("www.google.com/search?q=commonmark&hl;")).toBe(`<p>${a("http://www.google.com/search?q=commonmark")}&amp;hl;</p>`);
    expect(html("www.commonmark.org/he<lp")).toBe(`<p>${a("http://www.commonmark.org/he")}&lt;lp</p>`);
    expect(html("Visit www.commonmark.org/a.b.")).toBe(`<p>Visit ${a("http://www.commonmark.org/a.b")}.</p>`);
    // Trailing ? ! . , : * _ ~ are not the link's: linkify-it linked /report: and /a_, and a host with its `~`.
    expect(html("Read www.example.com/report: it says, as https://example.com/report: does.")).toBe(
      `<p>Read ${a("http://www.example.com/report")}: it says, as ${a("https://example.com/report")}: does.</p>`,
    );
    expect(html("https://example.com/a_ and https://example.com/?!.,:*_~ and www.example.com~ x")).toBe(
      `<p>${a("https://example.com/a")}_ and ${a("https://example.com/")}?!.,:*_~ and ${a("http://www.example.com/", "www.example.com")}~ x</p>`,
    );
    expect(html("https://en.wikipedia.org/wiki/Foo_(bar_(baz)) and (https://example.com/q=(a)).")).toBe(
      `<p>${a("https://en.wikipedia.org/wiki/Foo_(bar_(baz))")} and (${a("https://example.com/q=(a)")}).</p>`,
    );
  });

  it("links www. and http(s) after `_` and `~`, as GFM does: emphasis and strikethrough around a link", () => {
    const a = (url: string, text = url.replace(/^http:\/\//, "").replace(/\/$/, "")) => `<a href="${url}">${text}</a>`;
    const www = a("http://www.example.com/");
    expect(html("_www.example.com_ and __www.example.com__, ~~www.example.com~~.")).toBe(`<p><em>${www}</em> and <strong>${www}</strong>, <s>${www}</s>.</p>`);
    expect(html("See _https://example.com/a_. And _www.example.com")).toBe(`<p>See <em>${a("https://example.com/a")}</em>. And _${www}</p>`);
    // Alone in a paragraph (markdown-it looks for links in a paragraph's text as written first): a host may end before a closing `_`.
    expect(html("_www.example.com_")).toBe(`<p><em>${www}</em></p>`);
    expect(html("_https://example.com_")).toBe(`<p><em>${a("https://example.com/", "https://example.com")}</em></p>`);
  });

  it("publishes a word in angle brackets as text, not as a tag removed with nothing left", () => {
    expect(html("The <Ministry> said. Dear <NAME>, press <Enter>.")).toBe("<p>The &lt;Ministry&gt; said. Dear &lt;NAME&gt;, press &lt;Enter&gt;.</p>");
    expect(notes("The <Ministry> said.")).toEqual([]);
    // An element is still one: removed and told.
    expect(notes("x <marquee>y</marquee>")).toEqual(["1: <marquee> (its text is kept)"]);
  });

  it("keeps a table's column alignment, and only that style", () => {
    expect(html("| a |\n|--:|\n| 1 |")).toContain('<th style="text-align:right">a</th>');
    expect(notes('<table><tr><td style="color:red">x</td></tr></table>')).toEqual(["1: the style of <td> (only text-align is kept)"]);
  });

  it("keeps a passage's direction and language (Arabic, Hebrew), a dir other than ltr/rtl/auto dropped and told", () => {
    expect(html('<p dir="rtl" lang="ar">مرحبا</p>')).toBe('<p dir="rtl" lang="ar">مرحبا</p>');
    expect(html('<p dir="up">x</p>')).toBe("<p>x</p>");
    expect(html('<p dir="RTL">x</p>')).toBe('<p dir="rtl">x</p>');
    expect(notes('<p dir="up">x</p>')).toEqual(["1: the dir of <p> (ltr, rtl or auto)"]);
  });

  it("tells a paragraph made a heading by a line of --- under it", () => {
    expect(notes("The minister left.\n---\n\nNext.")).toEqual(["1: is a heading: a line of --- right under a paragraph makes it one (Markdown's setext heading); leave a blank line before --- for a rule"]);
    expect(notes("The minister left.\n\n---\n\nNext.")).toEqual([]);
  });

  it("tells indented lines published as code, undefined reference links, and links to .md files", () => {
    expect(notes("Para.\n\n    <!-- TODO: ask legal -->")).toEqual(["3: is indented by 4 spaces or a tab, so it is published as code (a monospace box); remove the indent unless it is code (fence real code with ```)"]);
    expect(notes("See [the report][nope].\n\nAnd [this][ok].\n\n[ok]: https://x.example/")).toEqual(['1: [the report][nope] is published as written: no line "[nope]: https://…" defines that link']);
    expect(notes("[earlier](./rome-talks.md) and [x](https://x.example/readme.md)")).toEqual(["1: links to the file ./rome-talks.md, which readers cannot open; link to the article's address instead (/articles/<slug>, its slug without .md)"]);
    expect(notes("As the ministry said.[^1]\n\n[^1]: Statement of 19 June.")).toEqual([]);
    expect(notes("As the ministry said.[^2]")).toEqual(['1: [^2] is published as written: no line "[^2]: …" defines that footnote']);
    expect(notes('<p><a href="./rome-talks.md">earlier</a></p>')).toEqual(["1: links to the file ./rome-talks.md, which readers cannot open; link to the article's address instead (/articles/<slug>, its slug without .md)"]);
    // Past 10 warnings on a body, the count of the rest does not call published code "not published".
    const many = Array.from({ length: 12 }, (_, i) => `Para ${i}.\n\n    code ${i}`).join("\n\n");
    expect(notes(many)).toHaveLength(12);
    // Fenced code is meant as code.
    expect(notes("```\n    indented inside a fence\n```")).toEqual([]);
  });
});

describe("WordPress shortcodes and Obsidian wiki links, published as text", () => {
  const SHORTCODE = "is published as text: a WordPress shortcode, which Markdown does not read;";
  const CAPTION = "write the image as Markdown, ![description](https://…), and the caption as text under it (the lead photo: front matter image: with its caption:)";
  const EMBED = 'write the URL on a line of its own (published as a link) or an <iframe>, <video> or <audio> (published as a link to its source: README "Embeds")';
  const GALLERY = "write each image as Markdown, ![description](https://…)";
  const WIKI = "is published as text: a wiki link (Obsidian's), which Markdown does not read; write a Markdown link,";

  it("tells each shortcode with its line, a pair once, and says what to write", () => {
    const body = [
      "Intro.",
      "",
      '[caption id="attachment_12" align="aligncenter" width="640"]<img src="https://news.example.com/a.jpg" alt="x" /> Delegates at the table[/caption]',
      "",
      "The talks.",
      "[embed]https://www.youtube.com/watch?v=abc[/embed]",
      "",
      "[youtube https://www.youtube.com/watch?v=abc]",
      "",
      '[gallery ids="1,2,3"]',
      "",
      '[video src="https://x.example/v.mp4"][/video] and [audio mp3="https://x.example/a.mp3"]',
      "",
      '> [wp_caption id="x"]A caption[/wp_caption] [playlist ids="4,5"]',
      "",
      "- [/caption]",
    ].join("\n");
    expect(notes(body)).toEqual([
      `3: [caption id="attachment_12" align="aligncenter" width="640"] ${SHORTCODE} ${CAPTION}`,
      `6: [embed] ${SHORTCODE} ${EMBED}`,
      `8: [youtube https://www.youtube.com/watch?v=abc] ${SHORTCODE} ${EMBED}`,
      `10: [gallery ids="1,2,3"] ${SHORTCODE} ${GALLERY}`,
      `12: [video src="https://x.example/v.mp4"] ${SHORTCODE} ${EMBED}`,
      `12: [audio mp3="https://x.example/a.mp3"] ${SHORTCODE} ${EMBED}`,
      `14: [wp_caption id="x"] ${SHORTCODE} ${CAPTION}`,
      `14: [playlist ids="4,5"] ${SHORTCODE} ${EMBED}`,
      `16: [/caption] ${SHORTCODE} ${CAPTION}`,
    ]);
    // A long one is shortened in the message.
    const ids = Array.from({ length: 40 }, (_, i) => i + 1).join(",");
    expect(notes(`[gallery ids="${ids}"]`)).toEqual([`1: [gallery ids="1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,…] ${SHORTCODE} ${GALLERY}`]);
  });

  it("tells wiki links and embeds with their line, and the link to write", () => {
    expect(notes("See [[Other note]] and\n[[Other note|the talks]].\n\n![[image.png]] ![[Other note]]")).toEqual([
      `1: [[Other note]] ${WIKI} [Other note](https://…)`,
      `2: [[Other note|the talks]] ${WIKI} [the talks](https://…)`,
      "4: ![[image.png]] is published as text: a wiki embed (Obsidian's), which Markdown does not read; write a Markdown image with its URL, ![description](https://…/image.png)",
      "4: ![[Other note]] is published as text: a wiki embed (Obsidian's), which Markdown does not read; write a Markdown image with its URL, ![description](https://…)",
    ]);
  });

  it("publishes them as written: a warning, not a rewrite", () => {
    expect(html('Intro.\n\n[caption id="attachment_12" align="aligncenter" width="640"]<img src="https://news.example.com/a.jpg" alt="x" /> Delegates at the table[/caption]')).toBe(
      '<p>Intro.</p>\n<p>[caption id="attachment_12" align="aligncenter" width="640"]<img src="https://news.example.com/a.jpg" alt="x" /> Delegates at the table[/caption]</p>',
    );
    expect(html('[embed]https://www.youtube.com/watch?v=abc[/embed]\n\n[youtube https://www.youtube.com/watch?v=abc]\n\n[gallery ids="1,2,3"]')).toBe(
      '<p>[embed]<a href="https://www.youtube.com/watch?v=abc%5B/embed%5D">https://www.youtube.com/watch?v=abc[/embed]</a></p>\n' +
        '<p>[youtube <a href="https://www.youtube.com/watch?v=abc">https://www.youtube.com/watch?v=abc</a>]</p>\n<p>[gallery ids="1,2,3"]</p>',
    );
    expect(html("See [[Other note]], [[Other note|the talks]] and ![[image.png]].")).toBe("<p>See [[Other note]], [[Other note|the talks]] and ![[image.png]].</p>");
  });

  it("says nothing of square brackets in news text, code, link text, or another case or shape", () => {
    const wire = [
      "He said the deal was [sic] final and [the minister said] more [1] [Reuters] […].",
      "See [the report][ref] and a note.[^1]",
      "",
      "- [ ] to do",
      "- [x] done",
      "",
      '`[caption id="1"]` and `[[Other note]]` in code, [[caption]](https://x.example/) and [the [video]](https://x.example/v) as link text.',
      "",
      "```",
      '[gallery ids="1,2,3"]',
      "[[Other note]]",
      "```",
      "",
      "[VIDEO] Minister speaks. [Video] [embedded] [captions] [video: the minister] [gallery-x] [[ ]]",
      "",
      "Escaped, as a tutorial writes them: \\[caption\\] and \\[\\[Note\\]\\].",
      "",
      "[ref]: https://x.example/report",
      "[^1]: The note.",
    ].join("\n");
    expect(notes(wire)).toEqual([]);
  });

  it("looks for them in time linear in the body: a `[[` never closed, and 50,000 of them on as many lines", () => {
    // A try ends at the next bracket (a `[[` before 600,000 characters with no `]]` is one scan,
    // not one per character), and each line is counted once (50,000 lines took 16 s when each
    // match counted them from the start; ~0.5 s, most of it markdown-it's).
    const start = performance.now();
    expect(notes("[[" + "a ".repeat(300_000))).toEqual([]);
    expect(notes("[[a]]\n".repeat(50_000)).at(-1)).toBe(`50000: [[a]] ${WIKI} [a](https://…)`);
    expect(performance.now() - start).toBeLessThan(5_000);
  });

  it("is not also told as an undefined reference: [video …][/video] is a shortcode, not [text][label]", () => {
    expect(notes('[video src="https://x.example/v.mp4"][/video]')).toEqual([`1: [video src="https://x.example/v.mp4"] ${SHORTCODE} ${EMBED}`]);
  });
});

describe("footnotes", () => {
  const render = (markdown: string, itemId?: string) => {
    const r = renderMarkdown(markdown, BASE, { itemId });
    if (!r.ok) throw new Error(r.message);
    return { html: r.html, told: (r.removed ?? []).map((x) => `${x.line}: ${x.message ?? x.what}`) };
  };
  const ID = "https://news.example.com/articles/talks";
  const P = footnoteDocId(ID);

  it("renders a reference and its note, ids prefixed with a hash of the item's id, links absolute to the item", () => {
    expect(render("Text.[^1]\n\n[^1]: The note.", ID)).toEqual({
      html:
        `<p>Text.<sup class="footnote-ref"><a href="${BASE}#fn-${P}-1" id="fnref-${P}-1">[1]</a></sup></p>\n` +
        `<hr class="footnotes-sep" />\n<div class="footnotes">\n<ol class="footnotes-list">\n` +
        `<li id="fn-${P}-1" class="footnote-item"><p>The note. <a href="${BASE}#fnref-${P}-1" class="footnote-backref">\u21a9\uFE0E</a></p>\n</li>\n</ol>\n</div>`,
      told: [],
    });
    expect(P).toMatch(/^[0-9a-f]{8}$/);
  });

  it("gives two items different ids, the same item the same ids every time", () => {
    const body = "Text.[^a]\n\n[^a]: Note.";
    const one = render(body, "https://news.example.com/articles/one").html, two = render(body, "https://news.example.com/articles/two").html;
    const ids = (h: string) => [...h.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(one)).toHaveLength(2);
    expect(ids(one).filter((id) => ids(two).includes(id))).toEqual([]);
    expect(render(body, "https://news.example.com/articles/one").html).toBe(one);
  });

  it("renders notes with raw HTML beside them (the sanitize-html path) as without", () => {
    const plain = render("Text.[^1]\n\n[^1]: The *note*.", ID).html;
    expect(render("Text.[^1] <b>bold</b>\n\n[^1]: The *note*.", ID).html).toBe(plain.replace("</sup></p>", "</sup> <b>bold</b></p>"));
  });

  it("keeps no id, class or marker an author writes on the footnotes' elements, and tells them", () => {
    const forged = `<li id="fn-${P}-9" class="footnote-item">x</li> <sup class="footnote-ref" data-syndicate-note="guess">y</sup> <a href="/z" id="top" class="footnote-backref">z</a> <section class="footnotes">s</section> <hr class="footnotes-sep">`;
    const r = render(`Text.[^1]\n\n[^1]: Note.\n\n${forged}`, ID);
    expect(r.html).toContain(`<li>x</li> <sup>y</sup> <a href="https://news.example.com/z">z</a> s <hr />`);
    expect(r.html.match(/ id="/g)).toHaveLength(2); // the reference's and the note's
    expect(r.told).toEqual([
      "5: the id attribute of <li>", "5: the class attribute of <li>", "5: the class attribute of <sup>", "5: the data-syndicate-note attribute of <sup>",
      "5: the id attribute of <a>", "5: the class attribute of <a>", "5: <section> (its text is kept)", "5: the class attribute of <hr>",
    ]);
  });

  it("keeps no id or class of an author's unclosed tag that runs into the footnotes' own element", () => {
    // `<div id="x"` with no `>` at the end of a body takes the attributes of the `<hr>` written after
    // it (the marker among them) as its own: its id and class must not be kept for the marker.
    for (const tag of ['<div id="forged" class="footnotes"', '<hr id="forged"', '<li id="forged"', '<ol class="footnotes-list" id="forged"']) {
      const r = render(`Text.[^1]\n\n[^1]: Note.\n\n${tag}\n`, ID);
      expect(r.html, tag).not.toContain("forged");
      expect(r.html.match(/ id="/g), tag).toHaveLength(2); // the reference's and the note's
    }
  });

  it("never publishes the marker's value, which differs in every process, when an author's HTML swallows the notes", () => {
    for (const body of ["Text.[^1]\n\n[^1]: Note.\n\n<title>\n", "Text.[^1]\n\n[^1]: Note ' end.\n\n<p title='\n", "Text.[^1]\n\n[^1]: Note.\n\n<p title=\"\n"]) {
      const html = render(body, ID).html;
      expect(html, body).not.toMatch(/[0-9a-f]{24}/);
    }
  });

  it("tells a definition nothing refers to and one defined twice (markdown-it-footnote drops them)", () => {
    const r = render("Text.[^1]\n\n[^1]: First.\n\n[^1]: Second.\n\n[^unused]: Never referred to.", ID);
    expect(r.html).toContain("<p>Second. <a");
    expect(r.html).not.toMatch(/First|Never/);
    expect(r.told).toEqual([
      "3: the footnote [^1] is not published: [^1] is defined again further on, and only the last definition is; give each note its own label",
      "7: the footnote [^unused] is not published: nothing in the text refers to it (write [^unused] where the note belongs)",
    ]);
  });

  it("leaves `^[inline]` (Pandoc's inline notes) and a body without `[^` as they were", () => {
    expect(render("x ^[inline] y").html).toBe("<p>x ^[inline] y</p>");
    expect(render("See [a][b] and x^2.\n\n[b]: https://x.example/").html).toBe('<p>See <a href="https://x.example/">a</a> and x^2.</p>');
  });
});

describe("embeds", () => {
  const render = (markdown: string) => {
    const r = renderMarkdown(markdown, BASE);
    if (!r.ok) throw new Error(r.message);
    return { html: r.html, told: (r.removed ?? []).map((x) => `${x.line}: ${x.message ?? x.what}`) };
  };
  const link = (line: number, url: string, tag = "iframe") => `${line}: <${tag}> is published as a link to ${url}: an embed is not kept in the feed (readers drop it), its link is; whatever is written between <${tag}> and </${tag}> is not published`;

  it("tells a tag left without its '>' at the end of an HTML block (it and what follows were lost untold), on the tag's line", () => {
    const unclosed = (tag: string, line: number) => `${line}: <${tag}> is not closed: no ">" ends the tag before its block ends, so it and the text after it are read as one broken tag and not published as meant; end the tag with ">"`;
    expect(render('First.\n\n<iframe src="https://x.example/"').told).toEqual([unclosed("iframe", 3)]);
    expect(render('First.\n\n<div class="note">\n<p>Kept</p>\n<DIV id="x"\n\nMore.').told).toContain(unclosed("div", 5));
    // Closed tags, a closing tag cut short and a `<` in text say nothing of it.
    for (const ok of ['<div class="note">\n<p>x</p>\n</div>', '<img src="/a.png"\n     alt="A">', "<div>a < b</div>", "<div>x</div>\n</div"]) {
      expect(render(ok).told.filter((t) => t.includes("is not closed"))).toEqual([]);
    }
  });

  it("publishes an iframe with an http(s) src as a paragraph with a link, its title the text, and tells it", () => {
    expect(render('<iframe width="560" src="https://www.youtube.com/embed/abc" title="Talks &amp; more" allowfullscreen></iframe>')).toEqual({
      html: '<p><a href="https://www.youtube.com/embed/abc">Talks &amp; more</a></p>',
      told: [link(1, "https://www.youtube.com/embed/abc")],
    });
  });

  it("makes a protocol-relative or relative src absolute, inline in a paragraph or inside a div", () => {
    expect(render('Watch <iframe src="//player.vimeo.com/video/1">fallback</iframe> now.').html).toBe('<p>Watch <a href="https://player.vimeo.com/video/1">https://player.vimeo.com/video/1</a> now.</p>');
    expect(render('<div><iframe src="/maps/x"></iframe></div>').html).toBe('<div><a href="https://news.example.com/maps/x">https://news.example.com/maps/x</a></div>');
  });

  it("drops an iframe with no src, or a javascript: or data: one, as before, and tells it", () => {
    for (const frame of ["<iframe></iframe>", '<iframe src="javascript:alert(1)"></iframe>', '<iframe src="JaVa\tScRiPt:alert(1)">x</iframe>', '<iframe src="data:text/html,<b>x</b>"></iframe>', '<iframe src="ftp://x.example/"></iframe>']) {
      expect(render(`${frame}\n\nKept.`), frame).toEqual({ html: "<p>Kept.</p>", told: ["1: <iframe> and its content"] });
    }
  });

  it("publishes a video or audio with a src as a link too, without its fallback text, and tells it", () => {
    expect(render('<video src="/v.mp4">No video here.</video>')).toEqual({
      html: '<p><a href="https://news.example.com/v.mp4">https://news.example.com/v.mp4</a></p>',
      told: [link(1, "https://news.example.com/v.mp4", "video")],
    });
    expect(render('Watch <video src="/v.mp4">your browser <b>cannot</b> play it</video> now.').html).toBe('<p>Watch <a href="https://news.example.com/v.mp4">https://news.example.com/v.mp4</a> now.</p>');
    expect(render('<audio src="https://x.example/a.mp3" title="Interview"></audio>').html).toBe('<p><a href="https://x.example/a.mp3">Interview</a></p>');
  });

  it("publishes a video or audio whose sources are <source> children as a link to the first http(s) one, without its fallback", () => {
    // One line: a paragraph of inline tags, a token each.
    expect(render('<video controls><source src="/v.webm" type="video/webm"><source src="/v.mp4">Your browser does not support the video tag.</video>')).toEqual({
      html: '<p><a href="https://news.example.com/v.webm">https://news.example.com/v.webm</a></p>',
      told: [link(1, "https://news.example.com/v.webm", "video")],
    });
    // An HTML block: a javascript: source passed over, the title the text, the track dropped untold.
    const block = ['Before.', '', '<video title="The minister\'s statement" controls>', '  <source src="javascript:alert(1)">', '  <source src="media/statement.mp4" type="video/mp4">', '  <track kind="captions" src="media/statement.vtt">', '  Your browser does not support the video tag.', "</video>", "", "After."];
    expect(render(block.join("\n"))).toEqual({
      html: '<p>Before.</p>\n<p><a href="https://news.example.com/articles/media/statement.mp4">The minister\'s statement</a></p>\n<p>After.</p>',
      told: [link(3, "https://news.example.com/articles/media/statement.mp4", "video")],
    });
    // Its fallback across blank lines, up to </video>.
    expect(render('<audio controls>\n<source src="https://x.example/a.ogg">\n\nNo audio here.\n</audio>\n\nAfter.').html).not.toContain("No audio");
    // An audio inside a video's fallback goes with it.
    expect(render('<video><source src="/v.mp4"><audio><source src="/a.mp3">x</audio>y</video>').html).toBe('<p><a href="https://news.example.com/v.mp4">https://news.example.com/v.mp4</a></p>');
  });

  it("keeps the text of a video or audio with no http(s) source, and the text after one the body never closes", () => {
    expect(render('<audio><source src="data:audio/mpeg;base64,AAAA">No audio.</audio>')).toEqual({ html: "<p>No audio.</p>", told: ["1: <audio> (its text is kept)", "1: <source>"] });
    expect(render('<video src="javascript:alert(1)"><source src="/v.mp4">No video.</video>').html).toBe("<p>No video.</p>");
    // `<video … />` closes nothing: with no </video> anywhere, the rest of the body is not its fallback.
    expect(render('Watch <video src="/v.mp4" controls /> now.\n\nAnd more.')).toEqual({
      html: '<p>Watch <a href="https://news.example.com/v.mp4">https://news.example.com/v.mp4</a> now.</p>\n<p>And more.</p>',
      told: ["1: <video> is published as a link to https://news.example.com/v.mp4: an embed is not kept in the feed (readers drop it), its link is"],
    });
  });

  it("keeps every paragraph after an iframe the body never closes (sanitize-html dropped the rest of the article with it)", () => {
    const kept = "<p>Para after.</p>\n<h2>Heading after</h2>\n<p>Last.</p>";
    const after = "\n\nPara after.\n\n## Heading after\n\nLast.";
    const told = "3: <iframe> is published as a link to https://x.example/embed: an embed is not kept in the feed (readers drop it), its link is";
    expect(render(`First.\n\n<iframe src="https://x.example/embed">${after}`)).toEqual({ html: `<p>First.</p>\n<p><a href="https://x.example/embed">https://x.example/embed</a></p>\n${kept}`, told: [told] });
    // `<iframe … />` closes nothing either: the text after it on its line is kept, in its paragraph.
    expect(render(`First.\n\n<iframe src="https://x.example/embed" title="Map"/> on the line${after}`)).toEqual({
      html: `<p>First.</p>\n<p><a href="https://x.example/embed">Map</a> on the line</p>\n${kept}`,
      told: [told],
    });
    // One with no http(s) src is removed, what follows it kept.
    expect(render(`<iframe src="javascript:alert(1)">${after}`)).toEqual({ html: kept, told: ["1: <iframe> (its text is kept)"] });
    // Closed, an iframe still goes with its content (what a browser shows for it is not the article's).
    expect(render(`<iframe src="https://x.example/embed">fallback</iframe>${after}`).html).toBe(`<p><a href="https://x.example/embed">https://x.example/embed</a></p>\n${kept}`);
  });

  it("reads HTML with the very htmlparser2 sanitize-html runs (one copy installed: package.json pins its version)", () => {
    const ours = createRequire(import.meta.url);
    expect(createRequire(ours.resolve("sanitize-html")).resolve("htmlparser2")).toBe(ours.resolve("htmlparser2"));
  });

  it("pairs each embed's own tags, as the sanitiser's parser does, not by tag name (a review's cases)", () => {
    const link = (u: string) => `<a href="${u}">${u}</a>`;
    // One closed, a later one of the same tag never closed: the text after the second is kept.
    for (const tag of ["iframe", "video"]) {
      expect(render(`<${tag} src="https://a.example/1">fallback</${tag}>\n\nMiddle.\n\n<${tag} src="https://a.example/2">\n\nPara.\n\nLast.`).html, tag).toBe(
        `<p>${link("https://a.example/1")}</p>\n<p>Middle.</p>\n<p>${link("https://a.example/2")}</p>\n<p>Para.</p>\n<p>Last.</p>`,
      );
    }
    // `<iframe … />` closes nothing; a later closed iframe is one of its own, its link published.
    expect(render('<iframe src="https://a.example/x" />\n\nText.\n\n<iframe src="https://a.example/y"></iframe>\n\nAfter.')).toEqual({
      html: `<p>${link("https://a.example/x")}</p>\n<p>Text.</p>\n<p>${link("https://a.example/y")}</p>\n<p>After.</p>`,
      told: [
        "1: <iframe> is published as a link to https://a.example/x: an embed is not kept in the feed (readers drop it), its link is",
        "5: <iframe> is published as a link to https://a.example/y: an embed is not kept in the feed (readers drop it), its link is; whatever is written between <iframe> and </iframe> is not published",
      ],
    });
    // A `</iframe>` in a comment closes nothing.
    expect(render('<iframe src="https://a.example/1">\n\n<!-- </iframe> -->\n\nPara.').html).toContain("<p>Para.</p>");
    // Nested media: the inner one's source is not the outer one's.
    expect(render('<video>\n<video><source src="https://a.example/1.mp4"></video><source src="https://a.example/2.mp4">Fallback</video>\n\nAfter.').html).toBe(
      `<p>${link("https://a.example/2.mp4")}</p>\n<p>After.</p>`,
    );
    // The numbers the planning gave the tags are not published.
    expect(render('<iframe src="https://a.example/1">\n\nA <video src="/v.mp4"> b').html).not.toContain("data-syndicate");
    // An embed in a list item, never closed: the list's next item and what follows are kept.
    expect(render('- <iframe src="https://a.example/l">\n- next\n\nAfter.').html).toBe(`<ul>\n<li>\n<p>${link("https://a.example/l")}</p>\n</li>\n<li>next</li>\n</ul>\n<p>After.</p>`);
  });

  it("tells a script or style the body never closes as taking everything after it (HTML reads the rest as its text)", () => {
    expect(render("First.\n\n<script>var x = 1;\n\nPara after.\n\nLast.")).toEqual({
      html: "<p>First.</p>",
      told: ["3: <script> and everything after it in the body: it is never closed (no </script>)"],
    });
    expect(render("<style>p { color: red }\n\nPara after.").told).toEqual(["1: <style> and everything after it in the body: it is never closed (no </style>)"]);
    // Closed: only it and its content, told as before. An <object> a list item's end closes takes no more.
    expect(render("<script>var x = 1;</script>\n\nPara after.")).toEqual({ html: "<p>Para after.</p>", told: ["1: <script> and its content"] });
    expect(render('- a <object data="x">\n- two\n\nAfter.')).toEqual({ html: "<ul>\n<li>a </li>\n<li>two</li>\n</ul>\n<p>After.</p>", told: ["1: <object> and its content"] });
  });

  it("writes an embed's title as the link's text once escaped, a paragraph whatever the title holds", () => {
    expect(render('<iframe src="https://x.example/" title="Q&amp;A: 5 < 6 > 4, &quot;quoted&quot; & it\'s &amp;lt;b&amp;gt;"></iframe>').html).toBe(
      '<p><a href="https://x.example/">Q&amp;A: 5 &lt; 6 &gt; 4, "quoted" &amp; it\'s &amp;lt;b&amp;gt;</a></p>',
    );
    expect(render(`<video src="/v.mp4" title='Say "hi" <now>'></video>`).html).toBe('<p><a href="https://news.example.com/v.mp4">Say "hi" &lt;now&gt;</a></p>');
  });

  it("keeps the <img> of a <picture>, its <source srcset> removed and told", () => {
    const picture = '<picture><source srcset="https://x.example/a.webp" type="image/webp"><img src="/a.png" alt="A map"></picture>';
    expect(render(picture)).toEqual({ html: '<p><img src="https://news.example.com/a.png" alt="A map" /></p>', told: ["1: <picture> (its text is kept)", "1: <source>"] });
    expect(render(`<picture>\n<source srcset="https://x.example/a.webp">\n<img src="/a.png" alt="A map">\n</picture>`).html).toBe('<img src="https://news.example.com/a.png" alt="A map" />');
  });

  it("drops a link made inside an element removed with its content", () => {
    expect(render('<noscript>\n<iframe src="https://x.example/"></iframe>\n</noscript>\n\nKept.')).toEqual({ html: "<p>Kept.</p>", told: ["1: <noscript> and its content"] });
  });

  it("publishes a video whose fallback runs over blank lines as a paragraph with its link, and no empty paragraph", () => {
    const p = '<p><a href="https://example.com/v.mp4">https://example.com/v.mp4</a></p>';
    // The link was bare, outside any paragraph; a fallback paragraph ending in </video> left a <p></p>.
    expect(render('<video src="https://example.com/v.mp4">\n\nfallback text\n\n</video>\n\nAfter.')).toEqual({ html: `${p}\n<p>After.</p>`, told: [link(1, "https://example.com/v.mp4", "video")] });
    expect(render('<video src="https://example.com/v.mp4">\nfallback\n\nmore\n</video>\n\nAfter.').html).toBe(`${p}\n<p>After.</p>`);
    expect(render('<video src="https://example.com/v.mp4">\n\nfallback\n</video>').html).toBe(p);
    expect(render('- <video src="https://example.com/v.mp4">\n\n  fallback\n\n  </video>\n- next').html).toBe(`<ul>\n<li>\n${p}\n</li>\n<li>\n<p>next</p>\n</li>\n</ul>`);
    expect(render('<div><video src="https://example.com/v.mp4">\n\nfallback\n\n</video></div>\n\nAfter.').html).toBe('<div><a href="https://example.com/v.mp4">https://example.com/v.mp4</a></div>\n<p>After.</p>');
    // Nor one an author writes: it holds nothing.
    expect(render("<p></p>\n\nText.").html).toBe("<p>Text.</p>");
    // Nor one whose every element the sanitiser removed.
    expect(render("A\n\n<p><script>x</script></p>\n\nB").html).toBe("<p>A</p>\n<p>B</p>");
    expect(render("A\n\n<p><font></font></p>\n\nB").html).toBe("<p>A</p>\n<p>B</p>");
  });

  it("puts one space between an embed's link and the text after a tag that closes nothing, none where a space or a line break was", () => {
    const a = '<a href="https://x.example/e">https://x.example/e</a>';
    expect(render('<iframe src="https://x.example/e" /> then text').html).toBe(`<p>${a} then text</p>`);
    expect(render('<iframe src="https://x.example/e"/>then text').html).toBe(`<p>${a} then text</p>`);
    expect(render('<iframe src="https://x.example/e" />\nthen text').html).toBe(`<p>${a}\nthen text</p>`);
    expect(render('Watch <iframe src="https://x.example/e"> now.').html).toBe(`<p>Watch ${a} now.</p>`);
    expect(render('Watch <iframe src="https://x.example/e">now.').html).toBe(`<p>Watch ${a} now.</p>`);
    // Text in markup right after the tag is text after it too: not run into the link's (`…/enow`).
    // `**` leaves an empty text token before its <strong> (the space was there by that accident).
    expect(render('Watch <iframe src="https://x.example/e">**now**.').html).toBe(`<p>Watch ${a} <strong>now</strong>.</p>`);
    expect(render('Watch <iframe src="https://x.example/e">*now*.').html).toBe(`<p>Watch ${a} <em>now</em>.</p>`);
    expect(render('Watch <iframe src="https://x.example/e">[the page](https://y.example/).').html).toBe(`<p>Watch ${a} <a href="https://y.example/">the page</a>.</p>`);
    expect(render('Watch <iframe src="https://x.example/e">`code`.').html).toBe(`<p>Watch ${a} <code>code</code>.</p>`);
    // None before a tag inside that markup, as before a tag alone.
    expect(render('Watch <iframe src="https://x.example/e">*<b>now</b>*').html).toBe(`<p>Watch ${a}<em><b>now</b></em></p>`);
  });

  it("reads raw HTML in an image's alt text as its text: no warning of its own, and no embed's plan taken from the body's", () => {
    const img = (alt: string) => `<img src="https://news.example.com/articles/a.png" alt="${alt}" />`;
    // The alt's iframe was told as a link to …/x, with the real iframe's plan; the real one went untold.
    expect(render('![<iframe src=x>](a.png)\n\n<iframe src="https://a.example/1"></iframe>')).toEqual({
      html: `<p>${img("&lt;iframe src=x&gt;")}</p>\n<p><a href="https://a.example/1">https://a.example/1</a></p>`,
      told: [link(3, "https://a.example/1")],
    });
    // Nothing of it is removed: not a script, and not everything after an unclosed textarea.
    expect(render("![a <script>x</script> b](a.png)")).toEqual({ html: `<p>${img("a &lt;script&gt;x&lt;/script&gt; b")}</p>`, told: [] });
    expect(render("![x <textarea>](a.png)\n\nPara after.")).toEqual({ html: `<p>${img("x &lt;textarea&gt;")}</p>\n<p>Para after.</p>`, told: [] });
  });

  it("tells a link or image whose URL is no URL: its href or src is dropped (it was, untold)", () => {
    expect(render("[the site](https://example.com:99999/) and ![a map](<https://exa mple.com/a.png>)")).toEqual({
      html: '<p><a>the site</a> and <img alt="a map" /></p>',
      told: ["1: the link's URL (not a valid URL)", "1: the image's URL (not a valid URL)"],
    });
    expect(render('<a href="http://[::1/">x</a>').told).toEqual(["1: the href of <a> (not a valid URL)"]);
  });
});
