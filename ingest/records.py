"""The shapes of the data files, as pydantic models: what each record may hold.

Unknown fields are errors, numbers must be numbers, and every vocabulary comes from
``schema.allowed_values``, so the validator and the database's CHECK constraints never disagree.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ..schema.allowed_values import (
    BIBLIOGRAPHIC_FIELDS,
    CENTRAL_TENDENCIES,
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
    POPULATION_GROUPS,
    PROVENANCES,
    SEXES,
    SIZE_TYPES,
    STATISTICS,
    SYNONYM_KINDS,
)
from ..schema.comparability import EMG_METRICS
from .text import Word

EXTRACTION_SUFFIX = ".extraction.yaml"

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]


def _not_a_decimal(value: object) -> object:
    # A plain 12.10 is a float to YAML: in a text field it would be stored as '12.1', not as
    # typed. (A whole number, 31, is stored as typed; the YAML reader refuses 031 and 0x1F.)
    if isinstance(value, float):
        raise ValueError(f"{value!r} is a decimal number to YAML, not text as typed: quote it")
    return value


Text = Annotated[str, BeforeValidator(_not_a_decimal), Field(min_length=1)]

#: A DOI as doi.org resolves it, without "https://doi.org/" or "doi:": 10.<registrant>/<suffix>,
#: the suffix printable ASCII without spaces, quotes, angle brackets or backslashes (a DOI pasted
#: from HTML or a citation carries those along).
DOI_PATTERN = r"^10\.\d{4,9}/[!#-&(-;=?-\[\]-~]+$"
# Numbers must be numbers in the YAML: a quoted "69.5" or a boolean is a mistake, not a value.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class Record(BaseModel):
    # Unknown fields are errors: a misspelt field would otherwise be silently dropped.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


# --- vocabularies and shared sources ---------------------------------------------------------


class MuscleIn(Record):
    id: Slug
    name: Word
    region: Text | None = None
    group: Slug


class SynonymIn(Record):
    term: Word
    muscle: Slug
    kind: Literal[SYNONYM_KINDS]  # type: ignore[valid-type]
    note: Text | None = None


class ExerciseIn(Record):
    id: Slug
    name: Word
    pattern: Literal[EXERCISE_PATTERNS]  # type: ignore[valid-type]
    #: Words people use for it, e.g. 'hip thrust' or 'RDL' (the pages accept them).
    words: list[Word] = []


class SourceIn(Record):
    id: Slug
    kind: Literal[PROVENANCES]  # type: ignore[valid-type]
    citation: Text
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None


# --- one extraction file -----------------------------------------------------------------------


#: A count, an age or a number of years: a plain non-negative number.
Amount = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]


class ParticipantsIn(Record):
    n: Annotated[int, Field(strict=True, gt=0)] | None = None
    sex: Literal[SEXES] | None = None  # type: ignore[valid-type]
    training_status: Text | None = None
    #: Required: queries and pools filter by it.
    population: Literal[POPULATION_GROUPS]  # type: ignore[valid-type]
    clinical_condition: Text | None = None
    age_mean: Amount | None = None
    age_sd: Amount | None = None
    training_years_mean: Amount | None = None
    training_years_sd: Amount | None = None
    #: The page (a source id) and place the age and training numbers were read.
    source: Slug | None = None
    locator: Text | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ParticipantsIn:
        if self.population == "clinical" and not self.clinical_condition:
            raise ValueError("clinical_condition: required when population is 'clinical'")
        if self.population != "clinical" and self.clinical_condition:
            raise ValueError("clinical_condition: only for population 'clinical'")
        numbers = (self.age_mean, self.age_sd, self.training_years_mean, self.training_years_sd)
        if any(x is not None for x in numbers) and not (self.source and self.locator):
            raise ValueError("source: give source and locator for the age and training numbers")
        return self


class StudyIn(Record):
    id: Slug
    authors: list[Text] | None = None
    #: Its plausible range (not before EMG research, not in the future) is in plausibility.py.
    year: Annotated[int, Field(strict=True)] | None = None
    title: Text | None = None
    journal: Text | None = None
    volume: Text | None = None
    issue: Text | None = None
    pages: Text | None = None
    doi: Annotated[str, Field(pattern=DOI_PATTERN)] | None = None
    pmid: Annotated[str, Field(pattern=r"^\d{1,9}$")] | None = None
    design: Text | None = None
    identification: Literal[IDENTIFICATIONS]  # type: ignore[valid-type]
    identification_note: Text | None = None
    cited_as: Text | None = None
    #: Which of the file's sources each bibliographic field was read on.
    read_on: dict[Literal[BIBLIOGRAPHIC_FIELDS], Slug] = {}  # type: ignore[valid-type]
    #: PEDro score where a review tabulates it, with that review (a source id) and its locator.
    pedro_score: Annotated[int, Field(strict=True, ge=0, le=10)] | None = None
    pedro_source: Slug | None = None
    pedro_locator: Text | None = None
    participants: ParticipantsIn

    @model_validator(mode="after")
    def _unverified_says_why(self) -> StudyIn:
        if self.identification != "verified" and not self.identification_note:
            raise ValueError("identification_note: required when identification is not 'verified'")
        return self


class ConditionIn(Record):
    id: Slug
    exercise: Slug
    label: Text
    load: Text | None = None
    load_pct_1rm: Annotated[float, Field(strict=True, gt=0, le=200)] | None = None
    load_kg: Annotated[float, Field(strict=True, ge=0)] | None = None
    depth: Text | None = None
    knee_angle_deg: Annotated[float, Field(strict=True, ge=0, le=180)] | None = None
    stance: Text | None = None
    cue: Text | None = None
    notes: Text | None = None


class MeasurementIn(Record):
    key: Slug | None = None
    condition: Slug
    muscle: Slug
    muscle_label: Text | None = None
    metric: Literal[METRICS]  # type: ignore[valid-type]
    unit: Text | None = None
    normalisation: Text | None = None
    normalisation_category: Literal[NORMALISATION_CATEGORIES]  # type: ignore[valid-type]
    electrode: Literal[ELECTRODES]  # type: ignore[valid-type]
    statistic: Literal[STATISTICS]  # type: ignore[valid-type]
    #: Required, null where the source does not say: mean or median across participants.
    central_tendency: Literal[CENTRAL_TENDENCIES] | None  # type: ignore[valid-type]
    phase: Literal[PHASES]  # type: ignore[valid-type]
    value: Number
    dispersion: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)] | None = None
    dispersion_type: Literal[DISPERSION_TYPES] | None = None  # type: ignore[valid-type]
    n: Annotated[int, Field(strict=True, gt=0)] | None = None
    source: Slug
    locator: Text
    restates: Slug | None = None
    #: For metric emg_ratio: the denominator muscle.
    muscle_b: Slug | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> MeasurementIn:
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
        if (self.metric == "emg_ratio") != (self.muscle_b is not None):
            raise ValueError("muscle_b: give the denominator muscle for an emg_ratio, and only then")
        return self


class FindingIn(Record):
    key: Slug | None = None
    a: Slug
    b: Slug | None = None
    muscle: Slug
    muscle_b: Slug | None = None
    metric: Literal[METRICS]  # type: ignore[valid-type]
    statistic: Literal[STATISTICS]  # type: ignore[valid-type]
    phase: Literal[PHASES]  # type: ignore[valid-type]
    direction: Literal[DIRECTIONS]  # type: ignore[valid-type]
    size: Number | None = None
    size_type: Literal[SIZE_TYPES] | None = None  # type: ignore[valid-type]
    p_value: Annotated[float, Field(strict=True, ge=0, le=1)] | None = None
    p_relation: Literal[P_RELATIONS] | None = None  # type: ignore[valid-type]
    summary: Text
    source: Slug
    locator: Text

    @model_validator(mode="after")
    def _consistent(self) -> FindingIn:
        if self.size is not None and self.size_type is None:
            raise ValueError("size_type: required when size is given")
        if (self.p_value is None) != (self.p_relation is None):
            raise ValueError("p_relation: give p_value and p_relation, or neither")
        if self.b is not None and self.b == self.a:
            raise ValueError("b: same condition as a; to compare two muscles use muscle_b")
        if self.b is not None and self.muscle_b is not None:
            raise ValueError("muscle_b: compare two conditions (b) or two muscles (muscle_b), not both")
        return self


class ExtractionIn(Record):
    study: StudyIn
    sources: list[SourceIn] = []
    conditions: Annotated[list[ConditionIn], Field(min_length=1)]
    measurements: list[MeasurementIn] = []
    findings: list[FindingIn] = []


class ReviewPooledIn(Record):
    """One row of a review's table of pooled values (data/review_pooled.yaml)."""

    review: Slug
    exercise: Slug
    exercise_label: Text
    muscle: Slug
    metric: Literal[METRICS]  # type: ignore[valid-type]
    unit: Text | None = None
    statistic: Literal[STATISTICS]  # type: ignore[valid-type]
    central_tendency: Literal[CENTRAL_TENDENCIES] | None = None  # type: ignore[valid-type]
    pooled_mean: Number | None = None
    sd: Amount | None = None
    range_low: Number | None = None
    range_high: Number | None = None
    subjects: Annotated[int, Field(strict=True, gt=0)] | None = None
    studies: Annotated[int, Field(strict=True, gt=0)] | None = None
    locator: Text
    notes: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ReviewPooledIn:
        if self.range_low is not None and self.range_high is not None and self.range_low > self.range_high:
            raise ValueError("range_low: above range_high")
        return self
