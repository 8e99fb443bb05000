/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Why slots moved: a booking or hold made through the gateway (BOOKED, HELD), a hold released or run out (RELEASED, EXPIRED), or a change seen at HubSpot (UPSTREAM_CHANGED: its webhook, or the range read again when its cached pages expired). */
export type AvailabilityChangeReason =
  | 'BOOKED'
  | 'EXPIRED'
  | 'HELD'
  | 'RELEASED'
  | 'UPSTREAM_CHANGED';

/** Everything needed to book one meeting. */
export type BookMeetingInput = {
  /** One of the link's durations. */
  durationMinutes: number;
  email: string;
  firstName: string;
  formFields?: Array<FormFieldInput>;
  guestEmails?: Array<string>;
  /** The `holdSlot` hold on this slot: the booking takes the held slot and ends the hold. A held slot cannot be booked without its hold's id. */
  holdId?: string | number | null | undefined;
  /** Retries with the same key get the first answer and never book twice, even while the first is in flight (`BookingInProgress`). A new key is a new booking. */
  idempotencyKey?: string | null | undefined;
  lastName: string;
  legalConsentResponses?: Array<LegalConsentInput>;
  /** Round-robin links: members the booker would prefer. */
  likelyAvailableUserIds?: Array<string>;
  locale?: string | null | undefined;
  /** The link to book through. */
  slug: string;
  /** A start time read from `availability`. */
  start: string;
  /** The booker's zone; answers use it. */
  timeZone: string;
};

/** Why an availability range holds no slot. */
export type EmptyReason =
  | 'BEFORE_MINIMUM_NOTICE'
  | 'BEYOND_BOOKING_WINDOW'
  | 'DURATION_NOT_OFFERED'
  | 'FULLY_BOOKED'
  | 'IN_THE_PAST'
  | 'NO_WORKING_HOURS';

/** An answer to one question of the booking form. */
export type FormFieldInput = {
  name: string;
  value: string;
};

/** A slot to keep for a while, read from `availability`. */
export type HoldSlotInput = {
  /** One of the link's durations. */
  durationMinutes: number;
  /** A retry with the same key gets the same hold while it lives. */
  idempotencyKey?: string | null | undefined;
  /** The link the slot is on. */
  slug: string;
  /** A start time read from `availability`. */
  start: string;
  /** Answers render instants in this zone. */
  timeZone: string;
};

/** The booker's answer to one consent checkbox. */
export type LegalConsentInput = {
  communicationTypeId: string;
  consented: boolean;
};

/** How a link shares its members' time. OTHER: a type HubSpot added that this API does not know yet (its name is in `typeName`); it cannot be used as a filter. */
export type LinkType =
  | 'GROUP_CALENDAR'
  | 'OTHER'
  | 'PERSONAL_LINK'
  | 'ROUND_ROBIN_CALENDAR';

export type AvailabilityChangedSubscriptionVariables = Exact<{
  slug: string;
  timeZone: string;
  from?: string | null | undefined;
  to?: string | null | undefined;
  durationMinutes?: number | null | undefined;
}>;


export type AvailabilityChangedSubscription = { availabilityChanged: { slug: string, reason: AvailabilityChangeReason, at: string, removed: Array<{ start: string, end: string, durationMinutes: number }>, added: Array<{ start: string, end: string, durationMinutes: number }> } };

export type BookMeetingMutationVariables = Exact<{
  input: BookMeetingInput;
}>;


export type BookMeetingMutation = { bookMeeting:
    | { __typename: 'BookingConfirmed', start: string, end: string, durationMinutes: number, timeZone: string, subject: string, location: string | null, webConferenceUrl: string | null, contactId: string, calendarEventId: string, isOffline: boolean, guestEmails: Array<string> }
    | { __typename: 'BookingInProgress', message: string, retryAfterSeconds: number | null }
    | { __typename: 'BookingOutcomeUnknown', message: string }
    | { __typename: 'HoldExpired', message: string }
    | { __typename: 'InvalidBookingInput', message: string, errors: Array<{ field: string, code: string, message: string }> }
    | { __typename: 'MeetingLinkNotFound', message: string, slug: string }
    | { __typename: 'SlotUnavailable', message: string, start: string, durationMinutes: number }
    | { __typename: 'UpstreamUnavailable', message: string, retryAfterSeconds: number | null }
   };

export type BookingPageQueryVariables = Exact<{
  slug: string;
  timeZone: string;
}>;


