"""The bottom line each answer page opens with, in a coach's words: what is higher, by about how
much, in how many studies and people, how sure and why. Where the synthesis (analysis/synthesis.py)
has a pooled answer of two or more studies, it comes first, graded by analysis/grade.py; then the
studies one by one, graded by grade.py's :func:`unpooled`. Nothing here grades.
"""

from __future__ import annotations

from collections import Counter
from itertools import product
from pathlib import Path
from typing import Any

from emg_evidence.analysis.grade import Grade, unpooled
from emg_evidence.analysis.synthesis import cached, network_for, pairwise_for, pool_evidence
from emg_evidence.analysis.verdicts import fmt_number
from emg_evidence.schema.comparability import MVC_CATEGORIES, key_parts, population
from emg_evidence.schema.labels import label
from emg_evidence.serving.answer_evidence import POPULATIONS

NOT_POOLED = "No pooled answer exists yet; study by study:"
#: A pool or network of fewer studies restates one study: not a pooled answer.
MIN_POOLED = 2
#: The least direct population of several studies is the one a grade is judged by.
POPULATION_ORDER = ("clinical", "impaired", "not_reported", "healthy")


def short_citation(citation: str) -> str:
    """'Contreras et al. (2015) J Appl Biomech ...' -> 'Contreras et al. (2015)', in words a
    reader can use where the stored citation lacks authors or year."""
    short = citation.split(")")[0] + ")" if ")" in citation else citation
    return human_citation(short)


def human_citation(citation: str) -> str:
    return citation.replace("[authors not shown]", "Authors not found in a readable copy").replace(
        "(n.d.)", "(year not found in a readable copy)"
    )


def studies_and_people(studies: int, people: int) -> str:
    s = "one study" if studies == 1 else f"{studies} studies"
    return f"{s} ({people} people)" if people else f"{s} (number of people not stated)"


def graded(text: str, g: Grade) -> dict[str, str]:
    """A bottom line with its grade and main reason (the other reasons apart)."""
    others = [r for r in g.reasons if r != g.main]
    return {"text": text, "grade": g.level, "why": g.main, "also": "; ".join(others)}


def one_by_one(
    kind: str, studies: dict[str, dict[str, Any]], agree: bool = True, normalisation: str | None = None
) -> Grade:
    """grade.py's grade of studies read one by one (``studies``: by id, each with its
    pedro_score, population_group and clinical_condition), judged by their least direct population."""
    found = {population(st.get("population_group"), st.get("clinical_condition")) for st in studies.values()}
    least_direct = min(found or {"healthy"}, key=POPULATION_ORDER.index)
    pedro = [st.get("pedro_score") for st in studies.values()]
    return unpooled(kind, pedro, least_direct, normalisation or MVC_CATEGORIES[0], agree)


def _interval(lo: float, hi: float, digits: int = 1) -> str:
    return f"95% CI {fmt_number(round(lo, digits))} to {fmt_number(round(hi, digits))}"


def _unit(parts: dict[str, str]) -> str:
    return "%MVC" if parts["normalisation_category"] in MVC_CATEGORIES else parts["unit_kind"]


def _measure(parts: dict[str, str]) -> str:
    """'mean, whole repetition, %MVC' for a pool or network key, its population if not healthy."""
    words = [label("statistic", parts["statistic"]), label("phase", parts["phase"]).lower(), _unit(parts)]
    if parts["population"] != "healthy":
        words.append(f"{parts['population'].replace('_', ' ')} participants")
    return ", ".join(words)


def network_for_ranking(db_path: Path, ranking: dict[str, Any], who: str) -> dict[str, Any] | None:
    """The synthesis's network model for one muscle's ranking: same statistic, the population
    asked, two or more studies, the most studies first. None where it has none."""
    populations = None if who == "all" else POPULATIONS[who][1]
    fits = [
        n
        for n in network_for(db_path, ranking["muscle_id"])
        if n["statistic"] == ranking["main"]["statistic"]
        and (populations is None or n["population"] in populations)
        and n["studies"] >= MIN_POOLED
        and any(lv["rank"] for lv in n["levels"])
    ]
    return max(fits, key=lambda n: (n["studies"], n["people"]), default=None)


