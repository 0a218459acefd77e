/**
 * Warnings about how a front matter date was read: a time without a zone that the site's zone
 * skipped or showed twice that day, an offset written without a colon (not RFC 3339), and an
 * `updated` later than the build's time, each with its file, line and field.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseArticle } from "../../functions/core/article.ts";
import { parseContentDate } from "../../functions/core/dates.ts";
import { formatIssue } from "../../functions/core/errors.ts";
import { siteSchema } from "../../functions/core/schema.ts";
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { build, validate } from "../../functions/pipeline/build.ts";
import cmdValidate from "../../functions/commands/validate.ts";
import { SITE_FIELDS, TEST_SITE, articleText, bytes, tempDir, tree, writeTree, type Fields } from "../support/content-tree.ts";

const FILE = "articles/a.md";
const siteIn = (timezone: string) => siteSchema.parse({ ...SITE_FIELDS, timezone });

/** The formatted issues of one article, by the fast path and by the careful parser (they must agree). */
function told(fields: Fields, site = TEST_SITE): string[] {
  const text = bytes(articleText(fields));
  const fast = parseArticle(FILE, text, site).issues.map(formatIssue);
  const careful = parseArticle(FILE, text, site, { fastPath: false }).issues.map(formatIssue);
  expect(careful).toEqual(fast);
  return fast;
}

const utc = (value: string, tz: string) => {
  const d = parseContentDate(value, tz);
  return d.ok ? new Date(d.ms).toISOString() : d.message;
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a time without a zone that the clocks skipped", () => {
  it("warns naming the time as written, the zone, and the instant it was read as, with its offset", () => {
    expect(told({ date: "2020-03-29T02:30" }, siteIn("Europe/Berlin"))).toEqual([
      "articles/a.md:3: warning: date: has no time zone, and 2020-03-29T02:30 does not exist in Europe/Berlin on that day (the clocks skipped it): read as 2020-03-29T03:30:00+02:00; write that, or the time meant with its offset",
    ]);
    // West of UTC, midnight skipped; in `updated` (line 4).
    expect(told({ date: "2018-11-01T10:00:00-03:00", updated: "2018-11-04T00:30:00" }, siteIn("America/Sao_Paulo"))).toEqual([
      "articles/a.md:4: warning: updated: has no time zone, and 2018-11-04T00:30:00 does not exist in America/Sao_Paulo on that day (the clocks skipped it): read as 2018-11-04T01:30:00-02:00; write that, or the time meant with its offset",
    ]);
  });

  it("keeps the resolution: the time moves forward, and the instant named is the one published", () => {
    expect(utc("2020-03-29T02:30", "Europe/Berlin")).toBe("2020-03-29T01:30:00.000Z");
    expect(utc("2018-11-04T00:30:00", "America/Sao_Paulo")).toBe("2018-11-04T03:30:00.000Z");
    const r = parseArticle(FILE, bytes(articleText({ date: "2020-03-29T02:30" })), siteIn("Europe/Berlin"));
    expect(r.article?.published).toBe(Date.parse("2020-03-29T03:30:00+02:00"));
    // The advice followed gives the same instant, with no warning.
    const followed = parseArticle(FILE, bytes(articleText({ date: "2020-03-29T03:30:00+02:00" })), siteIn("Europe/Berlin"));
    expect([followed.article?.published, followed.issues]).toEqual([r.article?.published, []]);
  });
});

describe("a time without a zone that the clocks showed twice", () => {
  it("warns naming both instants and the earlier one it was read as", () => {
    expect(told({ date: "2020-10-25T02:30:00" }, siteIn("Europe/Berlin"))).toEqual([
      "articles/a.md:3: warning: date: has no time zone, and 2020-10-25T02:30:00 occurs twice in Europe/Berlin on that day (the clocks went back): 2020-10-25T02:30:00+02:00 and 2020-10-25T02:30:00+01:00; read as the earlier, 2020-10-25T02:30:00+02:00: write the one meant, with its offset",
    ]);
    expect(utc("2020-10-25T02:30:00", "Europe/Berlin")).toBe("2020-10-25T00:30:00.000Z");
    expect(told({ date: "2021-11-07T01:30:00.250" }, siteIn("America/New_York"))).toEqual([
      "articles/a.md:3: warning: date: has no time zone, and 2021-11-07T01:30:00.250 occurs twice in America/New_York on that day (the clocks went back): 2021-11-07T01:30:00.250-04:00 and 2021-11-07T01:30:00.250-05:00; read as the earlier, 2021-11-07T01:30:00.250-04:00: write the one meant, with its offset",
    ]);
  });
});

