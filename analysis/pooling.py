"""Random-effects pooling as metafor's ``rma`` does it, with clubSandwich's robust variance, and
the pairwise pools: one per exercise pair (or technique factor) and muscle key, of within-study
differences in the values' unit and each pair's common direction (analysis/contrasts.py).

tau² by REML (analysis/reml.py: PyMARE's answer was off in the 4th decimal once tau² >= 170),
DerSimonian-Laird (statsmodels) or Paule-Mandel (the root of its defining equation: statsmodels'
``iterated`` stops at 0 for some data). Then as ``rma`` prints it: weights 1 / (vi + tau²), z or
Knapp-Hartung intervals (no truncation), ``predict``'s interval, and I² (Higgins & Thompson
2002). Where one study gives several rows, :func:`robust` is clubSandwich's ``coef_test(fit,
vcov = "CR2", cluster = study)``. The tests compare every number with R's.

A difference comes from a study's two values (meta_contrasts' MC rows, with the imputed ``ri``)
or as printed (the ``contrast`` table, vi = SE²), which replaces the one from the same two
conditions' arms: it carries the real within-participant correlation that ``ri`` only guesses.
Every difference of a study enters; where a study gives several, the pool has the cluster-robust
interval beside it.
"""

from __future__ import annotations

import math
import sqlite3
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..schema.comparability import CountsPeople, contrast_key, key_parts
from .contrasts import orient, printed_se
from .effect_sizes import mc_vi
from .network import usable
from .queries import connect
from .reml import Z975, tau2_reml

#: metafor's codes for the tau² estimators offered.
METHODS = ("REML", "DL", "PM")


@dataclass(frozen=True)
class Pooled:
    k: int
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    tau2: float
    i2: float
    method: str
    pi_lb: float
    pi_ub: float
    #: "z" or "knha" (Knapp-Hartung, t with k - 1 degrees of freedom)
    test: str = "z"


@dataclass(frozen=True)
class Robust:
    """CR2 cluster-robust inference for the pooled estimate (clubSandwich)."""

    se: float
    df: float
    ci_lb: float
    ci_ub: float


def tau2(yi: Sequence[float] | np.ndarray, vi: Sequence[float] | np.ndarray, method: str = "REML") -> float:
    if len(yi) < 2:
        return 0.0
    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    if method == "REML":
        value = tau2_reml(y, v)
    elif method == "DL":
        from statsmodels.stats.meta_analysis import combine_effects

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = float(combine_effects(y, v, method_re="chi2").tau2)
    else:
        value = _paule_mandel(y, v)
    # An estimator may land a hair below zero where the truth is zero (rma truncates at 0).
    return max(value, 0.0)


def generalised_q(y: np.ndarray, v: np.ndarray, t2: float) -> float:
    """Cochran's Q with weights 1 / (vi + tau²): the statistic Paule-Mandel sets to k - 1."""
    w = 1.0 / (v + t2)
    mean = float((w * y).sum() / w.sum())
    return float((w * (y - mean) ** 2).sum())


def _paule_mandel(y: np.ndarray, v: np.ndarray) -> float:
    """Where the generalised Q (falling as tau² grows) equals k - 1; 0 where Q(0) is below it."""
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


def _t(df: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, df))


def pool(yi: Sequence[float], vi: Sequence[float], method: str = "REML", knha: bool = False) -> Pooled:
    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    k = len(y)
    t2 = tau2(y, v, method)
    w = 1.0 / (v + t2)
    estimate = float((w * y).sum() / w.sum())
    se = math.sqrt(1.0 / float(w.sum()))
    crit = Z975
    # metafor falls back to z for k = 1 (its warning: 'Setting argument test="z" since k=1').
    test = "knha" if knha and k > 1 else "z"
    if test == "knha":
        se = math.sqrt(float((w * (y - estimate) ** 2).sum()) / ((k - 1) * float(w.sum())))
        crit = _t(k - 1)
    i2 = 0.0
    if k > 1:
        w0 = 1.0 / v
        s2 = (k - 1) * float(w0.sum()) / (float(w0.sum()) ** 2 - float((w0**2).sum()))
        i2 = 100.0 * t2 / (t2 + s2)
    half_pi = crit * math.sqrt(se**2 + t2)
    return Pooled(
        k, estimate, se, estimate - crit * se, estimate + crit * se, t2, i2, method,
        estimate - half_pi, estimate + half_pi, test,
    )  # fmt: skip


