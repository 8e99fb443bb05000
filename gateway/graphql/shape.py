"""What a document asks for (depth, aliases, root fields), with each fragment walked once.

Counting through fragments path by path, as strawberry's ``QueryDepthLimiter`` and
``MaxAliasesLimiter`` do, is exponential: 21 fragments that each spread the one before
twice make 2^20 paths in a kilobyte. Here every fragment is measured once, after the
fragments it spreads (so a spread is a lookup, never a walk), and the measures of its
selection set are kept:

- ``depth``: nested selections, as strawberry counts them: a field with a selection set adds
  one, introspection fields (``__schema``...) add nothing and are not looked into;
- ``aliases``: aliased fields, each fragment counted as often as it is spread;
- ``fields``: the fields of the selection set itself, fragments spread in as often as they
  are spread (for an operation: its root fields).

A spread of an unknown fragment, or one closing a cycle, adds nothing: the standard rules
report both. A ``Tally`` counts what the document holds as written (fields, spreads,
directives), in one pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    Visitor,
    visit,
)


@dataclass(frozen=True, slots=True)
class Measures:
    depth: int = 0
    aliases: int = 0
    fields: int = 0


NOTHING = Measures()


def is_introspection(field: FieldNode) -> bool:
    return field.name.value.startswith("__")


@dataclass
class Tally(Visitor):
    """What the document holds as written: one pass, fragments not spread in."""

    fields: list[FieldNode] = field(default_factory=list)
    spreads: list[FragmentSpreadNode] = field(default_factory=list)
    directives: list[DirectiveNode] = field(default_factory=list)
    # The fragments each fragment spreads, for measuring them in order.
    spread_by: dict[str, list[str]] = field(default_factory=dict)
    _inside: list[str] | None = None

    def __post_init__(self) -> None:
        super().__init__()

    @classmethod
    def of(cls, document: DocumentNode) -> Tally:
        tally = cls()
        visit(document, tally)
        return tally

    def enter_operation_definition(self, *_: Any) -> None:
        self._inside = None

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        self._inside = self.spread_by.setdefault(node.name.value, [])

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.fields.append(node)

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.spreads.append(node)
        if self._inside is not None:
            self._inside.append(node.name.value)

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.directives.append(node)


def dependency_order(spreads: Mapping[str, Sequence[str]]) -> list[str]:
    """Fragment names, each after every fragment it spreads; a spread closing a cycle is
    left out. Without recursion: a chain of fragments may be longer than Python's stack."""
    order: list[str] = []
    done: set[str] = set()
    for root in spreads:
        if root in done:
            continue
        path: list[tuple[str, Iterator[str]]] = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread in pending:
                if spread in spreads and spread not in done and spread not in on_path:
                    path.append((spread, iter(spreads[spread])))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


class Shape:
    """The measures of a document's fragments and operations."""

    def __init__(self, document: DocumentNode, tally: Tally) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.operations = [
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        self._fragment_measures: dict[str, Measures] = {}
        self._depths: dict[int, int] = {}  # id of a selection set -> its depth
        for name in dependency_order(tally.spread_by):
            fragment = self.fragments.get(name)
            if fragment is not None:
                self._fragment_measures[name] = self.measure(fragment.selection_set)

    def fragment(self, name: str) -> Measures:
        return self._fragment_measures.get(name, NOTHING)

    def operation(self, operation: OperationDefinitionNode) -> Measures:
        return self.measure(operation.selection_set)

    def measure(self, selection_set: SelectionSetNode) -> Measures:
        """One walk of ``selection_set``; fragments it spreads are looked up, not walked."""
        depth = aliases = fields = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields += 1
                aliases += selection.alias is not None
                if selection.selection_set is not None:
                    inner = self.measure(selection.selection_set)
                    aliases += inner.aliases
                    if not is_introspection(selection):
                        depth = max(depth, 1 + inner.depth)
                continue
            inner = self._fragment_of(selection)
            depth = max(depth, inner.depth)
            aliases += inner.aliases
            fields += inner.fields
        self._depths[id(selection_set)] = depth
        return Measures(depth, aliases, fields)

    def _fragment_of(self, selection: SelectionNode) -> Measures:
        if isinstance(selection, InlineFragmentNode):
            return self.measure(selection.selection_set)
        if isinstance(selection, FragmentSpreadNode):
            return self.fragment(selection.name.value)
        return NOTHING

    def deepest(self, operation: OperationDefinitionNode, depth: int) -> SelectionNode | None:
        """The first selection (in document order) nested ``depth`` fields deep, or ``None``
        (a cycle of fragments can make the walk down go round: it is bounded)."""
        selections: SelectionSetNode | None = operation.selection_set
        for _ in range(len(self._depths) + depth + 1):
            if selections is None:
                return None
            if depth == 0:
                return selections.selections[0] if selections.selections else None
            selections, depth = self._descend(selections, depth)
        return None

    def _descend(
        self, selections: SelectionSetNode, depth: int
    ) -> tuple[SelectionSetNode | None, int]:
        """The first selection set inside ``selections`` that still reaches ``depth``."""
        for selection in selections.selections:
            inner, levels = self._inside(selection)
            if inner is not None and levels + self._depths.get(id(inner), 0) >= depth:
                return inner, depth - levels
        return None, depth

    def _inside(self, selection: SelectionNode) -> tuple[SelectionSetNode | None, int]:
        """The selection set under ``selection`` and the levels it adds."""
        if isinstance(selection, FieldNode):
            counted = selection.selection_set is not None and not is_introspection(selection)
            return (selection.selection_set, 1) if counted else (None, 0)
        if isinstance(selection, InlineFragmentNode):
            return selection.selection_set, 0
        if isinstance(selection, FragmentSpreadNode):
            fragment = self.fragments.get(selection.name.value)
            return (fragment.selection_set if fragment is not None else None), 0
        return None, 0
