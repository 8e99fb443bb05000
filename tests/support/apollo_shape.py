"""Documents as client libraries send them, for tests of the persisted-only mode.

``apollo_shaped``: what Apollo Client's cache does to every document before it is sent
(``addTypenameToDocument``): a ``__typename`` in every selection set that lacks one, except an
operation's root. ``reprinted``: what ``gql`` sends, graphql-core's print of the parse.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    print_ast,
    visit,
)


class _TypenamesAdded(Visitor):
    def leave_selection_set(
        self, node: SelectionSetNode, key: Any, parent: Any, *_: Any
    ) -> SelectionSetNode | None:
        if isinstance(parent, OperationDefinitionNode):
            return None
        named = {s.name.value for s in node.selections if isinstance(s, FieldNode)}
        if "__typename" in named:
            return None
        typename = FieldNode(name=NameNode(value="__typename"), arguments=(), directives=())
        return SelectionSetNode(selections=(*node.selections, typename))


def apollo_shaped(document: str) -> str:
    return print_ast(visit(parse(document), _TypenamesAdded()))


def reprinted(document: str) -> str:
    return print_ast(parse(document))
