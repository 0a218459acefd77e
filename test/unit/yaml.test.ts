import { describe, expect, it } from "vitest";
import { parseYaml } from "../../functions/core/yaml.ts";
import { LIMITS } from "../../functions/core/limits.ts";

function problems(text: string) {
  const r = parseYaml(text);
  if (r.ok) throw new Error("expected the YAML to be rejected");
  return r.problems;
}

function value(text: string) {
  const r = parseYaml(text);
  if (!r.ok) throw new Error(`expected the YAML to parse: ${JSON.stringify(r.problems)}`);
  return r.yaml;
}

/** a0: [x, x, …]; a1: [*a0 ×10]; … : 10^levels strings once expanded. */
function billionLaughs(levels: number): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(",")}]`);
  return lines.join("\n");
}

describe("parseYaml", () => {
  it("reads a mapping", () => {
    expect(value("title: Hello\ntags: [a, b]\n").value).toEqual({ title: "Hello", tags: ["a", "b"] });
  });

  it("keeps unquoted dates as text (core schema, no timestamps)", () => {
    expect(value("date: 2020-06-19\n").value).toEqual({ date: "2020-06-19" });
  });

  it("lists top-level keys with their lines", () => {
    expect(value("title: x\n\ndate: y\n").keys).toEqual([{ key: "title", line: 1 }, { key: "date", line: 3 }]);
  });

  it("finds the line of a nested field", () => {
    expect(value("title: x\nimage:\n  alt: a\n  url: u\n").lineOf(["image", "url"])).toBe(4);
  });

  it("falls back to the parent's line for a missing field: its key's, not its first entry's", () => {
    expect(value("title: x\nimage:\n  alt: a\n").lineOf(["image", "url"])).toBe(2);
    expect(value("title: x\nimage: {alt: a}\n").lineOf(["image", "url"])).toBe(2);
    // In a list, the item's first line.
    expect(value("title: x\nauthors:\n  - email: a@b.c\n").lineOf(["authors", 0, "name"])).toBe(3);
  });

  it("rejects a duplicate key, naming it, with the line of the second one", () => {
    expect(problems("title: a\ndate: x\ntitle: b\n")).toEqual([{ line: 3, field: "front matter", message: 'the key "title" appears twice' }]);
  });

  it.each([
    ["nested", "image:\n  url: a\n  alt: b\n  url: c\n", 4, 'the key "url" appears twice in image'],
    ["in a list item", "authors:\n  - name: a\n  - name: b\n    name: c\n", 4, 'the key "name" appears twice in authors.1'],
    ["in a flow mapping", "x: 1\nimage: {url: a, url: b}\n", 2, 'the key "url" appears twice in image'],
    ["quoted differently", "\"title\": a\n'title': b\n", 2, 'the key "title" appears twice'],
    ["after an anchor", "a: 1\n&k a: 2\n", 2, 'the key "a" appears twice'],
    ["holding a line break", '"a\\nb": 1\n"a\\nb": 2\n', 2, 'the key "a\\nb" appears twice'],
  ])("names a duplicate key %s", (_, text, line, message) => {
    expect(problems(text)).toEqual([{ line, field: "front matter", message }]);
  });

  it.each([
    ["a language-specific tag", "x: !!js/function 'function(){}'\n"],
    ["a local tag", "x: !evil payload\n"],
    ["a Python object tag", "x: !!python/object/apply:os.system ['id']\n"],
    ["a timestamp tag", "x: !!timestamp 2020-01-01\n"],
    ["a binary tag", "x: !!binary aGVsbG8=\n"],
    ["a set tag", "x: !!set {a}\n"],
  ])("rejects %s", (_, text) => {
    expect(problems(text)[0]?.message).toMatch(/tags are not allowed/);
  });

  it("rejects invalid YAML with the line of the problem", () => {
    expect(problems("title: ok\nlist: [a, b\n")[0]).toMatchObject({ line: 2, message: expect.stringContaining('has no closing "]"') });
    expect(problems("title: ok\nlist: a: b: c\n")[0]?.message).toMatch(/needs quotes/);
  });

  it("says the common mistakes in an editor's words, each problem once", () => {
    const said = (text: string) => problems(text).map((p) => `${p.line}: ${p.message}`);
    // One bad line draws two identical errors from the parser (one per key): told once.
    expect(said("title: a: b: c\n")).toEqual(['1: a value with ": " in it needs quotes: title: "a: b: c"']);
    // Body text before a closing fence that is missing (the next `---` rule closed it).
    expect(said("title: x\ndate: 2020-01-01\n\nSome body text.\n")).toEqual([
      "4: invalid YAML: a line here is not a field (name: value): text goes after the closing '---' (is it missing?), and a value that runs on to the next line needs indenting",
    ]);
    expect(said("title: x\n\tdate: y\n")).toEqual(["2: invalid YAML: indent with spaces, not tabs"]);
    // site.yaml has no '---' to be missing, and no text after it.
    const settings = parseYaml("title: x\ndescription: y\n\nSome text.\n", { frontMatter: false });
    expect(settings.ok ? [] : settings.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      "4: invalid YAML: a line here is not a setting (name: value): a value that runs on to the next line needs indenting, and a comment starts with #",
    ]);
    // A quote or a list left open: told on the line that opened it, not where the parser gave up.
    expect(said('title: "unclosed\ndate: 2020\n')).toEqual(['1: a quoted value has no closing ": close it where the value ends, title: "unclosed"']);
    expect(said("title: ok\nsummary: 'it''s open\nsource: x\nsite: y\n")).toEqual(["2: a quoted value has no closing ': close it where the value ends, summary: 'it''s open'"]);
    expect(said('title: ok\nsummary: "a \\" b\nsource: x\n')).toEqual(['2: a quoted value has no closing ": close it where the value ends, summary: "a \\" b"']);
    // Closed on a later line that is not indented: a value run on, not a quote left open.
    expect(said('title: "A long title\nthat continues"\ndate: 2020\n')[0]).toBe(
      "1: a quoted value runs on to the next line, which must be indented further than this one (by a space) to continue it: indent it, or write the value on one line",
    );
    expect(said("image:\n  url: a.png\n  alt: 'A long\n  alt text,\n  run on'\ndate: 2020\n")[0]).toBe(
      "3: a quoted value runs on to the next 2 lines, which must be indented further than this one (by a space) to continue it: indent them, or write the value on one line",
    );
    // A quote left open, and a later field's own quotes: not a value run on over the fields between.
    expect(said('title: "unclosed\ndate: 2020\nsummary: "ok"\n')[0]).toBe('1: a quoted value has no closing ": close it where the value ends, title: "unclosed"');
    expect(said("title: [Draft\ndate: 2020-06-19\n")).toEqual(['1: a value that starts with "[" is a list, and this one has no closing "]": end it with one, or, for text that starts with "[", put it in quotes: title: "[Draft"']);
    expect(said("title: x\ntags: [Libya, Turkey\ndate: 2020-06-19\n")).toEqual(['2: a value that starts with "[" is a list, and this one has no closing "]": end it with one']);
    expect(said("title: x\nimage: {url: a.png\ndate: 2020-06-19\n")).toEqual(['2: a value that starts with "{" is a mapping, and this one has no closing "}": end it with one, or, for text that starts with "{", put it in quotes: image: "{url: a.png"']);
  });

  it("accepts a few aliases", () => {
    expect(value("a: &x hello\nb: *x\nc: *x\n").value).toEqual({ a: "hello", b: "hello", c: "hello" });
  });

  it("rejects a billion-laughs alias bomb, with the line of the alias over the limit", () => {
    // a1's ten aliases of a0 expand to 100 nodes; a2's first one passes the limit of 50.
    expect(problems(billionLaughs(9))[0]).toMatchObject({ line: 3, message: expect.stringMatching(/too many YAML aliases/) });
  });

  it("rejects more aliases than the limit even when they do not multiply, with the line of the alias over it", () => {
    const text = `a: &x v\nb: 1\nl:\n${Array(LIMITS.yamlAliases * 3).fill("  - *x").join("\n")}\n`;
    // The 51st alias, on line 54, is one over "at most 50".
    expect(problems(text)[0]).toMatchObject({ line: 4 + LIMITS.yamlAliases, message: `too many YAML aliases (*name): at most ${LIMITS.yamlAliases} are allowed; write the values out instead` });
    // As many as the message allows pass.
    expect(parseYaml(`a: &x v\nl:\n${Array(LIMITS.yamlAliases).fill("  - *x").join("\n")}\n`).ok).toBe(true);
  });

  it("does not call an alias without its anchor too many aliases, and gives its line", () => {
    expect(problems("a: &x 1\nb: *y\n")).toEqual([{ line: 2, field: "front matter", message: expect.stringMatching(/^YAML could not be read: Unresolved alias.*: y$/) }]);
  });

  it(`accepts nesting of ${LIMITS.yamlDepth} levels`, () => {
    const text = `x: ${"[".repeat(LIMITS.yamlDepth - 1)}1${"]".repeat(LIMITS.yamlDepth - 1)}\n`;
    expect(parseYaml(text).ok).toBe(true);
  });

  const tooDeep = (line: number) => [{ line, field: "front matter", message: `nested deeper than ${LIMITS.yamlDepth} levels` }];

  it(`rejects nesting deeper than ${LIMITS.yamlDepth} levels, with the line`, () => {
    const text = `a: 1\nx: ${"[".repeat(LIMITS.yamlDepth + 1)}1${"]".repeat(LIMITS.yamlDepth + 1)}\n`;
    expect(problems(text)).toEqual(tooDeep(2));
  });

  it("gives the line of the flow collection that nests too deep, not the first line of the nesting", () => {
    const text = `x:\n${Array.from({ length: LIMITS.yamlDepth + 1 }, (_, i) => `${" ".repeat(i + 1)}[`).join("\n")}\n1${"]".repeat(LIMITS.yamlDepth + 1)}\n`;
    expect(problems(text)).toEqual(tooDeep(LIMITS.yamlDepth + 2));
  });

  it("rejects very deep flow nesting with the depth message, not a crash", () => {
    const text = `t: 1\nx: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`;
    expect(problems(text)).toEqual(tooDeep(2));
  });

  it("rejects deep block nesting with the depth message, on the line of the first node too deep", () => {
    const text = Array.from({ length: 300 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + " end\n";
    expect(problems(text)).toEqual(tooDeep(LIMITS.yamlDepth + 2));
  });

  it("counts flow nesting inside block nesting, with the line", () => {
    const text = `t: 1\nx:\n  y: ${"[".repeat(LIMITS.yamlDepth - 1)}1${"]".repeat(LIMITS.yamlDepth - 1)}\n`;
    expect(problems(text)).toEqual(tooDeep(3));
  });

  it("gives the line of the alias that nests too deep", () => {
    expect(problems("a: &x [[[[[1]]]]]\nb:\n  c: [[[*x]]]\n")).toEqual(tooDeep(3));
  });

  it("does not count brackets inside a scalar as nesting", () => {
    expect(value(`title: "${"[".repeat(20)}"\nnote: a [[[[[[[[[[ b\n`).value).toMatchObject({ note: "a [[[[[[[[[[ b" });
  });

  it("rejects a self-referencing alias", () => {
    expect(parseYaml("a: &x [*x]\n").ok).toBe(false);
  });
});
