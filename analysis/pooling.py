"""Random-effects pooling of the extracts, as metafor's ``rma`` does it.

The between-study variance tau² comes from maintained libraries: REML from PyMARE
(``VarianceBasedLikelihoodEstimator``), DerSimonian-Laird from statsmodels' ``combine_effects``
(``chi2``). Paule-Mandel is the root of its defining equation, found by scipy's ``brentq``
(``_paule_mandel``: statsmodels' ``iterated`` stops at 0 for some data). Given tau², the summary
is the standard
inverse-variance one that ``rma`` prints (normal-theory intervals, its default ``test = "z"``):

- weights w = 1 / (vi + tau²); estimate = sum(w yi) / sum(w); se = sqrt(1 / sum(w));
  ci = estimate ± 1.96 se;
- I² = 100 tau² / (tau² + s²), s² = (k - 1) sum(w0) / (sum(w0)² - sum(w0²)), w0 = 1 / vi
  (Higgins & Thompson 2002; metafor's definition).

The tests run ``metafor::rma`` on the same rows and compare every column (to 1e-6).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

#: metafor's codes for the tau² estimators offered.
METHODS = ("REML", "DL", "PM")
Z975 = 1.959963984540054


@dataclass(frozen=True)
class Pooled:
    k: int
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    tau2: float
    i2: float | None
    method: str


def tau2(yi: list[float], vi: list[float], method: str = "REML") -> float:
    """The between-study variance of ``yi`` (sampling variances ``vi``) by ``method``."""
    if method not in METHODS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    if len(yi) < 2:
        return 0.0
    import numpy as np

    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "REML":
            from pymare import Dataset
            from pymare.estimators import VarianceBasedLikelihoodEstimator

            fitted = VarianceBasedLikelihoodEstimator(method="REML").fit_dataset(Dataset(y=y, v=v))
            value = float(np.ravel(fitted.params_["tau2"])[0])
        elif method == "DL":
            from statsmodels.stats.meta_analysis import combine_effects

            value = float(combine_effects(y, v, method_re="chi2").tau2)
        else:
            value = _paule_mandel(y, v)
    # Estimators may land a hair below zero where the truth is zero (rma truncates at 0).
    return max(value, 0.0)


def generalised_q(y: Any, v: Any, t2: float) -> float:
    """Cochran's Q with weights 1 / (vi + tau²): the statistic Paule-Mandel sets to k - 1."""
    w = 1.0 / (v + t2)
    mean = float((w * y).sum() / w.sum())
    return float((w * (y - mean) ** 2).sum())


def _paule_mandel(y: Any, v: Any) -> float:
    """Paule-Mandel's tau²: where the generalised Q equals k - 1, or 0 where Q(0) is already at
    or below it (metafor's definition). Q falls steadily from Q(0) towards 0 as tau² grows, so
    the root is bracketed by doubling and found by brentq. statsmodels' combine_effects(
    method_re="iterated") is not used: in 0.14.6 and 0.15.0 it returns 0 for some data whose
    root is far above it (three studies with Q(0) = 6.36 > 2: tau² is 107.9, not 0)."""
    from scipy.optimize import brentq

    target = len(y) - 1

    def excess(t2: float) -> float:
        return generalised_q(y, v, t2) - target

    if excess(0.0) <= 0:
        return 0.0
    high = max(float(y.var()), float(v.max()), 1.0)
    while excess(high) > 0:
        high *= 2.0
    return float(brentq(excess, 0.0, high, xtol=1e-14, maxiter=500))


def pool(yi: list[float], vi: list[float], method: str = "REML") -> Pooled:
    """Random-effects estimate of ``yi`` with sampling variances ``vi`` (all > 0)."""
    if not yi or len(yi) != len(vi) or any(v <= 0 for v in vi):
        raise ValueError("pool: needs at least one yi, each with a positive vi")
    t2 = tau2(yi, vi, method)
    w = [1 / (v + t2) for v in vi]
    estimate = sum(wi * y for wi, y in zip(w, yi)) / sum(w)
    se = math.sqrt(1 / sum(w))
    k = len(yi)
    i2 = None
    if k > 1:
        w0 = [1 / v for v in vi]
        s2 = (k - 1) * sum(w0) / (sum(w0) ** 2 - sum(x * x for x in w0))
        i2 = 100 * t2 / (t2 + s2)
    return Pooled(k, estimate, se, estimate - Z975 * se, estimate + Z975 * se, t2, i2, method)


def _usable(row: dict[str, Any]) -> bool:
    return row["yi"] is not None and row["vi"] is not None and row["vi"] > 0


def pooled_rows(
    single: list[dict[str, Any]],
    contrasts: list[dict[str, Any]],
    method: str = "REML",
    assumptions: str = "",
) -> list[dict[str, Any]]:
    """One row per pool (pooled.csv): single rows by pool_key, contrasts by contrast_key and
    measure, one row per study. A pool none of whose rows has yi and a positive vi is listed
    with k = 0."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in single:
        if r["pool_key"]:
            groups.setdefault(("single", "MN", r["pool_key"]), []).append(r)
    for r in contrasts:
        if r["contrast_key"]:
            groups.setdefault(("contrast", r["measure"], r["contrast_key"]), []).append(r)
    out = []
    for (kind, measure, key), rows in sorted(groups.items()):
        usable, repeats = [], 0
        seen_studies: set[str] = set()
        for r in rows:
            if not _usable(r):
                continue
            # A study with two conditions of one exercise (two kinds of clam) measured the same
            # people twice: one value per study, the first it lists, keeps them counted once.
            if r["study_id"] in seen_studies:
                repeats += 1
                continue
            seen_studies.add(r["study_id"])
            usable.append(r)
        row: dict[str, Any] = {"kind": kind, "measure": measure, "pool_key": key, "k": len(usable)}
        if usable:
            p = pool([r["yi"] for r in usable], [r["vi"] for r in usable], method)
            row.update(estimate=p.estimate, se=p.se, ci_lb=p.ci_lb, ci_ub=p.ci_ub, tau2=p.tau2, i2=p.i2)
        else:
            row.update(estimate=None, se=None, ci_lb=None, ci_ub=None, tau2=None, i2=None)
        used = [r for r in usable if r.get("sd_imputed")]
        notes = [assumptions] if kind == "contrast" and assumptions else []
        if used:
            notes.append(
                f"{len(used)} of {len(usable)} rows with an imputed SD ({used[0].get('sd_source') or used[0].get('sd1_source') or used[0].get('sd2_source')})"
            )
        row.update(
            method=method, rows_without_vi=len(rows) - len(usable), assumptions="; ".join(notes) or None
        )
        out.append(row)
    return out
