"""Which value to use when several sources give the same one: the ``preferred`` flag.

A meta-analysis must count a value once. The paper's wins (primary > review > article,
schema/comparability.py), except where only a review gives the SD the paper's value lacks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..schema.comparability import PROVENANCE_RANK as RANK

#: What makes two values the same one (beside a restatement and the value it restates).
SAME_VALUE = ("condition_id", "muscle_id", "metric", "normalisation_category", "statistic", "phase", "side")


def mark_preferred(measurements: Iterable[dict[str, Any]], kind_of_source: dict[str, str]) -> None:
    """Set ``preferred`` (0 or 1) on every measurement row (id, restates_id, source_id, sd and
    the SAME_VALUE columns), in place; ``kind_of_source``: source id -> primary, review, article."""
    rows = list(measurements)
    by_id = {r["id"]: r for r in rows}
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        # A restatement belongs with the value it restates, whatever its own labels.
        anchor = by_id.get(r["restates_id"], r) if r["restates_id"] else r
        groups.setdefault(tuple(anchor[c] for c in SAME_VALUE), []).append(r)
    for group in groups.values():
        group.sort(key=lambda r: (RANK[kind_of_source[r["source_id"]]], r["id"]))
        best = group[0]
        if best["sd"] is None:
            with_sd = [
                r for r in group if r["sd"] is not None and kind_of_source[r["source_id"]] != "article"
            ]
            best = with_sd[0] if with_sd else best
        for r in group:
            r["preferred"] = int(r is best)
