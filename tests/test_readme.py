"""The README's GraphQL examples run, in order, on the sandbox with today's real clock."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, parse

from tests.support.harness import running_gateway

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```graphql\n(.*?)```", README, re.DOTALL)


def operation_name(block: str) -> str:
    (definition,) = parse(block).definitions
    assert isinstance(definition, OperationDefinitionNode), block
    assert definition.name is not None, f"an example without a name: {block}"
    return definition.name.value


async def test_every_graphql_example_of_the_readme_works_today() -> None:
    names = [operation_name(block) for block in BLOCKS]
    assert names[:4] == ["Links", "Slots", "NextSlot", "Book"]
    answers: dict[str, Any] = {}
    async with running_gateway(now=None) as gateway:
        for name, block in zip(names, BLOCKS, strict=True):
            start = answers.get("NextSlot", {}).get("meetingLink", {}).get("nextAvailableSlot")
            variables = {"start": start["start"]} if "$start" in block and start else {}
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
