"""Sensitivity analyses of every pool and network, each row a re-run under one other choice:
leaving out each study, ri at 0.3, 0.5 and 0.7 (the pools only), and each SD basis
(analysis/imputation.py; imputed only where the export asked). :func:`rows` is sensitivity.csv,
:func:`summary` the words of an answer's ``sensitivity`` column."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .imputation import BASIS_SHORT, SD_BASES
from .network import Network, network, networks
from .pooling import PairPool, pair_pool, pair_pools
from .synthesis import Synthesis, prepared

RI_VALUES = (0.3, 0.5, 0.7)


def _pool_row(p: PairPool, analysis: str, variant: str) -> dict[str, Any]:
    row = {"kind": "pool", "key": p.key, "item": p.pair, "analysis": analysis, "variant": variant,
           "studies": p.studies, "estimate": None, "ci_lb": None, "ci_ub": None}  # fmt: skip
    if p.pooled:
        row.update(estimate=p.pooled.estimate, ci_lb=p.interval[0], ci_ub=p.interval[1])
    return row


def _network_rows(n: Network, analysis: str, variant: str) -> list[dict[str, Any]]:
    return [
        {"kind": "level", "key": n.key, "item": lv.exercise_id, "analysis": analysis, "variant": variant,
         "studies": lv.studies, "estimate": lv.estimate, "ci_lb": lv.ci_lb, "ci_ub": lv.ci_ub}
        for lv in n.levels
    ]  # fmt: skip


def rows(s: Synthesis) -> list[dict[str, Any]]:
    o = s.options
    out: list[dict[str, Any]] = []
    for p in s.pools:
        studies = sorted({r["study_id"] for r in p.rows})
        for study in studies if len(studies) > 1 else []:
            rest = [r for r in p.rows if r["study_id"] != study]
            out.append(_pool_row(pair_pool(p.key, rest, o.method, o.knha), "leave_one_out", study))
    for n in s.networks:
        studies = sorted({r["study_id"] for r in n.rows})
        for study in studies if len(studies) > 1 and n.fit else []:
            out += _network_rows(network(n.key, [r for r in n.rows if r["study_id"] != study]),
                                 "leave_one_out", study)  # fmt: skip
    wanted = {p.key: p for p in s.pools}

    def again(differences: list[dict[str, Any]], analysis: str, variant: str) -> list[dict[str, Any]]:
        found = {p.key: p for p in pair_pools(differences, o.method, o.knha) if p.key in wanted}
        # A key with no row under this choice is a pool of nothing: shown as such.
        return [_pool_row(found.get(k) or PairPool(k, p.pair, p.factor), analysis, variant)
                for k, p in wanted.items()]  # fmt: skip

    for ri in RI_VALUES:
        out += again(prepared(s.raw, o.basis, o.rule(), ri)[2], "ri", f"{ri:g}")
    keys = {n.key for n in s.networks}
    for basis in SD_BASES if o.impute_sd is not None else SD_BASES[:2]:
        single, _, differences = prepared(s.raw, basis, o.rule(), o.ri)
        out += again(differences, "sd_basis", basis)
        for n in networks(single):
            if n.key in keys:
                out += _network_rows(n, "sd_basis", basis)
    return out


def summary(all_rows: Iterable[dict[str, Any]], kind: str, key: str, item: str) -> str:
    mine = [r for r in all_rows if r["kind"] == kind and r["key"] == key and r["item"] == item]
    words = []
    loo = [r for r in mine if r["analysis"] == "leave_one_out" and r["estimate"] is not None]
    if loo:
        signs = {r["estimate"] > 0 for r in loo}
        sign_words = (
            "" if kind == "level" else (", direction kept" if len(signs) == 1 else ", direction changes")
        )
        low, high = min(r["estimate"] for r in loo), max(r["estimate"] for r in loo)
        words.append(f"leaving out one study: {low:.1f} to {high:.1f}{sign_words}")
    ri = [r for r in mine if r["analysis"] == "ri" and r["estimate"] is not None]
    if ri:
        words.append(
            "ri 0.3/0.5/0.7: 95% CI " + ", ".join(f"{r['ci_lb']:.1f} to {r['ci_ub']:.1f}" for r in ri)
        )
    for r in mine:
        if r["analysis"] == "sd_basis":
            told = (
                "nothing to pool"
                if r["estimate"] is None
                else f"{r['estimate']:.1f} ({r['studies']} studies)"
            )
            words.append(f"{BASIS_SHORT[r['variant']]}: {told}")
    return "; ".join(words)
