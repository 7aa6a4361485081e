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
    SourceIn,
    SynonymIn,
)
from .yaml_reader import DataError, parse, parse_list, read_yaml


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
    problems: list[str] = []
    muscles = {m.id for m in ds.muscles}
    exercises = {e.id for e in ds.exercises}
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

    # Source ids are global: the shared ones, then each file's own.
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

    for ex in ds.extractions:
        path, data = ex.path, ex.data
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
        for i, m in enumerate(data.measurements):
            where = f"{path}: measurements[{i}]"
            if m.condition not in conditions:
                problems.append(f"{where}.condition: unknown condition {m.condition!r}")
            if m.muscle not in muscles:
                problems.append(f"{where}.muscle: unknown muscle {m.muscle!r}")
            source = sources.get(m.source)
            if source is None:
                problems.append(f"{where}.source: unknown source {m.source!r}")
            if m.restates is not None:
                target = keys.get(m.restates)
                if target is None:
                    problems.append(f"{where}.restates: no measurement with key {m.restates!r}")
                elif target is m:
                    problems.append(f"{where}.restates: a measurement cannot restate itself")
                elif sources.get(target.source) and sources[target.source].kind != "primary":
                    problems.append(f"{where}.restates: {m.restates!r} is not a primary value")
                if source is not None and source.kind == "primary":
                    problems.append(f"{where}.restates: a primary value restates nothing")
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
