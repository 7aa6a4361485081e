"""The lexicon as tables: canonical muscles, their synonyms (words people use), and exercises."""

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .allowed_values import SYNONYM_KINDS
from .base import Base, check_in, slug, slugpk


class Muscle(Base):
    """A muscle, or one region of it (gluteus maximus / upper), within a muscle group."""

    __tablename__ = "muscle"

    id: Mapped[slugpk]
    name: Mapped[str]
    region: Mapped[str | None]
    muscle_group: Mapped[str] = mapped_column(index=True)


class MuscleSynonym(Base):
    """A word for a muscle: abbreviation, anatomical or lay word, or a known mistranslation."""

    __tablename__ = "muscle_synonym"
    __table_args__ = (
        UniqueConstraint("term", "muscle_id"),
        check_in("kind", SYNONYM_KINDS),
        Index(None, "term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str]
    muscle_id: Mapped[slug] = mapped_column(ForeignKey("muscle.id"), index=True)
    kind: Mapped[str]
    note: Mapped[str | None]


class ExerciseSynonym(Base):
    """A word people use for an exercise ('hip thrust', 'RDL', 'Bulgarian split squat')."""

    __tablename__ = "exercise_synonym"
    __table_args__ = (UniqueConstraint("term", "exercise_id"), Index(None, "term"))

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str]
    exercise_id: Mapped[slug] = mapped_column(ForeignKey("exercise.id"), index=True)


class Exercise(Base):
    """A canonical exercise; a study's own variant of it is a Condition."""

    __tablename__ = "exercise"
    __table_args__ = (check_in("pattern"),)

    id: Mapped[slugpk]
    name: Mapped[str]
    pattern: Mapped[str]
