"""Everything the evidence pools into, computed once from one database and one set of choices:
the SD basis applied (analysis/imputation.py), a network model per level key
(analysis/network.py), a pool per contrast key (analysis/pooling.py), each answer graded
(analysis/grade.py). The exports, the plots and the question pages all read it, so they never
disagree."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..schema.comparability import key_parts
from .effect_sizes import DEFAULT_RI
from .grade import Evidence, Grade, grade
from .imputation import Rule, apply_basis, parse_rule
from .network import Network, networks
from .pooling import METHODS, PairPool, combine, from_arms, pair_pools, printed
from .queries import ExportError, connect, contrast_rows, single_rows
from .reml import Z975


@dataclass(frozen=True)
class Options:
    ri: float = DEFAULT_RI
    unlabelled_as_sd: bool = False
    impute_sd: str | None = None
    method: str = "REML"
    knha: bool = False

    @property
    def basis(self) -> str:
        if self.impute_sd is not None:
            return "imputed"
        return "unlabelled" if self.unlabelled_as_sd else "reported"

    def rule(self) -> Rule | None:
        return parse_rule(self.impute_sd) if self.impute_sd is not None else None

    def check(self) -> None:
        if not -1 <= self.ri <= 1:
            raise ExportError(f"ri: {self.ri} is not a correlation between -1 and 1")
        if self.method not in METHODS:
            raise ExportError(f"method: {self.method!r} is not one of {', '.join(METHODS)}")
        self.rule()


@dataclass
class Raw:
    """The database's rows before any choice: re-used by every sensitivity analysis."""

    single: list[dict[str, Any]]
    contrasts: list[dict[str, Any]]
    printed: list[dict[str, Any]]
    printed_left: list[dict[str, Any]]
    pedro: dict[str, int | None]
    names: dict[str, str]


@dataclass
class Synthesis:
    options: Options
    raw: Raw
    single: list[dict[str, Any]]
    contrasts: list[dict[str, Any]]
    differences: list[dict[str, Any]]
    networks: list[Network]
    pools: list[PairPool]
    #: grade of each answer: ('pool', key), ('level', key, exercise), ('difference', key, a, b)
    grades: dict[tuple[str, ...], Grade] = field(default_factory=dict)


def read_raw(db_path: Path, ri: float = DEFAULT_RI) -> Raw:
    single = single_rows(db_path)
    contrasts = contrast_rows(db_path, ri)
    ok, left = printed(db_path)
    with connect(db_path) as connection:
        pedro = dict(connection.execute("select id, pedro_score from study").fetchall())
        names = dict(connection.execute("select id, name from exercise").fetchall())
    return Raw(single, contrasts, ok, left, pedro, names)


def prepared(raw: Raw, basis: str, rule: Rule | None, ri: float) -> tuple[list, list, list]:
    """(single rows, contrast rows, differences to pool) under one choice of SD basis and ri, on
    copies of ``raw``."""
    single, contrasts = copy.deepcopy(raw.single), copy.deepcopy(raw.contrasts)
    for r in contrasts:
        r["ri"] = ri
    apply_basis(single, contrasts, basis, rule)
    return single, contrasts, combine(from_arms(contrasts, ri), copy.deepcopy(raw.printed))


def synthesise(db_path: Path, options: Options = Options(), raw: Raw | None = None) -> Synthesis:
    options.check()
    raw = raw or read_raw(db_path, options.ri)
    single, contrasts, differences = prepared(raw, options.basis, options.rule(), options.ri)
    result = Synthesis(
        options, raw, single, contrasts, differences, networks(single),
        pair_pools(differences, options.method, options.knha),
    )  # fmt: skip
    grade_all(result)
    return result


def _pedro(raw: Raw, studies: set[str]) -> list[int | None]:
    return [raw.pedro.get(s) for s in sorted(studies)]


def pool_evidence(p: PairPool, raw: Raw) -> Evidence | None:
    if (q := p.pooled) is None:
        return None
    parts = p.parts
    lb, ub = p.interval
    intervals = [(r["yi"] - Z975 * r["vi"] ** 0.5, r["yi"] + Z975 * r["vi"] ** 0.5) for r in p.rows]
    return Evidence(
        "difference", q.estimate, lb, ub, p.studies, _pedro(raw, {r["study_id"] for r in p.rows}),
        parts["normalisation_category"], parts["population"], q.pi_lb, q.pi_ub,
        q.i2 if p.studies > 1 else None, intervals,
    )  # fmt: skip


