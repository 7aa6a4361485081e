"""SDs a source did not label or did not give: used only when asked, and flagged on every row.

Three nested bases for the SDs of an analysis (``SD_BASES``), each shown in the sensitivity
analyses:

- ``reported``: the SDs the sources give, as SDs or converted from an SE, CI or IQR (the build's
  ``sd``, analysis/dispersion.py);
- ``unlabelled``: also a '±' the source prints without saying whether it is an SD or an SE
  (``dispersion_type = 'unlabelled'``), read as an SD (``sd_source = 'unlabelled_as_sd'``,
  ``sd_unlabelled = 1``): an SE read as an SD makes the value look less precise, not more;
- ``imputed``: also SDs imputed by a rule (``evidence export --impute-sd``), below.

Two imputation rules, each named in the rows it touches (``sd_source``, ``sd_imputed = 1``):

- ``--impute-sd 0.3``: SD = CV x value, the CV given;
- ``--impute-sd median-cv``: SD = CV x value with the median CV (SD / mean) of the rows that
  report or convert an SD for the same metric, normalisation and unit (Cochrane Handbook
  6.5.2.7, 'borrowing' an SD); a row whose group has no SD at all stays without one.

Only EMG amplitude means are imputed: a median's spread is not a CV of it, a value whose
central tendency is not stated may be a median, a correlation, a time or a force has no CV of the
kind borrowed, and a value of 0 or below has no CV. yi and vi are recomputed with the same
functions the SQL uses (analysis/effect_sizes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .dispersion import median_cv
from .effect_sizes import mc_vi, mn_vi, smcc_vi, smcc_yi

MAX_CV = 5.0
SD_BASES = ("reported", "unlabelled", "imputed")
#: Each basis in a few words, for the sensitivity lines.
BASIS_SHORT = {
    "reported": "reported SDs only",
    "unlabelled": "with unlabelled ± read as SD",
    "imputed": "with imputed SDs",
}
#: What each basis means, in words for the notes.
BASIS_WORDS = {
    "reported": "reported SDs only (as SD, or converted from an SE, CI or IQR)",
    "unlabelled": "reported SDs, and a '±' printed without a label read as an SD",
    "imputed": "reported SDs, unlabelled '±' as SD, and imputed SDs for the rest",
}


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
        if r["sdi"] is not None and not r["sd_imputed"] and not r.get("sd_unlabelled") and _amplitude_mean(r):
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


def _amplitude_mean(row: dict[str, Any]) -> bool:
    return row["metric"] == "emg_amplitude" and row["central_tendency"] == "mean"


def _imputable(value: float | None, row: dict[str, Any]) -> bool:
    return value is not None and value > 0 and _amplitude_mean(row)


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
        _recompute_contrast(r)
    return filled


def _recompute_contrast(r: dict[str, Any]) -> None:
    if r["measure"] == "SMCC":
        r["yi"] = smcc_yi(r["m1i"], r["m2i"], r["sd1i"], r["sd2i"], r["ri"], r["ni"])
        r["vi"] = smcc_vi(r["yi"], r["ni"])
    else:
        r["vi"] = mc_vi(r["sd1i"], r["sd2i"], r["ri"], r["ni"])
    r["reason"] = None if r["yi"] is not None and r["vi"] is not None else r["reason"]


def unlabelled_single(rows: list[dict[str, Any]]) -> int:
    """Read an unlabelled '±' as the SD of MN rows that have none; return how many."""
    filled = 0
    for r in rows:
        if r["sdi"] is None and r.get("dispersion_type") == "unlabelled" and r.get("dispersion") is not None:
            r.update(sdi=r["dispersion"], sd_source="unlabelled_as_sd", sd_unlabelled=1)
            r["vi"] = mn_vi(r["sdi"], r["ni"])
            r["reason"] = None if r["vi"] is not None else r["reason"]
            filled += 1
    return filled


def unlabelled_contrasts(rows: list[dict[str, Any]]) -> int:
    """Read an unlabelled '±' as sd1i / sd2i where missing and recompute yi and vi."""
    filled = 0
    for r in rows:
        changed = False
        for i in ("1", "2"):
            if r[f"sd{i}i"] is None and r.get(f"dispersion_type{i}") == "unlabelled":
                r[f"sd{i}i"], r[f"sd{i}_source"] = r[f"dispersion{i}"], "unlabelled_as_sd"
                changed = True
        if changed:
            r["sd_unlabelled"] = 1
            _recompute_contrast(r)
            filled += 1
    return filled


def apply_basis(
    single: list[dict[str, Any]], contrasts: list[dict[str, Any]], basis: str, rule: Rule | None
) -> tuple[int, int]:
    """Fill SDs of ``single`` and ``contrasts`` (in place) as ``basis`` allows; return (rows
    with an unlabelled '±' read as SD, rows with an imputed SD). The CVs an imputation borrows
    come from the reported SDs only."""
    if basis not in SD_BASES:
        raise RuleError(f"sd basis: {basis!r} is not one of {', '.join(SD_BASES)}")
    cvs = group_cvs(single) if basis == "imputed" else {}
    unlabelled = imputed = 0
    if basis in ("unlabelled", "imputed"):
        unlabelled = unlabelled_single(single) + unlabelled_contrasts(contrasts)
    if basis == "imputed":
        if rule is None:
            raise RuleError("sd basis 'imputed' needs an --impute-sd rule")
        imputed = impute_single(single, rule, cvs) + impute_contrasts(contrasts, rule, cvs)
    return unlabelled, imputed
