"""The numbers: measurements (condition x muscle), reported comparisons (findings), within-study
differences (contrasts), and what systematic reviews report in pooled form (review_pooled).

A review's pooled estimate sits beside the project's own pools on the pages, never inside them:
its studies overlap ours and its methods differ, so its rows are kept apart from measurement.
"""

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from . import allowed_values as av
from .allowed_values import sql_in
from .base import Base, slug, vocabularies
from .comparability import EMG_METRICS, PRIMARY_MVC_VALUE


class Measurement(Base):
    """One value a source reports for one condition and one muscle, with what it measures."""

    __tablename__ = "measurement"
    __table_args__ = (
        *vocabularies("metric", "normalisation_category", "electrode", "statistic", "central_tendency"),
        *vocabularies("phase", "dispersion_type", "side", "sd_source"),
        # A ratio names its denominator muscle; no other metric has one.
        CheckConstraint("(metric = 'emg_ratio') = (muscle_b_id IS NOT NULL)", name="ratio_has_denominator"),
        CheckConstraint("dispersion >= 0", name="dispersion_non_negative"),
        CheckConstraint("(dispersion IS NULL) = (dispersion_type IS NULL)", name="dispersion_has_type"),
        CheckConstraint("n > 0", name="n_positive"),
        CheckConstraint("sd >= 0", name="sd_non_negative"),
        CheckConstraint("(sd IS NULL) = (sd_source IS NULL)", name="sd_has_source"),
        CheckConstraint(
            "NOT " + sql_in("metric", av.NON_NEGATIVE_METRICS) + " OR value >= 0",
            name="value_non_negative",
        ),
        CheckConstraint("metric <> 'emg_share_of_sum' OR value <= 100", name="share_at_most_100"),
        # Only EMG metrics have an EMG normalisation.
        CheckConstraint(
            sql_in("metric", EMG_METRICS) + " OR normalisation_category = 'not_applicable'",
            name="normalisation_only_for_emg",
        ),
        Index(None, "muscle_id", "metric"),
        # The canned queries over one muscle's MVC-normalised first-hand values (muscle_activation,
        # muscle_meta_extract) read this index and the one after the class in their ORDER BY and
        # stop at Datasette's row cap, instead of sorting tens of thousands of rows per muscle
        # (bench/queries.py). Partial: the queries' WHERE repeats PRIMARY_MVC_VALUE, which is how
        # SQLite knows it may use them.
        Index(
            "ix_measurement_mvc_muscle_condition",
            "muscle_id",
            "condition_id",
            "statistic",
            sqlite_where=text(PRIMARY_MVC_VALUE),
            postgresql_where=text(PRIMARY_MVC_VALUE),
        ),
        # Partial: most values restate nothing, and a full index on restates_id made SQLite
        # answer 'restates_id IS NULL' through it, scanning measurement (bench/queries.py).
        Index(
            None,
            "restates_id",
            sqlite_where=text("restates_id IS NOT NULL"),
            postgresql_where=text("restates_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("condition.id"), index=True)
    muscle_id: Mapped[slug] = mapped_column(ForeignKey("muscle.id"))
    #: For an emg_ratio, the denominator muscle (muscle_id is the numerator).
    muscle_b_id: Mapped[str | None] = mapped_column(ForeignKey("muscle.id"))
    #: The paper's own name for the muscle or site.
    muscle_label: Mapped[str | None]
    metric: Mapped[str]
    unit: Mapped[str | None]
    normalisation: Mapped[str | None]
    normalisation_category: Mapped[str]
    electrode: Mapped[str]
    #: The amplitude statistic within a repetition or trial (mean, RMS, peak...).
    statistic: Mapped[str]
    #: How the value summarises the participants: mean or median (NULL: the source does not say).
    central_tendency: Mapped[str | None]
    phase: Mapped[str]
    value: Mapped[float]
    dispersion: Mapped[float | None]
    dispersion_type: Mapped[str | None]
    #: Where the source says what its spread is (a caption, a methods sentence), if it does.
    dispersion_locator: Mapped[str | None]
    #: The value was printed as approximate ('~50%'): never to be read as exact.
    approximate: Mapped[bool] = mapped_column(default=False)
    #: The limb, where a study reports the sides apart (NULL: both, or not said).
    side: Mapped[str | None]
    n: Mapped[int | None]
    source_id: Mapped[slug] = mapped_column(ForeignKey("source.id"), index=True)
    locator: Mapped[str]
    #: For a secondary value (review, article): the primary measurement it restates.
    restates_id: Mapped[int | None] = mapped_column(ForeignKey("measurement.id"))
    #: The measurement's key within its extraction file, where it has one.
    key: Mapped[str | None]
    notes: Mapped[str | None]
    #: Computed by the build, never curated (analysis/dispersion.py): the between-participant SD
    #: the dispersion gives, and where it came from (reported, review, from_se, from_ci,
    #: from_iqr:wan2014).
    sd: Mapped[float | None]
    sd_source: Mapped[str | None]
    #: Computed by the build (analysis/preferred.py): 1 for the one value of several sources'
    #: to use in a meta-analysis, so that restatements are never counted twice.
    preferred: Mapped[bool]


# Declared after the class, as value.desc() needs the column: rank from the highest value.
Index(
    "ix_measurement_mvc_muscle_statistic_value",
    Measurement.muscle_id,
    Measurement.statistic,
    Measurement.value.desc(),
    sqlite_where=text(PRIMARY_MVC_VALUE),
    postgresql_where=text(PRIMARY_MVC_VALUE),
)


class Finding(Base):
    """A comparison a source reports, with or without absolute numbers ('A > B, p = 0.004')."""

    __tablename__ = "finding"
    __table_args__ = (
        *vocabularies("metric", "statistic", "phase", "direction", "size_type", "p_relation"),
        CheckConstraint("p_value >= 0 AND p_value <= 1", name="p_value_range"),
        CheckConstraint("(size IS NULL) OR (size_type IS NOT NULL)", name="size_has_type"),
        # Either two conditions on one muscle, or two muscles within one condition.
        CheckConstraint("condition_b_id IS NULL OR muscle_b_id IS NULL", name="one_contrast_at_a_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[slug] = mapped_column(ForeignKey("study.id"), index=True)
    condition_a_id: Mapped[int] = mapped_column(ForeignKey("condition.id"), index=True)
    #: NULL for a trend across the study's conditions ('increases with load').
    condition_b_id: Mapped[int | None] = mapped_column(ForeignKey("condition.id"), index=True)
    muscle_id: Mapped[slug] = mapped_column(ForeignKey("muscle.id"), index=True)
    #: The second muscle, for a comparison between muscles within condition A.
    muscle_b_id: Mapped[str | None] = mapped_column(ForeignKey("muscle.id"), index=True)
    metric: Mapped[str]
    statistic: Mapped[str]
    phase: Mapped[str]
    direction: Mapped[str]
    size: Mapped[float | None]
    size_type: Mapped[str | None]
    p_value: Mapped[float | None]
    p_relation: Mapped[str | None]
    summary: Mapped[str]
    source_id: Mapped[slug] = mapped_column(ForeignKey("source.id"), index=True)
    locator: Mapped[str]
    #: The finding's key within its extraction file, where it has one.
    key: Mapped[str | None]


class Contrast(Base):
    """A difference between two conditions of one study for one muscle, as the source prints it
    (a mean difference with its CI, an effect size, a percent difference with an exact p): what a
    meta-analysis pools by generic inverse variance when the arms themselves are not reported.
    ``estimate`` is A minus B (A over B for a ratio)."""

    __tablename__ = "contrast"
    __table_args__ = (
        *vocabularies(
            "metric", "normalisation_category", "statistic", "phase", "estimate_type", "p_relation"
        ),
        CheckConstraint("p_value >= 0 AND p_value <= 1", name="p_value_range"),
        CheckConstraint("(p_value IS NULL) = (p_relation IS NULL)", name="p_has_relation"),
        CheckConstraint("se > 0", name="se_positive"),
        CheckConstraint("ci_low <= estimate AND estimate <= ci_high", name="ci_holds_estimate"),
        CheckConstraint("(ci_low IS NULL) = (ci_high IS NULL)", name="ci_both_ends"),
        CheckConstraint("estimate IS NOT NULL OR ci_low IS NOT NULL", name="estimate_or_interval"),
        CheckConstraint("ci_level > 0 AND ci_level < 1", name="ci_level_range"),
        CheckConstraint("n > 0", name="n_positive"),
        CheckConstraint("condition_a_id <> condition_b_id", name="two_conditions"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[slug] = mapped_column(ForeignKey("study.id"), index=True)
    condition_a_id: Mapped[int] = mapped_column(ForeignKey("condition.id"), index=True)
    condition_b_id: Mapped[int] = mapped_column(ForeignKey("condition.id"), index=True)
    muscle_id: Mapped[slug] = mapped_column(ForeignKey("muscle.id"), index=True)
    muscle_label: Mapped[str | None]
    metric: Mapped[str]
    #: The unit of the difference (NULL for a standardised effect size or a ratio).
    unit: Mapped[str | None]
    normalisation_category: Mapped[str]
    statistic: Mapped[str]
    phase: Mapped[str]
    estimate_type: Mapped[str]
    #: NULL where the source prints only the interval; its midpoint is then the estimate a
    #: synthesis may compute (a symmetric interval), never stored as if printed.
    estimate: Mapped[float | None]
    ci_low: Mapped[float | None]
    ci_high: Mapped[float | None]
    ci_level: Mapped[float | None]
    se: Mapped[float | None]
    p_value: Mapped[float | None]
    p_relation: Mapped[str | None]
    n: Mapped[int | None]
    source_id: Mapped[slug] = mapped_column(ForeignKey("source.id"), index=True)
    locator: Mapped[str]
    notes: Mapped[str | None]


class BuildInfo(Base):
    """Facts about the build that made this file: its content hash is the release identifier."""

    __tablename__ = "build_info"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[str]


class ReviewPooled(Base):
    """A review's pooled value for one exercise and muscle, as its table prints it."""

    __tablename__ = "review_pooled"
    __table_args__ = (
        *vocabularies("metric", "statistic", "central_tendency"),
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
