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

/** Why a string is not a date with an offset, in words a rule author can act on. */
export function dateHint(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return `${value} has no time and no offset; write ${value}T00:00:00+03:00 for midnight in Moscow, or ${value}T00:00:00Z for midnight UTC`;
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) {
    const fixed = value.replace(" ", "T");
    return `${value} has no offset, so it could mean any time zone; add one: ${fixed}Z for UTC, or ${fixed}+03:00 for Moscow`;
  }
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(value)) return `put a T between the date and the time: ${value.replace(" ", "T")}`;
  return `${value} is not a date; write a date, a time and an offset, such as 2026-03-01T00:00:00+03:00`;
}
