"""SDs a source did not label or did not give: used only when asked, and flagged on every row.

Three nested bases for the SDs of an analysis (``SD_BASES``), each shown in the sensitivity
analyses: ``reported`` (the build's ``sd``: printed, or converted from an SE, CI or IQR);
``unlabelled``, also a '±' printed without saying SD or SE, read as an SD (``sd_unlabelled = 1``:
an SE read as an SD makes a value look less precise, not more); ``imputed``, also SDs imputed by
``evidence export --impute-sd`` (``sd_imputed = 1``): CV x value, the CV given ('0.3') or the
median CV of the rows that report an SD for the same metric, normalisation and unit
('median-cv', Cochrane Handbook 6.5.2.7). Only EMG amplitude means above 0 are imputed: a
median's spread, a correlation's or a force's is not a CV of the kind borrowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .dispersion import median_cv
from .effect_sizes import mc_vi, mn_vi, smcc_vi, smcc_yi
from .queries import ExportError

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


class RuleError(ExportError, ValueError):
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


def _amplitude_mean(row: dict[str, Any]) -> bool:
    return row["metric"] == "emg_amplitude" and row["central_tendency"] == "mean"


#: (row, the value, its dispersion type, its dispersion) -> (SD, sd_source), or None
SdFor = Callable[[dict[str, Any], Any, Any, Any], "tuple[float, str] | None"]


def _fill(single: list[dict[str, Any]], contrasts: list[dict[str, Any]], sd_for: SdFor, flag: str) -> None:
    """Give each missing SD of the rows the one ``sd_for`` finds, set ``flag`` on the rows it
    changed and recompute their yi and vi (as the SQL does)."""
    for r in single:
        got = (
            None
            if r["sdi"] is not None
            else sd_for(r, r["mi"], r.get("dispersion_type"), r.get("dispersion"))
        )
        if got:
            r.update(sdi=got[0], sd_source=got[1], **{flag: 1})
            r["vi"] = mn_vi(r["sdi"], r["ni"])
            r["reason"] = None if r["vi"] is not None else r["reason"]
    for r in contrasts:
        changed = False
        for i in ("1", "2"):
            if r[f"sd{i}i"] is None:
                got = sd_for(r, r[f"m{i}i"], r.get(f"dispersion_type{i}"), r.get(f"dispersion{i}"))
                if got:
                    r[f"sd{i}i"], r[f"sd{i}_source"] = got
                    changed = True
        if not changed:
            continue
        r[flag] = 1
        if r["measure"] == "SMCC":
            r["yi"] = smcc_yi(r["m1i"], r["m2i"], r["sd1i"], r["sd2i"], r["ri"], r["ni"])
            r["vi"] = smcc_vi(r["yi"], r["ni"])
        else:
            r["vi"] = mc_vi(r["sd1i"], r["sd2i"], r["ri"], r["ni"])
        r["reason"] = None if r["yi"] is not None and r["vi"] is not None else r["reason"]


def apply_basis(
    single: list[dict[str, Any]], contrasts: list[dict[str, Any]], basis: str, rule: Rule | None
) -> None:
    # The CVs an imputation borrows come from the reported SDs only.
    pairs: dict[tuple[Any, ...], list[tuple[float, float]]] = {}
    for r in single:
        if r["sdi"] is not None and not r["sd_imputed"] and not r.get("sd_unlabelled") and _amplitude_mean(r):
            pairs.setdefault(_group(r), []).append((r["mi"], r["sdi"]))
    cvs = {key: median_cv(values) for key, values in pairs.items()}

    def unlabelled(r: dict[str, Any], value: Any, kind: Any, dispersion: Any) -> tuple[float, str] | None:
        return (dispersion, "unlabelled_as_sd") if kind == "unlabelled" and dispersion is not None else None

    def imputed(r: dict[str, Any], value: Any, kind: Any, dispersion: Any) -> tuple[float, str] | None:
        assert rule is not None
        if value is None or value <= 0 or not _amplitude_mean(r):
            return None
        if rule.kind == "cv":
            assert rule.cv is not None
            return rule.cv * value, f"imputed:cv={rule.cv:g}"
        cv = cvs.get(_group(r))
        return (cv * value, f"imputed:median_cv={cv:.6g}") if cv is not None else None

    if basis != "reported":
        _fill(single, contrasts, unlabelled, "sd_unlabelled")
    if basis == "imputed":
        _fill(single, contrasts, imputed, "sd_imputed")
