import { describe, expect, it } from "vitest";
import { parseContentDate, rfc3339, rfc822, isTimeZone } from "../../functions/core/dates.ts";

const ms = (iso: string) => Date.parse(iso);

function parsed(value: string, tz = "UTC") {
  const r = parseContentDate(value, tz);
  if (!r.ok) throw new Error(`expected ${value} to parse: ${r.message}`);
  return r;
}

describe("parseContentDate", () => {
  it("reads a date-time with Z", () => {
    expect(parsed("2020-06-19T10:30:00Z")).toMatchObject({ ms: ms("2020-06-19T10:30:00Z"), zoned: true, dateOnly: false });
  });

  it("reads a date-time with a +03:00 offset", () => {
    expect(parsed("2020-06-19T10:30:00+03:00").ms).toBe(ms("2020-06-19T07:30:00Z"));
  });

  it("reads an offset written without a colon", () => {
    expect(parsed("2020-06-19T10:30:00-0430").ms).toBe(ms("2020-06-19T15:00:00Z"));
  });

  it("keeps milliseconds", () => {
    expect(parsed("2020-06-19T10:30:00.250Z").ms).toBe(ms("2020-06-19T10:30:00.250Z"));
  });

  it("reads a date-only value as midnight in the site's time zone", () => {
    expect(parsed("2020-06-19", "Europe/Istanbul")).toMatchObject({ ms: ms("2020-06-18T21:00:00Z"), dateOnly: true, zoned: false });
  });

  it("reads a zone-less date-time in the site's time zone", () => {
    expect(parsed("2020-06-19T10:30:00", "Europe/Istanbul")).toMatchObject({ ms: ms("2020-06-19T07:30:00Z"), zoned: false, dateOnly: false });
  });

  it("reads the same value again in another time zone (the last result is reused only where the zone cannot matter)", () => {
    expect(parsed("2020-06-19T10:30:00", "UTC").ms).toBe(ms("2020-06-19T10:30:00Z"));
    expect(parsed("2020-06-19T10:30:00", "Europe/Istanbul").ms).toBe(ms("2020-06-19T07:30:00Z"));
    expect(parsed("2020-06-19T10:30:00", "UTC").ms).toBe(ms("2020-06-19T10:30:00Z"));
    expect(parsed("2020-06-19", "UTC").ms).toBe(ms("2020-06-19T00:00:00Z"));
    expect(parsed("2020-06-19", "America/New_York").ms).toBe(ms("2020-06-19T04:00:00Z"));
    expect(parsed("2020-06-19T10:30:00+03:00", "UTC").ms).toBe(parsed("2020-06-19T10:30:00+03:00", "Asia/Tokyo").ms);
    const bad = parseContentDate("2021-02-30", "UTC");
    expect(bad.ok).toBe(false);
    expect(parseContentDate("2021-02-30", "Europe/Istanbul")).toEqual(bad);
  });

  it("applies summer time to a zone-less date-time in summer", () => {
    expect(parsed("2021-07-01T12:00:00", "America/New_York").ms).toBe(ms("2021-07-01T16:00:00Z"));
  });

  it("applies standard time to a zone-less date-time in winter", () => {
    expect(parsed("2021-01-15T12:00:00", "America/New_York").ms).toBe(ms("2021-01-15T17:00:00Z"));
  });

  it("reads a time just after the spring-forward change with the new offset", () => {
    expect(parsed("2021-03-14T03:30:00", "America/New_York").ms).toBe(ms("2021-03-14T07:30:00Z"));
  });

  it("reads a time just before the spring-forward change with the old offset", () => {
    expect(parsed("2021-03-14T01:30:00", "America/New_York").ms).toBe(ms("2021-03-14T06:30:00Z"));
  });

  it("accepts a space between date and time", () => {
    expect(parsed("2020-06-19 10:30Z").ms).toBe(ms("2020-06-19T10:30:00Z"));
  });

  it("accepts 29 February in a leap year", () => {
    expect(parsed("2020-02-29").ms).toBe(ms("2020-02-29T00:00:00Z"));
  });

  it.each([
    ["2021-02-30", "not a real date and time: no such day in that month, or a time past 23:59:59"],
    ["2021-02-29", "not a real date"],
    ["2021-13-01", "not a real date"],
    ["2021-04-31T10:00:00Z", "not a real date"],
    ["2021-01-01T25:00:00Z", "not a real date"],
    ["2021-01-01T23:60:00Z", "not a real date"],
    ["2021-01-01T23:59:60Z", "not a real date"],
    ["1969-12-31", '"1969-12-31" is before 1970: dates from 1970 on are accepted'],
    ["2021-01-01T10:00:00+25:00", "impossible UTC offset"],
    ["19 June 2020", "expected an ISO 8601"],
    ["2020-6-19", "expected an ISO 8601"],
    ["", "expected an ISO 8601"],
  ])("rejects %j", (value, message) => {
    const r = parseContentDate(value, "UTC");
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.message).toContain(message);
  });

  it.each([
    // Jekyll's own form: a space before the offset, which ISO 8601 does not have.
    ["2020-06-19 10:00:00 +0300", "a space before the UTC offset, as Jekyll writes dates: write 2020-06-19T10:00:00+03:00"],
    ["2020-06-19 10:00 -05:00", "a space before the UTC offset, as Jekyll writes dates: write 2020-06-19T10:00-05:00"],
    ["2020-06-19 10:00:00 Z", "a space before the UTC offset, as Jekyll writes dates: write 2020-06-19T10:00:00Z"],
    // Day and month told apart when one is over 12; else both readings named.
    ["19/06/2020", "write 2020-06-19"],
    ["06/19/2020", "write 2020-06-19"],
    ["19.06.2020", "write 2020-06-19"],
    ["05/06/2020", "write 2020-06-05 if 05 is the day, 2020-05-06 if it is the month"],
    ["2020/06/19", "write 2020-06-19"],
    ["2020-6-9", "write 2020-06-09"],
    ["June 19, 2020", "write 2020-06-19"],
    ["Jun 19th 2020", "write 2020-06-19"],
    ["19 June 2020", "write 2020-06-19"],
  ])("rejects %j naming the date to write", (value, advice) => {
    const r = parseContentDate(value, "UTC");
    expect(r.ok ? "" : r.message).toBe(`expected an ISO 8601 date-time like 2020-06-19T10:30:00+03:00 or a date like 2020-06-19, got ${JSON.stringify(value)}: ${advice}`);
  });

  it.each(["Sometime in June", "2020-02-30 10:00 +0300", "31/02/2020", "June 31, 2020", "Smarch 19, 2020", "13/13/2020"])("names no date to write for %j, which is none", (value) => {
    const r = parseContentDate(value, "UTC");
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.message).not.toContain("write");
  });
});

