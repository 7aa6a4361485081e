"""Read and validate the data folder: vocabularies, shared sources and extraction files.

Everything is checked before anything is written, and every problem is reported as
``<file>: <field>: <message>``, so a curator can find the line to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schema.vocabularies import (
    DIRECTIONS,
    DISPERSION_TYPES,
    ELECTRODES,
    EXERCISE_PATTERNS,
    IDENTIFICATIONS,
    METRICS,
    NORMALISATION_CATEGORIES,
    P_RELATIONS,
    PHASES,
    PLAUSIBLE_RANGES,
    PROVENANCES,
    SEXES,
    SIZE_TYPES,
    STATISTICS,
    SYNONYM_KINDS,
)

EXTRACTION_SUFFIX = ".extraction.yaml"

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
Text = Annotated[str, Field(min_length=1)]
# Numbers must be numbers in the YAML: a quoted "69.5" or a boolean is a mistake, not a value.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class Record(BaseModel):
    # Unknown fields are errors: a misspelt field would otherwise be silently dropped.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


# --- vocabularies and shared sources ---------------------------------------------------------


class MuscleIn(Record):
    id: Slug
    name: Text
    region: Optional[Text] = None
    group: Slug


class SynonymIn(Record):
    term: Text
    muscle: Slug
    kind: Literal[SYNONYM_KINDS]  # type: ignore[valid-type]
    note: Optional[Text] = None


class ExerciseIn(Record):
    id: Slug
    name: Text
    pattern: Literal[EXERCISE_PATTERNS]  # type: ignore[valid-type]


class SourceIn(Record):
    id: Slug
    kind: Literal[PROVENANCES]  # type: ignore[valid-type]
    citation: Text
    url: Optional[Annotated[str, Field(pattern=r"^https?://\S+$")]] = None


# --- one extraction file -----------------------------------------------------------------------


class ParticipantsIn(Record):
    n: Optional[Annotated[int, Field(strict=True, gt=0)]] = None
    sex: Optional[Literal[SEXES]] = None  # type: ignore[valid-type]
    training_status: Optional[Text] = None
    description: Optional[Text] = None


class StudyIn(Record):
    id: Slug
    authors: Optional[list[Text]] = None
    year: Optional[Annotated[int, Field(strict=True, ge=1900, le=2100)]] = None
    title: Optional[Text] = None
    journal: Optional[Text] = None
    volume: Optional[Text] = None
    issue: Optional[Text] = None
    pages: Optional[Text] = None
    doi: Optional[Annotated[str, Field(pattern=r"^10\.\d{4,9}/\S+$")]] = None
    pmid: Optional[Annotated[str, Field(pattern=r"^\d{1,9}$")]] = None
    design: Optional[Text] = None
    identification: Literal[IDENTIFICATIONS]  # type: ignore[valid-type]
    identification_note: Optional[Text] = None
    cited_as: Optional[Text] = None
    participants: ParticipantsIn = ParticipantsIn()

    @model_validator(mode="after")
    def _unverified_says_why(self) -> "StudyIn":
        if self.identification != "verified" and not self.identification_note:
            raise ValueError("identification_note: required when identification is not 'verified'")
        return self


class ConditionIn(Record):
    id: Slug
    exercise: Slug
    label: Text
    load: Optional[Text] = None
    load_pct_1rm: Optional[Annotated[float, Field(strict=True, gt=0, le=200)]] = None
    load_kg: Optional[Annotated[float, Field(strict=True, ge=0)]] = None
    depth: Optional[Text] = None
    knee_angle_deg: Optional[Annotated[float, Field(strict=True, ge=0, le=180)]] = None
    stance: Optional[Text] = None
    cue: Optional[Text] = None
    notes: Optional[Text] = None


class MeasurementIn(Record):
    key: Optional[Slug] = None
    condition: Slug
    muscle: Slug
    muscle_label: Optional[Text] = None
    metric: Literal[METRICS]  # type: ignore[valid-type]
    unit: Optional[Text] = None
    normalisation: Optional[Text] = None
    normalisation_category: Literal[NORMALISATION_CATEGORIES]  # type: ignore[valid-type]
    electrode: Literal[ELECTRODES]  # type: ignore[valid-type]
    statistic: Literal[STATISTICS]  # type: ignore[valid-type]
    phase: Literal[PHASES]  # type: ignore[valid-type]
    value: Number
    dispersion: Optional[Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]] = None
    dispersion_type: Optional[Literal[DISPERSION_TYPES]] = None  # type: ignore[valid-type]
    n: Optional[Annotated[int, Field(strict=True, gt=0)]] = None
    source: Slug
    locator: Text
    restates: Optional[Slug] = None
    notes: Optional[Text] = None

    @model_validator(mode="after")
    def _consistent(self) -> "MeasurementIn":
        if (self.dispersion is None) != (self.dispersion_type is None):
            raise ValueError("dispersion_type: give dispersion and dispersion_type, or neither")
        low, high = PLAUSIBLE_RANGES[self.metric]
        if not low <= self.value <= high:
            raise ValueError(
                f"value: {self.value} is outside the plausible range {low}..{high} for {self.metric}"
            )
        emg = self.metric in ("emg_amplitude", "emg_share_of_sum")
        if not emg and self.normalisation_category != "not_applicable":
            raise ValueError(
                f"normalisation_category: must be 'not_applicable' for the non-EMG metric {self.metric}"
            )
        return self


class FindingIn(Record):
    key: Optional[Slug] = None
    a: Slug
    b: Optional[Slug] = None
    muscle: Slug
    muscle_b: Optional[Slug] = None
    metric: Literal[METRICS]  # type: ignore[valid-type]
    statistic: Literal[STATISTICS]  # type: ignore[valid-type]
    phase: Literal[PHASES]  # type: ignore[valid-type]
    direction: Literal[DIRECTIONS]  # type: ignore[valid-type]
    size: Optional[Number] = None
    size_type: Optional[Literal[SIZE_TYPES]] = None  # type: ignore[valid-type]
    p_value: Optional[Annotated[float, Field(strict=True, ge=0, le=1)]] = None
    p_relation: Optional[Literal[P_RELATIONS]] = None  # type: ignore[valid-type]
    summary: Text
    source: Slug
    locator: Text

    @model_validator(mode="after")
    def _consistent(self) -> "FindingIn":
        if self.size is not None and self.size_type is None:
            raise ValueError("size_type: required when size is given")
        if (self.p_value is None) != (self.p_relation is None):
            raise ValueError("p_relation: give p_value and p_relation, or neither")
        if self.b is not None and self.b == self.a:
            raise ValueError("b: same condition as a; to compare two muscles use muscle_b")
        if self.b is not None and self.muscle_b is not None:
            raise ValueError(
                "muscle_b: compare two conditions (b) or two muscles (muscle_b), not both"
            )
        return self


class ExtractionIn(Record):
    study: StudyIn
    sources: list[SourceIn] = []
    conditions: Annotated[list[ConditionIn], Field(min_length=1)]
    measurements: list[MeasurementIn] = []
    findings: list[FindingIn] = []


# --- loading -----------------------------------------------------------------------------------


class DataError(Exception):
    """The data folder has problems; ``problems`` lists each as ``file: field: message``."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


