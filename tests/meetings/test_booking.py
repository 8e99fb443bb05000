"""The booking checks made before any upstream write, on the sandbox's own booking info."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from gateway.meetings.booking import (
    MAX_TEXT,
    BookingCommand,
    FieldError,
    check_against_link,
    check_bounds,
    check_contact,
)
from gateway.meetings.service import BookingInfoView
from tests.support.harness import Gateway

COMMAND = BookingCommand(
    slug="lena-fischer/product-demo",
    start=datetime(2026, 3, 10, 9, tzinfo=UTC),
    duration_minutes=30,
    timezone="Europe/Berlin",
    first_name="Alex",
    last_name="Morgan",
    email="alex@acme-corp.io",
    form_fields=(("company_size", "11-50"),),
)


async def info(gateway: Gateway, slug: str) -> BookingInfoView:
    view = await gateway.runtime.service.booking_info(slug)
    assert view is not None
    return view


def codes(errors: list[FieldError]) -> set[str]:
    return {error.code for error in errors}


def test_contact_checks() -> None:
    assert check_contact(COMMAND) == []
    bad = replace(COMMAND, first_name=" ", email="alex@", guest_emails=("x",), duration_minutes=0)
    assert codes(check_contact(bad)) == {"REQUIRED", "INVALID_EMAIL", "INVALID_EMAIL_GUESTS",
                                         "INVALID"}  # fmt: skip


async def test_link_rules(gateway: Gateway) -> None:
    demo = (await info(gateway, "lena-fischer/product-demo")).info
    assert check_against_link(COMMAND, demo) == []
    assert codes(check_against_link(replace(COMMAND, form_fields=()), demo)) == {
        "REQUIRED_FORM_FIELD"
    }
    wrong_option = replace(COMMAND, form_fields=(("company_size", "a lot"),))
    assert codes(check_against_link(wrong_option, demo)) == {"INVALID_OPTION"}
    checkboxes = tuple(
        replace(field, field_type="checkbox") if field.name == "company_size" else field
        for field in demo.settings.form_fields
    )
    multiple = replace(demo, settings=replace(demo.settings, form_fields=checkboxes))
    both = replace(COMMAND, form_fields=(("company_size", "1-10;11-50"),))
    assert check_against_link(both, multiple) == []
    assert codes(check_against_link(both, demo)) == {"INVALID_OPTION"}
    one_wrong = replace(COMMAND, form_fields=(("company_size", "1-10;a lot"),))
    assert codes(check_against_link(one_wrong, multiple)) == {"INVALID_OPTION"}
    unknown = replace(COMMAND, form_fields=(*COMMAND.form_fields, ("shoe_size", "44")))
    assert codes(check_against_link(unknown, demo)) == {"UNKNOWN_FORM_FIELD"}
    assert codes(check_against_link(replace(COMMAND, duration_minutes=45), demo)) == {
        "MEETING_DURATION_NOT_VALID"
    }
    assert codes(check_against_link(replace(COMMAND, guest_emails=("g@acme.io",)), demo)) == {
        "INVALID_EMAIL_GUESTS"
    }


async def test_guests_up_to_the_maximum(gateway: Gateway) -> None:
    priya = (await info(gateway, "priya-raman")).info
    command = replace(COMMAND, slug="priya-raman", form_fields=())
    three = replace(command, guest_emails=("a@acme.io", "b@acme.io", "c@acme.io"))
    assert check_against_link(three, priya) == []
    four = replace(command, guest_emails=(*three.guest_emails, "d@acme.io"))
    assert codes(check_against_link(four, priya)) == {"INVALID_EMAIL_GUESTS"}


def test_the_fingerprint_ignores_only_the_idempotency_key() -> None:
    keyed = replace(COMMAND, idempotency_key="k1")
    assert keyed.fingerprint() == replace(COMMAND, idempotency_key="k2").fingerprint()
    assert keyed.fingerprint() != replace(keyed, duration_minutes=60).fingerprint()
    same_instant = replace(keyed, start=COMMAND.start.astimezone())
    assert same_instant.fingerprint() == keyed.fingerprint()


def test_a_padded_contact_is_checked_and_fingerprinted_as_the_trimmed_one() -> None:
    guests = ("g@acme.io", "h@acme.io")
    trimmed = replace(COMMAND, guest_emails=guests, idempotency_key="k1")
    padded = replace(
        trimmed,
        first_name=" Alex\t",
        last_name="Morgan ",
        email="  alex@acme-corp.io\n",
        guest_emails=tuple(f" {guest} " for guest in guests),
    )
    assert padded == trimmed
    assert padded.fingerprint() == trimmed.fingerprint()
    assert check_contact(padded) == []
    assert codes(check_contact(replace(COMMAND, last_name=" \t "))) == {"REQUIRED"}
    # The bound is on the trimmed text: padding past it is no fault.
    long_name = "A" * MAX_TEXT
    assert check_bounds(replace(COMMAND, first_name=f"  {long_name}  ")).first_name == long_name
