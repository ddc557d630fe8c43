/** A date and time with its offset, as the rule language accepts it. */
export const OFFSET_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds of a date with an offset, or null when it is malformed or names a day or time that does not exist. */
export function parseOffsetDate(value: string): number | null {
  const m = OFFSET_DATE.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = "0", frac = "0", offset] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  let offsetMinutes = 0;
  if (offset !== "Z") {
    const sign = offset![0] === "-" ? -1 : 1;
    const oh = Number(offset!.slice(1, 3));
    const om = Number(offset!.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const ms = Math.floor(Number(`0.${frac}`) * 1000);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

/** The offset of a date with one (`+05:00`, `Z`), or null. */
export function offsetOf(value: unknown): string | null {
  return typeof value === "string" ? (OFFSET_DATE.exec(value)?.[8] ?? null) : null;
}

/** The time zone of a country with one (or one that holds most readers), for date hints. */
const COUNTRY_ZONES: Readonly<Record<string, readonly [zone: string, city: string]>> = {
  RU: ["Europe/Moscow", "Moscow"], UA: ["Europe/Kyiv", "Kyiv"], BY: ["Europe/Minsk", "Minsk"], GB: ["Europe/London", "London"],
  DE: ["Europe/Berlin", "Berlin"], FR: ["Europe/Paris", "Paris"], TR: ["Europe/Istanbul", "Istanbul"], KZ: ["Asia/Almaty", "Almaty"],
  PL: ["Europe/Warsaw", "Warsaw"], IT: ["Europe/Rome", "Rome"], ES: ["Europe/Madrid", "Madrid"], CN: ["Asia/Shanghai", "Beijing"],
  IN: ["Asia/Kolkata", "Delhi"], JP: ["Asia/Tokyo", "Tokyo"], "US-CA": ["America/Los_Angeles", "Los Angeles"], "US-NY": ["America/New_York", "New York"],
};

/** `+03:00` for a zone on a day (summer time included), as Intl knows it. */
function zoneOffset(zone: string, day: string): string | null {
  const at = new Date(`${day}T12:00:00Z`);
  if (Number.isNaN(at.getTime())) return null;
  const name = new Intl.DateTimeFormat("en", { timeZone: zone, timeZoneName: "longOffset" }).formatToParts(at).find((p) => p.type === "timeZoneName")?.value;
  if (name === "GMT") return "+00:00";
  return /^GMT([+-]\d{2}:\d{2})$/.exec(name ?? "")?.[1] ?? null;
}

/** Where a rule is, for a date hint: the offset of its other date, or the region it names. */
export interface DateContext {
  readonly offset?: string | null;
  /** The one country or subdivision the rule names, when it names one. */
  readonly region?: string | null;
}

/**
 * Why a string is not a date with an offset, in words a rule author can act on. The offset offered
 * is the rule's own: its other date's, or its region's on that day, never a guess at another place.
 */
export function dateHint(value: string, context: DateContext = {}): string {
  const day = value.slice(0, 10);
  const own = context.offset && context.offset !== "Z" ? context.offset : null;
  const place = context.region ? (COUNTRY_ZONES[context.region] ?? COUNTRY_ZONES[context.region.slice(0, 2)]) : undefined;
  const placeOffset = place ? zoneOffset(place[0], day) : null;
  const zoned = (fixed: string, what: string): string =>
    own
      ? `${fixed}${own}, the offset of this rule's other date`
      : place && placeOffset
        ? `${fixed}${placeOffset} for ${what} in ${place[1]}`
        : `${fixed} with the offset of the place the rule is for (such as ${fixed}+03:00 in Moscow)`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return `${value} has no time and no offset; write ${zoned(`${value}T00:00:00`, "midnight")}, or ${value}T00:00:00Z for midnight UTC`;
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) {
    const fixed = value.replace(" ", "T");
    return `${value} has no offset, so it could mean any time zone; add one: ${zoned(fixed, "that time")}, or ${fixed}Z for UTC`;
  }
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(value)) return `put a T between the date and the time: ${value.replace(" ", "T")}`;
  return `${value} is not a date; write a date, a time and an offset, such as 2026-03-01T00:00:00+03:00`;
}