def robust(
    yi: Sequence[float], vi: Sequence[float], clusters: Sequence[str], fitted: Pooled
) -> Robust | None:
    """CR2 standard error and Satterthwaite df of ``fitted``'s estimate, clustered by
    ``clusters`` (clubSandwich's ``vcovCR(type = "CR2")`` with its default target, the
    inverse of the working weights, and ``coef_test(test = "Satterthwaite")``). None with
    fewer than two clusters (clubSandwich refuses them)."""
    labels = sorted(set(clusters))
    if len(labels) < 2:
        return None
    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    w = 1.0 / (v + fitted.tau2)
    w = w / w.mean()  # clubSandwich's w_scale; it cancels, kept so the steps read as its code
    e = y - fitted.estimate
    m_u = 1.0 / float(w.sum())  # (X'WX)^-1 for the intercept-only model
    components, g_rows, h_rows = [], [], []
    for label in labels:
        idx = np.array([i for i, c in enumerate(clusters) if c == label])
        wj, ej = w[idx], e[idx]
        theta_c = np.diag(np.sqrt(1.0 / wj))  # chol(Theta_j), Theta_j = W_j^-1
        ih = np.eye(len(idx)) - m_u * np.outer(np.ones(len(idx)), wj)  # I - X_j M X_j' W_j
        g = theta_c @ ih @ np.diag(1.0 / wj) @ theta_c.T
        vals, vecs = np.linalg.eigh((g + g.T) / 2)
        inv_sqrt = vecs @ np.diag(np.where(vals > 1e-12, vals, np.inf) ** -0.5) @ vecs.T
        a = theta_c.T @ inv_sqrt @ theta_c
        est = (wj @ a)[None, :]  # X_j' W_j A_j, 1 x n_j
        components.append(float((est @ ej)[0]))
        me = m_u * est
        g_rows.append(me @ theta_c.T)  # G_j = M E_j chol(Theta_j)'
        h_rows.append(float((me @ np.ones(len(idx)))[0]) * math.sqrt(m_u))  # M E_j U_j chol(M_U)
    se = math.sqrt(m_u * sum(c * c for c in components) * m_u)
    h = np.array(h_rows)
    p_mat = -np.outer(h, h) + np.diag([float((g**2).sum()) for g in g_rows])
    df = float(np.trace(p_mat) ** 2 / (p_mat**2).sum())
    crit = _t(df)
    return Robust(se, df, fitted.estimate - crit * se, fitted.estimate + crit * se)


@dataclass
class PairPool(CountsPeople):
    key: str
    pair: str
    factor: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: rows of the key without yi or a positive vi
    without_vi: int = 0
    pooled: Pooled | None = None
    robust: Robust | None = None

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
    ``contrast`` table, turned into their pair's direction."""
    with connect(db_path) as connection:
        connection.row_factory = sqlite3.Row
        rows = [dict(r) for r in connection.execute(_PRINTED_SQL)]
        conditions = {r["id"]: dict(r) for r in connection.execute(_CONDITIONS_SQL)}
    usable: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    for r in rows:
        ca, cb = conditions[r["condition_a_id"]], conditions[r["condition_b_id"]]
        a = {"exercise_id": ca["exercise_id"], "condition_id": ca["id"]}
        b = {"exercise_id": cb["exercise_id"], "condition_id": cb["id"]}
        o = orient(a, b, ca, cb)
        sign = 1.0 if o.first is a else -1.0
        n = r["n"] or r["study_n"]
        key = contrast_key({**r, "central_tendency": "mean"}, r["clinical_condition"])
        midpoint = r["estimate"] is None
        if midpoint:
            # Only the interval is printed: its midpoint is the estimate of a symmetric interval
            # (schema: never stored as if printed), said in se_source.
            r = {**r, "estimate": (r["ci_low"] + r["ci_high"]) / 2}
        se, how = printed_se({**r, "n": n})
        if midpoint:
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
    by_key: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("contrast_key"):
            by_key.setdefault(r["contrast_key"], []).append(r)
    return [pair_pool(k, v, method, knha) for k, v in sorted(by_key.items())]
