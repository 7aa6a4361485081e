"""The shapes of the data files, as pydantic models: what each record may hold.

Unknown fields are errors, numbers must be numbers, and every vocabulary comes from
``schema.allowed_values``, so the validator and the database's CHECK constraints never disagree.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..schema.allowed_values import (
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
from ..schema.comparability import EMG_METRICS

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
        emg = self.metric in EMG_METRICS
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
