"""The evidence behind each answer page, gathered per study (plain functions over the database).

- ranking: one ranking per muscle (regions apart, never added), one summary statistic per
  ranking (mean, RMS and peak are never mixed), one value per study and exercise;
- compare: every study that did a version of both exercises, with the values it gives side by
  side, the comparisons it reports between them and its results across all its exercises;
- technique: comparisons between two versions of an exercise, filed by what changed.
"""

from __future__ import annotations

import json
import re
from statistics import mean, median
from typing import Any

from emg_evidence.schema.labels import LABELS

from .answer_words import muscle_label
from .settings import sql

#: Who took part, as the pages filter it: the populations of schema/comparability.py's rule, as
#: the pools take them (patients and people screened for weakness or pain are apart).
POPULATIONS = {
    "healthy": ("healthy adults", ("healthy",)),
    "clinical": ("patients or people with weakness or pain", ("clinical", "impaired")),
    "not_reported": ("participants not described", ("not_reported",)),
    "all": ("everyone", ("healthy", "clinical", "impaired", "not_reported")),
}

#: Which phase stands for a study's exercise when it gives several: the whole repetition first.
PHASE_ORDER = ("whole", "concentric", "not_reported", "eccentric", "isometric", "upper_range", "lower_range")
STATISTIC_ORDER = list(LABELS["statistic"])


def _ids(values: list[str] | tuple[str, ...] | None) -> str | None:
    """Ids as the SQL's json_each reads them; None (no filter) for none."""
    return json.dumps(sorted(values)) if values else None


