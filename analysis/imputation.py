"""Imputed SDs, only when an export asks for them (``evidence export --impute-sd``).

Two rules, each named in the rows it touches (``sd_source``, ``sd_imputed = 1``):

- ``--impute-sd 0.3``: SD = CV x value, the CV given;
- ``--impute-sd median-cv``: SD = CV x value with the median CV (SD / mean) of the rows that
  report or convert an SD for the same metric, normalisation and unit (Cochrane Handbook
  6.5.2.7, 'borrowing' an SD); a row whose group has no SD at all stays without one.

Only means are imputed: a median's spread is not a CV of it, and a value of 0 or below has no
CV. yi and vi are recomputed with the same functions the SQL uses (analysis/effect_sizes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .dispersion import median_cv
from .effect_sizes import mc_vi, mn_vi, smcc_vi, smcc_yi

MAX_CV = 5.0


class RuleError(ValueError):
    """An --impute-sd value that is neither a CV nor a known rule."""


@dataclass(frozen=True)
class Rule:
    kind: str  # "cv" or "median_cv"
    cv: float | None = None

    def describe(self) -> str:
        if self.kind == "cv":
            return f"SDs missing from a mean imputed as {self.cv:g} x the value (imputed:cv={self.cv:g})"
        return (
            "SDs missing from a mean imputed with the median CV of the rows reporting an SD for the "
            "same metric, normalisation and unit (imputed:median_cv=<cv>; Cochrane Handbook 6.5.2.7)"
        )


def parse_rule(text: str) -> Rule:
    """'0.3' -> a fixed CV; 'median-cv' -> the borrowed median CV."""
    if text.strip().lower() in ("median-cv", "median_cv"):
        return Rule("median_cv")
    try:
        cv = float(text)
    except ValueError:
        raise RuleError(f"--impute-sd: {text!r} is neither a CV (e.g. 0.3) nor 'median-cv'") from None
    if not 0 < cv <= MAX_CV:
        raise RuleError(f"--impute-sd: a CV must be above 0 and at most {MAX_CV:g}, not {cv:g}")
    return Rule("cv", cv)


def _group(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["metric"], row["normalisation_category"], row["unit"])


def group_cvs(single: list[dict[str, Any]]) -> dict[tuple[Any, ...], float]:
    """Median CV per metric, normalisation and unit, from the rows with a non-imputed SD."""
    pairs: dict[tuple[Any, ...], list[tuple[float, float]]] = {}
    for r in single:
        if r["sdi"] is not None and not r["sd_imputed"] and r["central_tendency"] != "median":
            pairs.setdefault(_group(r), []).append((r["mi"], r["sdi"]))
    out = {}
    for key, values in pairs.items():
        cv = median_cv(values)
        if cv is not None:
            out[key] = cv
    return out


def _cv_for(row: dict[str, Any], rule: Rule, cvs: dict[tuple[Any, ...], float]) -> tuple[float, str] | None:
    if rule.kind == "cv":
        assert rule.cv is not None
        return rule.cv, f"imputed:cv={rule.cv:g}"
    cv = cvs.get(_group(row))
    return (cv, f"imputed:median_cv={cv:.6g}") if cv is not None else None


def _imputable(value: float | None, row: dict[str, Any]) -> bool:
    return value is not None and value > 0 and row["central_tendency"] != "median"


def impute_single(rows: list[dict[str, Any]], rule: Rule, cvs: dict[tuple[Any, ...], float]) -> int:
    """Fill sdi (and vi) of MN rows that lack one; return how many were filled."""
    filled = 0
    for r in rows:
        if r["sdi"] is not None or not _imputable(r["mi"], r):
            continue
        got = _cv_for(r, rule, cvs)
        if got is None:
            continue
        cv, source = got
        r.update(sdi=cv * r["mi"], sd_source=source, sd_imputed=1)
        r["vi"] = mn_vi(r["sdi"], r["ni"])
        r["reason"] = None if r["vi"] is not None else r["reason"]
        filled += 1
    return filled


def impute_contrasts(rows: list[dict[str, Any]], rule: Rule, cvs: dict[tuple[Any, ...], float]) -> int:
    """Fill sd1i / sd2i of contrast rows that lack them and recompute yi and vi."""
    filled = 0
    for r in rows:
        changed = False
        for i in ("1", "2"):
            if r[f"sd{i}i"] is None and _imputable(r[f"m{i}i"], r):
                got = _cv_for(r, rule, cvs)
                if got is not None:
                    r[f"sd{i}i"], r[f"sd{i}_source"] = got[0] * r[f"m{i}i"], got[1]
                    changed = True
        if not changed:
            continue
        r["sd_imputed"] = 1
        filled += 1
        if r["measure"] == "SMCC":
            r["yi"] = smcc_yi(r["m1i"], r["m2i"], r["sd1i"], r["sd2i"], r["ri"], r["ni"])
            r["vi"] = smcc_vi(r["yi"], r["ni"])
        else:
            r["vi"] = mc_vi(r["sd1i"], r["sd2i"], r["ri"], r["ni"])
        r["reason"] = None if r["yi"] is not None and r["vi"] is not None else r["reason"]
    return filled
