"""What systematic reviews report in pooled form: one row per review table row.

A review's pooled estimate sits beside the project's own pools on the pages, never inside them:
its studies overlap ours and its methods differ, so its rows are kept apart from measurement.
"""

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from .allowed_values import CENTRAL_TENDENCIES, METRICS, STATISTICS
from .base import Base, check_in
from .types import slug


class ReviewPooled(Base):
    """A review's pooled value for one exercise and muscle, as its table prints it."""

    __tablename__ = "review_pooled"
    __table_args__ = (
        check_in("metric", METRICS),
        check_in("statistic", STATISTICS),
        check_in("central_tendency", CENTRAL_TENDENCIES),
        CheckConstraint("sd >= 0", name="sd_non_negative"),
        CheckConstraint("range_low <= range_high", name="range_ordered"),
        CheckConstraint("subjects > 0 AND studies > 0", name="counts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[slug] = mapped_column(ForeignKey("source.id"), index=True)
    exercise_id: Mapped[slug] = mapped_column(ForeignKey("exercise.id"), index=True)
    #: The review's own name for the exercise.
    exercise_label: Mapped[str]
    muscle_id: Mapped[slug] = mapped_column(ForeignKey("muscle.id"), index=True)
    metric: Mapped[str]
    unit: Mapped[str | None]
    statistic: Mapped[str]
    central_tendency: Mapped[str | None]
    pooled_mean: Mapped[float | None]
    sd: Mapped[float | None]
    range_low: Mapped[float | None]
    range_high: Mapped[float | None]
    subjects: Mapped[int | None]
    studies: Mapped[int | None]
    locator: Mapped[str]
    notes: Mapped[str | None]