export type BookingPageQuery = { meetingLink: { slug: string, name: string | null, type: LinkType, organizerUserId: string, bookingInfo: { timeZone: string, durationsMinutes: Array<number>, location: string | null, welcomeTitle: string | null, welcomeDescription: string | null, bookingWindow: { start: string, end: string }, formFields: Array<{ name: string, label: string, fieldType: string, required: boolean, options: Array<{ label: string, value: string }> }>, guestSettings: { canAddGuests: boolean, maxGuestCount: number }, legalConsent: { enabled: boolean, processingConsentType: string | null, processingConsentText: string | null, processingConsentCheckboxLabel: string | null, communicationConsentText: string | null, privacyPolicyText: string | null, checkboxes: Array<{ communicationTypeId: string, label: string, required: boolean }> }, branding: { companyName: string | null, primaryColor: string | null } | null, members: Array<{ userId: string, fullName: string | null }> } | null } | null };

export type EarliestSlotQueryVariables = Exact<{
  slugs: Array<string> | string;
  timeZone: string;
  durationMinutes?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type EarliestSlotQuery = { earliestSlot: { meetingLink: { slug: string, name: string | null, organizerUserId: string }, slot: { start: string, end: string, durationMinutes: number } } | null };

export type HoldSlotMutationVariables = Exact<{
  input: HoldSlotInput;
}>;


export type HoldSlotMutation = { holdSlot:
    | { __typename: 'InvalidHoldInput', message: string, errors: Array<{ field: string, code: string, message: string }> }
    | { __typename: 'MeetingLinkNotFound', message: string, slug: string }
    | { __typename: 'SlotHeld', hold: { id: string, slug: string, start: string, end: string, durationMinutes: number, expiresAt: string } }
    | { __typename: 'SlotUnavailable', message: string, start: string, durationMinutes: number }
    | { __typename: 'UpstreamUnavailable', message: string, retryAfterSeconds: number | null }
   };

export type ListMeetingLinksQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  name?: string | null | undefined;
  type?: LinkType | null | undefined;
  organizerUserId?: string | null | undefined;
}>;


export type ListMeetingLinksQuery = { meetingLinks: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, slug: string, name: string | null, type: LinkType, url: string, organizerUserId: string, memberUserIds: Array<string>, isDefault: boolean } }> } };

export type MeetingLinkAvailabilityQueryVariables = Exact<{
  slug: string;
  timeZone: string;
  from?: string | null | undefined;
  to?: string | null | undefined;
  durationMinutes?: number | null | undefined;
  first?: number | null | undefined;
}>;


export type MeetingLinkAvailabilityQuery = { meetingLink: { id: string, availability: { timeZone: string, durationsMinutes: Array<number>, hasMore: boolean, emptyReason: EmptyReason | null, fetchedAt: string, stale: boolean, slots: Array<{ start: string, end: string, durationMinutes: number }> } | null, nextAvailableSlot: { start: string, end: string, durationMinutes: number } | null } | null };

export type MeetingLinkBookingInfoQueryVariables = Exact<{
  slug: string;
  timeZone: string;
}>;


export type MeetingLinkBookingInfoQuery = { meetingLink: { id: string, slug: string, name: string | null, type: LinkType, bookingInfo: { timeZone: string, durationsMinutes: Array<number>, bufferMinutes: number, startIncrementMinutes: number | null, locale: string | null, location: string | null, bookingWindow: { start: string, end: string, weeksToAdvertise: number }, formFields: Array<{ name: string, label: string, type: string, fieldType: string, required: boolean, options: Array<{ label: string, value: string }> }>, guestSettings: { canAddGuests: boolean, maxGuestCount: number }, legalConsent: { enabled: boolean, processingConsentType: string | null, processingConsentText: string | null, checkboxes: Array<{ communicationTypeId: string, label: string, required: boolean }> }, branding: { companyName: string | null, logoUrl: string | null, primaryColor: string | null } | null, members: Array<{ userId: string, fullName: string | null, email: string }> } | null } | null };

export type ReleaseHoldMutationVariables = Exact<{
  id: string | number;
}>;


export type ReleaseHoldMutation = { releaseHold:
    | { __typename: 'HoldNotFound', message: string, id: string }
    | { __typename: 'HoldReleased', id: string }
   };

export type RenewHoldMutationVariables = Exact<{
  id: string | number;
}>;


