"""The data folder as one checked Dataset: the vocabularies (vocabulary.py), then each extraction
file on its own (``check_file``), then what files may clash on (``FolderCheck``).

A file may cite the shared sources (sources.yaml) and its own, not another file's: so one file is
checked, and turned into rows, from itself and the vocabularies alone.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from . import plausibility
from .files import extraction_paths
from .records import EXTRACTION_SUFFIX, ExtractionIn, MeasurementIn, SourceIn, StudyIn
from .text import word_key
from .vocabulary import Dataset, Extraction, duplicate_records, duplicates, load_vocabulary
from .yaml_reader import DataError, parse, read_yaml, with_lines

__all__ = ["Dataset", "Extraction", "FolderCheck", "check_file", "load_dataset", "load_vocabulary"]


def load_dataset(data_dir: Path) -> Dataset:
    """Read and check the whole data folder; raise DataError listing every problem found.

    Every file is checked, so that every problem is reported at once; each names its file,
    field and (where known) line.
    """
    dataset, problems = load_vocabulary(data_dir)
    folder = FolderCheck(dataset.shared_sources)
    for path in extraction_paths(data_dir):
        lines: dict[str, int] = {}
        try:
            data = read_yaml(path, data_dir, lines)
            if not isinstance(data, dict):
                raise DataError([f"{path}: (top level): expected a mapping with study, conditions, ..."])
            record = parse(path, ExtractionIn, data, lines=lines)
        except DataError as e:
            problems += e.problems
            continue
        errors, warnings = check_file(path, record, dataset)
        errors += folder.add(path, record.study, record.sources)
        problems += with_lines(errors, path, lines)
        dataset.warnings += with_lines(warnings, path, lines)
        dataset.extractions.append(Extraction(path, record))
    if problems:
        raise DataError(problems, dataset.warnings)
    return dataset


def check_file(path: Path, data: ExtractionIn, ds: Dataset) -> tuple[list[str], list[str]]:
    """Every check of one extraction file on its own: what it refers to (conditions, muscles,
    exercises, the sources it may cite, restatements), then the plausibility rules.

    :return: the errors, and the warnings (possible but suspicious)
    """
    sources = {s.id: s for group in (ds.shared_sources, data.sources) for s in group}
    known = {
        "condition": {c.id for c in data.conditions},
        "muscle": {m.id for m in ds.muscles},
        "exercise": {e.id for e in ds.exercises},
        "source": set(sources),
    }

    def refers(where: str, record: Any, **fields: str) -> list[str]:
        """``record``'s fields that name something the file or the vocabularies lack."""
        out = []
        for name, kind in fields.items():
            value = getattr(record, name)
            if value is not None and value not in known[kind]:
                out.append(f"{path}: {where}.{name}: {_unknown(kind, value)}")
        return out

    st = data.study
    problems = refers("study.participants", st.participants, source="source")
    for name, source_id in st.read_on.items():
        if source_id not in sources:
            problems.append(f"{path}: study.read_on.{name}: {_unknown('source', source_id)}")
        elif getattr(st, name) is None:
            problems.append(f"{path}: study.read_on.{name}: the study gives no {name}")
    if (st.pedro_score is None) != (st.pedro_source is None) or (
        st.pedro_score is not None and not st.pedro_locator
    ):
        problems.append(
            f"{path}: study.pedro_source: give pedro_score, pedro_source and pedro_locator together"
        )
    elif st.pedro_source is not None:
        problems += refers("study", st, pedro_source="source")
        if st.pedro_source in sources and sources[st.pedro_source].kind != "review":
            problems.append(f"{path}: study.pedro_source: {st.pedro_source!r} is not a review")

    problems += duplicates(path, "conditions", [c.id for c in data.conditions])
    problems += duplicates(path, "measurements", [m.key for m in data.measurements], "key")
    problems += duplicates(path, "findings", [f.key for f in data.findings], "key")
    for section, fields in _REFERENCES.items():
        problems += duplicate_records(path, section, getattr(data, section))
        for i, record in enumerate(getattr(data, section)):
            problems += refers(f"{section}[{i}]", record, **fields)
    problems += duplicate_records(path, "reading_log", data.reading_log)
    keys = {m.key: m for m in data.measurements if m.key is not None}
    for i, m in enumerate(data.measurements):
        if m.restates is not None:
            problems += _check_restates(f"{path}: measurements[{i}]", m, keys, sources)
    for i, d in enumerate(data.double_extraction.differences if data.double_extraction else ()):
        if d.resolved is None:
            problems.append(
                f"{path}: double_extraction.differences[{i}].resolved: {d.field!r} is unresolved; "
                "read the source again and record the value kept"
            )
    report = plausibility.check_extraction(path, data, date.today().year)
    return problems + report.errors, report.warnings


