"""The rows of differences.csv, pooled.csv and network.csv, from one synthesis.

Each pooled answer carries its grade, the reasons in words, and its sensitivity line; its
``notes`` say what it assumed (an unlabelled '±' read as SD, imputed SDs, several differences
from one study) so that a reader of one row needs no other file.
"""

from __future__ import annotations

from typing import Any

from ..schema.comparability import key_parts
from .contrasts import direction_words
from .network import Network
from .pairwise import PairPool
from .sensitivity import summary
from .synthesis import Synthesis

DIFFERENCE_COLUMNS = ("contrast_key", "pair", "factor", "study_id", "origin", "condition1_id",
                      "condition2_id", "exercise1_id", "exercise2_id", "muscle_id", "yi", "vi",
                      "ni", "ri", "sd_imputed", "sd_unlabelled", "se_source", "contrast_id")  # fmt: skip


def differences_table(s: Synthesis) -> list[dict[str, Any]]:
    """Every difference a pool took, and the printed ones it could not take (with why)."""
    rows = [{c: r.get(c) for c in DIFFERENCE_COLUMNS} | {"pooled": 1, "why_not_pooled": None}
            for p in s.pools for r in p.rows]  # fmt: skip
    for p in s.pools:
        taken = {id(r) for r in p.rows}
        for r in s.differences:
            if r.get("contrast_key") == p.key and id(r) not in taken:
                rows.append({c: r.get(c) for c in DIFFERENCE_COLUMNS}
                            | {"pooled": 0, "why_not_pooled": r.get("reason") or "no SD for its vi"})  # fmt: skip
    for r in s.raw.printed_left:
        rows.append(
            {c: r.get(c) for c in DIFFERENCE_COLUMNS} | {"pooled": 0, "why_not_pooled": r["why_not_pooled"]}
        )
    return rows


def _notes(s: Synthesis, p: PairPool) -> str | None:
    notes = []
    unlabelled = sum(1 for r in p.rows if r.get("sd_unlabelled"))
    imputed = sum(1 for r in p.rows if r.get("sd_imputed"))
    if unlabelled:
        notes.append(f"needs an unlabelled '±' read as SD in {unlabelled} of {len(p.rows)} differences")
    if imputed:
        notes.append(f"imputed SDs in {imputed} of {len(p.rows)} differences ({s.options.impute_sd})")
    if any(r["origin"] == "arms" for r in p.rows):
        notes.append(f"differences from arms assume ri = {s.options.ri:g}")
    if p.several_per_study and p.robust is None:
        notes.append(
            "several differences from one study: the interval treats them as independent (too narrow)"
        )
    elif p.robust is not None:
        notes.append("several differences per study: robust (CR2) interval given")
    if p.pooled is None:
        notes.append("no difference with an SD: nothing pooled")
    return "; ".join(notes) or None


def pooled_table(s: Synthesis, reruns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in s.pools:
        parts = key_parts(p.key.split("/", 1)[1])
        g = s.grades.get(("pool", p.key))
        row: dict[str, Any] = {
            "key": p.key, "kind": "technique" if p.factor else "exercises", "pair": p.pair,
            "factor": p.factor, "direction": direction_words(p.pair, s.raw.names), **parts,
            "studies": p.studies, "differences": len(p.rows), "people": p.people,
            "rows_without_vi": p.without_vi,
            "printed": sum(1 for r in p.rows if r["origin"] == "printed"),
            "unlabelled_sd": sum(1 for r in p.rows if r.get("sd_unlabelled")),
            "imputed_sd": sum(1 for r in p.rows if r.get("sd_imputed")),
            "method": s.options.method, "grade": g.level if g else None,
            "reasons": g.words if g else "nothing pooled",
            "sensitivity": summary(reruns, "pool", p.key, p.pair) or None, "notes": _notes(s, p),
        }  # fmt: skip
        if p.pooled:
            q = p.pooled
            row.update(estimate=q.estimate, se=q.se, ci_lb=q.ci_lb, ci_ub=q.ci_ub, pi_lb=q.pi_lb,
                       pi_ub=q.pi_ub, tau2=q.tau2, i2=q.i2, test=q.test)  # fmt: skip
        if p.robust:
            r = p.robust
            row.update(robust_se=r.se, robust_df=r.df, robust_ci_lb=r.ci_lb, robust_ci_ub=r.ci_ub)
        out.append(row)
    return out


def _model_columns(n: Network) -> dict[str, Any]:
    f = n.fit
    return {
        "key": n.key, **key_parts(n.key), "network_studies": n.studies, "network_people": n.people,
        "sigma2_study": None if f is None else float(f.sigma2[0]),
        "sigma2_condition": None if f is None else float(f.sigma2[1]),
        "i2": n.i2, "note": n.note or None,
    }  # fmt: skip


def network_table(s: Synthesis, reruns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per level key: a 'level' row per exercise, a 'difference' row per pair (first - second),
    an 'apart' row per exercise no study links to the rest, or one 'model' row saying why no
    model was fitted."""
    out = []
    for n in s.networks:
        base = _model_columns(n)
        if n.fit is None:
            out.append({**base, "row": "model"})
        for lv in n.levels:
            g = s.grades[("level", n.key, lv.exercise_id)]
            out.append({
                **base, "row": "level", "exercise_id": lv.exercise_id,
                "exercise": s.raw.names.get(lv.exercise_id), "estimate": lv.estimate, "se": lv.se,
                "ci_lb": lv.ci_lb, "ci_ub": lv.ci_ub, "pi_lb": lv.pi_lb, "pi_ub": lv.pi_ub,
                "studies": lv.studies, "people": lv.people, "arms": lv.arms, "p_score": lv.p_score,
                "rank": lv.rank, "grade": g.level, "reasons": g.words,
                "sensitivity": summary(reruns, "level", n.key, lv.exercise_id) or None,
            })  # fmt: skip
        for d in n.league:
            g = s.grades[("difference", n.key, d.first, d.second)]
            out.append({
                **base, "row": "difference", "exercise_id": d.first, "exercise2_id": d.second,
                "exercise": direction_words(f"{d.first}-vs-{d.second}", s.raw.names),
                "estimate": d.estimate, "se": d.se, "ci_lb": d.ci_lb, "ci_ub": d.ci_ub,
                "pi_lb": d.pi_lb, "pi_ub": d.pi_ub, "studies": d.direct_studies,
                "grade": g.level, "reasons": g.words,
            })  # fmt: skip
        for a in n.apart:
            out.append({
                **base, "row": "apart", "exercise_id": a.exercise_id,
                "exercise": s.raw.names.get(a.exercise_id), "studies": a.studies,
                "people": a.people, "arms": a.arms,
                "reasons": "no study links it to the network's other exercises: not estimated, not ranked",
            })  # fmt: skip
    return out
