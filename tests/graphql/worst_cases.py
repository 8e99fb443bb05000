"""Documents within the token limit that are as costly to validate as such documents get.

Shared by the suite (which checks what each is answered) and ``tests.bench.bench_validation``
(which times them). Each is as large as ``GATEWAY_MAX_TOKENS`` (2000 by default) lets it be,
except ``fragment-doubling-21``, the smallest document that once took seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLSyntaxError, parse

from gateway.settings import Settings

DEFAULTS = Settings()
MAX_TOKENS = DEFAULTS.max_tokens
FIELDS = DEFAULTS.max_fields
SPREADS = DEFAULTS.max_fragment_spreads
SLUG = '"mel-nelson"'


@dataclass(frozen=True)
class Case:
    name: str
    document: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation: str | None = None


def fits(document: str) -> bool:
    try:
        parse(document, max_tokens=MAX_TOKENS, no_location=True)
    except GraphQLSyntaxError:
        return False
    return True


def largest(build: Callable[[int], str], start: int = 1) -> str:
    """``build(n)`` for the largest ``n`` whose document stays within the token limit."""
    n = start
    while fits(build(n * 2)):
        n *= 2
    low, high = n, n * 2  # fits(low), not fits(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(build(middle)) else (low, middle)
    return build(low)


def doubling(n: int, on: str = "MeetingLink", leaf: str = "slug", query: str = "") -> str:
    """F1 selects ``leaf``; every further fragment spreads the one before twice."""
    fragments = [f"fragment F1 on {on} {{ {leaf} }}"]
    fragments += [f"fragment F{i} on {on} {{ ...F{i - 1} ...F{i - 1} }}" for i in range(2, n + 1)]
    return " ".join(fragments) + " " + (query or f"{{ meetingLink(slug: {SLUG}) {{ ...F{n} }} }}")


def nested_doubling(n: int) -> str:
    """Each fragment nests the one before twice under a field: depth and paths both grow."""
    fragments = ["fragment F1 on MeetingLink { slug }"]
    fragments += [
        f"fragment F{i} on MeetingLink {{ x {{ ...F{i - 1} }} y {{ ...F{i - 1} }} }}"
        for i in range(2, n + 1)
    ]
    return " ".join(fragments) + f" {{ meetingLink(slug: {SLUG}) {{ ...F{n} }} }}"


def layers(width: int, depth: int) -> str:
    """``depth`` layers of ``width`` fragments, each spreading every fragment of the next."""
    fragments = [f"fragment L{depth}x{j} on MeetingLink {{ slug }}" for j in range(width)]
    for level in range(depth - 1, 0, -1):
        spreads = " ".join(f"...L{level + 1}x{k}" for k in range(width))
        fragments += [f"fragment L{level}x{j} on MeetingLink {{ {spreads} }}" for j in range(width)]
    top = " ".join(f"...L1x{k}" for k in range(width))
    return " ".join(fragments) + f" {{ meetingLink(slug: {SLUG}) {{ {top} }} }}"


# The widest fan-out within the spread budget: width * (width - 1) / 2 spreads, and one more.
FAN_OUT = max(w for w in range(1, SPREADS + 2) if w * (w - 1) // 2 + 1 <= SPREADS)


def fan_out(width: int, fields: int = 1) -> str:
    """``width`` fragments, each spreading every one after it."""
    fragments = []
    for i in range(width):
        spreads = " ".join(f"...W{k}" for k in range(i + 1, width))
        fragments.append(f"fragment W{i} on MeetingLink {{ {'slug ' * fields}{spreads} }}")
    return " ".join(fragments) + f" {{ meetingLink(slug: {SLUG}) {{ ...W0 }} }}"


def sibling_fragments(n: int, fields: int = 1) -> str:
    """``n`` fragments selecting the same field, all spread in one selection set."""
    selected = "slug " * fields
    fragments = " ".join(f"fragment S{i} on MeetingLink {{ {selected}}}" for i in range(n))
    spreads = " ".join(f"...S{i}" for i in range(n))
    return fragments + f" {{ meetingLink(slug: {SLUG}) {{ {spreads} }} }}"


def cycles(n: int) -> str:
    """``n`` fragments spreading each other in a ring (invalid; must still be cheap)."""
    fragments = " ".join(
        f"fragment C{i} on MeetingLink {{ ...C{(i + 1) % n} ...C{(i + 2) % n} }}" for i in range(n)
    )
    return fragments + f" {{ meetingLink(slug: {SLUG}) {{ ...C0 }} }}"


def same_field(n: int) -> str:
    return f"{{ meetingLink(slug: {SLUG}) {{ " + "slug " * n + "} }"


def deep(n: int) -> str:
    return "{ " + "meetingLinks { nodes { " * n + "slug" + " } }" * n + " }"


def aliases(n: int) -> str:
    return f"{{ meetingLink(slug: {SLUG}) {{ " + " ".join(f"a{i}: slug" for i in range(n)) + " } }"


def directives(n: int) -> str:
    return f"{{ meetingLink(slug: {SLUG}) {{ slug" + " @include(if: true)" * n + " } }"


def variables(n: int) -> str:
    declared = " ".join(f"$v{i}: Boolean = true" for i in range(n))
    used = " ".join(f"slug @include(if: $v{i})" for i in range(n))
    return f"query Many({declared}) {{ meetingLink(slug: {SLUG}) {{ {used} }} }}"


CHAIN = 10
CHAIN_SPREADS = 2 * (CHAIN - 1)


def operations(n: int) -> str:
    """``n`` operations sharing a doubling chain of fragments."""
    chain = doubling(CHAIN, query=" ")
    query = f"{{ meetingLink(slug: {SLUG}) {{ ...F{CHAIN} }} }}"
    named = " ".join(f"query Q{i} {query}" for i in range(n))
    return chain + named


SUBTREE = "bookingInfo { locale members { userId firstName } guestSettings { canAddGuests } }"
SUBTREE_FIELDS = 7


def subtrees(copies: int) -> str:
    """The same nested selection many times over: merging compares each pair of copies."""
    subtree = SUBTREE
    return f"{{ meetingLink(slug: {SLUG}) {{ " + (subtree + " ") * copies + "} }"


def tiny() -> str:
    return "{ __typename }"


def worst_cases() -> list[Case]:
    """Every generated worst case (not the tiny baseline): first the largest documents within
    every default limit (which meet graphql-core's rules), then the largest of all."""
    return [
        # One spread in the operation, two in every fragment but the first.
        Case("fragment-doubling-in-limits", doubling((SPREADS + 1) // 2)),
        Case(
            "sibling-fragments-in-limits",
            sibling_fragments(SPREADS, fields=(FIELDS - 1) // SPREADS),
        ),
        Case("fragment-fan-out-in-limits", fan_out(FAN_OUT, fields=(FIELDS - 1) // FAN_OUT)),
        Case("same-field-in-limits", same_field(FIELDS - 1)),
        Case("subtrees-in-limits", subtrees((FIELDS - 1) // SUBTREE_FIELDS)),
        Case("fragment-doubling-21", doubling(21)),
        Case("fragment-doubling", largest(doubling)),
        Case(
            "fragment-doubling-at-root",
            largest(lambda n: doubling(n, on="Query", leaf="__typename", query=f"{{ ...F{n} }}")),
        ),
        Case("fragment-doubling-aliased", largest(lambda n: doubling(n, leaf="a: slug"))),
        Case("fragment-doubling-nested", largest(nested_doubling)),
        Case("fragment-layers", largest(lambda width: layers(width, 4))),
        Case("fragment-fan-out", largest(fan_out)),
        Case("sibling-fragments", largest(sibling_fragments)),
        Case("fragment-cycles", largest(cycles, start=3)),
        Case("same-field", largest(same_field)),
        Case("deep-nesting", largest(deep)),
        Case("aliases", largest(aliases)),
        Case("directives", largest(directives)),
        Case("variables", largest(variables)),
        Case("operations-in-limits", operations(SPREADS - CHAIN_SPREADS), operation="Q0"),
        Case("operations", largest(operations), operation="Q0"),
    ]
