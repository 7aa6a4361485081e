"""The bottom line each answer page opens with: what is higher, by about how much, in how many
studies and people, how sure and why, in a coach's words.

No pooled answer exists yet for these questions: each function below says so and then what the
studies show one by one. When the pooled answers (network meta-analysis and pairwise pools with
a certainty grade) land in analysis/, they replace the body of these functions; the pages call
nothing else.
"""

from __future__ import annotations

from typing import Any

from emg_evidence.analysis.verdicts import fmt_number
from emg_evidence.schema.labels import label

NOT_POOLED = "No pooled answer exists yet; study by study:"


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


def certainty(studies: int, agree: bool) -> tuple[str, str]:
    """(grade, main reason) for evidence that has not been pooled."""
    if studies == 0:
        return "none", "no study measured this"
    if studies == 1:
        return "very low", "one study, not repeated"
    if not agree:
        return "very low", "the studies disagree (mixed)"
    return "low", "the studies agree, but their results have not been pooled"


def ranking_line(word: str, ranking: dict[str, Any]) -> dict[str, str]:
    """The bottom line of one muscle's ranking: its top exercise, the runner-up, how sure."""
    main = ranking["main"]
    ex = main["exercises"]
    top = ex[0]
    stat = label("statistic", main["statistic"])
    unit = main["unit"] or ""
    k = len(top["studies"])
    head = (
        f"{ranking['muscle'].capitalize()}: the highest {stat} here was in the {top['exercise']} "
        f"(median {fmt_number(round(top['median']))} {unit} across {studies_and_people(k, top['people'])})"
    )
    if len(ex) > 1:
        second = ex[1]
        head += f", then the {second['exercise']} ({fmt_number(round(second['median']))} {unit})"
    head += "."
    grade, why = certainty(k, True)
    if len(ex) > 1:
        why += "; exercises were measured in different studies, each with its own maximal test"
    return {
        "text": head,
        "grade": grade,
        "why": why,
        "basis": f"{studies_and_people(main['studies'], main['people'])} ranked for {ranking['muscle']}",
    }


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
        counted = {f: found.count(f) for f in dict.fromkeys(found)}
        parts = [
            f"{n} found {'it ' if found_words(f, a, b).startswith('higher') else ''}{found_words(f, a, b)}"
            if len(items) > 1
            else found_words(f, a, b)
            for f, n in counted.items()
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
        decided = set(found) - {"not_given"}
        agree = len(decided) <= 1
        grade, why = certainty(len(items), agree)
        if len(items) > 1 and not agree:
            head = "mixed: "
        elif len(items) == 1:
            head = f"{studies_and_people(1, people)}: "
        else:
            head = ""
        lines.append({
            "muscle": muscle,
            "text": f"{muscle.capitalize()}: {head}{of}{'; '.join(parts)}{size}.",
            "grade": grade, "why": why,
        })  # fmt: skip
    return lines


def technique_line(factor_words: str, rows: list[dict[str, Any]]) -> dict[str, str] | None:
    """How many studies found activation changed with the factor, and how many found no change."""
    if not rows:
        return None
    per_study: dict[str, set[str]] = {}
    people: dict[str, int] = {}
    names: dict[str, str] = {}
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
            "grade": "very low",
            "why": "no direct comparison between the versions",
        }
    for r in rows:
        per_study.setdefault(r["study_id"], set()).add(
            "no change" if r["direction"] == "no_difference" else "changed"
        )
        people[r["study_id"]] = r["n"] or 0
        names[r["study_id"]] = short_citation(r["citation"])
    changed = [s for s, v in per_study.items() if v == {"changed"}]
    unchanged = [s for s, v in per_study.items() if v == {"no change"}]
    both = [s for s, v in per_study.items() if len(v) == 2]
    parts = []
    if changed:
        parts.append(f"{len(changed)} found activation changed ({', '.join(names[s] for s in changed)})")
    if both:
        parts.append(
            f"{len(both)} found it changed for some muscles and not others ({', '.join(names[s] for s in both)})"
        )
    if unchanged:
        parts.append(f"{len(unchanged)} found no change ({', '.join(names[s] for s in unchanged)})")
    k = len(per_study)
    mixed = bool(unchanged or both) and bool(changed or both)
    grade, why = certainty(k, not mixed)
    verdict = "Mixed" if mixed and k > 1 else ("One study" if k == 1 else "Consistent")
    return {
        "text": f"{NOT_POOLED} {verdict}. Of {studies_and_people(k, sum(people.values()))} that changed the "
        f"{factor_words}: {'; '.join(parts)}.{extra}",
        "grade": grade, "why": why,
    }  # fmt: skip


def article_line(groups: list[tuple[str, list[dict[str, Any]]]], count: int) -> dict[str, str]:
    """How many claims hold, are partly right, are wrong, cannot be checked; the commonest fault."""
    sizes = "; ".join(f"{title[0].lower() + title[1:]}: {len(cs)}" for title, cs in groups)
    wrong = [c["verdict"] for t, cs in groups if "wrong" in t for c in cs]
    fault = ""
    if wrong:
        common = max(dict.fromkeys(wrong), key=wrong.count)
        fault = f" The commonest fault ({wrong.count(common)} of {len(wrong)}): {label('verdict', common).lower()}."
    return {"text": f"The article makes {count} checked claims. {sizes}.{fault}", "grade": "", "why": ""}
