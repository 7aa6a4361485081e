"""Studies, the sources their numbers were read from, and the conditions they tested."""

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .allowed_values import IDENTIFICATIONS, PROVENANCES, SEXES
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
    population: Mapped[str | None]
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
