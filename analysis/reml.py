"""REML for meta-analytic models with known sampling variances: metafor's ``rma.mv(yi, vi, mods =
~ 0 + factor(exercise_id), random = list(~ 1 | study_id, ~ 1 | condition_id))`` (:func:`fit` with
``groups = [study, condition]``) and ``rma(yi, vi)`` (one group per row).

Hand-written with numpy and scipy because no maintained Python library fits them: statsmodels'
MixedLM estimates one residual variance instead of taking each row's ``vi``, PyMARE has a single
tau². ``V = diag(vi) + sum_k sigma2_k Z_k Z_k'``; ``-2 l_R = log|V| + log|X'V^-1 X| + r'V^-1 r``
(Harville 1977, metafor's ``.ll.rma.mv``) is minimised over ``sigma2 >= 0`` by projected Fisher
scoring (metafor's own method for ``rma``), L-BFGS-B where scoring does not settle. V is
block-diagonal by study, so the cost grows with the studies, not their square. A grouping with a
single level has its sigma2 fixed at 0, as metafor does; the tests compare with metafor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Z975 = 1.959963984540054


class ModelError(ValueError):
    """The rows cannot be fitted (too few, a variance not positive...)."""


@dataclass(frozen=True)
class Fit:
    """One coefficient per level (``names``), their covariance, and the variance components."""

    names: list[str]
    beta: np.ndarray
    vcov: np.ndarray
    sigma2: np.ndarray

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))


@dataclass
class _Blocks:
    """The blocks (studies) of one size, stacked: numpy does them all at once."""

    x: np.ndarray  # (B, s, p)
    y: np.ndarray  # (B, s)
    v: np.ndarray  # (B, s)
    #: K_k within each block: 1 where two rows share the level of grouping k, (m, B, s, s).
    k: np.ndarray


class _Model:
    def __init__(self, y: np.ndarray, v: np.ndarray, x: np.ndarray, groups: list[np.ndarray]):
        self.x, self.y, self.v = x, y, v
        self.n, self.p = x.shape
        self.m = len(groups)
        blocks: dict[Any, list[int]] = {}
        for i, g in enumerate(groups[0]):
            blocks.setdefault(g, []).append(i)
        by_size: dict[int, list[np.ndarray]] = {}
        for rows in blocks.values():
            by_size.setdefault(len(rows), []).append(np.array(rows))
        self.stacks = []
        for idxs in by_size.values():
            idx = np.stack(idxs)  # (B, s)
            ks = np.stack([(g[idx][:, :, None] == g[idx][:, None, :]).astype(float) for g in groups])
            self.stacks.append(_Blocks(x[idx], y[idx], v[idx], ks))

    def criterion(
        self, s2: np.ndarray, free: np.ndarray, information: bool = False
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """(-2 l_R, its gradient tr(P K_k) - y'P K_k P y, the information tr(P K_k P K_l) if
        asked) in the free sigma2; leaves X'V^-1X and X'V^-1y for :func:`fit`."""
        m = self.m
        xvx, xvy, logdet = np.zeros((self.p, self.p)), np.zeros(self.p), 0.0
        inverses = []
        for b in self.stacks:
            vb = np.einsum("k,kbij->bij", s2, b.k) + b.v[:, :, None] * np.eye(b.v.shape[1])
            c = np.linalg.cholesky(vb)
            logdet += 2.0 * float(np.log(np.diagonal(c, axis1=1, axis2=2)).sum())
            vi = np.linalg.inv(vb)
            inverses.append(vi)
            xvx += np.einsum("bip,bij,bjq->pq", b.x, vi, b.x)
            xvy += np.einsum("bip,bij,bj->p", b.x, vi, b.y)
        self.xvx, self.xvy = xvx, xvy
        m_inv = np.linalg.inv(xvx)
        beta = m_inv @ xvy
        logdet_xvx = np.linalg.slogdet(xvx)[1]
        quad = 0.0
        tr_vk, rpk = np.zeros(m), np.zeros(m)
        b_k = np.zeros((m, self.p, self.p))
        q_kl, r_kl = np.zeros((m, m)), np.zeros((m, m, self.p, self.p))
        for b, vi in zip(self.stacks, inverses):
            r = b.y - b.x @ beta
            a = np.einsum("bij,bj->bi", vi, r)
            quad += float((r * a).sum())
            vx = vi @ b.x  # (B, s, p)
            vk = np.einsum("bij,kbjl->kbil", vi, b.k)  # V^-1 K_k per block
            tr_vk += np.einsum("kbii->k", vk)
            rpk += np.einsum("bi,kbij,bj->k", a, b.k, a)
            kvx = np.einsum("kbij,bjp->kbip", b.k, vx)
            b_k += np.einsum("bip,kbiq->kpq", vx, kvx)
            if information:
                q_kl += np.einsum("kbij,lbji->kl", vk, vk)
                r_kl += np.einsum("kbip,lbiq->klpq", kvx, np.einsum("lbij,bjq->lbiq", vk, vx))
        tr_pk = tr_vk - np.einsum("pq,kqp->k", m_inv, b_k)
        grad = tr_pk - rpk  # of -2 l_R
        info = np.zeros((m, m))
        if information:
            mb = np.einsum("pq,kqr->kpr", m_inv, b_k)
            info = q_kl - 2 * np.einsum("pq,klqp->kl", m_inv, r_kl) + np.einsum("kpq,lqp->kl", mb, mb)
        value = logdet + logdet_xvx + quad
        return value, grad[free], info[np.ix_(free, free)]


def _start(model: _Model, free: np.ndarray) -> np.ndarray:
    # Ordinary least squares residual variance beyond the sampling variances, shared equally.
    beta, *_ = np.linalg.lstsq(model.x, model.y, rcond=None)
    resid = model.y - model.x @ beta
    total = max(float(resid @ resid) / max(model.n - model.p, 1) - float(model.v.mean()), 0.01)
    return np.full(int(free.sum()), total / max(int(free.sum()), 1))


def fit(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    levels: Sequence[Any],
    groups: Sequence[Sequence[Any]],
) -> Fit:
    """REML fit of one fixed effect per distinct value of ``levels`` (sorted: ``Fit.names``)
    and one random intercept per grouping in ``groups``, the first the outermost (every other
    grouping nests within it). ModelError with too few rows or a vi not positive."""
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    if len(y) != len(v) or len(y) != len(levels) or any(len(g) != len(y) for g in groups):
        raise ModelError("yi, vi, levels and groups must have one entry per row")
    if not len(y) or not np.all(np.isfinite(y)) or not np.all(v > 0):
        raise ModelError("every row needs a finite yi and a positive vi")
    names = sorted({str(x) for x in levels})
    col = {n: j for j, n in enumerate(names)}
    x = np.zeros((len(y), len(names)))
    x[np.arange(len(y)), [col[str(x)] for x in levels]] = 1.0
    if len(y) <= len(names):
        raise ModelError(
            f"{len(y)} rows for {len(names)} coefficients: REML needs more rows than coefficients"
        )
    gs = [np.array([str(x) for x in g]) for g in groups]
    model = _Model(y, v, x, gs)
    fixed = tuple(len(set(g)) < 2 for g in gs)
    free = np.array([not f for f in fixed])
    s2 = np.zeros(model.m)
    if free.any():
        s2[free] = _optimise(model, free)
    model.criterion(s2, free)
    vcov = np.linalg.inv(model.xvx)
    return Fit(names, vcov @ model.xvy, vcov, s2)


def _optimise(model: _Model, free: np.ndarray) -> np.ndarray:
    """Fisher scoring; if it does not settle, scipy's bounded L-BFGS-B, polished by scoring."""
    t = _score(model, free, _start(model, free))
    if t is not None:
        return t
    from scipy.optimize import minimize

    def f(u: np.ndarray) -> tuple[float, np.ndarray]:
        s2 = np.zeros(model.m)
        s2[free] = u * scale
        value, grad, _ = model.criterion(s2, free)
        return value, grad * scale

    # Optimise in units of the data's variance, so the tolerances mean the same at any scale.
    scale = max(float(np.var(model.y)), float(model.v.mean()), 1e-8)
    result = minimize(f, _start(model, free) / scale, jac=True, method="L-BFGS-B",
                      bounds=[(0.0, None)] * int(free.sum()),
                      options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000})  # fmt: skip
    t = np.maximum(result.x * scale, 0.0)
    polished = _score(model, free, t)
    return t if polished is None else polished


