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

  it("falls back to the parent's line for a missing field", () => {
    expect(value("title: x\nimage:\n  alt: a\n").lineOf(["image", "url"])).toBe(3);
  });

  it("rejects a duplicate key with its line", () => {
    expect(problems("title: a\ndate: x\ntitle: b\n")[0]).toMatchObject({ line: 3, message: expect.stringContaining("twice") });
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
    expect(problems("title: ok\nlist: [a, b\n")[0]?.message).toMatch(/invalid YAML/);
  });

  it("accepts a few aliases", () => {
    expect(value("a: &x hello\nb: *x\nc: *x\n").value).toEqual({ a: "hello", b: "hello", c: "hello" });
  });

  it("rejects a billion-laughs alias bomb", () => {
    expect(problems(billionLaughs(9))[0]?.message).toMatch(/too many YAML aliases/);
  });

  it("rejects more aliases than the limit even when they do not multiply", () => {
    const text = `a: &x v\nl: [${Array(LIMITS.yamlAliases * 3).fill("*x").join(", ")}]\n`;
    expect(problems(text)[0]?.message).toMatch(/too many YAML aliases/);
  });

  it(`accepts nesting of ${LIMITS.yamlDepth} levels`, () => {
    const text = `x: ${"[".repeat(LIMITS.yamlDepth - 1)}1${"]".repeat(LIMITS.yamlDepth - 1)}\n`;
    expect(parseYaml(text).ok).toBe(true);
  });

  it(`rejects nesting deeper than ${LIMITS.yamlDepth} levels`, () => {
    const text = `x: ${"[".repeat(LIMITS.yamlDepth + 1)}1${"]".repeat(LIMITS.yamlDepth + 1)}\n`;
    expect(problems(text)[0]?.message).toMatch(`nested deeper than ${LIMITS.yamlDepth} levels`);
  });

  it("rejects very deep flow nesting with the depth message, not a crash", () => {
    const text = `x: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`;
    expect(problems(text)[0]?.message).toMatch(`nested deeper than ${LIMITS.yamlDepth} levels`);
  });

  it("rejects deep block nesting with the depth message", () => {
    const text = Array.from({ length: 300 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + " end\n";
    expect(problems(text)[0]?.message).toMatch(`nested deeper than ${LIMITS.yamlDepth} levels`);
  });

  it("does not count brackets inside a scalar as nesting", () => {
    expect(value(`title: "${"[".repeat(20)}"\nnote: a [[[[[[[[[[ b\n`).value).toMatchObject({ note: "a [[[[[[[[[[ b" });
  });

  it("rejects a self-referencing alias", () => {
    expect(parseYaml("a: &x [*x]\n").ok).toBe(false);
  });
});