describe("ordinary dates", () => {
  it("give no warning of a skipped or repeated time: with a zone, or without one away from a change (near one too)", () => {
    const berlin = siteIn("Europe/Berlin");
    // With a zone, even on the very times the clocks skipped or repeated: nothing.
    for (const date of ["2020-03-29T02:30:00+01:00", "2020-10-25T02:30:00+01:00", "2020-10-25T02:30:00Z", "2020-06-19T10:30:00+03:00"]) expect(told({ date }, berlin)).toEqual([]);
    // Without one: only the usual warning, on the day of a change too (an hour before or after it).
    for (const [date, offset] of [["2020-06-19T10:30:00", "+02:00"], ["2020-03-29T01:30:00", "+01:00"], ["2020-03-29T03:30:00", "+02:00"], ["2020-10-25T03:30:00", "+01:00"], ["2020-10-25T01:30:00", "+02:00"]]) {
      expect(told({ date }, berlin)).toEqual([`articles/a.md:3: warning: date: has no time zone; read as Europe/Berlin, ${offset} on that day: write it, ${date}${offset}`]);
    }
    // A plain date whose midnight was skipped is the first instant of that day, as documented: no warning.
    expect(told({ date: "2018-11-04" }, siteIn("America/Sao_Paulo"))).toEqual([]);
    expect(told({ date: "2020-06-19" }, berlin)).toEqual([]);
  });

  it("cost no more: an ordinary time without a zone is resolved with the two offsets a day either side, nothing else", () => {
    const spy = vi.spyOn(Intl.DateTimeFormat.prototype, "formatToParts");
    const d = parseContentDate("2020-06-19T10:31:07", "Europe/Berlin");
    expect([d, spy.mock.calls.length]).toEqual([{ ok: true, ms: Date.parse("2020-06-19T08:31:07Z"), zoned: false, dateOnly: false }, 2]);
  });
});

describe("an offset of hours alone (ISO 8601 allows it)", () => {
  it("is read as that many hours, and warns that RFC 3339 requires hours and minutes", () => {
    expect(told({ date: "2020-06-19T10:30:00+03", updated: "2020-06-20T08:00-05" })).toEqual([
      "articles/a.md:3: warning: date: has the UTC offset +03: RFC 3339 requires +03:00 (hours and minutes, with a colon); read as +03:00: write it, 2020-06-19T10:30:00+03:00",
      "articles/a.md:4: warning: updated: has the UTC offset -05: RFC 3339 requires -05:00 (hours and minutes, with a colon); read as -05:00: write it, 2020-06-20T08:00-05:00",
    ]);
    const r = parseArticle(FILE, bytes(articleText({ date: "2020-06-19T10:30:00+03", updated: "2020-06-20T08:00-05" })), TEST_SITE);
    expect([r.article?.published, r.article?.modified]).toEqual([Date.parse("2020-06-19T07:30:00Z"), Date.parse("2020-06-20T13:00:00Z")]);
  });

  it("refuses an impossible one", () => {
    expect(parseContentDate("2020-06-19T10:30:00+24", "UTC")).toMatchObject({ ok: false, message: expect.stringContaining("impossible UTC offset") });
  });
});

