"""The seed article's claims: validate data/claims.yaml and link each claim to the evidence.

The verdict rules themselves are in ``analysis/verdicts.py``; this module resolves what a claim
points at (numbers, findings, words, exercises) and writes the claim tables' rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from ..analysis.verdicts import agreement, compute_verdict, decimals, fmt_number, same_at_precision, support
from ..schema import allowed_values as av
from .records import Number, Record, Slug, Text
from .rows import Rows, make_row
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
    metric: Literal[av.METRICS] | None = None  # type: ignore[valid-type]
    statistic: Literal[av.STATISTICS] | None = None  # type: ignore[valid-type]
    asserts: Literal[av.DIRECTIONS]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _selects(self) -> FindingRef:
        if self.key is None and self.a is None:
            raise ValueError("key or a: give a finding key, or at least its condition a")
        return self


class JudgementIn(Record):
    verdict: Literal[av.VERDICTS]  # type: ignore[valid-type]
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


def load_claims(path: Path, root: Path | None = None, lines: dict[str, int] | None = None) -> ClaimsFileIn:
    """:param root: the data folder; a claims file whose real path is outside it is refused
    :param lines: filled with each field's line (yaml_reader.read_yaml)"""
    lines = {} if lines is None else lines
    data = read_yaml(path, root, lines)
    if not isinstance(data, dict):
        raise DataError([f"{path}: (top level): expected a mapping with claims and recommendations"])
    return parse(path, ClaimsFileIn, data, lines=lines)


# --- linking -----------------------------------------------------------------------------------


def claim_rows(path: Path, doc: ClaimsFileIn, rows: Rows) -> None:
    """Resolve every claim against ``rows`` (rows.to_rows) and add the claim tables' rows.

    Raises DataError naming the file and field for anything that does not resolve.
    """
    problems: list[str] = []
    studies = {s["id"]: s for s in rows["study"]}
    muscles = {m["id"] for m in rows["muscle"]}
    exercises = {e["id"] for e in rows["exercise"]}
    kind = {s["id"]: s["kind"] for s in rows["source"]}
    measurements = {m["id"]: m for m in rows["measurement"]}
    conditions = {(c["study_id"], c["key"]): c["id"] for c in rows["condition"]}
    # Compared as the synonyms' duplicate check compares them (NFKC, casefolded).
    words = {(word_key(s["term"]), s["muscle_id"]) for s in rows["muscle_synonym"]}
    words |= {(word_key(m["name"]), m["id"]) for m in rows["muscle"]}

    def add(table: str, fields: dict[str, Any], **given: Any) -> None:
        rows[table].append(make_row(table, fields, id=len(rows[table]) + 1, **given))

    for table in ("claim", "claim_muscle", "claim_exercise", "claim_evidence", "recommendation"):
        rows[table] = []
    rows["recommendation_claim"] = []
    for i, claim in enumerate(doc.claims):
        where = f"{path}: claims[{i}]"
        if claim.id in (c.id for c in doc.claims[:i]):
            problems.append(f"{where}.id: duplicate claim id {claim.id!r}")
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
                and m["value"] == number.value and kind[m["source_id"]] == "article"
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
                agrees, note = "unchecked", f"article {fmt_number(number.value)}; no readable primary value"
            else:
                # A number rounded to the precision the other prints matches at that precision.
                agrees = "match" if same_at_precision(number.value, primary["value"]) else "differs"
                note = (
                    f"article {fmt_number(number.value)} vs paper {fmt_number(primary['value'])} "
                    f"({primary['metric']}, {primary['statistic']}, {primary['locator']})"
                )
                if agrees == "match" and number.value != primary["value"]:
                    places = decimals(primary["value"])
                    note += f"; equal to {places} decimal place{'s' if places != 1 else ''}"
            evidence.append({"measurement_id": article["id"], "primary_measurement_id": primary and primary["id"],
                             "agreement": agrees, "note": note})  # fmt: skip

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
            for name in ("muscle", "muscle_b", "metric", "statistic"):
                if getattr(ref, name) is not None:
                    wanted[name + "_id" if name.startswith("muscle") else name] = getattr(ref, name)
            matches = [f for f in rows["finding"] if all(f[k] == v for k, v in wanted.items())]
            if not matches:
                problems.append(f"{where}.findings[{j}]: no finding of {study} matches {wanted}")
            for f in matches:
                agrees = agreement(ref.asserts, f["direction"], kind[f["source_id"]])
                findings.append({"agreement": agrees, "finding": f, "source_kind": kind[f["source_id"]]})
                note = f"claim asserts {ref.asserts}; source reports {f['direction']}"
                evidence.append({"finding_id": f["id"], "asserted_direction": ref.asserts, "agreement": agrees,
                                 "note": note})  # fmt: skip

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
            make_row("claim", vars(claim), position=i + 1, assertion=claim.asserts,
                 quoted_numbers="; ".join(fmt_number(n.value) for n in claim.numbers) or None,
                 article_terms="; ".join(dict.fromkeys(t.term for t in claim.terms)) or None,
                 verdict=verdict, verdict_reason=reason, verdict_basis=basis)
        )  # fmt: skip
        for word, muscle_id in dict.fromkeys((t.term, t.muscle) for t in claim.terms):
            add("claim_muscle", {}, claim_id=claim.id, muscle_id=muscle_id, article_term=word)
        for exercise_id in dict.fromkeys(claim.exercises):
            add("claim_exercise", {}, claim_id=claim.id, exercise_id=exercise_id)
        for link in evidence:
            add("claim_evidence", link, claim_id=claim.id)

    verdicts = {c["id"]: c["verdict"] for c in rows["claim"]}
    for i, rec in enumerate(doc.recommendations):
        where = f"{path}: recommendations[{i}]"
        if rec.id in (r.id for r in doc.recommendations[:i]):
            problems.append(f"{where}.id: duplicate recommendation id {rec.id!r}")
            continue
        missing = [c for c in rec.claims if c not in verdicts]
        if missing:
            problems.append(f"{where}.claims: unknown claim(s) {', '.join(missing)}")
            continue
        level, summary = support([verdicts[c] for c in rec.claims])
        rows["recommendation"].append(
            make_row("recommendation", vars(rec), position=i + 1, support=level, support_summary=summary)
        )
        for c in dict.fromkeys(rec.claims):
            rows["recommendation_claim"].append({"recommendation_id": rec.id, "claim_id": c})
    if problems:
        raise DataError(problems)
