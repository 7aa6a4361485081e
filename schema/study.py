"""Studies, the sources their numbers were read from, and the conditions they tested."""

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .allowed_values import (
    IDENTIFICATIONS,
    POPULATION_GROUPS,
    PROVENANCES,
    SEXES,
    STUDY_FIELDS,
)
from .base import Base, check_in
from .lexicon import Exercise
from .types import slug, slugpk

if TYPE_CHECKING:
    from .measurement import Finding, Measurement


class Study(Base):
    """One paper, identified and checked against a page that was read (see ``identification``)."""

    __tablename__ = "study"
    __table_args__ = (
        check_in("sex", SEXES),
        check_in("identification", IDENTIFICATIONS),
        CheckConstraint("n > 0", name="n_positive"),
        CheckConstraint("year BETWEEN 1900 AND 2100", name="year_range"),
        check_in("population_group", POPULATION_GROUPS),
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
    #: The label queries and pools filter by (allowed_values.POPULATION_GROUPS).
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

    sources: Mapped[list["Source"]] = relationship(back_populates="study")
    conditions: Mapped[list["Condition"]] = relationship(back_populates="study")
    findings: Mapped[list["Finding"]] = relationship(back_populates="study")


class Source(Base):
    """A page numbers were read from: the paper (primary), a review's table, or the seed article."""

    __tablename__ = "source"
    __table_args__ = (check_in("kind", PROVENANCES),)

    id: Mapped[slugpk]
    kind: Mapped[str]
    citation: Mapped[str]
    url: Mapped[str | None]
    #: NULL for sources shared by several studies (the article, reviews).
    study_id: Mapped[str | None] = mapped_column(ForeignKey("study.id"), index=True)

    study: Mapped[Study | None] = relationship(back_populates="sources")
    measurements: Mapped[list["Measurement"]] = relationship(back_populates="source")


class StudyFieldSource(Base):
    """Which page one of a study's facts was read on: a bibliographic field (DOI, PMID,
    authors...), the participants' numbers (age, training) or the PEDro score.

    A table of its own rather than source columns on study: source already points at study.
    """

    __tablename__ = "study_field_source"
    __table_args__ = (UniqueConstraint("study_id", "field"), check_in("field", STUDY_FIELDS))

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

    study: Mapped[Study] = relationship(back_populates="conditions")
    exercise: Mapped[Exercise] = relationship(back_populates="conditions")
    measurements: Mapped[list["Measurement"]] = relationship(back_populates="condition")