def network_line(db_path: Path, muscle: str, network: dict[str, Any]) -> dict[str, str]:
    """The network model's top exercise, its estimate with CI, studies, people, grade, reason."""
    ranked = sorted((lv for lv in network["levels"] if lv["rank"]), key=lambda lv: lv["rank"])
    top = ranked[0]
    text = (
        f"{muscle.capitalize()} ({_measure(network)}): pooled in a network model of "
        f"{studies_and_people(network['studies'], network['people'])}, the {top['exercise']} ranks first: about {fmt_number(round(top['estimate']))} %MVC"
        f" ({_interval(top['ci_lb'], top['ci_ub'], 0)}), measured in {studies_and_people(top['studies'], top['people'])}"
    )
    if len(ranked) > 1:
        second = ranked[1]
        text += f"; then the {second['exercise']} ({fmt_number(round(second['estimate']))} %MVC)"
    g = cached(db_path).grades[("level", network["key"], top["exercise_id"])]
    return graded(text + ".", g)


def ranking_line(ranking: dict[str, Any], lead: str = "") -> dict[str, str]:
    """The bottom line of one muscle's ranking from its studies one by one: its top exercise,
    the runner-up, how sure (``lead``: words after the muscle's name, as 'study by study, ')."""
    main = ranking["main"]
    ex = main["exercises"]
    top = ex[0]
    # 'the highest peak amplitude'; a summary the studies do not state is said so, not named.
    stat = (
        "value (how each repetition was summarised is not stated)"
        if main["statistic"] == "not_reported"
        else label("statistic", main["statistic"])
    )
    unit = main["unit"] or ""
    k = len(top["studies"])
    head = (
        f"{ranking['muscle'].capitalize()}: {lead}the highest {stat} here was in the "
        f"{top['exercise']} (median {fmt_number(round(top['median']))} {unit} across {studies_and_people(k, top['people'])})"
    )
    if len(ex) > 1:
        second = ex[1]
        head += f", then the {second['exercise']} ({fmt_number(round(second['median']))} {unit})"
    head += "."
    g = one_by_one("level", {s["study_id"]: s for s in top["studies"]})
    return {
        **graded(head, g),
        "basis": f"{studies_and_people(main['studies'], main['people'])} ranked for {ranking['muscle']}",
    }


def ranking_bottom(db_path: Path, rankings: list[dict[str, Any]], who: str) -> list[dict[str, str]]:
    """The ranking page's bottom line: per muscle (the first three), the network model's answer
    first where one exists, then the studies one by one; "no pooled answer" where none does."""
    out: list[dict[str, str]] = []
    networks = [network_for_ranking(db_path, r, who) for r in rankings[:3]]
    if not any(networks):
        out.append({"text": NOT_POOLED, "grade": "", "why": ""})
    for r, network in zip(rankings[:3], networks):
        if network:
            out.append(network_line(db_path, r["muscle"], network))
        lead = "" if not any(networks) else "study by study, " if network else "no pooled answer yet; "
        out.append(ranking_line(r, lead))
    return out


WORDS = {
    "a_greater": "higher in {a}",
    "b_greater": "higher in {b}",
    "no_difference": "no difference",
    "not_given": "differed across its exercises, direction between these two not given",
    "mixed": "mixed",
    "increases": "higher in {a}",
    "decreases": "higher in {b}",
}


def found_words(found: str, a: str, b: str) -> str:
    return WORDS.get(found, label("direction", found)).format(a=a, b=b)