export type RenewHoldMutation = { renewHold:
    | { __typename: 'HoldNotFound', message: string, id: string }
    | { __typename: 'HoldRenewalLimitReached', message: string, maxRenewals: number, hold: { id: string, expiresAt: string } }
    | { __typename: 'SlotHeld', hold: { id: string, expiresAt: string } }
   };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const AvailabilityChangedDocument = new TypedDocumentString(`
    subscription AvailabilityChanged($slug: String!, $timeZone: TimeZone!, $from: DateTime, $to: DateTime, $durationMinutes: Int) {
  availabilityChanged(
    slug: $slug
    timeZone: $timeZone
    from: $from
    to: $to
    durationMinutes: $durationMinutes
  ) {
    slug
    reason
    removed {
      start
      end
      durationMinutes
    }
    added {
      start
      end
      durationMinutes
    }
    at
  }
}
    `, {"hash":"sha256:c07523e16495797529a0b9b9d6a30e75f227ef32cc3a569313953af8c8a75321"}) as unknown as TypedDocumentString<AvailabilityChangedSubscription, AvailabilityChangedSubscriptionVariables>;
export const BookMeetingDocument = new TypedDocumentString(`
    mutation BookMeeting($input: BookMeetingInput!) {
  bookMeeting(input: $input) {
    __typename
    ... on BookingConfirmed {
      start
      end
      durationMinutes
      timeZone
      subject
      location
      webConferenceUrl
      contactId
      calendarEventId
      isOffline
      guestEmails
    }
    ... on SlotUnavailable {
      message
      start
      durationMinutes
    }
    ... on InvalidBookingInput {
      message
      errors {
        field
        code
        message
      }
    }
    ... on MeetingLinkNotFound {
      message
      slug
    }
    ... on UpstreamUnavailable {
      message
      retryAfterSeconds
    }
    ... on BookingInProgress {
      message
      retryAfterSeconds
    }
    ... on BookingOutcomeUnknown {
      message
    }
    ... on HoldExpired {
      message
    }
  }
}
    `, {"hash":"sha256:b88f366638fe4a9245d8b393207c4ff675ab29893f85737d8c680860cdeb383c"}) as unknown as TypedDocumentString<BookMeetingMutation, BookMeetingMutationVariables>;
export const BookingPageDocument = new TypedDocumentString(`
    query BookingPage($slug: String!, $timeZone: TimeZone!) {
  meetingLink(slug: $slug) {
    slug
    name
    type
    organizerUserId
    bookingInfo(timeZone: $timeZone) {
      timeZone
      durationsMinutes
      bookingWindow {
        start
        end
      }
      formFields {
        name
        label
        fieldType
        required
        options {
          label
          value
        }
      }
      guestSettings {
        canAddGuests
        maxGuestCount
      }
      legalConsent {
        enabled
        processingConsentType
        processingConsentText
        processingConsentCheckboxLabel
        communicationConsentText
        privacyPolicyText
        checkboxes {
          communicationTypeId
          label
          required
        }
      }
      branding {
        companyName
        primaryColor
      }
      members {
        userId
        fullName
      }
      location
      welcomeTitle
      welcomeDescription
    }
  }
}
    `, {"hash":"sha256:2665fd4eb07bf66442178de18c8d320469b6497a45f2df2be026af3fc84454d3"}) as unknown as TypedDocumentString<BookingPageQuery, BookingPageQueryVariables>;
export const EarliestSlotDocument = new TypedDocumentString(`
    query EarliestSlot($slugs: [String!]!, $timeZone: TimeZone!, $durationMinutes: Int, $after: DateTime) {
  earliestSlot(
    slugs: $slugs
    timeZone: $timeZone
    durationMinutes: $durationMinutes
    after: $after
  ) {
    meetingLink {
      slug
      name
      organizerUserId
    }
    slot {
      start
      end
      durationMinutes
    }
  }
}
    `, {"hash":"sha256:f55c813924a1c241b9d65c6a1dc58afab041e09f0f56a28c1f8d2a9008e3af9e"}) as unknown as TypedDocumentString<EarliestSlotQuery, EarliestSlotQueryVariables>;
export const HoldSlotDocument = new TypedDocumentString(`
    mutation HoldSlot($input: HoldSlotInput!) {
  holdSlot(input: $input) {
    __typename
    ... on SlotHeld {
      hold {
        id
        slug
        start
        end
        durationMinutes
        expiresAt
      }
    }
    ... on SlotUnavailable {
      message
      start
      durationMinutes
    }
    ... on InvalidHoldInput {
      message
      errors {
        field
        code
        message
      }
    }
    ... on MeetingLinkNotFound {
      message
      slug
    }
    ... on UpstreamUnavailable {
      message
      retryAfterSeconds
    }
  }
}
    `, {"hash":"sha256:c293faa93f37eba96e3170f7d230f4eeddff161bd6074c3ffa903c82ef5830ad"}) as unknown as TypedDocumentString<HoldSlotMutation, HoldSlotMutationVariables>;
