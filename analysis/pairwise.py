"""Pairwise pools per exercise pair (or technique factor) and muscle key, from within-study
differences in the values' unit and each pair's common direction (analysis/contrasts.py).

A difference comes from a study's two values (meta_contrasts' MC rows, with the imputed ``ri``)
or as printed (the ``contrast`` table, vi = SE²), which replaces the one from the same two
conditions' arms: it carries the real within-participant correlation that ``ri`` only guesses.
Every difference of a study enters; where a study gives several, the pool has a cluster-robust
interval beside it (analysis/pooling.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..schema.comparability import contrast_key, key_parts, people
from .contrasts import orient, printed_se
from .effect_sizes import mc_vi
from .network import usable
from .pooling import Pooled, Robust, pool, robust


@dataclass
class PairPool:
    key: str
    pair: str
    factor: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: rows of the key without yi or a positive vi
    without_vi: int = 0
    pooled: Pooled | None = None
    robust: Robust | None = None

    @property
    def studies(self) -> int:
        return len({r["study_id"] for r in self.rows})

    @property
    def people(self) -> int:
        return people(self.rows)[1]

    @property
    def parts(self) -> dict[str, str]:
        """The parts of its key after the pair (schema/comparability.py's key_parts)."""
        return key_parts(self.key.split("/", 1)[1])

    @property
    def interval(self) -> tuple[float, float]:
        """The pool's 95% CI: the cluster-robust one where there is one."""
        assert self.pooled is not None
        r = self.robust or self.pooled
        return r.ci_lb, r.ci_ub

    @property
    def several_per_study(self) -> bool:
        return len(self.rows) > self.studies


def from_arms(contrast_rows: Iterable[Mapping[str, Any]], ri: float) -> list[dict[str, Any]]:
    """The MC rows of meta_contrasts that have a contrast key, vi at correlation ``ri``."""
    out = []
    for r in contrast_rows:
        if r["measure"] != "MC" or not r.get("contrast_key"):
            continue
        row = dict(r)
        row.update(ri=ri, vi=mc_vi(r["sd1i"], r["sd2i"], ri, r["ni"]), origin="arms", ni=r["ni"])
        out.append(row)
    return out


_PRINTED_SQL = """
select c.*, s.population_group, s.clinical_condition, s.citation, s.n as study_n,
       src.kind as provenance
from contrast c
join study s on s.id = c.study_id
join source src on src.id = c.source_id
order by c.id
"""
_CONDITIONS_SQL = "select id, exercise_id, label, load, load_pct_1rm, load_kg, depth, knee_angle_deg, stance, cue from condition"


def printed(db_path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(differences as printed that may be pooled, those that may not, with why): rows of the
    ``contrast`` table, turned into their pair's direction. Empty where the table is absent."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        if not connection.execute("select 1 from sqlite_master where name = 'contrast'").fetchone():
            return [], []
        rows = [dict(r) for r in connection.execute(_PRINTED_SQL)]
        conditions = {r["id"]: dict(r) for r in connection.execute(_CONDITIONS_SQL)}
    finally:
        connection.close()
    usable: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    for r in rows:
        ca, cb = conditions[r["condition_a_id"]], conditions[r["condition_b_id"]]
        a = {"exercise_id": ca["exercise_id"], "condition_id": ca["id"]}
        b = {"exercise_id": cb["exercise_id"], "condition_id": cb["id"]}
        o = orient(a, b, ca, cb)
        sign = 1.0 if o.first is a else -1.0
        n = r["n"] or r["study_n"]
        keyed = {**r, "central_tendency": "mean"}
        key = contrast_key(keyed, r["clinical_condition"])
        if r["estimate"] is None:
            # Only the interval is printed: its midpoint is the estimate of a symmetric interval
            # (schema: never stored as if printed), said in se_source.
            r = {**r, "estimate": (r["ci_low"] + r["ci_high"]) / 2}
        se, how = printed_se({**r, "n": n})
        if r is not keyed and r.get("estimate") is not None and keyed["estimate"] is None:
            how += "; estimate: the midpoint of the printed interval"
        row = {
            "study_id": r["study_id"], "citation": r["citation"], "contrast_id": r["id"],
            "pair": o.pair, "factor": o.factor, "muscle_id": r["muscle_id"],
            "condition1_id": o.first["condition_id"], "condition2_id": o.second["condition_id"],
            "exercise1_id": o.first["exercise_id"], "exercise2_id": o.second["exercise_id"],
            "condition1": conditions[o.first["condition_id"]]["label"],
            "condition2": conditions[o.second["condition_id"]]["label"],
            "yi": sign * r["estimate"], "vi": se * se if se else None, "se_source": how, "ni": n,
            "origin": "printed", "sd_imputed": 0, "sd_unlabelled": 0, "locator": r["locator"],
            "contrast_key": f"{o.pair}/{key}" if key and o.ordered else None,
        }  # fmt: skip
        why = None
        if r["estimate_type"] != "mean_difference":
            why = f"a {r['estimate_type'].replace('_', ' ')}, not a difference in the values' unit"
        elif not o.ordered:
            why = "a technique contrast without ordered levels"
        elif key is None:
            why = "not EMG amplitude with a stated statistic and a comparable normalisation"
        elif se is None:
            why = how
        (left if why else usable).append({**row, "why_not_pooled": why})
    return usable, left


def combine(arms: list[dict[str, Any]], printed_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Arms' differences and printed ones; a printed difference replaces the arms' difference
    of the same two conditions, muscle and key."""

    def same(r: Mapping[str, Any]) -> tuple[Any, ...]:
        return (r["contrast_key"], frozenset((r["condition1_id"], r["condition2_id"])), r["muscle_id"])

    taken = {same(r) for r in printed_rows}
    return [r for r in arms if same(r) not in taken] + list(printed_rows)


def pair_pool(key: str, rows: list[dict[str, Any]], method: str = "REML", knha: bool = False) -> PairPool:
    first = rows[0]
    result = PairPool(key, first["pair"], first.get("factor"))
    result.rows = [r for r in rows if usable(r)]
    result.without_vi = len(rows) - len(result.rows)
    if result.rows:
        yi = [r["yi"] for r in result.rows]
        vi = [r["vi"] for r in result.rows]
        result.pooled = pool(yi, vi, method, knha)
        if result.several_per_study:
            result.robust = robust(yi, vi, [r["study_id"] for r in result.rows], result.pooled)
    return result


def pair_pools(rows: Iterable[dict[str, Any]], method: str = "REML", knha: bool = False) -> list[PairPool]:
    """One pool per contrast key, sorted by key."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("contrast_key"):
            by_key.setdefault(r["contrast_key"], []).append(r)
    return [pair_pool(k, v, method, knha) for k, v in sorted(by_key.items())]
