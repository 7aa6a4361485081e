"""The data folder as one checked Dataset: the vocabularies (vocabulary.py), then each extraction
file on its own (``check_file``, given the folder's ``Context``), then what files may clash on
(``FolderCheck``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import plausibility
from .files import extraction_paths
from .records import EXTRACTION_SUFFIX, ExtractionIn, MeasurementIn, SourceIn, StudyIn
from .text import word_key
from .vocabulary import Dataset, Extraction, duplicate_records, duplicates, load_vocabulary
from .yaml_reader import DataError, parse, read_yaml, with_lines

__all__ = [
    "Context",
    "Dataset",
    "Extraction",
    "FolderCheck",
    "check_file",
    "cited_sources",
    "load_dataset",
    "load_vocabulary",
]


@dataclass(frozen=True)
class Context:
    """What checking one extraction file needs from the rest of the folder: the vocabularies' ids,
    the shared sources, and this year (a study may not be dated far ahead of it).

    A file may cite the shared sources (sources.yaml) and its own, not another file's: so one
    file is checked, and turned into rows, from itself and this context alone.
    """

    muscles: frozenset[str]
    exercises: frozenset[str]
    shared_sources: tuple[SourceIn, ...]
    this_year: int

    @classmethod
    def of(cls, ds: Dataset) -> Context:
        return cls(
            frozenset(m.id for m in ds.muscles),
            frozenset(e.id for e in ds.exercises),
            tuple(ds.shared_sources),
            date.today().year,
        )

    def sources_for(self, data: ExtractionIn) -> dict[str, SourceIn]:
        """The sources ``data`` may cite, by id (cited_sources)."""
        return cited_sources(self.shared_sources, data.sources)


def cited_sources(shared: Iterable[SourceIn], own: Iterable[SourceIn]) -> dict[str, SourceIn]:
    """The sources a file may cite, by id: the shared ones (sources.yaml), then its own (a file's
    own source of the same id wins)."""
    return {s.id: s for group in (shared, own) for s in group}


def load_dataset(data_dir: Path) -> Dataset:
    """Read and check the whole data folder; raise DataError listing every problem found.

    The vocabularies first, then each extraction file in turn: read, validated, checked on its
    own, then against the files before it. Every file is checked, so that every problem is
    reported at once; each names its file, field and (where known) line.
    """
    dataset, problems = load_vocabulary(data_dir)
    context = Context.of(dataset)
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
        errors, warnings = check_file(path, record, context)
        errors += folder.add(path, record.study, record.sources)
        problems += with_lines(errors, path, lines)
        dataset.warnings += with_lines(warnings, path, lines)
        dataset.extractions.append(Extraction(path, record))
    if problems:
        raise DataError(problems, dataset.warnings)
    return dataset


def check_file(path: Path, data: ExtractionIn, context: Context) -> tuple[list[str], list[str]]:
    """Every check of one extraction file on its own: its references (conditions, muscles,
    exercises, the sources it may cite, restatements) and the plausibility rules.

    :return: the errors, and the warnings (possible but suspicious)
    """
    sources = context.sources_for(data)
    muscles, exercises = context.muscles, context.exercises
    problems = _check_study(path, data, sources)
    problems += _check_conditions_and_measurements(path, data, sources, muscles, exercises)
    problems += _check_findings(path, data, sources, muscles)
    problems += _check_contrasts_and_reading(path, data, sources, muscles)
    report = plausibility.check_extraction(path, data, context.this_year)
    return problems + report.errors, report.warnings


class FolderCheck:
    """The checks between extraction files, fed one file at a time in file order: a study id
    matches its file name; study ids, DOIs, PMIDs and the files' own source ids are unique."""

    def __init__(self, shared_sources: tuple[SourceIn, ...] | list[SourceIn] = ()) -> None:
        self.shared = {s.id: s for s in shared_sources}
        self.source_owner: dict[str, Path] = {}
        self.study_owner: dict[str, Path] = {}
        self.doi_owner: dict[str, Path] = {}
        self.pmid_owner: dict[str, Path] = {}
        self.paper_owner: dict[tuple, Path] = {}

    def add(self, path: Path, study: StudyIn, sources: list[SourceIn]) -> list[str]:
        """The problems this file makes with the files added before it."""
        problems: list[str] = []
        sid = study.id
        if path.name != sid + EXTRACTION_SUFFIX:
            problems.append(f"{path}: study.id: {sid!r} does not match the file name")
        if sid in self.study_owner:
            problems.append(f"{path}: study.id: duplicate study id {sid!r} (also {self.study_owner[sid]})")
        self.study_owner[sid] = path
        # The study table holds each DOI and PMID once: a repeat is a copy-paste slip. DOIs are
        # case-insensitive (10.1002/CA.23068 is 10.1002/ca.23068) and a PMID is a number
        # ("012345" is 12345).
        for name, owners in (("doi", self.doi_owner), ("pmid", self.pmid_owner)):
            value = getattr(study, name)
            if value is None:
                continue
            same = value.lower() if name == "doi" else str(int(value))
            if same in owners:
                problems.append(f"{path}: study.{name}: duplicate {value!r} (also {owners[same]})")
            else:
                owners[same] = path
        # Without a DOI or PMID to tie them, the same paper entered twice under two ids is found
        # by its title (letters and digits only, casefolded), year and first author's surname.
        if study.title and study.year and study.authors:
            paper = (
                "".join(ch for ch in word_key(study.title) if ch.isalnum()),
                study.year,
                word_key(study.authors[0].split()[0]),
            )
            if paper in self.paper_owner:
                problems.append(
                    f"{path}: study.title: the same title, year and first author as {self.paper_owner[paper]}:"
                    " one paper entered twice?"
                )
            else:
                self.paper_owner[paper] = path
        for i, src in enumerate(sources):
            # A source id is one row of the source table: no file may repeat a shared source's
            # id (sources.yaml's), nor another file's, nor its own.
            if src.id in self.source_owner or src.id in self.shared:
                other = self.source_owner.get(src.id, "sources.yaml")
                problems.append(f"{path}: sources[{i}].id: duplicate source id {src.id!r} (also {other})")
            self.source_owner[src.id] = path
        return problems