#: What each record of a section names (field -> what it is), checked against the file and the
#: vocabularies.
_REFERENCES: dict[str, dict[str, str]] = {
    "conditions": {"exercise": "exercise"},
    "measurements": {"condition": "condition", "muscle": "muscle", "muscle_b": "muscle", "source": "source"},
    "findings": {
        "a": "condition",
        "b": "condition",
        "muscle": "muscle",
        "muscle_b": "muscle",
        "source": "source",
    },
    "contrasts": {"a": "condition", "b": "condition", "muscle": "muscle", "source": "source"},
}


def _unknown(kind: str, value: str) -> str:
    if kind == "source":
        return f"unknown source {value!r} (a file cites the sources of sources.yaml and its own)"
    return f"unknown {kind} {value!r}"


def _check_restates(
    where: str, m: MeasurementIn, keys: dict[str, MeasurementIn], sources: dict[str, SourceIn]
) -> list[str]:
    """A restatement points at a primary value of the same condition, muscle and metric."""
    problems: list[str] = []
    target = keys.get(m.restates or "")
    if target is None:
        problems.append(f"{where}.restates: no measurement with key {m.restates!r}")
    elif target is m:
        problems.append(f"{where}.restates: a measurement cannot restate itself")
    else:
        if target.source in sources and sources[target.source].kind != "primary":
            problems.append(f"{where}.restates: {m.restates!r} is not a primary value")
        for name in ("condition", "muscle", "muscle_b", "metric"):
            if getattr(target, name) != getattr(m, name):
                problems.append(
                    f"{where}.restates: {m.restates!r} is for {name} {getattr(target, name)!r}, "
                    f"this value for {getattr(m, name)!r}"
                )
    if m.source in sources and sources[m.source].kind == "primary":
        problems.append(f"{where}.restates: a primary value restates nothing")
    return problems


class FolderCheck:
    """The checks between extraction files, fed one file at a time in file order: a study id
    matches its file name; study ids, DOIs, PMIDs, papers and the files' own source ids are unique."""

    def __init__(self, shared_sources: list[SourceIn] | tuple[SourceIn, ...] = ()) -> None:
        self.shared = {s.id for s in shared_sources}
        #: what -> value -> the file that gave it first
        self.owner: dict[str, dict[Any, Path]] = {
            "study": {},
            "doi": {},
            "pmid": {},
            "paper": {},
            "source": {},
        }

    def add(self, path: Path, study: StudyIn, sources: list[SourceIn]) -> list[str]:
        """The problems this file makes with the files added before it."""
        problems: list[str] = []
        sid = study.id
        if path.name != sid + EXTRACTION_SUFFIX:
            problems.append(f"{path}: study.id: {sid!r} does not match the file name")
        if sid in self.owner["study"]:
            problems.append(f"{path}: study.id: duplicate study id {sid!r} (also {self.owner['study'][sid]})")
        self.owner["study"][sid] = path
        # The study table holds each DOI and PMID once: a repeat is a copy-paste slip. DOIs are
        # case-insensitive (10.1002/CA.23068 is 10.1002/ca.23068) and a PMID is a number
        # ("012345" is 12345).
        for name in ("doi", "pmid"):
            value = getattr(study, name)
            if value is None:
                continue
            same = value.lower() if name == "doi" else str(int(value))
            if same in self.owner[name]:
                problems.append(f"{path}: study.{name}: duplicate {value!r} (also {self.owner[name][same]})")
            else:
                self.owner[name][same] = path
        # Without a DOI or PMID to tie them, the same paper entered twice under two ids is found
        # by its title (letters and digits only, casefolded), year and first author's surname.
        if study.title and study.year and study.authors:
            title = "".join(ch for ch in word_key(study.title) if ch.isalnum())
            paper = (title, study.year, word_key(study.authors[0].split()[0]))
            if paper in self.owner["paper"]:
                problems.append(
                    f"{path}: study.title: the same title, year and first author as {self.owner['paper'][paper]}:"
                    " one paper entered twice?"
                )
            else:
                self.owner["paper"][paper] = path
        for i, src in enumerate(sources):
            # A source id is one row of the source table: no file may repeat a shared source's
            # id (sources.yaml's), nor another file's, nor its own.
            if src.id in self.owner["source"] or src.id in self.shared:
                other = self.owner["source"].get(src.id, "sources.yaml")
                problems.append(f"{path}: sources[{i}].id: duplicate source id {src.id!r} (also {other})")
            self.owner["source"][src.id] = path
        return problems
