"""The comparison of two independent extractions, and the records that carry its result."""

import copy

import pytest
import yaml
from pydantic import ValidationError

from emg_evidence.ingest.double_extraction import compare
from emg_evidence.ingest.records import ContrastIn, DoubleExtractionIn
from emg_evidence.paths import DATA_DIR

FILES = sorted((DATA_DIR / "extractions").glob("*.extraction.yaml"))


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FILES[:10], ids=lambda p: p.name)
def test_a_file_agrees_with_itself(path):
    doc = _load(path)
    cmp = compare(doc, copy.deepcopy(doc))
    assert cmp.differences == []
    assert cmp.fields_compared >= len(doc.get("measurements") or [])


def test_a_changed_value_is_one_difference_and_renamed_ids_are_none():
    path = next(p for p in FILES if len(_load(p).get("measurements") or []) >= 3)
    first = _load(path)
    second = copy.deepcopy(first)
    # The second extractor's own condition ids: matched by exercise, not by id.
    renamed = {c["id"]: f"x_{c['id']}" for c in second["conditions"]}
    for c in second["conditions"]:
        c["id"] = renamed[c["id"]]
    for m in second.get("measurements") or []:
        m["condition"] = renamed[m["condition"]]
    for f in second.get("findings") or []:
        f["a"] = renamed[f["a"]]
        if f.get("b"):
            f["b"] = renamed[f["b"]]
    assert compare(first, second).differences == []
    second["measurements"][1]["value"] = second["measurements"][1]["value"] + 1.5
    differences = compare(first, second).differences
    assert [d["field"].rsplit(".", 1)[-1] for d in differences] == ["value"]
    assert differences[0]["first"] == str(first["measurements"][1]["value"])


def test_a_value_only_one_extraction_has_is_a_difference():
    path = next(p for p in FILES if len(_load(p).get("measurements") or []) >= 2)
    first = _load(path)
    second = copy.deepcopy(first)
    dropped = second["measurements"].pop()
    differences = compare(first, second).differences
    assert len(differences) == 1
    assert differences[0]["second"] is None and f"value={dropped['value']}" in differences[0]["first"]


CONTRAST = dict(
    a="a", b="b", muscle="gluteus_maximus", metric="emg_amplitude", normalisation_category="mvc_same_task",
    statistic="mean", phase="whole", estimate_type="mean_difference", estimate=10.0, source="s", locator="abstract",
)  # fmt: skip


def test_contrast_records_refuse_what_cannot_be():
    ContrastIn(**CONTRAST, ci_low=5.0, ci_high=15.0, ci_level=0.95)
    with pytest.raises(ValidationError, match="outside its own interval"):
        ContrastIn(**CONTRAST, ci_low=12.0, ci_high=15.0, ci_level=0.95)
    with pytest.raises(ValidationError, match="ci_level"):
        ContrastIn(**CONTRAST, ci_low=5.0, ci_high=15.0)
    with pytest.raises(ValidationError, match="same condition"):
        ContrastIn(**{**CONTRAST, "b": "a"})
    with pytest.raises(ValidationError, match="ratio must be positive"):
        ContrastIn(**{**CONTRAST, "estimate_type": "ratio", "estimate": -1.0})


def test_double_extraction_counts_its_differences():
    d = {"field": "measurements[x].value", "first": "1", "second": "2", "resolved": "1", "how": "Table 2"}
    DoubleExtractionIn(fields_compared=5, fields_differed=1, method="two extractors", differences=[d])
    with pytest.raises(ValidationError, match="fields_differed"):
        DoubleExtractionIn(fields_compared=5, fields_differed=2, method="two extractors", differences=[d])
