"""Values that contradict their own labels, findings that contradict their own p, study facts
that contradict each other, review rows that cannot be, vocabularies that name two things, and
text that looks like something it is not: each refused with the field named (issue: hardening,
round three). In-process, on the real data files with one change each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from emg_evidence.ingest import plausibility
from emg_evidence.ingest.dataset import FolderCheck, load_vocabulary
from emg_evidence.ingest.records import ExtractionIn, SourceIn, StudyIn
from emg_evidence.ingest.text import forbidden_character
from emg_evidence.paths import DATA_DIR

BASE = DATA_DIR / "extractions" / "contreras2015.extraction.yaml"


def _doc() -> dict:
    return yaml.safe_load(BASE.read_text(encoding="utf-8"))


def _problems(doc: dict) -> list[str]:
    report = plausibility.check_extraction(Path("f.yaml"), ExtractionIn.model_validate(doc), 2026)
    return report.errors + report.warnings


def test_the_real_file_passes():
    assert _problems(_doc()) == []


def _measurement(doc: dict, **changes) -> dict:
    doc["measurements"][0].update(changes)
    return doc


def _finding(doc: dict, **changes) -> dict:
    doc["findings"][0].update(changes)
    return doc


CASES = {
    "%MVIC not normalised": (lambda d: _measurement(d, normalisation_category="not_normalised"), "measurements[0].normalisation_category"),
    "mV with an MVC category": (lambda d: _measurement(d, unit="mV"), "measurements[0].normalisation_category"),
    "an IQR with a mean": (lambda d: _measurement(d, dispersion=3.0, dispersion_type="iqr", central_tendency="mean"), "measurements[0].dispersion_type"),
    "n of a million": (lambda d: _measurement(d, n=1_000_000), "measurements[0].n"),
    "a fraction among percents": (lambda d: _measurement(d, value=0.695), "measurements[0].value"),
    "no_difference at p < 0.001": (lambda d: _finding(d, direction="no_difference", p_value=0.001, p_relation="<"), "findings[0].direction"),
    "a_greater at p = 0.3": (lambda d: _finding(d, direction="a_greater", p_value=0.3, p_relation="="), "findings[0].direction"),
    "a_greater with nothing to compare": (lambda d: _finding(d, b=None, muscle_b=None), "findings[0].b"),
    "a trend with a second condition": (lambda d: _finding(d, direction="increases"), "findings[0].direction"),
    "a negative ratio": (lambda d: _finding(d, size=-2.0, size_type="ratio", direction="mixed"), "findings[0].size"),
    "below -100%": (lambda d: _finding(d, size=-150.0, size_type="percent_difference", direction="mixed"), "findings[0].size"),
    "an age of 250": (lambda d: d["study"]["participants"].update(age_mean=250.0), "study.participants.age_mean"),
    "an age SD above the age": (lambda d: d["study"]["participants"].update(age_mean=22.0, age_sd=30.0), "study.participants.age_sd"),
    "40 training years at 22": (lambda d: d["study"]["participants"].update(age_mean=22.0, training_years_mean=40.0), "study.participants.training_years_mean"),
    "5,000 participants": (lambda d: d["study"]["participants"].update(n=5000), "study.participants.n"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_contradiction_is_refused_with_its_field(case):
    change, field = CASES[case]
    doc = _doc()
    change(doc)
    problems = _problems(doc)
    assert any(f": {field}: " in p for p in problems), problems


@pytest.mark.parametrize(
    "changes",
    [
        {"load_kg": 5000.0},
        {"load_kg": float("inf")},
        {"knee_angle_deg": float("nan")},
    ],
)
def test_impossible_loads_are_not_numbers_or_too_heavy(changes):
    doc = _doc()
    doc["conditions"][0].update(changes)
    with pytest.raises(ValidationError):
        ExtractionIn.model_validate(doc)


def test_raw_microvolts_have_their_own_range():
    doc = _measurement(_doc(), unit="µV", normalisation_category="not_normalised", value=850.0)
    doc["measurements"][0].pop("dispersion", None)
    ExtractionIn.model_validate(doc)


@pytest.mark.parametrize(
    "text", ["a\u200bb", "title\u2060", "x\ufeff", "\U000e0041", "\u3164", "soft\u00adhyphen"]
)
def test_invisible_characters_are_named(text):
    message = forbidden_character(text)
    assert message is not None and "U+" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://pubmed.ncbi.nlm.nih.gov@evil.example/1",
        "https://pubmеd.ncbi.nlm.nih.gov/1",  # a Cyrillic е
        'https://example.org/"><script>',
        "javascript:alert(1)",
    ],
)
def test_deceptive_urls_are_refused(url):
    with pytest.raises(ValidationError):
        SourceIn(id="s", kind="primary", citation="c", url=url)


@pytest.mark.parametrize("field,value", [("doi", "10.１２３４/abc"), ("pmid", "١٢٣٤٥")])
def test_identifiers_take_ascii_digits_only(field, value):
    doc = _doc()["study"]
    doc[field] = value
    with pytest.raises(ValidationError):
        StudyIn.model_validate(doc)


def test_the_same_paper_under_two_ids_is_found():
    study = StudyIn.model_validate(_doc()["study"])
    twin = study.model_copy(update={"id": "twin2015", "doi": None, "pmid": None})
    check = FolderCheck()
    assert check.add(Path("contreras2015.extraction.yaml"), study, []) == []
    problems = check.add(Path("twin2015.extraction.yaml"), twin, [])
    assert any("study.title" in p and "entered twice" in p for p in problems)


def _vocab_problems(tmp_path: Path, edit) -> list[str]:
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    edit(folder)
    return load_vocabulary(folder)[1]


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def test_vocabularies_name_one_thing(tmp_path):
    assert _vocab_problems(tmp_path / "a", lambda f: None) == []
    problems = _vocab_problems(
        tmp_path / "b",
        lambda f: _append(
            f / "vocab" / "exercises.yaml",
            "- {id: new_thing, name: new thing, pattern: hinge, words: [rdl]}\n",
        ),
    )
    assert any("exercises.yaml" in p and "'rdl' already names" in p for p in problems), problems
    problems = _vocab_problems(
        tmp_path / "c",
        lambda f: _append(
            f / "vocab" / "synonyms.yaml", "- {term: gluteus medius, muscle: gluteus_maximus, kind: lay}\n"
        ),
    )
    assert any("synonyms.yaml" in p and "is the name of 'gluteus_medius'" in p for p in problems), problems
    problems = _vocab_problems(
        tmp_path / "d",
        lambda f: _append(
            f / "vocab" / "muscles.yaml", "- {id: new_muscle, name: new muscle, group: glutaels}\n"
        ),
    )
    assert any("muscles.yaml" in p and "unknown group 'glutaels'" in p for p in problems), problems
