"""Plain words for the coded values (vocabularies.yaml; the data and CSVs keep the codes): the
claim verdicts' reasons are written with them (analysis/verdicts.py), and the pages show them."""

from __future__ import annotations

from .allowed_values import VOCABULARIES

LABELS: dict[str, dict[str, str]] = {
    column: dict(values)  # type: ignore[arg-type]
    for column, values in VOCABULARIES.items()
    if None not in values.values()
}
# A direction the queries compute (analysis/sql/exercises_compared.sql), never one a file gives.
LABELS["direction"]["equal"] = "equal"
LABELS["kind"] = LABELS["provenance"]


def label(column: str, value: object) -> str:
    """The plain words for ``value`` of ``column``; the value itself if it has none."""
    if value is None:
        return ""
    return LABELS.get(column, {}).get(str(value), str(value))
