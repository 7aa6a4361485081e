"""The data folder as one checked Dataset: every file parsed, then every reference resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .records import (
    EXTRACTION_SUFFIX,
    ExerciseIn,
    ExtractionIn,
    MeasurementIn,
    MuscleIn,
    ReviewPooledIn,
    SourceIn,
    SynonymIn,
)
from .yaml_reader import DataError, parse, parse_list, read_yaml

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


def load_dataset(data_dir: Path) -> Dataset:
    """Read and check the whole data folder; raise DataError listing every problem found."""
    problems: list[str] = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except DataError as e:
            problems.extend(e.problems)
            return None

    muscles = attempt(parse_list, data_dir / "vocab" / "muscles.yaml", MuscleIn) or []
    synonyms = attempt(parse_list, data_dir / "vocab" / "synonyms.yaml", SynonymIn) or []
    exercises = attempt(parse_list, data_dir / "vocab" / "exercises.yaml", ExerciseIn) or []
    shared = attempt(parse_list, data_dir / "sources.yaml", SourceIn) or []
    dataset = Dataset(muscles, synonyms, exercises, shared)
    # Optional: a data folder without reviews (a synthetic one) has no such file.
    if (data_dir / REVIEW_POOLED_FILE).exists():
        dataset.review_pooled = attempt(parse_list, data_dir / REVIEW_POOLED_FILE, ReviewPooledIn) or []

    paths = sorted((data_dir / "extractions").glob("*" + EXTRACTION_SUFFIX))
    if not paths:
        problems.append(f"{data_dir / 'extractions'}: (folder): no *{EXTRACTION_SUFFIX} files")
    for path in paths:
        data = attempt(read_yaml, path)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}: (top level): expected a mapping with study, conditions, ...")
            continue
        parsed = attempt(parse, path, ExtractionIn, data)
        if parsed is not None:
            dataset.extractions.append(Extraction(path, parsed))

    problems.extend(cross_check(dataset))
    if problems:
        raise DataError(problems)
    return dataset


def _duplicates(path: Path, what: str, ids: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, value in enumerate(ids):
        if value in seen:
            out.append(f"{path}: {what}[{i}].id: duplicate id {value!r}")
        seen.add(value)
    return out


def cross_check(ds: Dataset) -> list[str]:
    """References between records: ids exist, are unique, and point at the right kind of thing."""
    problems = _check_vocabularies(ds)
    sources, more = _collect_sources(ds)
    problems += more
    muscles = {m.id for m in ds.muscles}
    exercises = {e.id for e in ds.exercises}
    for ex in ds.extractions:
        problems += _check_study(ex.path, ex.data, sources)
        problems += _check_conditions_and_measurements(ex.path, ex.data, sources, muscles, exercises)
        problems += _check_findings(ex.path, ex.data, sources, muscles)
    problems += _check_review_pooled(ds, sources, muscles, exercises)
    return problems


def _check_vocabularies(ds: Dataset) -> list[str]:
    problems: list[str] = []
    muscles = {m.id for m in ds.muscles}
    problems += _duplicates(Path("vocab/muscles.yaml"), "", [m.id for m in ds.muscles])
    problems += _duplicates(Path("vocab/exercises.yaml"), "", [e.id for e in ds.exercises])
    for i, s in enumerate(ds.synonyms):
        if s.muscle not in muscles:
            problems.append(f"vocab/synonyms.yaml: [{i}].muscle: unknown muscle {s.muscle!r}")
    pairs: set[tuple[str, str]] = set()
    for i, s in enumerate(ds.synonyms):
        if (s.term, s.muscle) in pairs:
            problems.append(f"vocab/synonyms.yaml: [{i}].term: duplicate {s.term!r} for {s.muscle!r}")
        pairs.add((s.term, s.muscle))
    return problems


def _collect_sources(ds: Dataset) -> tuple[dict[str, SourceIn], list[str]]:
    """Every source by id (they are global: the shared ones, then each file's own), and the
    problems of ids: duplicate studies, sources, DOIs and PMIDs."""
    problems: list[str] = []
    sources: dict[str, SourceIn] = {s.id: s for s in ds.shared_sources}
    source_owner: dict[str, Path] = {}
    study_owner: dict[str, Path] = {}
    doi_owner: dict[str, Path] = {}
    pmid_owner: dict[str, Path] = {}
    for ex in ds.extractions:
        path, data = ex.path, ex.data
        sid = data.study.id
        if path.name != sid + EXTRACTION_SUFFIX:
            problems.append(f"{path}: study.id: {sid!r} does not match the file name")
        if sid in study_owner:
            problems.append(f"{path}: study.id: duplicate study id {sid!r} (also {study_owner[sid]})")
        study_owner[sid] = path
        # The study table holds each DOI and PMID once: a repeat is a copy-paste slip.
        for name, owners in (("doi", doi_owner), ("pmid", pmid_owner)):
            value = getattr(data.study, name)
            if value is not None and value in owners:
                problems.append(f"{path}: study.{name}: duplicate {value!r} (also {owners[value]})")
            elif value is not None:
                owners[value] = path
        for i, src in enumerate(data.sources):
            if src.id in sources and (src.id in source_owner or sources[src.id] != src):
                other = source_owner.get(src.id, "sources.yaml")
                problems.append(f"{path}: sources[{i}].id: duplicate source id {src.id!r} (also {other})")
            sources[src.id] = src
            source_owner[src.id] = path
    return sources, problems


def _check_study(path: Path, data: ExtractionIn, sources: dict[str, SourceIn]) -> list[str]:
    """The study's own references: where its participants, PEDro score and fields were read."""
    problems: list[str] = []
    st = data.study
    if st.participants.source is not None and st.participants.source not in sources:
        problems.append(f"{path}: study.participants.source: unknown source {st.participants.source!r}")
    for name, source_id in st.read_on.items():
        if source_id not in sources:
            problems.append(f"{path}: study.read_on.{name}: unknown source {source_id!r}")
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
            problems.append(f"{path}: study.pedro_source: unknown source {st.pedro_source!r}")
        elif source.kind != "review":
            problems.append(f"{path}: study.pedro_source: {st.pedro_source!r} is not a review")
    return problems


def _check_conditions_and_measurements(
    path: Path,
    data: ExtractionIn,
    sources: dict[str, SourceIn],
    muscles: set[str],
    exercises: set[str],
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
    study_n = data.study.participants.n
    for i, m in enumerate(data.measurements):
        where = f"{path}: measurements[{i}]"
        if m.condition not in conditions:
            problems.append(f"{where}.condition: unknown condition {m.condition!r}")
        for name in ("muscle", "muscle_b"):
            value = getattr(m, name)
            if value is not None and value not in muscles:
                problems.append(f"{where}.{name}: unknown muscle {value!r}")
        # A value's n above the study's participants would weigh it up to that many times
        # over in a pool (an n of 500 in a 10-person study).
        if m.n is not None and study_n is not None and m.n > study_n:
            problems.append(f"{where}.n: {m.n} is more than the study's {study_n} participants")
        source = sources.get(m.source)
        if source is None:
            problems.append(f"{where}.source: unknown source {m.source!r}")
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
        for name in ("condition", "muscle", "metric"):
            if getattr(target, name) != getattr(m, name):
                problems.append(
                    f"{where}.restates: {m.restates!r} is for {name} {getattr(target, name)!r}, "
                    f"this value for {getattr(m, name)!r}"
                )
    if source is not None and source.kind == "primary":
        problems.append(f"{where}.restates: a primary value restates nothing")
    return problems


def _check_findings(
    path: Path, data: ExtractionIn, sources: dict[str, SourceIn], muscles: set[str]
) -> list[str]:
    problems: list[str] = []
    conditions = {c.id for c in data.conditions}
    finding_keys = [f.key for f in data.findings if f.key is not None]
    for i, key in enumerate(finding_keys):
        if key in finding_keys[:i]:
            problems.append(f"{path}: findings: duplicate key {key!r}")
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
            problems.append(f"{where}.source: unknown source {f.source!r}")
    return problems


def _check_review_pooled(
    ds: Dataset, sources: dict[str, SourceIn], muscles: set[str], exercises: set[str]
) -> list[str]:
    problems: list[str] = []
    for i, r in enumerate(ds.review_pooled):
        where = f"{REVIEW_POOLED_FILE}: [{i}]"
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
