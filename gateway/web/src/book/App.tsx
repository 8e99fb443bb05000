import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  BookingPageDocument,
  HoldSlotDocument,
  MeetingLinkAvailabilityDocument,
  ReleaseHoldDocument,
  type BookingPageQuery,
  type HoldSlotMutation,
} from "../gql/graphql";
import { execute, RequestFailed } from "./api";
import { Calendar } from "./Calendar";
import { ServerClock } from "./clock";
import { Confirmation, type Booked } from "./Confirmation";
import { BookingForm, type Visitor } from "./BookingForm";
import { tellHost } from "./host";
import { watch, type Change } from "./live";
import { Slots, slotKey, type Slot } from "./Slots";
import { applyTheme } from "./theme";
import { addMonths, dayOf, detectedZone, monthOf, startOfDay, zones } from "./time";

export interface PageData {
  slug: string;
  endpoint: string;
  now: string;
}

type Link = NonNullable<BookingPageQuery["meetingLink"]>;
export type Info = NonNullable<Link["bookingInfo"]>;
export type Hold = Extract<HoldSlotMutation["holdSlot"], { __typename: "SlotHeld" }>["hold"];

type Step = { kind: "choose" } | { kind: "form"; hold: Hold } | { kind: "booked"; booked: Booked };

const LOCALE = navigator.language || "en-US";
const FIRST = "";