def compare_lines(a: str, b: str, studies: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Per muscle: how many studies found A higher, B higher, no difference; about how much."""
    by_muscle: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for st in studies:
        for muscle, v in st["verdicts"].items():
            by_muscle.setdefault(muscle, []).append((st, v))
    lines = []
    for muscle, items in sorted(by_muscle.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        found = [v["found"] for _, v in items]
        people = sum(st["n"] or 0 for st, _ in items)
        parts = [
            f"{n} found {'it ' if found_words(f, a, b).startswith('higher') else ''}{found_words(f, a, b)}"
            if len(items) > 1
            else found_words(f, a, b)
            for f, n in Counter(found).items()
        ]
        of = f"of {studies_and_people(len(items), people)}, " if len(items) > 1 else ""
        diffs = [v["difference"] for _, v in items if v["difference"] is not None]
        units = {v["unit"] for _, v in items if v["difference"] is not None}
        size = ""
        if diffs:
            lo, hi = min(diffs), max(diffs)
            span = (
                fmt_number(round(lo))
                if round(lo) == round(hi)
                else f"{fmt_number(round(lo))} to {fmt_number(round(hi))}"
            )
            size = f"; in their values, {a} minus {b} = {span} {'/'.join(sorted(units))} points"
        agree = len(set(found) - {"not_given"}) <= 1
        other = [
            r["normalisation_category"]
            for st, _ in items
            for r in st["pairs"]
            if r["muscle_label"] == muscle and r["normalisation_category"] not in MVC_CATEGORIES
        ]
        g = one_by_one("difference", {st["study_id"]: st for st, _ in items}, agree, (other or [None])[0])
        head = f"{studies_and_people(1, people)}: " if len(items) == 1 else "" if agree else "mixed: "
        lines.append(
            {"muscle": muscle, **graded(f"{muscle.capitalize()}: {head}{of}{'; '.join(parts)}{size}.", g)}
        )
    return lines


def pooled_compare_lines(
    db_path: Path,
    a_ids: list[str],
    b_ids: list[str],
    studies: list[dict[str, Any]],
    muscle_ids: list[str] | None,
) -> list[dict[str, str]]:
    """The synthesis's pools of a version of A against a version of B (two or more studies),
    per muscle asked (else per muscle the studies measured): the difference A minus B with the
    95% interval its grade judged, studies, people, grade and main reason; most studies first."""
    names = {r["muscle_id"]: r["muscle_label"] for st in studies for r in st["pairs"]}
    muscles = muscle_ids or sorted(names)
    s = cached(db_path)
    found = []
    for a, b, muscle in product(a_ids, b_ids, muscles):
        if a == b:
            continue
        sign = 1.0 if a < b else -1.0  # pairwise_for turns the pool into a - b; so do its bounds
        for row in pairwise_for(db_path, a, b, muscle):
            if row.get("estimate") is None or row["studies"] < MIN_POOLED:
                continue
            pool = next(p for p in s.pools if p.key == row["key"])
            evidence = pool_evidence(pool, s.raw)
            assert evidence is not None  # a pool with an estimate has evidence
            lo, hi = sorted((sign * evidence.ci_lb, sign * evidence.ci_ub))
            parts = key_parts(row["key"].split("/", 1)[1])
            muscle_words = names.get(muscle, muscle.replace("_", " "))
            robust = ", cluster-robust as a study gave several comparisons" if pool.robust else ""
            text = (
                f"{muscle_words.capitalize()} ({_measure(parts)}): pooled over "
                f"{studies_and_people(row['studies'], row['people'])}, {s.raw.names.get(a, a)} minus "
                f"{s.raw.names.get(b, b)} = {fmt_number(round(row['estimate'], 1))} {_unit(parts)} points "
                f"({_interval(lo, hi)}{robust})."
            )
            line = graded(text, s.grades[("pool", row["key"])])
            found.append((muscle_words, row["studies"], row["people"], line))
    # Each muscle's pools together, the muscle with the largest pool first.
    most = {m: max(k for m2, k, _, _ in found if m2 == m) for m, *_ in found}
    found.sort(key=lambda f: (-most[f[0]], f[0], -f[1], -f[2], f[3]["text"]))
    return [line for *_, line in found]


def compare_bottom(
    pooled: list[dict[str, str]], studies: list[dict[str, Any]], per_study: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The compare page's bottom line: the pooled answers first where any exist, then the studies
    that did both, one by one; [] where no study reports a muscle for both."""
    if not per_study and not pooled:
        return []
    k, people = len(studies), sum(st["n"] or 0 for st in studies)
    did = f"{studies_and_people(k, people)} did both"
    if pooled:
        head = {"text": f"Study by study, {did}:", "grade": "", "why": ""}
        return [*pooled, head, *per_study]
    return [
        {"text": f"No pooled answer exists yet; study by study, {did}.", "grade": "", "why": ""},
        *per_study,
    ]


#: What a study found when the technique changed, per muscle: in the order the bottom line says them.
OUTCOMES = (
    ({"changed"}, "found activation changed"),
    ({"changed", "no change"}, "found it changed for some muscles and not others"),
    ({"no change"}, "found no change"),
)


def technique_line(factor_words: str, rows: list[dict[str, Any]]) -> dict[str, str] | None:
    """How many studies found activation changed with the factor, and how many found no change."""
    if not rows:
        return None
    within = [r for r in rows if r["within"]]
    article_only = [r for r in rows if r["provenance"] == "article" and not r["within"]]
    rows = [r for r in rows if r["provenance"] != "article" and not r["within"]]
    extra = ""
    if within:
        # The studies that compared most muscles within their versions, each in its own words.
        by_study: dict[str, list[dict[str, Any]]] = {}
        for r in within:
            by_study.setdefault(r["study_id"], []).append(r)
        ranked = sorted(by_study.values(), key=lambda rs: -len(rs))
        extra += (
            f" {len(by_study)} stud{'y' if len(by_study) == 1 else 'ies'} compared muscles within each version: "
            + " ".join(
                f"{short_citation(rs[0]['citation'])}: "
                + "; ".join(r["summary"].rstrip(".") for r in rs[:4])
                + "."
                for rs in ranked[:2]
            )
        )
    if article_only:
        extra += (
            " Stated only by the article, not found in the papers: "
            + "; ".join(r["summary"].split(".")[0] for r in article_only[:2])
            + "."
        )
    if not rows:
        return {
            "text": f"{NOT_POOLED} no study reports a direct comparison of the {factor_words}.{extra}",
            # Nothing to grade: "none", as where no study compared two exercises.
            "grade": "none",
            "why": "no study compared the versions directly",
        }
    per_study: dict[str, set[str]] = {}
    for r in rows:
        per_study.setdefault(r["study_id"], set()).add(
            "no change" if r["direction"] == "no_difference" else "changed"
        )
    studies = {r["study_id"]: r for r in rows}
    parts = []
    for outcome, words in OUTCOMES:
        ids = [s for s, v in per_study.items() if v == outcome]
        if ids:
            parts.append(
                f"{len(ids)} {words} ({', '.join(short_citation(studies[s]['citation']) for s in ids)})"
            )
    k, people = len(studies), sum(st["n"] or 0 for st in studies.values())
    mixed = {"changed", "no change"} <= set().union(*per_study.values())
    g = one_by_one("difference", studies, not mixed)
    verdict = "Mixed" if mixed and k > 1 else ("One study" if k == 1 else "Consistent")
    return graded(
        f"{NOT_POOLED} {verdict}. Of {studies_and_people(k, people)} that changed the "
        f"{factor_words}: {'; '.join(parts)}.{extra}",
        g,
    )


def article_line(groups: list[tuple[str, list[dict[str, Any]]]], count: int) -> dict[str, str]:
    """How many claims hold, are partly right, are wrong, cannot be checked; the commonest fault."""
    sizes = "; ".join(f"{title[0].lower() + title[1:]}: {len(cs)}" for title, cs in groups)
    wrong = [c["verdict"] for t, cs in groups if "wrong" in t for c in cs]
    fault = ""
    if wrong:
        common = max(dict.fromkeys(wrong), key=wrong.count)
        fault = f" The commonest fault ({wrong.count(common)} of {len(wrong)}): {label('verdict', common).lower()}."
    return {"text": f"The article makes {count} checked claims. {sizes}.{fault}", "grade": "", "why": ""}