def _unknown_source(source_id: str) -> str:
    return f"unknown source {source_id!r} (a file cites the sources of sources.yaml and its own)"


def _check_study(path: Path, data: ExtractionIn, sources: dict[str, SourceIn]) -> list[str]:
    """The study's own references: where its participants, PEDro score and fields were read."""
    problems: list[str] = []
    st = data.study
    if st.participants.source is not None and st.participants.source not in sources:
        problems.append(f"{path}: study.participants.source: {_unknown_source(st.participants.source)}")
    for name, source_id in st.read_on.items():
        if source_id not in sources:
            problems.append(f"{path}: study.read_on.{name}: {_unknown_source(source_id)}")
        elif getattr(st, name) is None:
            problems.append(f"{path}: study.read_on.{name}: the study gives no {name}")
    if (st.pedro_score is None) != (st.pedro_source is None) or (
        st.pedro_score is not None and not st.pedro_locator
    ):
        problems.append(
            f"{path}: study.pedro_source: give pedro_score, pedro_source and pedro_locator together"
        )
    elif st.pedro_source is not None:
        source = sources.get(st.pedro_source)
        if source is None:
            problems.append(f"{path}: study.pedro_source: {_unknown_source(st.pedro_source)}")
        elif source.kind != "review":
            problems.append(f"{path}: study.pedro_source: {st.pedro_source!r} is not a review")
    return problems


