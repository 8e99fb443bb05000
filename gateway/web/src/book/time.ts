// Instants arrive as RFC 3339 strings rendered in the visitor's zone: their date part is the
// visitor's calendar day, so days are read off the string, never recomputed.

export function dayOf(instant: string): string {
  return instant.slice(0, 10);
}

export function monthOf(instant: string): string {
  return instant.slice(0, 7);
}

export function zones(current: string): string[] {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return Array.from(new Set([current, "UTC", ...known])).sort();
}

export function detectedZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** "+01:00" for ``zone`` at ``when``. */
export function offsetOf(zone: string, when: Date): string {
  const part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(when)
    .find((p) => p.type === "timeZoneName")?.value;
  const offset = (part ?? "GMT").replace("GMT", "");
  return offset === "" ? "+00:00" : offset;
}

/** Midnight starting ``day`` (YYYY-MM-DD) in ``zone``, as RFC 3339. */
export function startOfDay(day: string, zone: string): string {
  return `${day}T00:00:00${offsetOf(zone, new Date(`${day}T12:00:00Z`))}`;
}

export function addMonths(month: string, count: number): string {
  const [year, index] = month.split("-").map(Number);
  const next = new Date(Date.UTC(year, index - 1 + count, 1));
  return next.toISOString().slice(0, 7);
}

const CALENDAR = { timeZone: "UTC" } as const;

export function monthTitle(month: string, locale: string): string {
  return new Date(`${month}-01T12:00:00Z`).toLocaleDateString(locale, { ...CALENDAR, month: "long", year: "numeric" });
}

export function dayTitle(day: string, locale: string): string {
  return new Date(`${day}T12:00:00Z`).toLocaleDateString(locale, {
    ...CALENDAR,
    weekday: "long",
    month: "long",
    day: "numeric",
    year: "numeric",
  });
}

export function timeIn(instant: string, zone: string, locale: string): string {
  return new Date(instant).toLocaleTimeString(locale, { timeZone: zone, hour: "numeric", minute: "2-digit" });
}

export function dateTimeIn(instant: string, zone: string, locale: string): string {
  return new Date(instant).toLocaleString(locale, {
    timeZone: zone,
    weekday: "long",
    month: "long",
    day: "numeric",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  });
}

/** The days of ``month`` as a grid of weeks starting on Monday; null pads the edges. */
export function weeksOf(month: string): (string | null)[][] {
  const first = new Date(`${month}-01T12:00:00Z`);
  const lead = (first.getUTCDay() + 6) % 7;
  const days: (string | null)[] = Array.from({ length: lead }, () => null);
  for (let date = first; monthOf(date.toISOString()) === month; date = new Date(date.getTime() + 86_400_000)) {
    days.push(date.toISOString().slice(0, 10));
  }
  while (days.length % 7 !== 0) days.push(null);
  const weeks: (string | null)[][] = [];
  for (let i = 0; i < days.length; i += 7) weeks.push(days.slice(i, i + 7));
  return weeks;
}