def _score(model: _Model, free: np.ndarray, t: np.ndarray, iterations: int = 200) -> np.ndarray | None:
    """Fisher scoring, each step projected on sigma2 >= 0 and halved until the criterion does
    not grow; None if no step settles to 1e-12 of the solution's size."""
    s2 = np.zeros(model.m)
    s2[free] = t
    value, grad, info = model.criterion(s2, free, information=True)
    for _ in range(iterations):
        try:
            step = np.linalg.solve(info, -grad)
        except np.linalg.LinAlgError:
            return None
        # A component at 0 whose gradient pushes below 0 stays there (the projection).
        for _halving in range(60):
            new = np.maximum(t + step, 0.0)
            s2n = np.zeros(model.m)
            s2n[free] = new
            new_value, new_grad, new_info = model.criterion(s2n, free, information=True)
            if new_value <= value + 1e-12 * abs(value):
                break
            step /= 2
        else:
            return None
        moved = np.abs(new - t)
        t, value, grad, info = new, new_value, new_grad, new_info
        if np.all(moved <= 1e-12 * np.maximum(np.abs(t), 1e-6 * max(float(model.v.mean()), 1e-12))):
            return t
    return None


def tau2_reml(yi: Sequence[float] | np.ndarray, vi: Sequence[float] | np.ndarray) -> float:
    """The REML tau² of ``rma(yi, vi)`` (one random effect per row, one intercept)."""
    rows = list(range(len(yi)))
    return float(fit(yi, vi, ["intercept"] * len(yi), [rows]).sigma2[0])
