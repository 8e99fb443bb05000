"""The README's GraphQL examples run, in order, on the sandbox with today's real clock."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, OperationType, parse

from tests.support.harness import OPERATIONS, running_gateway

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```graphql\n(.*?)```", README, re.DOTALL)


def operation_name(block: str) -> str:
    (definition,) = parse(block).definitions
    assert isinstance(definition, OperationDefinitionNode), block
    assert definition.name is not None, f"an example without a name: {block}"
    return definition.name.value


def example_variables(answers: dict[str, Any]) -> dict[str, Any]:
    """What the examples take from the answers before them: the next slot's start, then the
    earliest slot's link and start, and the hold's id."""
    given: dict[str, Any] = {}
    next_slot = answers.get("NextSlot", {}).get("meetingLink", {}).get("nextAvailableSlot")
    if next_slot:
        given["start"] = next_slot["start"]
    earliest = answers.get("Earliest", {}).get("earliestSlot")
    if earliest:
        given.update(slug=earliest["meetingLink"]["slug"], start=earliest["slot"]["start"])
    hold = answers.get("Hold", {}).get("holdSlot", {}).get("hold")
    if hold:
        given["holdId"] = hold["id"]
    return given


def is_subscription(block: str) -> bool:
    (definition,) = parse(block).definitions
    return isinstance(definition, OperationDefinitionNode) and (
        definition.operation is OperationType.SUBSCRIPTION
    )


def test_the_subscription_examples_are_the_shipped_operations() -> None:
    # A stream cannot run on a plain POST: the README shows the shipped operation, which the
    # subscription tests run over both transports.
    shown = [block for block in BLOCKS if is_subscription(block)]
    assert [operation_name(block) for block in shown] == ["AvailabilityChanged"]
    for block in shown:
        assert block == (OPERATIONS / f"{operation_name(block)}.graphql").read_text()


async def test_every_graphql_example_of_the_readme_works_today() -> None:
    names = [operation_name(block) for block in BLOCKS if not is_subscription(block)]
    assert names[:4] == ["Links", "Slots", "NextSlot", "Book"]
    answers: dict[str, Any] = {}
    async with running_gateway(now=None) as gateway:
        queries = [block for block in BLOCKS if not is_subscription(block)]
        for name, block in zip(names, queries, strict=True):
            given = example_variables(answers)
            variables = {k: v for k, v in given.items() if f"${k}:" in block}
            answers[name] = await gateway.data(block, variables)
    assert len(answers["Links"]["meetingLinks"]["nodes"]) == 5
    availability = answers["Slots"]["meetingLink"]["availability"]
    assert availability["emptyReason"] is None
    assert len(availability["slots"]) == 10
    first = availability["slots"][0]
    assert answers["NextSlot"]["meetingLink"]["nextAvailableSlot"] == {
        "start": first["start"],
        "end": first["end"],
    }
    booked = answers["Book"]["bookMeeting"]
    assert booked["__typename"] == "BookingConfirmed", booked
    assert booked["start"] == first["start"]

    earliest = answers["Earliest"]["earliestSlot"]
    held = answers["Hold"]["holdSlot"]
    assert held["__typename"] == "SlotHeld", held
    assert held["hold"]["start"] == earliest["slot"]["start"]
    assert answers["Renew"]["renewHold"]["__typename"] == "SlotHeld"
    booked_held = answers["BookHeld"]["bookMeeting"]
    assert booked_held["__typename"] == "BookingConfirmed", booked_held
    assert booked_held["start"] == earliest["slot"]["start"]
