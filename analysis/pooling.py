"""Random-effects pooling as metafor's ``rma`` does it, with clubSandwich's robust variance.

tau² by REML (analysis/reml.py: PyMARE's answer was off in the 4th decimal once tau² >= 170),
DerSimonian-Laird (statsmodels) or Paule-Mandel (the root of its defining equation: statsmodels'
``iterated`` stops at 0 for some data). Then as ``rma`` prints it: weights 1 / (vi + tau²), z or
Knapp-Hartung intervals (no truncation), ``predict``'s interval, and I² (Higgins & Thompson
2002). Where one study gives several rows, :func:`robust` is clubSandwich's ``coef_test(fit,
vcov = "CR2", cluster = study)``. The tests compare every number with R's.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
    """The between-study variance of ``yi`` (sampling variances ``vi``) by ``method``."""
    if method not in METHODS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(METHODS)}")
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
    """Random-effects estimate of ``yi`` with sampling variances ``vi`` (all > 0)."""
    if not len(yi) or len(yi) != len(vi) or any(v <= 0 for v in vi):
        raise ValueError("pool: needs at least one yi, each with a positive vi")
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
