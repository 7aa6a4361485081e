"""The shapes of the data files, as pydantic models: what each record may hold.

Unknown fields are errors, numbers must be numbers, and every vocabulary comes from
``schema.allowed_values``, so the validator and the database's CHECK constraints never disagree.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ..schema import allowed_values as av
from ..schema.comparability import EMG_METRICS
from .text import Word

EXTRACTION_SUFFIX = ".extraction.yaml"
#: Raw (not normalised) EMG amplitude, in µV or mV: surface EMG stays below about 10 mV.
RAW_EMG_RANGE = (0.0, 10_000.0)

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
DOI_PATTERN = r"^10\.[0-9]{4,9}/[!#-&(-;=?-\[\]-~]+$"
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
    kind: Literal[av.SYNONYM_KINDS]  # type: ignore[valid-type]
    note: Text | None = None


class ExerciseIn(Record):
    id: Slug
    name: Word
    pattern: Literal[av.EXERCISE_PATTERNS]  # type: ignore[valid-type]
    #: Words people use for it, e.g. 'hip thrust' or 'RDL' (the pages accept them).
    words: list[Word] = []


#: A web address: http(s), an ASCII host (a look-alike letter from another script would send a
#: reader elsewhere: IDN hosts are written in their xn-- form), no ``user@`` part (in
#: ``https://pubmed.gov@evil.example/`` the host is evil.example), no spaces, quotes or angle
#: brackets (markup pasted along with it).
URL_PATTERN = r"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:[/?#][^\s\"'<>@\\]*)?$"
_URL = re.compile(URL_PATTERN)


def _plain_url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError(
            "not a plain web address: http(s)://, an ASCII host name, no user@ part, no spaces,"
            " quotes, angle brackets or backslashes"
        )
    return value


Url = Annotated[str, Field(max_length=2000), AfterValidator(_plain_url)]


class SourceIn(Record):
    id: Slug
    kind: Literal[av.PROVENANCES]  # type: ignore[valid-type]
    citation: Text
    url: Url | None = None


# --- one extraction file -----------------------------------------------------------------------


#: A count, an age or a number of years: a plain non-negative number.
Amount = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True, gt=0)]
Probability = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]


class ParticipantsIn(Record):
    n: Count | None = None
    sex: Literal[av.SEXES] | None = None  # type: ignore[valid-type]
    training_status: Text | None = None
    #: Required: queries and pools filter by it.
    population: Literal[av.POPULATION_GROUPS]  # type: ignore[valid-type]
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
    pmid: Annotated[str, Field(pattern=r"^[0-9]{1,9}$")] | None = None
    design: Text | None = None
    identification: Literal[av.IDENTIFICATIONS]  # type: ignore[valid-type]
    identification_note: Text | None = None
    cited_as: Text | None = None
    #: Which of the file's sources each bibliographic field was read on.
    read_on: dict[Literal[av.BIBLIOGRAPHIC_FIELDS], Slug] = {}  # type: ignore[valid-type]
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
    load_pct_1rm: Annotated[float, Field(strict=True, gt=0, le=200, allow_inf_nan=False)] | None = None
    #: The heaviest deadlift ever lifted is about 500 kg; a load above 1,000 kg is a typo.
    load_kg: Annotated[float, Field(strict=True, ge=0, le=1000, allow_inf_nan=False)] | None = None
    depth: Text | None = None
    knee_angle_deg: Annotated[float, Field(strict=True, ge=0, le=180, allow_inf_nan=False)] | None = None
    stance: Text | None = None
    cue: Text | None = None
    notes: Text | None = None


class MeasurementIn(Record):
    key: Slug | None = None
    condition: Slug
    muscle: Slug
    muscle_label: Text | None = None
    metric: Literal[av.METRICS]  # type: ignore[valid-type]
    unit: Text | None = None
    normalisation: Text | None = None
    normalisation_category: Literal[av.NORMALISATION_CATEGORIES]  # type: ignore[valid-type]
    electrode: Literal[av.ELECTRODES]  # type: ignore[valid-type]
    statistic: Literal[av.STATISTICS]  # type: ignore[valid-type]
    #: Required, null where the source does not say: mean or median across participants.
    central_tendency: Literal[av.CENTRAL_TENDENCIES] | None  # type: ignore[valid-type]
    phase: Literal[av.PHASES]  # type: ignore[valid-type]
    value: Number
    dispersion: Amount | None = None
    dispersion_type: Literal[av.DISPERSION_TYPES] | None = None  # type: ignore[valid-type]
    #: Where the source says what the spread is (a caption, a methods sentence).
    dispersion_locator: Text | None = None
    #: Printed as approximate ('~50%').
    approximate: Annotated[bool, Field(strict=True)] = False
    side: Literal[av.SIDES] | None = None  # type: ignore[valid-type]
    n: Count | None = None
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
        if self.dispersion_locator is not None and self.dispersion is None:
            raise ValueError("dispersion_locator: only with a dispersion")
        low, high = av.PLAUSIBLE_RANGES[self.metric]
        if self.metric == "emg_amplitude" and self.normalisation_category == "not_normalised":
            # Raw EMG in µV runs into the thousands; the %MVIC range is not its range.
            low, high = RAW_EMG_RANGE
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
    metric: Literal[av.METRICS]  # type: ignore[valid-type]
    statistic: Literal[av.STATISTICS]  # type: ignore[valid-type]
    phase: Literal[av.PHASES]  # type: ignore[valid-type]
    direction: Literal[av.DIRECTIONS]  # type: ignore[valid-type]
    size: Number | None = None
    size_type: Literal[av.SIZE_TYPES] | None = None  # type: ignore[valid-type]
    p_value: Probability | None = None
    p_relation: Literal[av.P_RELATIONS] | None = None  # type: ignore[valid-type]
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


class ContrastIn(Record):
    """A within-study difference as printed: estimate = a - b (a / b for a ratio)."""

    a: Slug
    b: Slug
    muscle: Slug
    muscle_label: Text | None = None
    metric: Literal[av.METRICS]  # type: ignore[valid-type]
    unit: Text | None = None
    normalisation_category: Literal[av.NORMALISATION_CATEGORIES]  # type: ignore[valid-type]
    statistic: Literal[av.STATISTICS]  # type: ignore[valid-type]
    phase: Literal[av.PHASES]  # type: ignore[valid-type]
    estimate_type: Literal[av.ESTIMATE_TYPES]  # type: ignore[valid-type]
    #: Null where the source prints only the interval.
    estimate: Number | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None
    ci_level: Annotated[float, Field(strict=True, gt=0, lt=1)] | None = None
    se: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = None
    p_value: Probability | None = None
    p_relation: Literal[av.P_RELATIONS] | None = None  # type: ignore[valid-type]
    n: Count | None = None
    source: Slug
    locator: Text
    notes: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ContrastIn:
        if self.a == self.b:
            raise ValueError("b: same condition as a")
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError("ci_high: give both ends of the interval, or neither")
        if self.estimate is None and self.ci_low is None:
            raise ValueError("estimate: give the estimate, its interval, or both")
        if self.ci_low is not None and self.ci_high is not None:
            if self.estimate is not None and not self.ci_low <= self.estimate <= self.ci_high:
                raise ValueError(f"estimate: {self.estimate} lies outside its own interval")
            if self.ci_level is None:
                raise ValueError("ci_level: required with an interval (0.95 for a 95% CI)")
        if (self.p_value is None) != (self.p_relation is None):
            raise ValueError("p_relation: give p_value and p_relation, or neither")
        if self.estimate_type == "ratio" and self.estimate is not None and self.estimate <= 0:
            raise ValueError("estimate: a ratio must be positive")
        if self.estimate_type == "percent_difference" and self.estimate is not None and self.estimate <= -100:
            raise ValueError("estimate: a percent difference cannot be -100% or below")
        return self


class ReadingLogIn(Record):
    url: Url
    showed: Literal[av.COPY_SHOWED]  # type: ignore[valid-type]
    note: Text | None = None


class DifferenceIn(Record):
    field: Text
    first: Text | None = None
    second: Text | None = None
    #: The value kept after reading the source again; null only when none could be settled.
    resolved: Text | None = None
    how: Text


class DoubleExtractionIn(Record):
    """The file's values compared with an independent second extraction, field by field."""

    fields_compared: Annotated[int, Field(strict=True, ge=0)]
    fields_differed: Annotated[int, Field(strict=True, ge=0)]
    method: Text
    note: Text | None = None
    differences: list[DifferenceIn] = []

    @model_validator(mode="after")
    def _consistent(self) -> DoubleExtractionIn:
        if self.fields_differed > self.fields_compared:
            raise ValueError("fields_differed: more than fields_compared")
        if len(self.differences) != self.fields_differed:
            raise ValueError(
                f"differences: {len(self.differences)} listed, fields_differed says {self.fields_differed}"
            )
        return self


class ExtractionIn(Record):
    study: StudyIn
    sources: list[SourceIn] = []
    conditions: Annotated[list[ConditionIn], Field(min_length=1)]
    measurements: list[MeasurementIn] = []
    findings: list[FindingIn] = []
    contrasts: list[ContrastIn] = []
    reading_log: list[ReadingLogIn] = []
    double_extraction: DoubleExtractionIn | None = None


class ReviewPooledIn(Record):
    """One row of a review's table of pooled values (data/review_pooled.yaml)."""

    review: Slug
    exercise: Slug
    exercise_label: Text
    muscle: Slug
    metric: Literal[av.METRICS]  # type: ignore[valid-type]
    unit: Text | None = None
    statistic: Literal[av.STATISTICS]  # type: ignore[valid-type]
    central_tendency: Literal[av.CENTRAL_TENDENCIES] | None = None  # type: ignore[valid-type]
    pooled_mean: Number | None = None
    sd: Amount | None = None
    range_low: Number | None = None
    range_high: Number | None = None
    subjects: Count | None = None
    studies: Count | None = None
    locator: Text
    notes: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ReviewPooledIn:
        if self.range_low is not None and self.range_high is not None and self.range_low > self.range_high:
            raise ValueError("range_low: above range_high")
        return self