export const ListMeetingLinksDocument = new TypedDocumentString(`
    query ListMeetingLinks($first: Int = 20, $after: String, $name: String, $type: LinkType, $organizerUserId: String) {
  meetingLinks(
    first: $first
    after: $after
    name: $name
    type: $type
    organizerUserId: $organizerUserId
  ) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      cursor
      node {
        id
        slug
        name
        type
        url
        organizerUserId
        memberUserIds
        isDefault
      }
    }
  }
}
    `, {"hash":"sha256:e0b801da9f2b3a560398becbc5e526c33ccfd40a9a501b96876a633b4566c6b0"}) as unknown as TypedDocumentString<ListMeetingLinksQuery, ListMeetingLinksQueryVariables>;
export const MeetingLinkAvailabilityDocument = new TypedDocumentString(`
    query MeetingLinkAvailability($slug: String!, $timeZone: TimeZone!, $from: DateTime, $to: DateTime, $durationMinutes: Int, $first: Int) {
  meetingLink(slug: $slug) {
    id
    availability(
      timeZone: $timeZone
      from: $from
      to: $to
      durationMinutes: $durationMinutes
      first: $first
    ) {
      timeZone
      durationsMinutes
      hasMore
      emptyReason
      fetchedAt
      stale
      slots {
        start
        end
        durationMinutes
      }
    }
    nextAvailableSlot(timeZone: $timeZone, durationMinutes: $durationMinutes) {
      start
      end
      durationMinutes
    }
  }
}
    `, {"hash":"sha256:521000e20fa7f813a86b3981eb7d3f64556caf3f641ebca7b3b9a39021a2bf48"}) as unknown as TypedDocumentString<MeetingLinkAvailabilityQuery, MeetingLinkAvailabilityQueryVariables>;
export const MeetingLinkBookingInfoDocument = new TypedDocumentString(`
    query MeetingLinkBookingInfo($slug: String!, $timeZone: TimeZone!) {
  meetingLink(slug: $slug) {
    id
    slug
    name
    type
    bookingInfo(timeZone: $timeZone) {
      timeZone
      durationsMinutes
      bufferMinutes
      startIncrementMinutes
      bookingWindow {
        start
        end
        weeksToAdvertise
      }
      formFields {
        name
        label
        type
        fieldType
        required
        options {
          label
          value
        }
      }
      guestSettings {
        canAddGuests
        maxGuestCount
      }
      legalConsent {
        enabled
        processingConsentType
        processingConsentText
        checkboxes {
          communicationTypeId
          label
          required
        }
      }
      branding {
        companyName
        logoUrl
        primaryColor
      }
      members {
        userId
        fullName
        email
      }
      locale
      location
    }
  }
}
    `, {"hash":"sha256:9bf216fbe65a2ebca8e2a966d184b319020e6515e727aa13305deea4d2fdca11"}) as unknown as TypedDocumentString<MeetingLinkBookingInfoQuery, MeetingLinkBookingInfoQueryVariables>;
export const ReleaseHoldDocument = new TypedDocumentString(`
    mutation ReleaseHold($id: ID!) {
  releaseHold(id: $id) {
    __typename
    ... on HoldReleased {
      id
    }
    ... on HoldNotFound {
      message
      id
    }
  }
}
    `, {"hash":"sha256:d5d9f3db469eb8fb3a5e08c70cea0516695e60117289c68f3fa0e7d344dc636b"}) as unknown as TypedDocumentString<ReleaseHoldMutation, ReleaseHoldMutationVariables>;
export const RenewHoldDocument = new TypedDocumentString(`
    mutation RenewHold($id: ID!) {
  renewHold(id: $id) {
    __typename
    ... on SlotHeld {
      hold {
        id
        expiresAt
      }
    }
    ... on HoldRenewalLimitReached {
      message
      maxRenewals
      hold {
        id
        expiresAt
      }
    }
    ... on HoldNotFound {
      message
      id
    }
  }
}
    `, {"hash":"sha256:e6928604049d9462cc979b42808821fec4fda21ca876c69ed501867fad01fe71"}) as unknown as TypedDocumentString<RenewHoldMutation, RenewHoldMutationVariables>;