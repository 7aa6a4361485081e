"""The data folder as one checked Dataset: the vocabularies, then each extraction file on its own
(``check_file``, given the folder's ``Context``), then what files may clash on (``FolderCheck``)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..schema.allowed_values import MUSCLE_GROUPS
from . import consistency, plausibility
from .files import extraction_paths, skipped_files
from .records import (
    EXTRACTION_SUFFIX,
    ExerciseIn,
    ExtractionIn,
    MeasurementIn,
    MuscleIn,
    ReviewPooledIn,
    SourceIn,
    StudyIn,
    SynonymIn,
)
from .text import word_key
from .yaml_reader import DataError, parse_list

REVIEW_POOLED_FILE = "review_pooled.yaml"


@dataclass
class Extraction:
    path: Path
    data: ExtractionIn


@dataclass
class Dataset:
    """Everything the build loads, validated and cross-checked."""

    muscles: list[MuscleIn]
    synonyms: list[SynonymIn]
    exercises: list[ExerciseIn]
    shared_sources: list[SourceIn]
    extractions: list[Extraction] = field(default_factory=list)
    #: Reviews' pooled rows (data/review_pooled.yaml); kept apart from the measurements.
    review_pooled: list[ReviewPooledIn] = field(default_factory=list)
    #: `<file>: <field>: <message>` of what is possible but suspicious (plausibility warnings,
    #: files the build does not read); `evidence build --strict` refuses these too.
    warnings: list[str] = field(default_factory=list)


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

    def digest(self) -> str:
        """A hash of everything a file's checks and rows depend on besides the file itself."""
        parts = (sorted(self.muscles), sorted(self.exercises), self.this_year,
                 [s.model_dump(mode="json") for s in self.shared_sources])  # fmt: skip
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def sources_for(self, data: ExtractionIn) -> dict[str, SourceIn]:
        """The sources ``data`` may cite, by id (cited_sources)."""
        return cited_sources(self.shared_sources, data.sources)


def cited_sources(shared: Iterable[SourceIn], own: Iterable[SourceIn]) -> dict[str, SourceIn]:
    """The sources a file may cite, by id: the shared ones (sources.yaml), then its own (a file's
    own source of the same id wins)."""
    return {s.id: s for group in (shared, own) for s in group}


def load_vocabulary(data_dir: Path) -> tuple[Dataset, list[str]]:
    """The folder's files other than the extractions and claims, read and checked: a Dataset
    without extractions, and the problems found (each file's problems, then the checks')."""
    problems: list[str] = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except DataError as e:
            problems.extend(e.problems)
            return None

    # Every file is read with data_dir as its root: a symlink out of the data folder is refused.
    muscles = attempt(parse_list, data_dir / "vocab" / "muscles.yaml", MuscleIn, data_dir) or []
    synonyms = attempt(parse_list, data_dir / "vocab" / "synonyms.yaml", SynonymIn, data_dir) or []
    exercises = attempt(parse_list, data_dir / "vocab" / "exercises.yaml", ExerciseIn, data_dir) or []
    shared = attempt(parse_list, data_dir / "sources.yaml", SourceIn, data_dir) or []
    # Files that look like data but that the build does not read are named, not ignored.
    dataset = Dataset(muscles, synonyms, exercises, shared, warnings=skipped_files(data_dir))
    # Optional: a data folder without reviews (a synthetic one) has no such file. lexists: a
    # broken symlink is named, not skipped.
    if os.path.lexists(data_dir / REVIEW_POOLED_FILE):
        dataset.review_pooled = (
            attempt(parse_list, data_dir / REVIEW_POOLED_FILE, ReviewPooledIn, data_dir) or []
        )
    problems += _check_vocabularies(dataset)
    problems += _check_review_pooled(dataset)
    if not extraction_paths(data_dir):
        problems.append(f"{data_dir / 'extractions'}: (folder): no *{EXTRACTION_SUFFIX} files")
    return dataset, problems


