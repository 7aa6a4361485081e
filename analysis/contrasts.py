"""Within-study contrasts in one documented direction: which pairs, which way round, which factor.

Two exercises: always ``first - second`` with the ids in alphabetical order, however a study
listed them, so every study's difference of the same pair has the same sign. Two conditions of
one exercise: a technique contrast, labelled by what differs (:data:`FACTORS`; 'variant' where
none does), the higher level minus the lower where the factor has an ordered level in both (load:
% 1RM, else kg; depth: knee angle, else the depth word's order); without one it keeps the study's
order and is pooled with nothing, as no common direction exists for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from ..schema.comparability import PAIRED_COLUMNS, paired

#: What may differ between two conditions of one exercise, and the columns that say it. Load's
#: text only counts where nothing else differs ('10RM, full range' beside '10RM, partial range'
#: is a depth study).
FACTORS: dict[str, tuple[str, ...]] = {
    "depth": ("depth", "knee_angle_deg"),
    "stance": ("stance",),
    "cue": ("cue",),
    "load": ("load_pct_1rm", "load_kg"),
}
#: The order of the depth words, where a depth is not given in degrees.
DEPTH_WORDS = {"partial": 1, "half": 1, "quarter": 0, "parallel": 2, "full": 3, "deep": 3}
#: How a factor's direction reads in words.
DIRECTION_WORDS = {"load": "heavier minus lighter", "depth": "deeper minus shallower"}


@dataclass(frozen=True)
class Orientation:
    first: Mapping[str, Any]
    second: Mapping[str, Any]
    #: None for two exercises; else the technique factor ('depth', 'load+stance', 'variant')
    factor: str | None
    #: whether the direction is a common one (False: listed order, never pooled)
    ordered: bool

    @property
    def pair(self) -> str:
        """'back_squat-vs-barbell_hip_thrust', or 'back_squat:depth' for a technique contrast."""
        if self.factor is None:
            return f"{self.first['exercise_id']}-vs-{self.second['exercise_id']}"
        return f"{self.first['exercise_id']}:{self.factor}"


def _given(value: Any) -> Any:
    return None if value == "" else value


def _differs(ca: Mapping[str, Any], cb: Mapping[str, Any], columns: tuple[str, ...]) -> bool:
    return any(_given(ca.get(c)) != _given(cb.get(c)) for c in columns)


def technique_factor(ca: Mapping[str, Any], cb: Mapping[str, Any]) -> str:
    """What differs between two conditions of one exercise: 'depth', 'load+stance', 'variant'."""
    found = [f for f, columns in FACTORS.items() if _differs(ca, cb, columns)]
    if not found and _differs(ca, cb, ("load",)):
        found = ["load"]
    return "+".join(sorted(found)) or "variant"


def _depth_word(text: str | None) -> float | None:
    word = (text or "").strip().lower().replace("-", " ").split(" ")[0].rstrip(",")
    return DEPTH_WORDS.get(word)


def level(condition: Mapping[str, Any], factor: str, other: Mapping[str, Any]) -> tuple[float, float] | None:
    """(this condition's level, the other's) of an ordered factor, on one scale, or None."""

    def number(value: Any) -> float | None:
        return None if value is None else float(value)

    scales: dict[str, list[tuple[str, Callable[[Any], float | None]]]] = {
        "load": [("load_pct_1rm", number), ("load_kg", number)],
        "depth": [("knee_angle_deg", number), ("depth", _depth_word)],
    }
    for column, read in scales.get(factor, []):
        a, b = read(condition.get(column)), read(other.get(column))
        if a is not None and b is not None and a != b:
            return a, b
    return None


def orient(
    a: Mapping[str, Any], b: Mapping[str, Any], ca: Mapping[str, Any], cb: Mapping[str, Any]
) -> Orientation:
    if a["exercise_id"] != b["exercise_id"]:
        return (
            Orientation(a, b, None, True)
            if a["exercise_id"] < b["exercise_id"]
            else Orientation(b, a, None, True)
        )
    factor = technique_factor(ca, cb)
    levels = level(ca, factor, cb)
    if levels is None:
        first_a = a["condition_id"] < b["condition_id"]
        return Orientation(a, b, factor, False) if first_a else Orientation(b, a, factor, False)
    return Orientation(a, b, factor, True) if levels[0] > levels[1] else Orientation(b, a, factor, True)


def pairs(
    values: Iterable[Mapping[str, Any]], conditions: Mapping[int, Mapping[str, Any]]
) -> list[Orientation]:
    """Every comparable pair of one study's values, oriented, in a stable order (study,
    muscle, metric, statistic, phase, then the conditions)."""
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for v in values:
        groups.setdefault(tuple(v[c] for c in PAIRED_COLUMNS), []).append(v)
    out = []
    for _, group in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        group = sorted(group, key=lambda v: (v["condition_id"], v["measurement_id"]))
        for a, b in combinations(group, 2):
            if paired(a, b):
                out.append(orient(a, b, conditions[a["condition_id"]], conditions[b["condition_id"]]))
    return out


def direction_words(pair: str, names: Mapping[str, str] | None = None) -> str:
    """'hip thrust minus back squat' style words for a pair key."""
    names = names or {}
    if ":" in pair:
        exercise, factor = pair.split(":", 1)
        how = DIRECTION_WORDS.get(factor, f"two versions differing in {factor.replace('+', ' and ')}")
        return f"{names.get(exercise, exercise)}: {how}"
    first, second = pair.split("-vs-")
    return f"{names.get(first, first)} minus {names.get(second, second)}"


# --- differences as printed (the contrast table): generic inverse variance ----------------------


def _crit(q: float, n: int | None) -> float:
    """The quantile ``q`` of t with n - 1 df for a paired difference (Cochrane Handbook
    6.5.2.3), of z where n is not known."""
    from scipy import stats

    return float(stats.t.ppf(q, n - 1)) if n and n > 1 else float(stats.norm.ppf(q))


def printed_se(row: Mapping[str, Any]) -> tuple[float | None, str]:
    """(SE, how it was obtained) of a contrast-table row; (None, why) where none can be."""
    if row.get("se") is not None and row["se"] > 0:
        return float(row["se"]), "se printed"
    low, high, n = row.get("ci_low"), row.get("ci_high"), row.get("n")
    if low is not None and high is not None and high > low:
        level = row.get("ci_level") or 0.95
        level = level / 100 if level > 1 else level
        return (high - low) / (2 * _crit(0.5 + level / 2, n)), "se from the CI"
    p, estimate = row.get("p_value"), row.get("estimate")
    if row.get("p_relation") == "=" and p is not None and 0 < p < 1 and estimate:
        se = abs(estimate) / _crit(1 - p / 2, n)
        if math.isfinite(se) and se > 0:
            return se, "se from the exact p value"
    return None, "no CI, SE or exact p printed"
