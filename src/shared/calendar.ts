const dayFormats = new Map<string, Intl.DateTimeFormat>();
/** The last answer per time zone, by minute: every UTC offset in use is a whole number of minutes, so a day never changes within one. */
const lastDays = new Map<string, { minute: number; day: string }>();

/** The calendar day of an instant in the service's time zone, as YYYY-MM-DD (settlement days, spending months). */
export function calendarDay(ms: number, timeZone: string): string {
  const minute = Math.floor(ms / 60_000);
  const last = lastDays.get(timeZone);
  if (last?.minute === minute) return last.day;
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone });
    dayFormats.set(timeZone, format);
  }
  const day = format.format(ms);
  lastDays.set(timeZone, { minute, day });
  return day;
}

export const calendarMonth = (ms: number, timeZone: string): string => calendarDay(ms, timeZone).slice(0, 7);
