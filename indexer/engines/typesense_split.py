"""A filter too long for Typesense, run in pieces and turned into a list of ids.

Typesense 0.24 refuses a ``filter_by`` of more than 100 tokens
(:data:`~indexer.engines.typesense_query.MAX_CONDITIONS`), and a long query easily writes more:
a title of ten words with their alternatives, or a relaxed query
(:mod:`indexer.relaxed`: every combination of most of its words). Such a filter is not
loosened; it is evaluated a piece at a time over the same fields, exactly:

* an OR is split into groups of operands that fit, and the ids each group finds are united;
* an AND takes its operands in groups that fit, each group searched within the ids the
  previous ones left (an ``id:=[…]`` condition counts as one token, however many ids);
* an operand too long on its own is split the same way, recursively.

The caller then filters by the ids found, as it does for exclusions.
"""

from __future__ import annotations

from collections.abc import Callable

from indexer.engines.typesense_query import (
    MAX_CONDITIONS,
    Expr,
    all_of,
    any_of,
    conditions,
    conjunction,
)

#: Runs a filter and answers every id it matches.
IdsOf = Callable[[str], list[str]]


def id_condition(ids: list[str] | set[str]) -> str:
    return "id:=[" + ",".join(f"`{i}`" for i in sorted(ids)) + "]"


def fits(parts: list[str]) -> bool:
    return conditions(conjunction(parts)) <= MAX_CONDITIONS


def matching_ids(expression: str, scope: list[str], ids_of: IdsOf) -> set[str]:
    """Every id matching ``scope`` (conditions that fit) and ``expression`` (any length)."""
    if fits([*scope, expression]):
        return set(ids_of(conjunction([*scope, expression])))
    if not isinstance(expression, Expr):
        raise ValueError(f"one condition longer than Typesense takes: {expression[:80]}")
    if expression.op == "||":
        return _union(list(expression.parts), scope, ids_of)
    return _intersection(list(expression.parts), scope, ids_of)


def _groups(
    parts: list[str], scope: list[str], join: Callable[[list[str]], str]
) -> list[list[str]]:
    """``parts`` in consecutive groups that each fit with ``scope`` (a part too long alone
    makes a group of one)."""
    groups: list[list[str]] = []
    for part in parts:
        if groups and fits([*scope, join([*groups[-1], part])]):
            groups[-1].append(part)
        else:
            groups.append([part])
    return groups


def _union(parts: list[str], scope: list[str], ids_of: IdsOf) -> set[str]:
    found: set[str] = set()
    for group in _groups(parts, scope, any_of):
        found |= matching_ids(any_of(group), scope, ids_of)
    return found


def _intersection(parts: list[str], scope: list[str], ids_of: IdsOf) -> set[str]:
    found: set[str] | None = None
    # The shortest operands first: they fit in larger groups and narrow the ids soonest.
    for group in _groups(sorted(parts, key=conditions), [*scope, "id:=[]"], all_of):
        within = scope if found is None else [*scope, id_condition(found)]
        found = matching_ids(all_of(group), within, ids_of)
        if not found:
            return set()
    return found or set()
