import type { RefObject } from "react";
import { dayTitle, timeIn } from "./time";

export interface Slot {
  start: string;
  end: string;
  durationMinutes: number;
}

export function slotKey(slot: Slot): string {
  return `${Date.parse(slot.start)}/${slot.durationMinutes}`;
}

interface Props {
  day: string | null;
  slots: Slot[];
  zone: string;
  locale: string;
  heading: RefObject<HTMLHeadingElement | null>;
  onSlot: (slot: Slot) => void;
}

export function Slots({ day, slots, zone, locale, heading, onSlot }: Props) {
  if (day === null) {
    return (
      <section className="slots" aria-labelledby="slots-heading">
        <h3 id="slots-heading" ref={heading}>
          Times
        </h3>
        <p>Choose a day to see its times.</p>
      </section>
    );
  }
  return (
    <section className="slots" aria-labelledby="slots-heading">
      <h3 id="slots-heading" ref={heading}>
        {dayTitle(day, locale)}
      </h3>
      <p className="zone-note">Times in {zone.replaceAll("_", " ")}</p>
      {slots.length === 0 ? (
        <p>No times left on this day.</p>
      ) : (
        <ul>
          {slots.map((slot) => (
            <li key={slotKey(slot)}>
              <button type="button" className="slot" data-start={slot.start} onClick={() => onSlot(slot)}>
                {timeIn(slot.start, zone, locale)}
                <span className="visually-hidden">
                  {" "}
                  to {timeIn(slot.end, zone, locale)}, {zone}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