def _check_conditions_and_measurements(
    path: Path,
    data: ExtractionIn,
    sources: dict[str, SourceIn],
    muscles: frozenset[str],
    exercises: frozenset[str],
) -> list[str]:
    problems: list[str] = []
    conditions = {c.id for c in data.conditions}
    problems += duplicates(path, "conditions", [c.id for c in data.conditions])
    for i, c in enumerate(data.conditions):
        if c.exercise not in exercises:
            problems.append(f"{path}: conditions[{i}].exercise: unknown exercise {c.exercise!r}")
    keys: dict[str, MeasurementIn] = {}
    for i, m in enumerate(data.measurements):
        if m.key is not None:
            if m.key in keys:
                problems.append(f"{path}: measurements[{i}].key: duplicate key {m.key!r}")
            keys[m.key] = m
    problems += duplicate_records(path, "measurements", data.measurements)
    for i, m in enumerate(data.measurements):
        where = f"{path}: measurements[{i}]"
        if m.condition not in conditions:
            problems.append(f"{where}.condition: unknown condition {m.condition!r}")
        for name in ("muscle", "muscle_b"):
            value = getattr(m, name)
            if value is not None and value not in muscles:
                problems.append(f"{where}.{name}: unknown muscle {value!r}")
        source = sources.get(m.source)
        if source is None:
            problems.append(f"{where}.source: {_unknown_source(m.source)}")
        if m.restates is not None:
            problems += _check_restates(where, m, keys, sources, source)
    return problems


def _check_restates(
    where: str,
    m: MeasurementIn,
    keys: dict[str, MeasurementIn],
    sources: dict[str, SourceIn],
    source: SourceIn | None,
) -> list[str]:
    """A restatement points at a primary value of the same condition, muscle and metric."""
    problems: list[str] = []
    target = keys.get(m.restates or "")
    if target is None:
        problems.append(f"{where}.restates: no measurement with key {m.restates!r}")
    elif target is m:
        problems.append(f"{where}.restates: a measurement cannot restate itself")
    else:
        if sources.get(target.source) and sources[target.source].kind != "primary":
            problems.append(f"{where}.restates: {m.restates!r} is not a primary value")
        for name in ("condition", "muscle", "muscle_b", "metric"):
            if getattr(target, name) != getattr(m, name):
                problems.append(
                    f"{where}.restates: {m.restates!r} is for {name} {getattr(target, name)!r}, "
                    f"this value for {getattr(m, name)!r}"
                )
    if source is not None and source.kind == "primary":
        problems.append(f"{where}.restates: a primary value restates nothing")
    return problems


def _check_findings(
    path: Path, data: ExtractionIn, sources: dict[str, SourceIn], muscles: frozenset[str]
) -> list[str]:
    problems: list[str] = []
    conditions = {c.id for c in data.conditions}
    finding_keys = [f.key for f in data.findings if f.key is not None]
    for i, key in enumerate(finding_keys):
        if key in finding_keys[:i]:
            problems.append(f"{path}: findings: duplicate key {key!r}")
    problems += duplicate_records(path, "findings", data.findings)
    for i, f in enumerate(data.findings):
        where = f"{path}: findings[{i}]"
        for name in ("a", "b"):
            value = getattr(f, name)
            if value is not None and value not in conditions:
                problems.append(f"{where}.{name}: unknown condition {value!r}")
        for name in ("muscle", "muscle_b"):
            value = getattr(f, name)
            if value is not None and value not in muscles:
                problems.append(f"{where}.{name}: unknown muscle {value!r}")
        if f.source not in sources:
            problems.append(f"{where}.source: {_unknown_source(f.source)}")
    return problems


def _check_contrasts_and_reading(
    path: Path, data: ExtractionIn, sources: dict[str, SourceIn], muscles: frozenset[str]
) -> list[str]:
    """A contrast's conditions, muscle and source; a double extraction with nothing unresolved."""
    problems: list[str] = []
    conditions = {c.id for c in data.conditions}
    problems += duplicate_records(path, "contrasts", data.contrasts)
    for i, k in enumerate(data.contrasts):
        where = f"{path}: contrasts[{i}]"
        for name in ("a", "b"):
            if getattr(k, name) not in conditions:
                problems.append(f"{where}.{name}: unknown condition {getattr(k, name)!r}")
        if k.muscle not in muscles:
            problems.append(f"{where}.muscle: unknown muscle {k.muscle!r}")
        if k.source not in sources:
            problems.append(f"{where}.source: {_unknown_source(k.source)}")
    problems += duplicate_records(path, "reading_log", data.reading_log)
    de = data.double_extraction
    for i, d in enumerate(de.differences if de else ()):
        if d.resolved is None:
            problems.append(
                f"{path}: double_extraction.differences[{i}].resolved: {d.field!r} is unresolved; "
                "read the source again and record the value kept"
            )
    return problems