describe("an offset without a colon", () => {
  it("is read as written with one, and warns that RFC 3339 requires the colon", () => {
    expect(told({ date: "2020-06-19T10:30:00+0300" })).toEqual([
      "articles/a.md:3: warning: date: has the UTC offset +0300: RFC 3339 requires +03:00 (with a colon); read as +03:00: write it, 2020-06-19T10:30:00+03:00",
    ]);
    expect(told({ updated: "2020-06-20T08:00-0500" })).toEqual([
      "articles/a.md:4: warning: updated: has the UTC offset -0500: RFC 3339 requires -05:00 (with a colon); read as -05:00: write it, 2020-06-20T08:00-05:00",
    ]);
    const r = parseArticle(FILE, bytes(articleText({ date: "2020-06-19T10:30:00+0300", updated: "2020-06-20T08:00-0500" })), TEST_SITE);
    expect([r.article?.published, r.article?.modified]).toEqual([Date.parse("2020-06-19T10:30:00+03:00"), Date.parse("2020-06-20T08:00:00-05:00")]);
  });

  it("is the only thing said of a value written with a colon, Z, or none at all in UTC", () => {
    for (const date of ["2020-06-19T10:30:00+03:00", "2020-06-19T10:30:00-05:00", "2020-06-19T10:30:00Z", "2020-06-19"]) expect(told({ date })).toEqual([]);
  });
});

describe("validate", () => {
  it("prints each of these warnings as path:line: field: message", async () => {
    const content = await writeTree(
      join(await tempDir(), "content"),
      tree({ gap: { date: "2020-03-29T02:30" }, twice: { date: "2020-10-25T02:30:00" }, basic: { title: "B", updated: "2020-06-20T10:00:00+0200" } }, { timezone: "Europe/Berlin" }),
    );
    const expected = [
      "articles/basic.md:4: warning: updated: has the UTC offset +0200: RFC 3339 requires +02:00 (with a colon); read as +02:00: write it, 2020-06-20T10:00:00+02:00",
      "articles/gap.md:3: warning: date: has no time zone, and 2020-03-29T02:30 does not exist in Europe/Berlin on that day (the clocks skipped it): read as 2020-03-29T03:30:00+02:00; write that, or the time meant with its offset",
      "articles/twice.md:3: warning: date: has no time zone, and 2020-10-25T02:30:00 occurs twice in Europe/Berlin on that day (the clocks went back): 2020-10-25T02:30:00+02:00 and 2020-10-25T02:30:00+01:00; read as the earlier, 2020-10-25T02:30:00+02:00: write the one meant, with its offset",
    ];
    const result = await validate(new DirectoryContent(content));
    expect([result.ok, result.issues.map(formatIssue)]).toEqual([true, expected]);
    // The command itself: warnings on stderr, one a line, with the content directory's path before each.
    const err: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    expect(await cmdValidate(["--content", content])).toBe(0);
    const printed = err.join("").split("\n").filter((l) => l.includes("warning:"));
    expect(printed).toEqual(expected.map((l) => expect.stringMatching(new RegExp(`${escape(l)}$`))));
    expect(printed.map((l) => /:(\d+): warning: /.exec(l)?.[1])).toEqual(["4", "3", "3"]);
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("an updated later than the build's time", () => {
  it("is told at the line of updated:, in a first build and in one from the build cache", async () => {
    const late = `---\ntitle: A\ndate: 2020-06-19T10:00:00Z\ntags: [a, b]\n\nupdated: 2030-01-01T00:00:00Z\n---\nBody.\n`;
    const content = await writeTree(join(await tempDir(), "content"), { ...tree({ b: { title: "B", date: "2020-06-18T10:00:00Z" } }), "articles/a.md": late });
    const store = new DirectoryStore(join(content, "..", "out"));
    const message = "articles/a.md:6: warning: updated: is later than the time of this build (2025-01-01T00:00:00Z): readers would see the article, and the feed, modified in the future; write the time the correction was made";
    const first = await build({ source: new DirectoryContent(content), store, now: Date.UTC(2025, 0, 1) });
    expect([first.cache.parsed, first.warnings.map(formatIssue)]).toEqual([2, [message]]);
    // The article now comes from the cache (no lines kept there): the same line.
    const again = await build({ source: new DirectoryContent(content), store, now: Date.UTC(2025, 0, 1) });
    expect([again.cache.reused, again.warnings.map(formatIssue)]).toEqual([2, [message]]);
    const later = await build({ source: new DirectoryContent(content), store, now: Date.UTC(2031, 0, 1) });
    expect(later.warnings).toEqual([]);
  });
});
