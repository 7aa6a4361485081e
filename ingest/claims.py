"""The seed article's claims: validate data/claims.yaml and link each claim to the evidence.

The verdict rules themselves are in ``analysis/verdicts.py``; this module resolves what a claim
points at (numbers, findings, words, exercises) and writes the claim tables' rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from ..analysis.verdicts import agreement, compute_verdict, decimals, fmt_number, same_at_precision, support
from ..schema.allowed_values import DIRECTIONS, METRICS, STATISTICS, VERDICTS
from .records import Number, Record, Slug, Text
from .rows import Rows
from .text import Word, word_key
from .yaml_reader import DataError, parse, read_yaml

# --- the file ----------------------------------------------------------------------------------


class TermIn(Record):
    term: Word
    muscle: Slug


class NumberIn(Record):
    condition: Slug
    muscle: Slug
    value: Number


class FindingRef(Record):
    """A finding by key, or by the fields that pick it out; every finding that matches is linked."""

    study: Slug | None = None
    key: Slug | None = None
    a: Slug | None = None
    b: Slug | None = None
    muscle: Slug | None = None
    muscle_b: Slug | None = None
    metric: Literal[METRICS] | None = None  # type: ignore[valid-type]
    statistic: Literal[STATISTICS] | None = None  # type: ignore[valid-type]
    asserts: Literal[DIRECTIONS]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _selects(self) -> FindingRef:
        if self.key is None and self.a is None:
            raise ValueError("key or a: give a finding key, or at least its condition a")
        return self


class JudgementIn(Record):
    verdict: Literal[VERDICTS]  # type: ignore[valid-type]
    reason: Text


class ClaimIn(Record):
    id: Slug
    section: Text
    paragraph: Annotated[int, Field(strict=True, gt=0)]
    study: Slug | None
    asserts: Text
    terms: list[TermIn] = []
    exercises: list[Slug] = []
    reads_as_mvc: Annotated[bool, Field(strict=True)] = False
    numbers: list[NumberIn] = []
    findings: list[FindingRef] = []
    gaps: Text | None = None
    judgement: JudgementIn | None = None


class RecommendationIn(Record):
    id: Slug
    advice: Text
    claims: Annotated[list[Slug], Field(min_length=1)]


class ClaimsFileIn(Record):
    claims: Annotated[list[ClaimIn], Field(min_length=1)]
    recommendations: list[RecommendationIn] = []


def load_claims(path: Path, root: Path | None = None) -> ClaimsFileIn:
    """:param root: the data folder; a claims file whose real path is outside it is refused"""
    data = read_yaml(path, root)
    if not isinstance(data, dict):
        raise DataError([f"{path}: (top level): expected a mapping with claims and recommendations"])
    return parse(path, ClaimsFileIn, data)


# --- linking -----------------------------------------------------------------------------------

#: The tables claim_rows fills.
CLAIM_TABLES = ("claim", "claim_muscle", "claim_exercise", "claim_evidence", "recommendation",
                "recommendation_claim")  # fmt: skip


def claimed_studies(doc: ClaimsFileIn) -> set[str]:
    """The studies whose conditions, values and findings the claims are linked to: claim_rows
    needs their rows, and of the other studies only the study and source rows."""
    return {s for c in doc.claims for s in (c.study, *(f.study for f in c.findings)) if s is not None}


def claim_rows(path: Path, doc: ClaimsFileIn, rows: Rows) -> None:
    """Resolve every claim against ``rows`` (from load.to_rows) and add the claim tables' rows.

    Raises DataError naming the file and field for anything that does not resolve.
    """
    # Long on purpose: one pass over claims.yaml that links and validates each claim in file order, so every problem is reported with its position; split, the checks would need the same lookups passed around.
    problems: list[str] = []
    studies = {s["id"]: s for s in rows["study"]}
    muscles = {m["id"] for m in rows["muscle"]}
    exercises = {e["id"] for e in rows["exercise"]}
    sources = {s["id"]: s for s in rows["source"]}
    measurements = {m["id"]: m for m in rows["measurement"]}
    conditions = {(c["study_id"], c["key"]): c["id"] for c in rows["condition"]}
    # Compared as the synonyms' duplicate check compares them (NFKC, casefolded).
    words = {(word_key(s["term"]), s["muscle_id"]) for s in rows["muscle_synonym"]}
    words |= {(word_key(m["name"]), m["id"]) for m in rows["muscle"]}

    for table in CLAIM_TABLES:
        rows[table] = []
    seen: set[str] = set()
    for i, claim in enumerate(doc.claims):
        where = f"{path}: claims[{i}]"
        if claim.id in seen:
            problems.append(f"{where}.id: duplicate claim id {claim.id!r}")
        seen.add(claim.id)
        if claim.study is not None and claim.study not in studies:
            problems.append(f"{where}.study: unknown study {claim.study!r}")
            continue
        for j, t in enumerate(claim.terms):
            if t.muscle not in muscles:
                problems.append(f"{where}.terms[{j}].muscle: unknown muscle {t.muscle!r}")
            elif (word_key(t.term), t.muscle) not in words:
                problems.append(
                    f"{where}.terms[{j}].term: {t.term!r} is not a known word for {t.muscle!r}"
                    " (add it to vocab/synonyms.yaml)"
                )
        for j, e in enumerate(claim.exercises):
            if e not in exercises:
                problems.append(f"{where}.exercises[{j}]: unknown exercise {e!r}")

        evidence: list[dict[str, Any]] = []
        numbers = []
        for j, number in enumerate(claim.numbers):
            cid = conditions.get((claim.study, number.condition))
            matches = [
                m for m in rows["measurement"]
                if m["condition_id"] == cid and m["muscle_id"] == number.muscle
                and m["value"] == number.value and sources[m["source_id"]]["kind"] == "article"
            ]  # fmt: skip
            if len(matches) != 1:
                problems.append(
                    f"{where}.numbers[{j}]: {len(matches)} article measurements of "
                    f"{claim.study}/{number.condition}/{number.muscle} with value "
                    f"{fmt_number(number.value)} (need exactly one)"
                )
                continue
            article = matches[0]
            primary = measurements.get(article["restates_id"]) if article["restates_id"] else None
            numbers.append({"article": number.value, "primary": primary})
            if primary is None:
                kind, note = "unchecked", f"article {fmt_number(number.value)}; no readable primary value"
            else:
                # A number rounded to the precision the other prints matches at that precision.
                kind = "match" if same_at_precision(number.value, primary["value"]) else "differs"
                note = (
                    f"article {fmt_number(number.value)} vs paper {fmt_number(primary['value'])} "
                    f"({primary['metric']}, {primary['statistic']}, {primary['locator']})"
                )
                if kind == "match" and number.value != primary["value"]:
                    places = decimals(primary["value"])
                    note += f"; equal to {places} decimal place{'s' if places != 1 else ''}"
            evidence.append({"measurement_id": article["id"],
                             "primary_measurement_id": primary["id"] if primary else None,
                             "finding_id": None, "asserted_direction": None,
                             "agreement": kind, "note": note})  # fmt: skip

        findings = []
        for j, ref in enumerate(claim.findings):
            study = ref.study or claim.study
            if study not in studies:
                problems.append(f"{where}.findings[{j}].study: unknown study {study!r}")
                continue
            wanted: dict[str, Any] = {"study_id": study}
            if ref.key is not None:
                wanted["key"] = ref.key
            for name in ("a", "b"):
                value = getattr(ref, name)
                if value is not None:
                    if (study, value) not in conditions:
                        problems.append(f"{where}.findings[{j}].{name}: unknown condition {value!r}")
                    wanted[f"condition_{name}_id"] = conditions.get((study, value))
            for name, column in (("muscle", "muscle_id"), ("muscle_b", "muscle_b_id"),
                                 ("metric", "metric"), ("statistic", "statistic")):  # fmt: skip
                if getattr(ref, name) is not None:
                    wanted[column] = getattr(ref, name)
            matches = [f for f in rows["finding"] if all(f[k] == v for k, v in wanted.items())]
            if not matches:
                problems.append(f"{where}.findings[{j}]: no finding of {study} matches {wanted}")
            for f in matches:
                kind = agreement(ref.asserts, f["direction"], sources[f["source_id"]]["kind"])
                findings.append(
                    {"agreement": kind, "finding": f, "source_kind": sources[f["source_id"]]["kind"]}
                )
                evidence.append({"measurement_id": None, "primary_measurement_id": None,
                                 "finding_id": f["id"], "asserted_direction": ref.asserts,
                                 "agreement": kind,
                                 "note": f"claim asserts {ref.asserts}; source reports "
                                         f"{f['direction']}"})  # fmt: skip

        identification = studies[claim.study]["identification"] if claim.study else None
        verdict, reason, basis = compute_verdict(
            identification,
            (claim.judgement.verdict, claim.judgement.reason) if claim.judgement else None,
            claim.reads_as_mvc,
            numbers,
            findings,
            claim.gaps,
        )
        rows["claim"].append(
            {
                "id": claim.id,
                "position": i + 1,
                "section": claim.section,
                "paragraph": claim.paragraph,
                "assertion": claim.asserts,
                "quoted_numbers": "; ".join(fmt_number(n.value) for n in claim.numbers) or None,
                "article_terms": "; ".join(dict.fromkeys(t.term for t in claim.terms)) or None,
                "study_id": claim.study,
                "reads_as_mvc": claim.reads_as_mvc,
                "gaps": claim.gaps,
                "verdict": verdict,
                "verdict_reason": reason,
                "verdict_basis": basis,
            }
        )
        for word, muscle_id in dict.fromkeys((t.term, t.muscle) for t in claim.terms):
            rows["claim_muscle"].append({"id": len(rows["claim_muscle"]) + 1, "claim_id": claim.id,
                                         "muscle_id": muscle_id, "article_term": word})  # fmt: skip
        for exercise_id in dict.fromkeys(claim.exercises):
            rows["claim_exercise"].append({"id": len(rows["claim_exercise"]) + 1,
                                           "claim_id": claim.id, "exercise_id": exercise_id})  # fmt: skip
        for link in evidence:
            rows["claim_evidence"].append({"id": len(rows["claim_evidence"]) + 1,
                                           "claim_id": claim.id, **link})  # fmt: skip

    verdicts = {c["id"]: c["verdict"] for c in rows["claim"]}
    for i, rec in enumerate(doc.recommendations):
        where = f"{path}: recommendations[{i}]"
        missing = [c for c in rec.claims if c not in verdicts]
        if missing:
            problems.append(f"{where}.claims: unknown claim(s) {', '.join(missing)}")
            continue
        level, summary = support([verdicts[c] for c in rec.claims])
        rows["recommendation"].append({"id": rec.id, "position": i + 1, "advice": rec.advice,
                                       "support": level, "support_summary": summary})  # fmt: skip
        for c in dict.fromkeys(rec.claims):
            rows["recommendation_claim"].append({"recommendation_id": rec.id, "claim_id": c})
    if problems:
        raise DataError(problems)