function later(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function earlier(a: string, b: string): string {
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

function applyChange(slots: Slot[], change: Change, duration: number): Slot[] {
  const gone = new Set(change.removed.map(slotKey));
  const kept = slots.filter((slot) => !gone.has(slotKey(slot)));
  const have = new Set(kept.map(slotKey));
  const added = change.added.filter((slot) => slot.durationMinutes === duration && !have.has(slotKey(slot)));
  return [...kept, ...added].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

export function App({ data, params }: { data: PageData; params: URLSearchParams }) {
  const clock = useMemo(() => new ServerClock(data.now), [data.now]);
  const [zone, setZone] = useState(() => {
    const asked = params.get("timeZone");
    return asked && zones(detectedZone()).includes(asked) ? asked : detectedZone();
  });
  const [link, setLink] = useState<Link | null | undefined>(undefined);
  const [failure, setFailure] = useState<string | null>(null);
  const [duration, setDuration] = useState<number | null>(null);
  const [month, setMonth] = useState<string | null>(null);
  const [slots, setSlots] = useState<Slot[] | null>(null);
  const [day, setDay] = useState<string | null>(null);
  const [step, setStep] = useState<Step>({ kind: "choose" });
  const [notice, setNotice] = useState("");
  const [lost, setLost] = useState<string | null>(null);
  const [visitor, setVisitor] = useState<Visitor>(() => ({
    firstName: params.get("firstName") ?? "",
    lastName: params.get("lastName") ?? "",
    email: params.get("email") ?? "",
  }));
  const slotsHeading = useRef<HTMLHeadingElement>(null);
  // Where focus goes once the day's times are on screen: a time's start, or the first time.
  const focusSlots = useRef<string | null>(null);
  const info = link?.bookingInfo ?? null;

  // The link and its form, rendered in the visitor's zone.
  useEffect(() => {
    let current = true;
    execute(data.endpoint, BookingPageDocument, { slug: data.slug, timeZone: zone })
      .then((answer) => {
        if (!current) return;
        const found = answer.meetingLink;
        setLink(found);
        const offered = found?.bookingInfo;
        if (!offered) return;
        applyTheme(params, offered.branding?.primaryColor);
        setDuration((chosen) => {
          if (chosen !== null && offered.durationsMinutes.includes(chosen)) return chosen;
          const asked = Number(params.get("duration"));
          return offered.durationsMinutes.includes(asked) ? asked : offered.durationsMinutes[0];
        });
        setMonth((shown) => shown ?? monthOf(offered.bookingWindow.start));
      })
      .catch((error: unknown) => current && setFailure(error instanceof RequestFailed ? error.message : String(error)));
    return () => {
      current = false;
    };
  }, [data.endpoint, data.slug, zone, params]);

  const range = useMemo(() => {
    if (info === null || month === null) return null;
    const from = later(startOfDay(`${month}-01`, zone), info.bookingWindow.start);
    const to = earlier(startOfDay(`${addMonths(month, 1)}-01`, zone), info.bookingWindow.end);
    return Date.parse(from) < Date.parse(to) ? { from, to } : null;
  }, [info, month, zone]);

  const loadSlots = useCallback(async () => {
    if (range === null || duration === null) {
      setSlots([]);
      return;
    }
    const answer = await execute(data.endpoint, MeetingLinkAvailabilityDocument, {
      slug: data.slug,
      timeZone: zone,
      from: range.from,
      to: range.to,
      durationMinutes: duration,
    });
    setSlots(answer.meetingLink?.availability?.slots ?? []);
  }, [data.endpoint, data.slug, zone, range, duration]);

  useEffect(() => {
    setSlots(null);
    loadSlots().catch((error: unknown) => setNotice(error instanceof Error ? error.message : String(error)));
  }, [loadSlots]);

  // Read by the live stream when a change comes, so a hold does not reopen the stream.
  const heldStart = useRef<string | null>(null);
  heldStart.current = step.kind === "form" ? step.hold.start : null;
  // Live: slots taken elsewhere leave the page while the visitor looks.
  useEffect(() => {
    if (range === null || duration === null) return undefined;
    return watch(data.endpoint, { slug: data.slug, timeZone: zone, ...range }, (change) => {
      setSlots((shown) => (shown === null ? shown : applyChange(shown, change, duration)));
      const takenElsewhere = change.reason === "BOOKED" || change.reason === "UPSTREAM_CHANGED";
      const held = heldStart.current;
      if (takenElsewhere && held !== null && change.removed.some((slot) => slot.start === held)) {
        setLost("This time has just been booked by someone else. Please go back and choose another time.");
      }
    });
  }, [data.endpoint, data.slug, zone, range, duration]);

  useEffect(() => {
    const target = focusSlots.current;
    const list = slotsHeading.current?.parentElement;
    if (target === null || day === null || !list) return;
    // Once the day's times are on screen (a reload may come first).
    const buttons = Array.from(list.querySelectorAll<HTMLButtonElement>("button.slot"));
    const chosen = buttons.find((button) => button.dataset.start === target) ?? buttons[0];
    if (chosen) {
      focusSlots.current = null;
      chosen.focus();
    }
  });

  const [, setChoices] = useState(0);
  const chooseDay = (chosen: string) => {
    focusSlots.current = FIRST;
    setDay(chosen);
    // Choosing the day already shown still moves focus to its times: render again.
    setChoices((count) => count + 1);
  };

  const chooseSlot = async (slot: Slot) => {
    setNotice("");
    setLost(null);
    try {
      const answer = await execute(data.endpoint, HoldSlotDocument, {
        input: { slug: data.slug, start: slot.start, durationMinutes: slot.durationMinutes, timeZone: zone },
      });
      const result = answer.holdSlot;
      if (result.__typename === "SlotHeld") {
        setStep({ kind: "form", hold: result.hold });
        tellHost("meetings-gateway:slot-held", {
          slug: data.slug,
          start: result.hold.start,
          end: result.hold.end,
          durationMinutes: result.hold.durationMinutes,
          expiresAt: result.hold.expiresAt,
        });
        return;
      }
      setNotice(
        result.__typename === "SlotUnavailable"
          ? "That time was just taken by someone else. Please choose another."
          : result.message,
      );
    } catch (error) {
      setNotice(error instanceof Error ? error.message : String(error));
    }
    focusSlots.current = FIRST;
    await loadSlots().catch(() => undefined);
  };

  const backToSlots = async (why: string, release: boolean) => {
    const held = step.kind === "form" ? step.hold : null;
    if (held !== null && release) {
      await execute(data.endpoint, ReleaseHoldDocument, { id: held.id }).catch(() => undefined);
    }
    // The times as they are now before they show (the released one among them), so focus
    // lands on the time the visitor left, or the first when it is gone.
    await loadSlots().catch(() => undefined);
    focusSlots.current = held?.start ?? FIRST;
    setStep({ kind: "choose" });
    setLost(null);
    setNotice(why);
  };

  const booked = (result: Booked) => {
    setStep({ kind: "booked", booked: result });
    tellHost("meetings-gateway:booked", {
      slug: data.slug,
      start: result.start,
      end: result.end,
      durationMinutes: result.durationMinutes,
      timeZone: result.timeZone,
    });
  };

  if (failure !== null && link === undefined) {
    return (
      <main className="page">
        <h1>Booking is not available right now</h1>
        <p role="alert">{failure}</p>
      </main>
    );
  }
  if (link === undefined) {
    return (
      <main className="page" aria-busy="true">
        <h1>Loading…</h1>
      </main>
    );
  }
  if (link === null || info === null) {
    return (
      <main className="page">
        <h1>No such booking page</h1>
        <p>Check the link you were given.</p>
      </main>
    );
  }

  const people = info.members.map((member) => member.fullName ?? member.userId);
  const organizer = info.members.find((member) => member.userId === link.organizerUserId);
  const months = { first: monthOf(info.bookingWindow.start), last: monthOf(info.bookingWindow.end) };
  const daySlots = slots?.filter((slot) => dayOf(slot.start) === day) ?? [];

  return (
    <main className="page">
      <header className="summary">
        {info.branding?.companyName ? <p className="company">{info.branding.companyName}</p> : null}
        <h1>{info.welcomeTitle || link.name || "Book a meeting"}</h1>
        <p className="organizer">
          {link.type === "PERSONAL_LINK" || people.length === 1
            ? `with ${organizer?.fullName ?? people[0] ?? "the organizer"}`
            : `with ${people.join(", ")}`}
        </p>
        {info.welcomeDescription ? <p>{info.welcomeDescription}</p> : null}
        <p className="durations">
          {info.durationsMinutes.map((minutes) => `${minutes} min`).join(" · ")}
          {info.location ? ` · ${info.location}` : ""}
        </p>
      </header>

      {step.kind === "booked" ? (
        <Confirmation booked={step.booked} zone={zone} params={params} locale={LOCALE} link={link.name ?? ""} />
      ) : step.kind === "form" ? (
        <BookingForm
          endpoint={data.endpoint}
          slug={data.slug}
          info={info}
          hold={step.hold}
          zone={zone}
          locale={LOCALE}
          clock={clock}
          visitor={visitor}
          onVisitor={setVisitor}
          lost={lost}
          onLost={setLost}
          onBack={(why, release) => void backToSlots(why, release)}
          onBooked={booked}
        />
      ) : (
        <section aria-labelledby="choose-heading" className="choose">
          <h2 id="choose-heading">Choose a time</h2>
          <div className="options">
            {info.durationsMinutes.length > 1 ? (
              <fieldset className="duration">
                <legend>Duration</legend>
                {info.durationsMinutes.map((minutes) => (
                  <label key={minutes}>
                    <input
                      type="radio"
                      name="duration"
                      value={minutes}
                      checked={duration === minutes}
                      onChange={() => setDuration(minutes)}
                    />
                    {minutes} minutes
                  </label>
                ))}
              </fieldset>
            ) : null}
            <label className="zone">
              Time zone
              <select value={zone} onChange={(event) => setZone(event.target.value)}>
                {zones(zone).map((name) => (
                  <option key={name} value={name}>
                    {name.replaceAll("_", " ")}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <p className="notice" role="status" aria-live="polite">
            {notice}
          </p>
          <div className="columns">
            <Calendar
              month={month ?? months.first}
              first={months.first}
              last={months.last}
              slots={slots}
              day={day}
              locale={LOCALE}
              onMonth={(shown) => {
                setMonth(shown);
                setDay(null);
              }}
              onDay={chooseDay}
            />
            <Slots
              day={day}
              slots={daySlots}
              zone={zone}
              locale={LOCALE}
              heading={slotsHeading}
              onSlot={(slot) => void chooseSlot(slot)}
            />
          </div>
        </section>
      )}
    </main>
  );
}
