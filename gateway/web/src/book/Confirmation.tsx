import { useEffect, useRef } from "react";
import type { BookMeetingMutation } from "../gql/graphql";
import { dateTimeIn } from "./time";

export type Booked = Extract<BookMeetingMutation["bookMeeting"], { __typename: "BookingConfirmed" }>;

interface Props {
  booked: Booked;
  zone: string;
  params: URLSearchParams;
  locale: string;
  link: string;
}

export function Confirmation({ booked, zone, params, locale, link }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  // HubSpot names no organizer zone: a host page may pass it; without it, UTC is the other.
  const organizerZone = params.get("organizerTimeZone");
  const other = organizerZone ? `Organizer's time (${organizerZone.replaceAll("_", " ")})` : "UTC";
  return (
    <section className="confirmation" aria-labelledby="confirmed-heading">
      <h2 id="confirmed-heading" ref={heading} tabIndex={-1}>
        You are booked
      </h2>
      <p>{booked.subject || link}</p>
      <dl>
        <dt>Your time ({zone.replaceAll("_", " ")})</dt>
        <dd>{dateTimeIn(booked.start, zone, locale)}</dd>
        <dt>{other}</dt>
        <dd>{dateTimeIn(booked.start, organizerZone || "UTC", locale)}</dd>
        <dt>Length</dt>
        <dd>{booked.durationMinutes} minutes</dd>
        {booked.location ? (
          <>
            <dt>Where</dt>
            <dd>{booked.location}</dd>
          </>
        ) : null}
        {booked.webConferenceUrl ? (
          <>
            <dt>Conference link</dt>
            <dd>
              <a href={booked.webConferenceUrl} target="_blank" rel="noreferrer">
                {booked.webConferenceUrl}
              </a>
            </dd>
          </>
        ) : null}
        {booked.guestEmails.length > 0 ? (
          <>
            <dt>Guests</dt>
            <dd>{booked.guestEmails.join(", ")}</dd>
          </>
        ) : null}
      </dl>
      {booked.isOffline ? <p>The organizer's calendar is offline: they will confirm by email.</p> : null}
    </section>
  );
}
