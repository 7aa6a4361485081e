"""The seed article as a citing document: its claims, the evidence linked to them, verdicts."""

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, check_in, slug, slugpk, vocabularies


class Claim(Base):
    """One factual claim of the article, in our words, with the verdict the evidence gives it."""

    __tablename__ = "claim"
    __table_args__ = (
        *vocabularies("verdict", "verdict_basis"),
        CheckConstraint("paragraph > 0", name="paragraph_positive"),
    )

    id: Mapped[slugpk]
    #: Order of the claim in the article.
    position: Mapped[int] = mapped_column(unique=True)
    section: Mapped[str]
    paragraph: Mapped[int]
    #: What the claim asserts, in our words.
    assertion: Mapped[str]
    #: The numbers the article quotes, as it prints them, separated by semicolons.
    quoted_numbers: Mapped[str | None]
    #: The article's own words for the muscles, separated by semicolons.
    article_terms: Mapped[str | None]
    study_id: Mapped[str | None] = mapped_column(ForeignKey("study.id"), index=True)
    #: Whether the claim reads its numbers as activation relative to a maximal contraction.
    reads_as_mvc: Mapped[bool] = mapped_column(Boolean)
    #: Parts of the claim no linked evidence covers, in our words.
    gaps: Mapped[str | None]
    verdict: Mapped[str] = mapped_column(index=True)
    verdict_reason: Mapped[str]
    verdict_basis: Mapped[str]


class ClaimMuscle(Base):
    """A muscle a claim names: the article's word, resolved through muscle_synonym."""

    __tablename__ = "claim_muscle"
    __table_args__ = (UniqueConstraint("claim_id", "muscle_id", "article_term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[slug] = mapped_column(ForeignKey("claim.id"), index=True)
    muscle_id: Mapped[slug] = mapped_column(ForeignKey("muscle.id"), index=True)
    article_term: Mapped[str]


class ClaimExercise(Base):
    """An exercise a claim names."""

    __tablename__ = "claim_exercise"
    __table_args__ = (UniqueConstraint("claim_id", "exercise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[slug] = mapped_column(ForeignKey("claim.id"), index=True)
    exercise_id: Mapped[slug] = mapped_column(ForeignKey("exercise.id"), index=True)


class ClaimEvidence(Base):
    """One measurement or finding that bears on a claim, and how it bears on it."""

    __tablename__ = "claim_evidence"
    __table_args__ = (
        check_in("agreement"),
        CheckConstraint("(measurement_id IS NULL) <> (finding_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[slug] = mapped_column(ForeignKey("claim.id"), index=True)
    #: For a quoted number: the article's value as recorded in measurement (provenance article).
    measurement_id: Mapped[int | None] = mapped_column(ForeignKey("measurement.id"), index=True)
    #: The primary value that article value restates, where one could be read.
    primary_measurement_id: Mapped[int | None] = mapped_column(ForeignKey("measurement.id"), index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("finding.id"), index=True)
    #: For a finding: the direction the claim asserts.
    asserted_direction: Mapped[str | None]
    agreement: Mapped[str]
    note: Mapped[str]


class Recommendation(Base):
    """One of the article's closing recommendations, with how well its claims are supported."""

    __tablename__ = "recommendation"

    id: Mapped[slugpk]
    position: Mapped[int] = mapped_column(unique=True)
    #: The advice, in our words.
    advice: Mapped[str]
    support: Mapped[str]
    support_summary: Mapped[str]


class RecommendationClaim(Base):
    """A claim a recommendation rests on."""

    __tablename__ = "recommendation_claim"

    recommendation_id: Mapped[slug] = mapped_column(ForeignKey("recommendation.id"), primary_key=True)
    claim_id: Mapped[slug] = mapped_column(ForeignKey("claim.id"), primary_key=True, index=True)
