import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { BookMeetingDocument, RenewHoldDocument } from "../gql/graphql";
import { execute } from "./api";
import type { Info, Hold } from "./App";
import type { ServerClock } from "./clock";
import type { Booked } from "./Confirmation";
import { dateTimeIn } from "./time";

export interface Visitor {
  firstName: string;
  lastName: string;
  email: string;
}

type Field = Info["formFields"][number];
type Errors = Record<string, string>;

interface Props {
  endpoint: string;
  slug: string;
  info: Info;
  hold: Hold;
  zone: string;
  locale: string;
  clock: ServerClock;
  visitor: Visitor;
  onVisitor: (visitor: Visitor) => void;
  lost: string | null;
  onLost: (why: string) => void;
  onBack: (why: string, release: boolean) => void;
  onBooked: (booked: Booked) => void;
}

// Renew when this little of the hold is left, so it never lapses while the visitor types.
const RENEW_BEFORE_MS = 60_000;
const PROCESSING = "processingConsent";
// The contact's name and email have their own inputs (and travel in their own input fields).
const OWN_INPUTS = new Set(["firstname", "lastname", "email"]);
const LOST =
  "The time you chose was taken while you were filling in the form, so nothing was booked. " +
  "Your details are kept: please choose another time.";

function remaining(hold: Hold, clock: ServerClock): number {
  return Math.max(0, Date.parse(hold.expiresAt) - clock.now());
}