#: Most nodes a file may hold once its aliases are expanded. Anchors are fine (the data uses them
#: for repeated notes); an alias bomb ("billion laughs") would otherwise hang validation.
MAX_EXPANDED_NODES = 1_000_000


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, field: str, line: int):
        self.field, self.line = field, line
        super().__init__(f"{field}: duplicate key at line {line}")


class TooLargeError(yaml.YAMLError):
    pass


def _check_nodes(root: yaml.Node) -> None:
    """Reject duplicate keys and alias bombs, walking the node tree without recursion."""
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    visited = 0
    while stack:
        node, where = stack.pop()
        visited += 1
        if visited > MAX_EXPANDED_NODES:
            raise TooLargeError(f"more than {MAX_EXPANDED_NODES} values once aliases are expanded")
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                path = f"{where}.{name}" if where else name
                if isinstance(key, yaml.ScalarNode) and name != "<<":
                    if name in seen:
                        raise DuplicateKeyError(path, key.start_mark.line + 1)
                    seen.add(name)
                stack.append((value, path))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node.value))


class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that refuses duplicate keys: plain PyYAML silently keeps the last one."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_nodes(node)
        try:
            return self.construct_document(node)
        except yaml.YAMLError:
            raise
        except Exception as e:
            # A tag that cannot build its value ("!!int sixty", "!!timestamp soon") raises a plain
            # ValueError, IndexError or AttributeError inside PyYAML; it is still bad input.
            raise yaml.constructor.ConstructorError(problem=f"bad tagged value ({e})") from e


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, turning every way it can fail into a DataError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError([f"{path}: (file): cannot read ({e.strerror})"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        byte = raw[e.start]
        raise DataError([f"{path}: (file): not UTF-8 text: byte 0x{byte:02x} at line {line}"])
    try:
        data = yaml.load(text, Loader=StrictLoader)
    except DuplicateKeyError as e:
        kept = "YAML would silently keep only the last value"
        raise DataError([f"{path}: {e.field}: duplicate key at line {e.line} ({kept})"])
    except TooLargeError as e:
        raise DataError([f"{path}: (file): too large: {e}"])
    except RecursionError:
        raise DataError([f"{path}: (syntax): nested too deeply"])
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        problem = " ".join(problem.replace('in "<unicode string>",', "at").split())
        lines = text.splitlines()
        if mark and mark.line < len(lines) and "\t" in lines[mark.line]:
            problem += " (the line has a tab: indent with spaces)"
        raise DataError([f"{path}: (syntax): YAML error{where}: {problem}"])
    if data is None:
        raise DataError([f"{path}: (file): empty file"])
    return data


_FIELD_FIRST = re.compile(r"^([a-z_]+): ")


def parse(path: Path, model: type[BaseModel], data: Any, prefix: str = "") -> Any:
    """Validate ``data`` against ``model``; errors name the file and the field path."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = _loc(tuple(err["loc"]))
            msg = err["msg"].removeprefix("Value error, ")
            # A cross-field check names its field first ("value: ..."): make it part of the path.
            named = _FIELD_FIRST.match(msg) if err["type"] == "value_error" else None
            if named:
                loc = f"{loc}.{named[1]}" if loc != "(top level)" else named[1]
                msg = msg[named.end() :]
            problems.append(f"{path}: {prefix}{loc}: {msg}")
        raise DataError(problems)


def parse_list(path: Path, model: type[BaseModel]) -> list[Any]:
    data = read_yaml(path)
    if not isinstance(data, list):
        raise DataError([f"{path}: (top level): expected a list of records"])
    problems: list[str] = []
    out = []
    for i, item in enumerate(data):
        try:
            out.append(parse(path, model, item, prefix=f"[{i}]."))
        except DataError as e:
            problems.extend(e.problems)
    if problems:
        raise DataError(problems)
    return out


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
        for i, s in enumerate(data.sources):
            if s.id in sources and (s.id in source_owner or sources[s.id] != s):
                other = source_owner.get(s.id, "sources.yaml")
                problems.append(f"{path}: sources[{i}].id: duplicate source id {s.id!r} (also {other})")
            sources[s.id] = s
            source_owner[s.id] = path

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
