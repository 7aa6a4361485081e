"""Studies, the sources their numbers were read from, and the conditions they tested."""

from typing import TYPE_CHECKING, Optional

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, check_in
from .types import slug, slugpk
from .lexicon import Exercise
from .allowed_values import IDENTIFICATIONS, PROVENANCES, SEXES

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
    authors: Mapped[Optional[str]]
    first_author: Mapped[Optional[str]]
    year: Mapped[Optional[int]] = mapped_column(index=True)
    title: Mapped[Optional[str]]
    journal: Mapped[Optional[str]]
    volume: Mapped[Optional[str]]
    issue: Mapped[Optional[str]]
    pages: Mapped[Optional[str]]
    doi: Mapped[Optional[str]] = mapped_column(unique=True)
    pmid: Mapped[Optional[str]] = mapped_column(unique=True)
    design: Mapped[Optional[str]]
    n: Mapped[Optional[int]]
    sex: Mapped[Optional[str]]
    training_status: Mapped[Optional[str]]
    population: Mapped[Optional[str]]
    identification: Mapped[str]
    identification_note: Mapped[Optional[str]]
    cited_as: Mapped[Optional[str]]

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
    url: Mapped[Optional[str]]
    #: NULL for sources shared by several studies (the article, reviews).
    study_id: Mapped[Optional[str]] = mapped_column(ForeignKey("study.id"), index=True)

    study: Mapped[Optional[Study]] = relationship(back_populates="sources")
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
    load: Mapped[Optional[str]]
    load_pct_1rm: Mapped[Optional[float]]
    load_kg: Mapped[Optional[float]]
    depth: Mapped[Optional[str]]
    knee_angle_deg: Mapped[Optional[float]]
    stance: Mapped[Optional[str]]
    cue: Mapped[Optional[str]]
    notes: Mapped[Optional[str]]

    study: Mapped[Study] = relationship(back_populates="conditions")
    exercise: Mapped[Exercise] = relationship(back_populates="conditions")
    measurements: Mapped[list["Measurement"]] = relationship(back_populates="condition")