async def _rows(db: Any, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of sql/<name>.sql, each with its muscle in words where it names one."""
    rows = [dict(r) for r in await db.execute(sql(name), params)]
    for r in rows:
        if "muscle_region" in r:
            r["muscle_label"] = muscle_label(r["muscle"], r["muscle_region"])
    return rows


# --- ranking ---------------------------------------------------------------------------------


def one_value_per_study(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A study's one value for an exercise (one muscle, one statistic): the phase that stands
    for the whole lift (PHASE_ORDER), and the mean of its versions of the exercise in it (a study
    that did four hip-thrust variants gives one hip-thrust value, not four)."""
    phase = min((r["phase"] for r in rows), key=lambda p: PHASE_ORDER.index(p) if p in PHASE_ORDER else 99)
    chosen = [r for r in rows if r["phase"] == phase]
    first = chosen[0]
    return {
        "study_id": first["study_id"], "citation": first["citation"], "n": first["n"],
        "population": first["population"], "phase": phase, "unit": first["unit"],
        "pedro_score": first["pedro_score"], "population_group": first["population_group"],
        "clinical_condition": first["clinical_condition"],
        "value": mean(r["value"] for r in chosen), "versions": [r["condition"] for r in chosen],
    }  # fmt: skip


async def ranking_evidence(db: Any, muscle_ids: list[str], population: str) -> list[dict[str, Any]]:
    """One ranking per muscle: its most reported statistic, exercises ordered by the median of
    their studies' values; the other statistics apart, each ranked by itself."""
    rows = await _rows(
        db, "ranking", {"muscles": _ids(muscle_ids), "groups": _ids(POPULATIONS[population][1])}
    )
    rankings: list[dict[str, Any]] = []
    for muscle_id in muscle_ids:
        by_stat: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            if r["muscle_id"] == muscle_id:
                by_stat.setdefault(r["statistic"], []).append(r)
        if not by_stat:
            continue
        # The most reported summary ranks first; 'not stated' never leads while another exists.
        ordered = sorted(
            by_stat,
            key=lambda s: (
                s == "not_reported",
                -len({r["study_id"] for r in by_stat[s]}),
                STATISTIC_ORDER.index(s),
            ),
        )
        tables = [_rank(by_stat[s], s) for s in ordered]
        muscle = next(iter(by_stat.values()))[0]["muscle_label"]
        rankings.append({"muscle_id": muscle_id, "muscle": muscle, "main": tables[0], "others": tables[1:]})
    rankings.sort(key=lambda r: -r["main"]["studies"])
    return rankings


def _rank(rows: list[dict[str, Any]], statistic: str) -> dict[str, Any]:
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        cells.setdefault((r["exercise_id"], r["study_id"]), []).append(r)
    exercises: dict[str, dict[str, Any]] = {}
    for (exercise_id, _), cell in cells.items():
        ex = exercises.setdefault(
            exercise_id, {"exercise_id": exercise_id, "exercise": cell[0]["exercise"], "studies": []}
        )
        ex["studies"].append(one_value_per_study(cell))
    for ex in exercises.values():
        ex["studies"].sort(key=lambda s: -s["value"])
        ex["median"] = median(s["value"] for s in ex["studies"])
        ex["people"] = sum(s["n"] or 0 for s in ex["studies"])
    ranked = sorted(exercises.values(), key=lambda e: (-e["median"], e["exercise"]))
    top = max((s["value"] for e in ranked for s in e["studies"]), default=0)
    for i, ex in enumerate(ranked, start=1):
        ex["rank"] = i
        ex["width"] = 100 * ex["median"] / top if top else 0
    studies = {r["study_id"]: r["n"] for r in rows}
    return {
        "statistic": statistic, "exercises": ranked, "studies": len(studies),
        "people": sum(n or 0 for n in studies.values()), "unit": rows[0]["unit"],
    }  # fmt: skip


# --- compare ---------------------------------------------------------------------------------


async def measured_apart(
    db: Any, exercise_ids: list[str], muscle_ids: list[str] | None
) -> list[dict[str, Any]]:
    """An exercise's %MVC values in any study, for when no study did both: not a comparison."""
    return await _rows(db, "measured_apart", {"exercises": _ids(exercise_ids), "muscles": _ids(muscle_ids)})


#: A design that compared the exercises in the same people, and one that compared groups.
WITHIN = re.compile(
    r"within[- ]subjects?|repeated[- ]measures|cross-?over|counterbalanced|each participant", re.I
)
BETWEEN = re.compile(
    r"between[- ]subjects?|two[- ]group|randomi[sz]ed (?:\w+ )?groups|parallel[- ]group", re.I
)

#: A finding's direction with exercise A first: A higher, B higher, no difference, not given.
FLIP = {"a_greater": "b_greater", "b_greater": "a_greater"}


def same_participants(design: str | None) -> bool | None:
    """True where the design says the same people did both, False where groups were compared,
    None where the design does not say."""
    if design and BETWEEN.search(design):
        return False
    if design and WITHIN.search(design):
        return True
    return None


async def compare_evidence(
    db: Any, a_ids: list[str], b_ids: list[str], muscle_ids: list[str] | None
) -> list[dict[str, Any]]:
    """Per study that did a version of both exercises: its value pairs, its reported comparisons
    between them, its results across all its exercises, and what it found, A first."""
    a_only = [i for i in a_ids if i not in b_ids]
    b_only = [i for i in b_ids if i not in a_ids]
    params = {"a": _ids(a_only), "b": _ids(b_only), "muscles": _ids(muscle_ids)}
    studies = await _rows(db, "compare_studies", params)
    for st in studies:
        p = {**params, "study": st["study_id"], "both": _ids(a_only + b_only)}
        st["same_participants"] = same_participants(st["design"])
        st["pairs"] = await _rows(db, "compare_pairs", p)
        st["findings"], st["across"] = [], []
        for f in await _rows(db, "compare_findings", p):
            if f["exercise_b"] is None:
                st["across"].append(f)  # a result across the study's exercises (no pair named)
            elif (f["exercise_a"] in a_only) != (f["exercise_b"] in a_only):
                if f["exercise_a"] not in a_only:
                    f["direction"] = FLIP.get(f["direction"], f["direction"])
                    f["label_a"], f["label_b"] = f["label_b"], f["label_a"]
                st["findings"].append(f)
        st["verdicts"] = study_verdicts(st)
    return studies


def study_verdicts(st: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per muscle, what one study found for A against B: its reported comparisons where it gives
    them (with their tests), else its values; and the difference in its values."""
    out: dict[str, dict[str, Any]] = {}

    def verdict(row: dict[str, Any], tested: bool) -> dict[str, Any]:
        return out.setdefault(
            row["muscle_label"], {"directions": set(), "differences": [], "unit": None, "tested": tested}
        )

    for f in st["findings"]:
        verdict(f, True)["directions"].add(f["direction"])
    for r in st["pairs"]:
        v = verdict(r, False)
        if r["unit"] and "%" in r["unit"] and r["statistic"] != "not_reported":
            v["differences"].append(r["value_a"] - r["value_b"])
            v["unit"] = r["unit"]
        if not v["tested"]:
            d = r["value_a"] - r["value_b"]
            v["directions"].add("a_greater" if d > 0 else "b_greater" if d < 0 else "no_difference")
    for f in st["across"]:
        v = verdict(f, True)
        if not v["directions"]:
            v["directions"].add("not_given" if f["direction"] in ("different", "mixed") else f["direction"])
    for v in out.values():
        d = v["directions"] - {"equal"}
        v["found"] = next(iter(d)) if len(d) == 1 else ("mixed" if d else "no_difference")
        v["difference"] = median(v["differences"]) if v["differences"] else None
    return out


# --- technique -------------------------------------------------------------------------------

FACTORS = {
    "depth": "depth or range of motion",
    "load": "load",
    "stance": "stance or foot position",
    "cue": "cue or instruction",
    "variant": "variant of the exercise",
}
#: Words in two versions' labels (or a trend's summary) that say what changed.
FACTOR_WORDS = {
    "depth": re.compile(r"depth|deep|parallel|partial|quarter|half squat|full squat|knee angle|\d+\s*°|range of motion|\bROM\b", re.I),
    "load": re.compile(r"\bload|\d+\s*%\s*(?:of\s*)?1\s*RM|\bRM\b|\bkg\b|heav|light", re.I),
    "stance": re.compile(r"stance|wide|narrow|feet|foot|toe|width", re.I),
    "cue": re.compile(r"\bcue|instruct|focus|intent|squeez|think", re.I),
}  # fmt: skip
#: Exercises whose names share one of these words are versions of one exercise.
HEAD_WORDS = ("squat", "deadlift", "thrust", "bridge", "lunge", "step", "abduction", "adduction",
              "extension", "curl", "swing", "raise", "press")  # fmt: skip


def what_changed(r: dict[str, Any]) -> list[str]:
    """The factors two versions of an exercise differ in (a trend across a study's versions: the
    factor its summary names); [] where the two are different exercises, not versions of one."""
    if r["muscle_b_id"] is not None:
        # Two muscles within one version: a variant's answer only where the study did several.
        return ["variant"] if r["versions"] > 1 and r["condition_b"] is None else []
    if r["condition_b"] is None:
        if r["direction"] not in ("increases", "decreases", "no_difference", "mixed", "different"):
            return []
        lead = r["summary"].split(".")[0]
        return [
            f for f, words in FACTOR_WORDS.items() if lead.lower().startswith("factor") and words.search(lead)
        ]
    if r["exercise_a_id"] != r["exercise_b_id"]:
        a, b = (set(r[k].lower().replace("-", " ").split()) for k in ("exercise_a", "exercise_b"))
        return ["variant"] if any(w in a and w in b for w in HEAD_WORDS) else []
    columns = [f for f in ("depth", "load", "stance", "cue") if (r[f + "_a"] or "") != (r[f + "_b"] or "")]
    if columns:
        return columns
    words = (f for f, p in FACTOR_WORDS.items() if p.search(r["condition_a"]) and p.search(r["condition_b"]))
    return [next(words, "variant")]


async def technique_evidence(
    db: Any, factor: str, muscle_ids: list[str] | None, exercise_ids: list[str] | None
) -> list[dict[str, Any]]:
    rows = []
    found = [
        dict(x)
        for x in await db.execute(
            sql("technique"), {"muscles": _ids(muscle_ids), "exercises": _ids(exercise_ids)}
        )
    ]
    versions: dict[tuple[str, str], set[str]] = {}
    for r in found:
        versions.setdefault((r["study_id"], r["exercise_a_id"]), set()).add(r["condition_a"])
    for r in found:
        r["versions"] = len(versions[(r["study_id"], r["exercise_a_id"])])
        r["within"] = r["muscle_b_id"] is not None
        # Within one version only EMG amplitude compares muscles (onset timing answers another question).
        r["factors"] = what_changed(r) if not (r["within"] and r["metric"] != "emg_amplitude") else []
        if factor in r["factors"] or (factor == "all" and r["factors"]):
            r["muscle_label"] = muscle_label(r["muscle"], r["muscle_region"])
            rows.append(r)
    return rows