function mmss(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

export function BookingForm(props: Props) {
  const { endpoint, slug, info, zone, locale, clock, visitor, onVisitor, lost, onLost, onBack, onBooked } = props;
  const [hold, setHold] = useState(props.hold);
  const [left, setLeft] = useState(() => remaining(props.hold, clock));
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [guests, setGuests] = useState<string[]>([]);
  const [consents, setConsents] = useState<Record<string, boolean>>({});
  const [errors, setErrors] = useState<Errors>({});
  const [summary, setSummary] = useState("");
  const [sending, setSending] = useState(false);
  // One key per distinct booking sent: a resend of the same one (after a lost answer) keeps it.
  const sent = useRef<{ input: string; key: string } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const renewing = useRef(false);
  const consent = info.legalConsent;
  const questions = info.formFields.filter((field) => !OWN_INPUTS.has(field.name.toLowerCase()));

  useEffect(() => heading.current?.focus(), []);

  // The countdown, and the renewal while the form is open.
  useEffect(() => {
    const tick = window.setInterval(() => {
      const now = remaining(hold, clock);
      setLeft(now);
      if (now === 0) {
        onBack("Your hold on that time ran out, so it was offered again. Please choose a time.", false);
      } else if (now < RENEW_BEFORE_MS && !renewing.current) {
        renewing.current = true;
        execute(endpoint, RenewHoldDocument, { id: hold.id })
          .then((answer) => {
            const result = answer.renewHold;
            if (result.__typename === "HoldNotFound") onLost(LOST);
            else if (result.__typename === "SlotHeld") setHold({ ...hold, expiresAt: result.hold.expiresAt });
            // At the renewal limit the hold still ends at its time: the countdown shows it.
          })
          .catch(() => undefined)
          .finally(() => {
            renewing.current = false;
          });
      }
    }, 1000);
    return () => window.clearInterval(tick);
  }, [endpoint, hold, clock, onBack, onLost]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Errors = {};
    if (consent.enabled && consent.processingConsentType === "REQUIRED_CHECKBOX" && !consents[PROCESSING]) {
      found[PROCESSING] = "Please agree to this to book.";
    }
    if (Object.keys(found).length > 0) {
      setErrors(found);
      setSummary("Please check the marked fields.");
      return;
    }
    setSending(true);
    setSummary("");
    try {
      const input = {
        slug,
        start: hold.start,
        durationMinutes: hold.durationMinutes,
        timeZone: zone,
        firstName: visitor.firstName,
        lastName: visitor.lastName,
        email: visitor.email,
        guestEmails: guests.filter((guest) => guest.trim() !== ""),
        formFields: questions
          .filter((field) => (answers[field.name] ?? "") !== "")
          .map((field) => ({ name: field.name, value: answers[field.name] })),
        legalConsentResponses: consent.enabled
          ? consent.checkboxes.map((box) => ({
              communicationTypeId: box.communicationTypeId,
              consented: consents[box.communicationTypeId] ?? false,
            }))
          : [],
        holdId: hold.id,
      };
      const printed = JSON.stringify(input);
      if (sent.current?.input !== printed) sent.current = { input: printed, key: crypto.randomUUID() };
      const answer = await execute(endpoint, BookMeetingDocument, {
        input: { ...input, idempotencyKey: sent.current.key },
      });
      const result = answer.bookMeeting;
      switch (result.__typename) {
        case "BookingConfirmed":
          onBooked(result);
          return;
        case "InvalidBookingInput":
          setErrors(Object.fromEntries(result.errors.map((error) => [error.field, error.message])));
          setSummary(`Nothing was booked: ${result.message}`);
          return;
        case "SlotUnavailable":
        case "HoldExpired":
          onBack(LOST, false);
          return;
        default:
          setSummary(`Nothing was booked: ${result.message} Please try again.`);
      }
    } catch (error) {
      setSummary(`Nothing was booked: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setSending(false);
    }
  };

  const text = (name: keyof Visitor, label: string, type: string, autoComplete: string) => (
    <Control id={`field-${name}`} label={label} required error={errors[name]}>
      {(describedBy) => (
        <input
          id={`field-${name}`}
          type={type}
          autoComplete={autoComplete}
          required
          aria-invalid={errors[name] ? true : undefined}
          aria-describedby={describedBy}
          value={visitor[name]}
          onChange={(event) => onVisitor({ ...visitor, [name]: event.target.value })}
        />
      )}
    </Control>
  );

  return (
    <section className="form" aria-labelledby="form-heading">
      <h2 id="form-heading" ref={heading} tabIndex={-1}>
        Your details
      </h2>
      <p className="chosen">{dateTimeIn(hold.start, zone, locale)}</p>
      <p className="hold" role="timer" aria-label="Time left on your hold">
        This time is held for you for {mmss(left)}.
      </p>
      {lost ? (
        <p className="lost" role="alert">
          {lost}
        </p>
      ) : null}
      <form noValidate onSubmit={(event) => void submit(event)}>
        {text("firstName", "First name", "text", "given-name")}
        {text("lastName", "Last name", "text", "family-name")}
        {text("email", "Email", "email", "email")}
        {questions.map((field) => (
          <FormField
            key={field.name}
            field={field}
            value={answers[field.name] ?? ""}
            error={errors[`formFields.${field.name}`]}
            onChange={(value) => setAnswers({ ...answers, [field.name]: value })}
          />
        ))}
        {info.guestSettings.canAddGuests ? (
          <Guests max={info.guestSettings.maxGuestCount} guests={guests} errors={errors} onGuests={setGuests} />
        ) : null}
        {consent.enabled ? (
          <fieldset className="consent">
            <legend>Consent</legend>
            {consent.communicationConsentText ? <p>{consent.communicationConsentText}</p> : null}
            {consent.checkboxes.map((box) => (
              <Check
                key={box.communicationTypeId}
                id={`consent-${box.communicationTypeId}`}
                label={box.label}
                required={box.required}
                checked={consents[box.communicationTypeId] ?? false}
                error={errors[`legalConsentResponses.${box.communicationTypeId}`]}
                onChange={(checked) => setConsents({ ...consents, [box.communicationTypeId]: checked })}
              />
            ))}
            {consent.processingConsentText ? <p>{consent.processingConsentText}</p> : null}
            {consent.processingConsentType === "REQUIRED_CHECKBOX" ? (
              <Check
                id="consent-processing"
                label={consent.processingConsentCheckboxLabel ?? "I agree to the processing of my data."}
                required
                checked={consents[PROCESSING] ?? false}
                error={errors[PROCESSING]}
                onChange={(checked) => setConsents({ ...consents, [PROCESSING]: checked })}
              />
            ) : null}
            {consent.privacyPolicyText ? <p>{consent.privacyPolicyText}</p> : null}
          </fieldset>
        ) : null}
        <p className="summary-error" role="alert">
          {summary}
        </p>
        <div className="actions">
          <button type="button" className="secondary" onClick={() => onBack("", true)}>
            Back to times
          </button>
          <button type="submit" className="primary" disabled={sending}>
            {sending ? "Booking…" : "Book this time"}
          </button>
        </div>
      </form>
    </section>
  );
}

interface ControlProps {
  id: string;
  label: string;
  required: boolean;
  error: string | undefined;
  children: (describedBy: string | undefined) => ReactNode;
}

function Control({ id, label, required, error, children }: ControlProps) {
  const errorId = `${id}-error`;
  return (
    <div className="control">
      <label htmlFor={id}>
        {label}
        {required ? <span className="required"> (required)</span> : null}
      </label>
      {children(error ? errorId : undefined)}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

interface CheckProps {
  id: string;
  label: string;
  required: boolean;
  checked: boolean;
  error: string | undefined;
  onChange: (checked: boolean) => void;
}

function Check({ id, label, required, checked, error, onChange }: CheckProps) {
  const errorId = `${id}-error`;
  return (
    <div className="check">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        aria-required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        onChange={(event) => onChange(event.target.checked)}
      />
      <label htmlFor={id}>
        {label}
        {required ? <span className="required"> (required)</span> : null}
      </label>
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

const INPUT_TYPES: Record<string, string> = {
  text: "text",
  phonenumber: "tel",
  number: "number",
  date: "date",
  email: "email",
  file: "url",
};

interface FieldProps {
  field: Field;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}

function FormField({ field, value, error, onChange }: FieldProps) {
  const id = `form-${field.name}`;
  const invalid = error ? true : undefined;
  if (field.fieldType === "radio" || (field.fieldType === "checkbox" && field.options.length > 0)) {
    return <Choices field={field} value={value} error={error} onChange={onChange} />;
  }
  if (field.fieldType === "booleancheckbox" || field.fieldType === "checkbox") {
    return (
      <Check
        id={id}
        label={field.label}
        required={field.required}
        checked={value === "true"}
        error={error}
        onChange={(checked) => onChange(checked ? "true" : "")}
      />
    );
  }
  return (
    <Control id={id} label={field.label} required={field.required} error={error}>
      {(describedBy) => {
        const common = {
          id,
          required: field.required,
          "aria-invalid": invalid,
          "aria-describedby": describedBy,
          value,
        };
        if (field.fieldType === "textarea") {
          return <textarea {...common} rows={3} onChange={(event) => onChange(event.target.value)} />;
        }
        if (field.fieldType === "select") {
          return (
            <select {...common} onChange={(event) => onChange(event.target.value)}>
              <option value="">Choose…</option>
              {field.options.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          );
        }
        return (
          <input
            {...common}
            type={INPUT_TYPES[field.fieldType] ?? "text"}
            onChange={(event) => onChange(event.target.value)}
          />
        );
      }}
    </Control>
  );
}

function Choices({ field, value, error, onChange }: FieldProps) {
  const many = field.fieldType === "checkbox";
  // HubSpot keeps a multiple checkbox's values joined by ";".
  const chosen = new Set(value === "" ? [] : value.split(";"));
  const errorId = `form-${field.name}-error`;
  return (
    <fieldset className="choices" aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined}>
      <legend>
        {field.label}
        {field.required ? <span className="required"> (required)</span> : null}
      </legend>
      {field.options.map((option) => (
        <label key={option.value}>
          <input
            type={many ? "checkbox" : "radio"}
            name={`form-${field.name}`}
            value={option.value}
            checked={chosen.has(option.value)}
            onChange={(event) => {
              if (!many) return onChange(option.value);
              const next = new Set(chosen);
              if (event.target.checked) next.add(option.value);
              else next.delete(option.value);
              return onChange(field.options.map((o) => o.value).filter((v) => next.has(v)).join(";"));
            }}
          />
          {option.label}
        </label>
      ))}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

interface GuestsProps {
  max: number;
  guests: string[];
  errors: Errors;
  onGuests: (guests: string[]) => void;
}

function Guests({ max, guests, errors, onGuests }: GuestsProps) {
  return (
    <fieldset className="guests">
      <legend>Guests (up to {max})</legend>
      {guests.map((guest, index) => (
        <Control key={index} id={`guest-${index}`} label={`Guest ${index + 1} email`} required={false} error={errors[`guestEmails[${index}]`]}>
          {(describedBy) => (
            <input
              id={`guest-${index}`}
              type="email"
              value={guest}
              aria-describedby={describedBy}
              onChange={(event) => onGuests(guests.map((g, i) => (i === index ? event.target.value : g)))}
            />
          )}
        </Control>
      ))}
      {errors.guestEmails ? <p className="field-error">{errors.guestEmails}</p> : null}
      {guests.length < max ? (
        <button type="button" className="secondary" onClick={() => onGuests([...guests, ""])}>
          Add a guest
        </button>
      ) : null}
    </fieldset>
  );
}