def grade_all(s: Synthesis) -> None:
    for p in s.pools:
        if evidence := pool_evidence(p, s.raw):
            s.grades[("pool", p.key)] = grade(evidence)
    for n in s.networks:
        parts = key_parts(n.key)
        for lv in n.levels:
            s.grades[("level", n.key, lv.exercise_id)] = grade(Evidence(
                "level", lv.estimate, lv.ci_lb, lv.ci_ub, lv.studies, _pedro(s.raw, n.studies_of(lv.exercise_id)),
                parts["normalisation_category"], parts["population"], lv.pi_lb, lv.pi_ub,
                n.i2 if lv.studies > 1 else None,
            ))  # fmt: skip
        for d in n.league:
            studies = n.studies_of(d.first) | n.studies_of(d.second)
            direct = n.studies_of(d.first) & n.studies_of(d.second)
            s.grades[("difference", n.key, d.first, d.second)] = grade(Evidence(
                "difference", d.estimate, d.ci_lb, d.ci_ub, len(direct or studies),
                _pedro(s.raw, direct or studies), parts["normalisation_category"],
                parts["population"], d.pi_lb, d.pi_ub, n.i2 if len(studies) > 1 else None,
                direct=bool(direct),
            ))  # fmt: skip


# --- for the question pages ----------------------------------------------------------------------


@lru_cache(maxsize=8)
def _cached(db_path: str, mtime: float, options: Options) -> Synthesis:
    return synthesise(Path(db_path), options)  # mtime: a changed file is a new key


def cached(db_path: Path, options: Options = Options()) -> Synthesis:
    """The synthesis of ``db_path`` under ``options``, computed once per file version."""
    return _cached(str(db_path), Path(db_path).stat().st_mtime, options)


def network_for(db_path: Path, muscle_id: str, options: Options = Options()) -> list[dict[str, Any]]:
    """Every network model of one muscle (one per statistic, normalisation, population...):
    each exercise's estimate with its grade and reasons, ranked, and the exercises apart."""
    s = cached(db_path, options)
    out = []
    for n in s.networks:
        if key_parts(n.key)["muscle_id"] != muscle_id:
            continue
        levels = [
            {**lv.__dict__, "exercise": s.raw.names.get(lv.exercise_id, lv.exercise_id),
             "grade": s.grades[("level", n.key, lv.exercise_id)].level,
             "reasons": s.grades[("level", n.key, lv.exercise_id)].words}
            for lv in sorted(n.levels, key=lambda lv: (lv.rank or 0, lv.exercise_id))
        ]  # fmt: skip
        out.append({
            "key": n.key, **key_parts(n.key), "studies": n.studies, "people": n.people,
            "levels": levels, "apart": [a.__dict__ for a in n.apart], "note": n.note,
            "sigma2": None if n.fit is None else [float(x) for x in n.fit.sigma2],
        })  # fmt: skip
    return out


def pools_of(s: Synthesis, a: str, b: str, muscle_id: str) -> list[PairPool]:
    """The pools of exercises ``a`` and ``b`` (either order) for one muscle."""
    pair = "-vs-".join(sorted((a, b)))
    return [p for p in s.pools if p.pair == pair and p.parts["muscle_id"] == muscle_id]


def pairwise_for(
    db_path: Path, a: str, b: str, muscle_id: str, options: Options = Options()
) -> list[dict[str, Any]]:
    """The pools of exercise ``a`` against ``b`` for one muscle, as ``a - b`` (the sign turned
    where the pair's common direction is ``b - a``), each with its grade and reasons."""
    s = cached(db_path, options)
    sign = 1.0 if a <= b else -1.0
    out = []
    for p in pools_of(s, a, b, muscle_id):
        g = s.grades.get(("pool", p.key))
        row: dict[str, Any] = {"key": p.key, "studies": p.studies, "people": p.people, "rows": len(p.rows)}
        if q := p.pooled:
            lo, hi = sorted((sign * q.ci_lb, sign * q.ci_ub))
            plo, phi = sorted((sign * q.pi_lb, sign * q.pi_ub))
            row.update(
                estimate=sign * q.estimate, ci_lb=lo, ci_ub=hi, pi_lb=plo, pi_ub=phi, i2=q.i2, tau2=q.tau2
            )
        row.update(
            grade=g.level if g else None, reasons=g.words if g else "no value with an SD: nothing pooled"
        )
        out.append(row)
    return out
