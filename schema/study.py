"""Studies, the sources their numbers were read from, the conditions they tested, and how each
study was read: every copy tried (reading_log), and the independent second extraction its
numbers were checked against (extraction_check, extraction_difference)."""

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from . import allowed_values as av
from .base import Base, check_in, slug, slugpk, vocabularies


class Study(Base):
    """One paper, identified and checked against a page that was read (see ``identification``)."""

    __tablename__ = "study"
    __table_args__ = (
        *vocabularies("sex", "identification", "population_group"),
        CheckConstraint("n > 0", name="n_positive"),
        CheckConstraint("year BETWEEN 1900 AND 2100", name="year_range"),
        CheckConstraint(
            "population_group <> 'clinical' OR clinical_condition IS NOT NULL",
            name="clinical_names_condition",
        ),
        CheckConstraint("age_mean > 0 AND age_sd >= 0", name="age_positive"),
        CheckConstraint(
            "training_years_mean >= 0 AND training_years_sd >= 0", name="training_years_non_negative"
        ),
        CheckConstraint("pedro_score BETWEEN 0 AND 10", name="pedro_score_range"),
    )

    id: Mapped[slugpk]
    citation: Mapped[str]
    authors: Mapped[str | None]
    first_author: Mapped[str | None]
    year: Mapped[int | None] = mapped_column(index=True)
    title: Mapped[str | None]
    journal: Mapped[str | None]
    volume: Mapped[str | None]
    issue: Mapped[str | None]
    pages: Mapped[str | None]
    doi: Mapped[str | None] = mapped_column(unique=True)
    pmid: Mapped[str | None] = mapped_column(unique=True)
    design: Mapped[str | None]
    n: Mapped[int | None]
    sex: Mapped[str | None]
    training_status: Mapped[str | None]
    #: A one-line summary of who took part ('13 female, trained'), for pages and citations.
    population: Mapped[str | None]
    #: The label queries and pools filter by (allowed_values.av.POPULATION_GROUPS).
    population_group: Mapped[str] = mapped_column(index=True)
    clinical_condition: Mapped[str | None]
    age_mean: Mapped[float | None]
    age_sd: Mapped[float | None]
    #: Resistance-training experience, in years.
    training_years_mean: Mapped[float | None]
    training_years_sd: Mapped[float | None]
    #: Methodological quality (PEDro scale) as a review tabulates it (where: study_field_source).
    pedro_score: Mapped[int | None]
    identification: Mapped[str]
    identification_note: Mapped[str | None]
    cited_as: Mapped[str | None]


class Source(Base):
    """A page numbers were read from: the paper (primary), a review's table, or the seed article."""

    __tablename__ = "source"
    __table_args__ = (check_in("kind", av.PROVENANCES),)

    id: Mapped[slugpk]
    kind: Mapped[str]
    citation: Mapped[str]
    url: Mapped[str | None]
    #: NULL for sources shared by several studies (the article, reviews).
    study_id: Mapped[str | None] = mapped_column(ForeignKey("study.id"), index=True)


class StudyFieldSource(Base):
    """Which page one of a study's facts was read on: a bibliographic field (DOI, PMID,
    authors...), the participants' numbers (age, training) or the PEDro score.

    A table of its own rather than source columns on study: source already points at study.
    """

    __tablename__ = "study_field_source"
    __table_args__ = (UniqueConstraint("study_id", "field"), check_in("field", av.STUDY_FIELDS))

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[slug] = mapped_column(ForeignKey("study.id"), index=True)
    field: Mapped[str]
    source_id: Mapped[slug] = mapped_column(ForeignKey("source.id"))
    #: Where on that page, e.g. 'Table 1', 'abstract'.
    locator: Mapped[str | None]


class Condition(Base):
    """One study's exercise as performed: the paper's label, load, depth, stance and cue."""

    __tablename__ = "condition"
    __table_args__ = (
        UniqueConstraint("study_id", "key"),
        CheckConstraint("load_pct_1rm > 0 AND load_pct_1rm <= 200", name="load_pct_1rm_range"),
        CheckConstraint("load_kg >= 0", name="load_kg_non_negative"),
        CheckConstraint("knee_angle_deg BETWEEN 0 AND 180", name="knee_angle_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[slug] = mapped_column(ForeignKey("study.id"), index=True)
    #: The condition's id within its extraction file.
    key: Mapped[slug]
    exercise_id: Mapped[slug] = mapped_column(ForeignKey("exercise.id"), index=True)
    label: Mapped[str]
    load: Mapped[str | None]
    load_pct_1rm: Mapped[float | None]
    load_kg: Mapped[float | None]
    depth: Mapped[str | None]
    knee_angle_deg: Mapped[float | None]
    stance: Mapped[str | None]
    cue: Mapped[str | None]
    notes: Mapped[str | None]


class ReadingLog(Base):
    """One copy of a paper that was tried, and what it showed (the abstract only, a table, a
    full text cut off at some point): why a study has the numbers it has, and where the next
    reader should start."""

    __tablename__ = "reading_log"
    __table_args__ = (check_in("showed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[slug] = mapped_column(ForeignKey("study.id"), index=True)
    url: Mapped[str]
    showed: Mapped[str]
    note: Mapped[str | None]


class ExtractionCheck(Base):
    """The agreement of a study's two independent extractions: fields compared, fields that
    differed, and how many of those were resolved from the source."""

    __tablename__ = "extraction_check"
    __table_args__ = (
        CheckConstraint("fields_differed <= fields_compared", name="differed_within_compared"),
        CheckConstraint("fields_compared >= 0 AND fields_differed >= 0", name="counts_non_negative"),
    )

    study_id: Mapped[slug] = mapped_column(ForeignKey("study.id"), primary_key=True)
    fields_compared: Mapped[int]
    fields_differed: Mapped[int]
    #: Differences resolved from the source; the build refuses a file with any left unresolved.
    resolved: Mapped[int]
    method: Mapped[str]
    note: Mapped[str | None]


class ExtractionDifference(Base):
    """One field on which the two extractions differed, both readings, and the resolution."""

    __tablename__ = "extraction_difference"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[slug] = mapped_column(ForeignKey("extraction_check.study_id"), index=True)
    field: Mapped[str]
    first: Mapped[str | None]
    second: Mapped[str | None]
    resolved: Mapped[str | None]
    how: Mapped[str]
