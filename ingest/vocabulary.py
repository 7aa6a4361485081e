"""The data folder's files other than the extractions and the claims, read and checked: the
vocabularies (muscles, their synonyms, exercises), the shared sources (sources.yaml) and the
reviews' pooled rows; and the two duplicate finders every file's checks use."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..schema.allowed_values import MUSCLE_GROUPS
from . import plausibility
from .files import extraction_paths, skipped_files
from .records import (
    EXTRACTION_SUFFIX,
    ExerciseIn,
    ExtractionIn,
    MuscleIn,
    ReviewPooledIn,
    SourceIn,
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


def load_vocabulary(data_dir: Path) -> tuple[Dataset, list[str]]:
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
    problems += _check_vocabularies(data_dir, dataset)
    problems += _check_review_pooled(data_dir, dataset)
    if not extraction_paths(data_dir):
        problems.append(f"{data_dir / 'extractions'}: (folder): no *{EXTRACTION_SUFFIX} files")
    return dataset, problems


def duplicates(path: Path, what: str, ids: list[str | None], name: str = "id") -> list[str]:
    """Each id (or key: ``name``) given before in the same list; None is no id."""
    seen: set[str | None] = set()
    out = []
    for i, value in enumerate(ids):
        if value in seen:
            out.append(f"{path}: {what}[{i}].{name}: duplicate {name} {value!r}")
        elif value is not None:
            seen.add(value)
    return out


def duplicate_records(path: Path, what: str, records: list) -> list[str]:
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


def _check_vocabularies(data_dir: Path, ds: Dataset) -> list[str]:
    """Ids unique within each file (sources.yaml's too), and the synonyms' muscles and words."""
    problems: list[str] = []
    muscles = {m.id for m in ds.muscles}
    problems += duplicates(data_dir / "vocab" / "muscles.yaml", "", [m.id for m in ds.muscles])
    problems += duplicates(data_dir / "vocab" / "exercises.yaml", "", [e.id for e in ds.exercises])
    problems += duplicates(data_dir / "sources.yaml", "", [s.id for s in ds.shared_sources])
    synonyms = data_dir / "vocab" / "synonyms.yaml"
    for i, s in enumerate(ds.synonyms):
        if s.muscle not in muscles:
            problems.append(f"{synonyms}: [{i}].muscle: unknown muscle {s.muscle!r}")
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
            problems.append(f"{synonyms}: [{i}].term: {same} {s.term!r} for {s.muscle!r}")
        else:
            pairs[key] = (i, s.term)
    return problems + _check_words(data_dir, ds)


def _check_words(data_dir: Path, ds: Dataset) -> list[str]:
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
                f"{data_dir / 'vocab' / 'synonyms.yaml'}: [{i}].term: {s.term!r} is the name of {named},"
                f" not of {s.muscle!r}"
            )
    for i, m in enumerate(ds.muscles):
        if m.group not in MUSCLE_GROUPS:
            problems.append(
                f"{data_dir / 'vocab' / 'muscles.yaml'}: [{i}].group: unknown group {m.group!r}"
                f" (one of {', '.join(MUSCLE_GROUPS)})"
            )
    owner: dict[str, str] = {}
    for e in ds.exercises:
        for n in (e.id, e.id.replace("_", " "), e.name):
            owner.setdefault(word_key(n), e.id)
    for i, e in enumerate(ds.exercises):
        for word in e.words:
            other = owner.setdefault(word_key(word), e.id)
            if other != e.id:
                exercises = data_dir / "vocab" / "exercises.yaml"
                problems.append(f"{exercises}: [{i}].words: {word!r} already names {other!r}")
    return problems


def _check_review_pooled(data_dir: Path, ds: Dataset) -> list[str]:
    """Each pooled row's review (a shared source of kind review), exercise and muscle."""
    sources = {s.id: s for s in ds.shared_sources}
    muscles = {m.id for m in ds.muscles}
    exercises = {e.id for e in ds.exercises}
    problems: list[str] = []
    problems += duplicate_records(data_dir / REVIEW_POOLED_FILE, "rows", list(ds.review_pooled))
    for i, r in enumerate(ds.review_pooled):
        where = f"{data_dir / REVIEW_POOLED_FILE}: [{i}]"
        plausibility.check_review_row(r, where, lambda field, message: problems.append(f"{field}: {message}"))
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