describe("wall-clock times in a zone", () => {
  it("resolves a time the clocks skip forward, never onto the day before, and a repeated one to the earlier reading (Temporal's \"compatible\")", () => {
    const utc = (v: string, tz: string) => new Date(parsed(v, tz).ms).toISOString();
    // Midnight skipped: the first instant of the day (01:00 local), not 23:00 the day before.
    expect(utc("2018-11-04", "America/Sao_Paulo")).toBe("2018-11-04T03:00:00.000Z");
    expect(utc("2020-09-06", "America/Santiago")).toBe("2020-09-06T04:00:00.000Z");
    // A whole day skipped (Samoa, 2011-12-30): the first instant after it.
    expect(utc("2011-12-30", "Pacific/Apia")).toBe("2011-12-30T10:00:00.000Z");
    // The spring gap: 02:30 is read with the winter offset (03:30 summer time), west and east.
    expect(utc("2021-03-14T02:30:00", "America/New_York")).toBe("2021-03-14T07:30:00.000Z");
    expect(utc("2021-03-28T02:30:00", "Europe/Berlin")).toBe("2021-03-28T01:30:00.000Z");
    // The autumn hour shown twice: the earlier instant, in both hemispheres' rules alike.
    expect(utc("2021-10-31T02:30:00", "Europe/Berlin")).toBe("2021-10-31T00:30:00.000Z");
    expect(utc("2021-11-07T01:30:00", "America/New_York")).toBe("2021-11-07T05:30:00.000Z");
    // Ordinary times, and offsets of 45 minutes.
    expect(utc("2020-06-19T10:30:00", "Europe/Istanbul")).toBe("2020-06-19T07:30:00.000Z");
    expect(utc("2020-06-19", "Asia/Kathmandu")).toBe("2020-06-18T18:15:00.000Z");
  });

  it("refuses instants before 1970 or after 9999 in UTC, whatever the year as written", () => {
    for (const [value, tz, message] of [
      ["1970-01-01", "Europe/Berlin", "before 1970 (in UTC)"],
      ["1970-01-01T00:30:00+01:00", "UTC", "before 1970 (in UTC)"],
      ["9999-12-31T23:00:00-12:00", "UTC", "after 9999 (in UTC)"],
    ]) {
      const r = parseContentDate(value!, tz!);
      expect([value, r.ok ? "accepted" : r.message]).toEqual([value, expect.stringContaining(message!)]);
    }
    expect(parsed("1970-01-01T00:00:00Z").ms).toBe(0);
    expect(parsed("9999-12-31T23:59:59Z").ms).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
  });

  it("is the identity in UTC", () => {
    expect(parsed("2020-06-19T10:00:00", "UTC").ms).toBe(ms("2020-06-19T10:00:00Z"));
  });

  it("subtracts a positive offset", () => {
    expect(parsed("2020-06-19T10:00:00", "Asia/Tokyo").ms).toBe(ms("2020-06-19T01:00:00Z"));
  });
});

describe("formatting", () => {
  it("writes RFC 3339 without milliseconds when there are none", () => {
    expect(rfc3339(ms("2020-06-19T10:00:00Z"))).toBe("2020-06-19T10:00:00Z");
  });

  it("writes RFC 3339 with milliseconds when there are some", () => {
    expect(rfc3339(ms("2020-06-19T10:00:00.5Z"))).toBe("2020-06-19T10:00:00.500Z");
  });

  it("writes RFC 822 with a four-digit year and GMT", () => {
    expect(rfc822(ms("2020-06-19T10:00:00Z"))).toBe("Fri, 19 Jun 2020 10:00:00 GMT");
  });
});

describe("isTimeZone", () => {
  it("accepts an IANA zone", () => {
    expect(isTimeZone("Europe/Istanbul")).toBe(true);
  });

  it("rejects a made-up zone", () => {
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });
});
