const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day of an instant in the service's time zone, as YYYY-MM-DD (settlement days, spending months). */
export function calendarDay(ms: number, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone });
    dayFormats.set(timeZone, format);
  }
  return format.format(ms);
}

export const calendarMonth = (ms: number, timeZone: string): string => calendarDay(ms, timeZone).slice(0, 7);
