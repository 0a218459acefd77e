/**
 * Dates in front matter: ISO 8601 / RFC 3339 date-times with a zone, date-times without one,
 * or plain dates. Values without a zone are read in the site's time zone (`timezone` in
 * site.yaml, default UTC). Impossible dates (2021-02-30, 25:00) are rejected, not rolled over.
 */
const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * `skipped`: a time without a zone that the site's zone skipped that day (the clocks jumped over
 * it), read as `ms` all the same. `repeated`: one it showed twice, read as the earlier (`ms`);
 * the value is the later instant. `colonOffset`: an offset written without a colon (`+0300` or
 * `+03`, not RFC 3339: `as`), read as this one (`+03:00`). Each is absent on ordinary dates.
 */
export type ParsedDate =
  | { ok: true; ms: number; zoned: boolean; dateOnly: boolean; skipped?: true; repeated?: number; colonOffset?: { as: string; rfc3339: string } }
  | { ok: false; message: string };

export function parseContentDate(value: string, timeZone: string): ParsedDate {
  // The schema checks each date, then the article reads it in the site's time zone: parsed once.
  // Only a date-time without a zone depends on the time zone.
  const l = lastDate;
  if (l && l.value === value && (l.timeZone === timeZone || !(l.parsed.ok && !l.parsed.zoned))) return l.parsed;
  const parsed = parseDate(value, timeZone);
  lastDate = { value, timeZone, parsed };
  return parsed;
}

let lastDate: { value: string; timeZone: string; parsed: ParsedDate } | undefined;

function parseDate(value: string, timeZone: string): ParsedDate {
  const m = DATE_RE.exec(value.trim());
  if (!m) {
    const advice = dateAdvice(value.trim());
    return {
      ok: false,
      message: `expected an ISO 8601 date-time like 2020-06-19T10:30:00+03:00 or a date like 2020-06-19, got ${JSON.stringify(value)}${advice ? `: ${advice}` : ""}`,
    };
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const millis = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (year < 1970) return { ok: false, message: `${JSON.stringify(value)} is before 1970: dates from 1970 on are accepted` };
  if (
    probe.getUTCFullYear() !== year ||
    probe.getUTCMonth() !== month - 1 ||
    probe.getUTCDate() !== day ||
    hour > 23 || minute > 59 || second > 59
  ) {
    // Second 60 too: RFC 3339 allows it at a real leap second, but JavaScript time (and every
    // feed date written from it) has none.
    return { ok: false, message: `${JSON.stringify(value)} is not a real date and time: no such day in that month, or a time past 23:59:59 (leap seconds are not taken: write :59)` };
  }
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  let ms: number;
  let resolved: number | Unusual | undefined;
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const offH = Number(digits.slice(0, 2)), offM = Number(digits.slice(2, 4) || "0");
    if (offH > 23 || offM > 59) return { ok: false, message: `${JSON.stringify(value)} has an impossible UTC offset` };
    ms = wall - sign * (offH * 60 + offM) * 60_000;
  } else if (zone) ms = wall;
  else {
    resolved = resolveWallTime(wall, timeZone);
    ms = typeof resolved === "number" ? resolved : resolved.ms;
  }
  // The instant decides, not the year as written: 1970-01-01 in Berlin is 1969 in UTC.
  if (ms < 0) return { ok: false, message: `${JSON.stringify(value)} is before 1970 (in UTC): dates from 1970 on are accepted` };
  if (ms >= LAST_INSTANT) return { ok: false, message: `${JSON.stringify(value)} is after 9999 (in UTC): RFC 3339 dates have four-digit years` };
  const date: ParsedDate = { ok: true, ms, zoned: zone !== undefined, dateOnly: zone === undefined && h === undefined };
  // `+0300` (ISO 8601's basic format) and `+03` (hours alone) are read, but RFC 3339 (§5.6) writes `+03:00`.
  if (zone?.length === 5 || zone?.length === 3) date.colonOffset = { as: zone, rfc3339: `${zone.slice(0, 3)}:${zone.slice(3) || "00"}` };
  if (typeof resolved === "object") {
    if (resolved.later === undefined) date.skipped = true;
    else date.repeated = resolved.later;
  }
  return date;
}

const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const pad = (n: string) => n.padStart(2, "0");
/** `y-mo-d` when it is a real date, written as ISO 8601. */
const isoDate = (y: string, mo: string, d: string) => {
  const iso = `${y}-${pad(mo)}-${pad(d)}`;
  return parseDate(iso, "UTC").ok ? iso : undefined;
};
const monthOf = (name: string) => {
  // The month's English name or its first letters (Jun, Sept), no fewer than three.
  const i = name.length < 3 ? -1 : MONTHS.findIndex((full) => full.startsWith(name.toLowerCase()));
  return i < 0 ? undefined : String(i + 1);
};

/**
 * What to write for a date as other tools and editors write it, when it is a real one: Jekyll's
 * `2020-06-19 10:00:00 +0300` (a space before the offset), `19/06/2020`, `06/19/2020` (both
 * readings named when day and month can be either), `2020/06/19`, `2020-6-9`, `June 19, 2020`,
 * `19 June 2020`. Still refused: the editor checks the date once, rather than the build guessing.
 */