def load_dataset(data_dir: Path) -> Dataset:
    """Read and check the whole data folder; raise DataError listing every problem found.

    The same checks as ``evidence build``, in the same order: the vocabularies, then each
    extraction file in turn (its own problems, then those it makes with the files before it).
    """
    # Deferred: parse_cache imports this module.
    from .parse_cache import results

    dataset, problems = load_vocabulary(data_dir)
    folder = FolderCheck(dataset.shared_sources)
    for result in results(extraction_paths(data_dir), data_dir, Context.of(dataset), keep_records=True):
        problems += result.problems
        dataset.warnings += result.warnings
        if result.record is not None:
            problems += folder.add(result.path, result.record.study, result.record.sources)
            dataset.extractions.append(Extraction(result.path, result.record))
    if problems:
        raise DataError(problems, dataset.warnings)
    return dataset


def _duplicates(path: Path, what: str, ids: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, value in enumerate(ids):
        if value in seen:
            out.append(f"{path}: {what}[{i}].id: duplicate id {value!r}")
        seen.add(value)
    return out


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
            # A file may repeat a shared source as it is; no two files may give the same id.
            if src.id in self.source_owner or self.shared.get(src.id, src) != src:
                other = self.source_owner.get(src.id, "sources.yaml")
                problems.append(f"{path}: sources[{i}].id: duplicate source id {src.id!r} (also {other})")
            self.source_owner[src.id] = path
        return problems


def _check_vocabularies(ds: Dataset) -> list[str]:
    problems: list[str] = []
    muscles = {m.id for m in ds.muscles}
    problems += _duplicates(Path("vocab/muscles.yaml"), "", [m.id for m in ds.muscles])
    problems += _duplicates(Path("vocab/exercises.yaml"), "", [e.id for e in ds.exercises])
    for i, s in enumerate(ds.synonyms):
        if s.muscle not in muscles:
            problems.append(f"vocab/synonyms.yaml: [{i}].muscle: unknown muscle {s.muscle!r}")
    # Words are looked up NFKC-casefolded (text.word_key): 'Glutes' and 'glutes' are one word.
    pairs: dict[tuple[str, str], tuple[int, str]] = {}
    for i, s in enumerate(ds.synonyms):
        key = (word_key(s.term), s.muscle)
        if key in pairs:
            j, other = pairs[key]
            same = (
                "duplicate"
                if other == s.term
                else f"the same word as [{j}] {other!r} once case and width are ignored:"
            )
            problems.append(f"vocab/synonyms.yaml: [{i}].term: {same} {s.term!r} for {s.muscle!r}")
        else:
            pairs[key] = (i, s.term)
    return problems + _check_words(ds)


def _check_words(ds: Dataset) -> list[str]:
    """One word names one thing: a synonym never names another muscle, an exercise's word never
    another exercise; a muscle's group is one of MUSCLE_GROUPS (a misspelt group would be a group
    of its own, and its muscles would drop out of every group query)."""
    problems: list[str] = []
    # A name may be shared by a muscle's regions (gluteus medius, anterior and posterior).
    names: dict[str, set[str]] = {}
    for m in ds.muscles:
        for n in (m.name, m.id.replace("_", " "), m.id):
            names.setdefault(word_key(n), set()).add(m.id)
    for i, s in enumerate(ds.synonyms):
        owners = names.get(word_key(s.term), set())
        if owners and s.muscle not in owners:
            named = ", ".join(repr(o) for o in sorted(owners))
            problems.append(
                f"vocab/synonyms.yaml: [{i}].term: {s.term!r} is the name of {named}, not of {s.muscle!r}"
            )
    for i, m in enumerate(ds.muscles):
        if m.group not in MUSCLE_GROUPS:
            problems.append(
                f"vocab/muscles.yaml: [{i}].group: unknown group {m.group!r} (one of {', '.join(MUSCLE_GROUPS)})"
            )
    owner: dict[str, str] = {}
    for e in ds.exercises:
        for n in (e.id, e.id.replace("_", " "), e.name):
            owner.setdefault(word_key(n), e.id)
    for i, e in enumerate(ds.exercises):
        for word in e.words:
            other = owner.setdefault(word_key(word), e.id)
            if other != e.id:
                problems.append(f"vocab/exercises.yaml: [{i}].words: {word!r} already names {other!r}")
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
    problems += _duplicates(path, "conditions", [c.id for c in data.conditions])
    for i, c in enumerate(data.conditions):
        if c.exercise not in exercises:
            problems.append(f"{path}: conditions[{i}].exercise: unknown exercise {c.exercise!r}")
    keys: dict[str, MeasurementIn] = {}
    for i, m in enumerate(data.measurements):
        if m.key is not None:
            if m.key in keys:
                problems.append(f"{path}: measurements[{i}].key: duplicate key {m.key!r}")
            keys[m.key] = m
    problems += _duplicate_records(path, "measurements", data.measurements)
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


def _duplicate_records(path: Path, what: str, records: list) -> list[str]:
    """The same record twice (a copy-paste, or an alias listed twice): it would count twice in
    every pool. Records are compared whole; two values differing only in their key are the same
    value under two names."""
    problems = []
    first: dict = {}
    for i, record in enumerate(records):
        # Every field's value but the key's, in field order: what the (frozen, hashable) model's
        # own == and hash compare, without a copy of each record.
        same = tuple(value for name, value in record.__dict__.items() if name != "key")
        if same in first:
            problems.append(f"{path}: {what}[{i}]: the same record as {what}[{first[same]}]")
        else:
            first[same] = i
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
    problems += _duplicate_records(path, "findings", data.findings)
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
    problems += _duplicate_records(path, "contrasts", data.contrasts)
    for i, k in enumerate(data.contrasts):
        where = f"{path}: contrasts[{i}]"
        for name in ("a", "b"):
            if getattr(k, name) not in conditions:
                problems.append(f"{where}.{name}: unknown condition {getattr(k, name)!r}")
        if k.muscle not in muscles:
            problems.append(f"{where}.muscle: unknown muscle {k.muscle!r}")
        if k.source not in sources:
            problems.append(f"{where}.source: {_unknown_source(k.source)}")
    problems += _duplicate_records(path, "reading_log", data.reading_log)
    de = data.double_extraction
    for i, d in enumerate(de.differences if de else ()):
        if d.resolved is None:
            problems.append(
                f"{path}: double_extraction.differences[{i}].resolved: {d.field!r} is unresolved; "
                "read the source again and record the value kept"
            )
    return problems


def _check_review_pooled(ds: Dataset) -> list[str]:
    """Each pooled row's review (a shared source of kind review), exercise and muscle."""
    sources = {s.id: s for s in ds.shared_sources}
    muscles = {m.id for m in ds.muscles}
    exercises = {e.id for e in ds.exercises}
    problems: list[str] = []
    problems += _duplicate_records(Path(REVIEW_POOLED_FILE), "rows", list(ds.review_pooled))
    for i, r in enumerate(ds.review_pooled):
        where = f"{REVIEW_POOLED_FILE}: [{i}]"
        consistency.check_review_row(r, where, lambda field, message: problems.append(f"{field}: {message}"))
        source = sources.get(r.review)
        if source is None:
            problems.append(f"{where}.review: unknown source {r.review!r}")
        elif source.kind != "review":
            problems.append(f"{where}.review: {r.review!r} is not a review")
        if r.exercise not in exercises:
            problems.append(f"{where}.exercise: unknown exercise {r.exercise!r}")
        if r.muscle not in muscles:
            problems.append(f"{where}.muscle: unknown muscle {r.muscle!r}")
    return problems
