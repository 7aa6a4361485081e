"""The rules that give a claim of the article its verdict, and a recommendation its support.

Pure functions of evidence ``ingest/claims.py`` has linked. A verdict comes, in this order, from
the cited study's identification, a curated judgement, the quoted numbers against the primary
values they restate, and the reported findings against the direction the claim asserts.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..schema.comparability import is_mvc_comparable
from ..schema.labels import label

OPPOSITE = {"a_greater": "b_greater", "b_greater": "a_greater", "increases": "decreases",
            "decreases": "increases"}  # fmt: skip


def agreement(asserted: str, reported: str, source_kind: str) -> str:
    if source_kind != "primary" and source_kind != "review":
        return "unclear"  # only the article itself says so
    if reported in ("different", "mixed"):
        return "unclear"
    if reported == asserted:
        return "agrees"
    if reported == "no_difference":
        return "no_difference"
    if asserted == "no_difference" or OPPOSITE.get(asserted) == reported:
        return "disagrees"
    return "unclear"


def decimals(value: float) -> int:
    """Decimal places of a number as printed: 16.9 -> 1, 17 -> 0, 0.05 -> 2."""
    text = fmt_number(value)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def same_at_precision(article: float, paper: float) -> bool:
    """Whether the article's number equals the paper's at the precision the paper prints: 16.92
    against a printed 16.9 matches (to one decimal); 35 against 35.4 does not, nor 16.8."""
    return round(article, decimals(paper)) == paper


def fmt_number(value: float) -> str:
    """A number as the article or paper would print it: 16.90 -> '16.9'."""
    return f"{value:g}"


def compute_verdict(
    identification: str | None,
    judgement: tuple[str, str] | None,
    reads_as_mvc: bool,
    numbers: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    gaps: str | None,
) -> tuple[str, str, str]:
    """(verdict, reason, basis) for one claim: the first rule that applies, read top to bottom.

    ``numbers``: per quoted number, the ``article`` value and the restated ``primary`` row or
    None; ``findings``: per linked finding, its ``agreement`` and row."""
    if identification is None or identification == "unverified":
        return "study_unidentified", "The cited study could not be identified.", "computed"
    if judgement is not None:
        return judgement[0], judgement[1], "curated"
    if numbers:
        verdict, reason = _from_numbers(numbers, reads_as_mvc, gaps)
    elif findings:
        verdict, reason = _from_findings(findings, gaps)
    else:
        verdict, reason = "not_verifiable", "No number or finding in the readable sources bears on it."
    return verdict, reason + (f" Not covered: {gaps}" if gaps else ""), "computed"


def _from_numbers(numbers: list[dict[str, Any]], reads_as_mvc: bool, gaps: str | None) -> tuple[str, str]:
    checked = [n for n in numbers if n["primary"] is not None]
    differ = [n for n in checked if not same_at_precision(n["article"], n["primary"]["value"])]
    primaries = [n["primary"] for n in checked]
    not_mvc = [p for p in primaries if not is_mvc_comparable(p["metric"], p["normalisation_category"])]
    pairs = "; ".join(f"{fmt_number(n['article'])} vs {fmt_number(n['primary']['value'])}" for n in differ)
    if reads_as_mvc and not_mvc:
        metrics = sorted({label("metric", p["metric"]) for p in not_mvc})
        categories = sorted({label("normalisation_category", p["normalisation_category"]) for p in not_mvc})
        reason = (
            f"The article reads these numbers as activation (%MVC), but the paper reports "
            f"{', '.join(metrics)} ({', '.join(categories)})."
        )
        if differ:
            reason += f" The numbers also differ from the paper (article vs paper: {pairs})."
        return "metric_not_mvc", reason
    if differ:
        return "numbers_differ", (
            f"{len(differ)} of {len(numbers)} quoted numbers differ from the paper (article vs paper: {pairs})."
        )
    if not checked:
        return "not_verifiable", "No primary value could be read to check the quoted numbers against."
    if len(checked) < len(numbers):
        return "partly_supported", (
            f"{len(checked)} of {len(numbers)} quoted numbers match the paper; "
            f"{len(numbers) - len(checked)} could not be checked in the readable source."
        )
    return (
        "partly_supported" if gaps else "numbers_match",
        f"All {len(numbers)} quoted numbers match the paper.",
    )


def _from_findings(findings: list[dict[str, Any]], gaps: str | None) -> tuple[str, str]:
    if all(f["source_kind"] == "article" for f in findings):
        return "not_verifiable", "Only the article itself reports this comparison; no readable source does."
    counts = Counter(f["agreement"] for f in findings)
    tally = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    reason = f"Reported findings linked: {tally}."
    agree, no_diff, disagree = counts["agrees"], counts["no_difference"], counts["disagrees"]
    if disagree and not agree:
        return "contradicted", reason
    if no_diff and not agree and not disagree:
        return "no_difference_reported", reason
    if agree and (disagree or no_diff or counts["unclear"] or gaps):
        return "partly_supported", reason
    if agree:
        return "supported", reason
    return "not_verifiable", reason + " None states the asserted direction."


STRONG = {"supported", "numbers_match"}
PARTIAL = {"partly_supported", "numbers_differ"}


def support(verdicts: list[str]) -> tuple[str, str]:
    counts = Counter(verdicts)
    summary = f"{len(verdicts)} claims: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    if all(v in STRONG for v in verdicts):
        return "supported", summary
    if any(v in STRONG | PARTIAL for v in verdicts):
        return "partly supported", summary
    return "not shown by the evidence", summary
