import type { Slot } from "./Slots";
import { addMonths, dayOf, dayTitle, monthTitle, weeksOf } from "./time";

interface Props {
  month: string;
  first: string;
  last: string;
  slots: Slot[] | null;
  day: string | null;
  locale: string;
  onMonth: (month: string) => void;
  onDay: (day: string) => void;
}

const WEEKDAYS = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08"];

function weekday(day: string, locale: string, style: "short" | "long"): string {
  return new Date(`${day}T12:00:00Z`).toLocaleDateString(locale, { timeZone: "UTC", weekday: style });
}

export function Calendar({ month, first, last, slots, day, locale, onMonth, onDay }: Props) {
  const counts = new Map<string, number>();
  for (const slot of slots ?? []) counts.set(dayOf(slot.start), (counts.get(dayOf(slot.start)) ?? 0) + 1);
  const title = monthTitle(month, locale);
  return (
    <section className="calendar" aria-labelledby="month-heading" aria-busy={slots === null}>
      <div className="month-bar">
        <button
          type="button"
          onClick={() => onMonth(addMonths(month, -1))}
          disabled={month <= first}
          aria-label="Previous month"
        >
          ‹
        </button>
        <h3 id="month-heading" aria-live="polite">
          {title}
        </h3>
        <button
          type="button"
          onClick={() => onMonth(addMonths(month, 1))}
          disabled={month >= last}
          aria-label="Next month"
        >
          ›
        </button>
      </div>
      <table>
        <thead>
          <tr>
            {WEEKDAYS.map((sample) => (
              <th key={sample} scope="col" abbr={weekday(sample, locale, "long")}>
                {weekday(sample, locale, "short")}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weeksOf(month).map((week) => (
            <tr key={week.find((d) => d !== null) ?? "pad"}>
              {week.map((date, index) =>
                date === null ? (
                  <td key={`pad-${index}`} />
                ) : (
                  <td key={date}>
                    <DayButton
                      date={date}
                      count={counts.get(date) ?? 0}
                      chosen={date === day}
                      loading={slots === null}
                      locale={locale}
                      onDay={onDay}
                    />
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface DayProps {
  date: string;
  count: number;
  chosen: boolean;
  loading: boolean;
  locale: string;
  onDay: (day: string) => void;
}

function DayButton({ date, count, chosen, loading, locale, onDay }: DayProps) {
  const label = `${dayTitle(date, locale)}: ${
    loading ? "loading" : count === 0 ? "no times" : `${count} ${count === 1 ? "time" : "times"} available`
  }`;
  return (
    <button
      type="button"
      className={count > 0 ? "day offered" : "day"}
      disabled={count === 0}
      aria-pressed={chosen}
      aria-label={label}
      onClick={() => onDay(date)}
    >
      {Number(date.slice(8, 10))}
    </button>
  );
}
