"""The network model per level key: every exercise's level, every pair's difference, a ranking.

metafor's ``rma.mv(yi, vi, mods = ~ 0 + factor(exercise_id), random = list(~ 1 | study_id,
~ 1 | condition_id))`` on the key's single values (MN: yi = mean, vi = sd² / n), fitted by
analysis/reml.py: each exercise's estimate, CI (z) and prediction interval, the league table,
P-scores (Rücker & Schwarzer 2015) and studies and people per exercise. It is fitted to the
linked set of at least two exercises with the most studies; an exercise no study links to them
is reported apart, neither estimated nor ranked (it would be compared only across studies).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from statistics import NormalDist
from typing import Any

import numpy as np

from ..schema.comparability import CountsPeople, people
from .reml import Z975, Fit, ModelError, fit


@dataclass(frozen=True)
class Level:
    exercise_id: str
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    pi_lb: float
    pi_ub: float
    studies: int
    people: int
    arms: int
    p_score: float
    rank: int


@dataclass(frozen=True)
class Difference:
    """``first - second`` (alphabetical ids, the pairs' common direction)."""

    first: str
    second: str
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    pi_lb: float
    pi_ub: float
    #: studies that measured both exercises (direct evidence)
    direct_studies: int


@dataclass(frozen=True)
class Apart:
    exercise_id: str
    studies: int
    people: int
    arms: int


@dataclass
class Network(CountsPeople):
    key: str
    levels: list[Level] = field(default_factory=list)
    league: list[Difference] = field(default_factory=list)
    apart: list[Apart] = field(default_factory=list)
    fit: Fit | None = None
    #: the arms the model was fitted to
    rows: list[Mapping[str, Any]] = field(default_factory=list)
    #: why there is no model, in words ('' when there is one)
    note: str = ""

    @property
    def i2(self) -> float | None:
        """100 sum(sigma2) / (sum(sigma2) + (k - p) / tr(P)) (metafor's FAQ formula for rma.mv)."""
        if self.fit is None:
            return None
        v = np.array([r["vi"] for r in self.rows])
        x = np.zeros((len(self.rows), len(self.fit.names)))
        for i, r in enumerate(self.rows):
            x[i, self.fit.names.index(r["exercise_id"])] = 1.0
        w = np.diag(1.0 / v)
        p = w - w @ x @ np.linalg.inv(x.T @ w @ x) @ x.T @ w
        typical = (len(v) - x.shape[1]) / float(np.trace(p))
        total = float(self.fit.sigma2.sum())
        return 100.0 * total / (total + typical)

    def studies_of(self, exercise_id: str) -> set[str]:
        return {r["study_id"] for r in self.rows if r["exercise_id"] == exercise_id}


def usable(row: Mapping[str, Any]) -> bool:
    return row["yi"] is not None and row["vi"] is not None and row["vi"] > 0


def components(rows: list[Mapping[str, Any]]) -> list[set[str]]:
    """The sets of exercises that studies link (a study links every exercise it measured)."""
    from scipy.sparse.csgraph import connected_components

    names = sorted({r["exercise_id"] for r in rows})
    index = {e: i for i, e in enumerate(names)}
    by_study: dict[str, list[int]] = {}
    for r in rows:
        by_study.setdefault(r["study_id"], []).append(index[r["exercise_id"]])
    links = np.zeros((len(names), len(names)))
    for members in by_study.values():
        links[np.ix_(members, members)] = 1
    _, labels = connected_components(links, directed=False)
    return [{e for e, label in zip(names, labels) if label == k} for k in set(labels)]


def p_scores(beta: np.ndarray, vcov: np.ndarray) -> list[float]:
    """P-score of each coefficient: the mean over the others of P(this one is higher)."""
    phi = NormalDist().cdf

    def higher(i: int, j: int) -> float:
        return phi((beta[i] - beta[j]) / math.sqrt(max(vcov[i, i] + vcov[j, j] - 2 * vcov[i, j], 1e-300)))

    t = len(beta)
    return [sum(higher(i, j) for j in range(t) if j != i) / (t - 1) for i in range(t)]


def _count(rows: list[Mapping[str, Any]], exercise: str) -> tuple[int, int, int]:
    mine = [r for r in rows if r["exercise_id"] == exercise]
    studies, n = people(mine)
    return studies, n, len(mine)


def network(key: str, rows: Iterable[Mapping[str, Any]]) -> Network:
    """The network model of one level key's rows (those without yi and a positive vi left out)."""
    arms = [r for r in rows if usable(r)]
    result = Network(key)
    if not arms:
        result.note = "no value with an SD: nothing to model"
        return result
    parts = sorted(
        components(arms),
        key=lambda c: (len(c) < 2, -len({r["study_id"] for r in arms if r["exercise_id"] in c}),
                       -sum(r["exercise_id"] in c for r in arms), min(c)),
    )  # fmt: skip
    linked = parts[0] if len(parts[0]) >= 2 else set()
    for part in parts:
        if part is not linked:
            result.apart.extend(Apart(e, *_count(arms, e)) for e in sorted(part))
    if not linked:
        result.note = "no study measured two of these exercises: no network to compare them in"
        return result
    result.rows = [r for r in arms if r["exercise_id"] in linked]
    try:
        fitted = fit(
            [r["yi"] for r in result.rows],
            [r["vi"] for r in result.rows],
            [r["exercise_id"] for r in result.rows],
            [[r["study_id"] for r in result.rows], [r["condition_id"] for r in result.rows]],
        )
    except ModelError as e:
        result.note = f"too few values to fit the model ({e})"
        return result
    result.fit = fitted
    total = float(fitted.sigma2.sum())
    scores = p_scores(fitted.beta, fitted.vcov)
    order = sorted(range(len(fitted.names)), key=lambda i: -scores[i])
    ranks = {i: pos + 1 for pos, i in enumerate(order)}
    for i, name in enumerate(fitted.names):
        b, se = float(fitted.beta[i]), float(fitted.se[i])
        half_pi = Z975 * math.sqrt(se**2 + total)
        result.levels.append(Level(
            name, b, se, b - Z975 * se, b + Z975 * se, b - half_pi, b + half_pi,
            *_count(result.rows, name), scores[i], ranks[i],
        ))  # fmt: skip
    # A new study's difference of two arms varies by the condition variance of each arm (the
    # study's own effect cancels): the difference's prediction interval adds 2 sigma2_condition.
    within = 2 * float(fitted.sigma2[1])
    for i, j in combinations(range(len(fitted.names)), 2):
        d = float(fitted.beta[i] - fitted.beta[j])
        se = math.sqrt(float(fitted.vcov[i, i] + fitted.vcov[j, j] - 2 * fitted.vcov[i, j]))
        first, second = fitted.names[i], fitted.names[j]
        half_pi = Z975 * math.sqrt(se**2 + within)
        result.league.append(Difference(
            first, second, d, se, d - Z975 * se, d + Z975 * se, d - half_pi, d + half_pi,
            len(result.studies_of(first) & result.studies_of(second)),
        ))  # fmt: skip
    return result


def networks(single: Iterable[Mapping[str, Any]], key_column: str = "network_key") -> list[Network]:
    by_key: dict[str, list[Mapping[str, Any]]] = {}
    for r in single:
        if r.get(key_column):
            by_key.setdefault(r[key_column], []).append(r)
    return [network(k, rows) for k, rows in sorted(by_key.items())]