function dateAdvice(value: string): string | undefined {
  let m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)\s+(Z|[+-]\d{2}:?\d{2})$/i.exec(value);
  if (m) {
    const zone = m[3]!.toUpperCase() === "Z" ? "Z" : m[3]!.includes(":") ? m[3]! : `${m[3]!.slice(0, 3)}:${m[3]!.slice(3)}`;
    const iso = `${m[1]}T${m[2]}${zone}`;
    return parseDate(iso, "UTC").ok ? `a space before the UTC offset, as Jekyll writes dates: write ${iso}` : undefined;
  }
  let iso: string | undefined;
  if ((m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value))) iso = isoDate(m[1]!, m[2]!, m[3]!);
  else if ((m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(value))) {
    const dayFirst = isoDate(m[3]!, m[2]!, m[1]!);
    const monthFirst = isoDate(m[3]!, m[1]!, m[2]!);
    if (dayFirst && monthFirst && dayFirst !== monthFirst) return `write ${dayFirst} if ${pad(m[1]!)} is the day, ${monthFirst} if it is the month`;
    iso = dayFirst ?? monthFirst;
  } else if ((m = /^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$/i.exec(value))) {
    const month = monthOf(m[1]!);
    iso = month && isoDate(m[3]!, month, m[2]!);
  } else if ((m = /^(\d{1,2})(?:st|nd|rd|th)?\.? ([a-z]+)\.?,? (\d{4})$/i.exec(value))) {
    const month = monthOf(m[2]!);
    iso = month && isoDate(m[3]!, month, m[1]!);
  }
  return iso ? `write ${iso}` : undefined;
}

/** The first instant feeds cannot write (RFC 3339 and RFC 822 years have four digits). */
const LAST_INSTANT = Date.UTC(10000, 0, 1);

// One formatter per time zone: making one costs ~120 µs, using it ~6 µs, and every date written
// without a zone in a site with a time zone other than UTC goes through here (twice, near a
// change of offset).
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` from UTC at instant `ms`, in ms (positive east of Greenwich). */
function offsetAt(ms: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const DAY_MS = 86_400_000;

/** The UTC offset `timeZone` has at instant `ms`, as RFC 3339 writes it: `+03:00`, `-05:00`, `+05:45`. */
export function offsetText(ms: number, timeZone: string): string {
  return formatOffset(offsetAt(ms, timeZone));
}

function formatOffset(offset: number): string {
  const minutes = Math.round(offset / 60_000);
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** Instant `ms` as the clocks of `timeZone` showed it, in RFC 3339 with its offset: `2020-03-29T03:30:00+02:00`. */
export function zonedRfc3339(ms: number, timeZone: string): string {
  const offset = offsetAt(ms, timeZone);
  const local = new Date(ms + offset).toISOString();
  return `${local.endsWith(".000Z") ? local.slice(0, -5) : local.slice(0, -1)}${formatOffset(offset)}`;
}

/** A wall time near a change of offset that is not one instant: skipped (`later` absent), or shown twice. */
interface Unusual {
  ms: number;
  /** Shown twice: the later instant (`ms` is the earlier). */
  later?: number;
}

/**
 * A wall-clock time in `timeZone` (given as if it were UTC) → the UTC instant, as Temporal's
 * "compatible" disambiguation resolves it: a time the clocks show twice (the hour repeated in
 * autumn) is the earlier of the two; a time they skip (the spring gap, or a whole day skipped, as
 * Samoa did) is read with the offset in force before the change, so it moves forward, never onto
 * the day before (a plain date whose midnight was skipped is the first instant of that day).
 * A plain number for every ordinary time, so that it costs nothing more; for a time skipped or
 * shown twice, which parseDate warns of, the instant and what was unusual about it.
 */
function resolveWallTime(wall: number, timeZone: string): number | Unusual {
  if (timeZone === "UTC") return wall;
  const before = offsetAt(wall - DAY_MS, timeZone), after = offsetAt(wall + DAY_MS, timeZone);
  // No change of offset within a day either side (nearly every date): no gap, no repeat.
  if (before === after) return wall - before;
  const shows = (ms: number) => ms + offsetAt(ms, timeZone) === Math.floor(wall / 1000) * 1000 + (ms % 1000);
  const candidates = [wall - before, wall - after].filter(shows);
  if (!candidates.length) return { ms: wall - before };
  const earlier = Math.min(...candidates), later = Math.max(...candidates);
  return earlier === later ? earlier : { ms: earlier, later };
}

export function isTimeZone(tz: string): boolean {
  try {
    // The formatter conversions use, made (and kept) now: a zone it refuses is no zone.
    formatterFor(tz);
    return true;
  } catch {
    return false;
  }
}

/** RFC 3339 in UTC, second precision unless the value has milliseconds: Atom and JSON Feed. */
export function rfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

/** RFC 822 (as RSS 2.0 wants, with a four-digit year): `Fri, 19 Jun 2020 10:00:00 GMT`. */
export function rfc822(ms: number): string {
  return new Date(ms).toUTCString();
}
