"""Plausibility and consistency: values each valid on its own that cannot be true together, or
hardly; a value that contradicts its own labels, a finding its own p, size or direction, study
facts each other, review rows that cannot be.

The models (records.py) check one field at a time; these rules compare a value with its labels,
the study or the file's other values. Each rule is here once, with why and its threshold. An
error is impossible or contradictory data; a warning is possible but suspicious (``evidence build
--strict`` refuses those too).

Conventions the rules rely on (data/README.md): a finding's size is A relative to B (A - B, or
A / B for a ratio), so a_greater means a positive difference or a ratio above 1; an SD is the
between-participant SD of the value's participants.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..schema.allowed_values import NON_NEGATIVE_METRICS
from ..schema.comparability import MVC_CATEGORIES
from .records import ExtractionIn, FindingIn, MeasurementIn, ReviewPooledIn, StudyIn

#: How a rule reports: ``say(field, message)``.
Say = Callable[[str, str], None]

#: Earliest publication year. Kinesiological EMG of exercise begins around 1950 (Inman's shoulder
#: studies are from 1944, Basmajian's "Muscles Alive" from 1962); an earlier year is a typo.
FIRST_YEAR = 1950
#: Latest publication year: next year, for an article online now in next year's issue.
YEARS_AHEAD = 1

#: Metrics whose "peak" and "mean" are the peak and mean of one non-negative signal, so the peak
#: is at least the mean. Not shares or ratios: a peak share need not exceed a mean share.
PEAK_ABOVE_MEAN_METRICS = ("emg_amplitude", "relative_muscular_effort")
#: What a peak and a mean must share to be of the same signal: every field that says what was
#: measured and how, except the statistic itself.
SAME_SIGNAL = (
    "condition", "muscle", "muscle_b", "metric", "unit", "normalisation", "normalisation_category",
    "electrode", "phase", "central_tendency", "source",
)  # fmt: skip

#: Shares of summed EMG (emg_share_of_sum) from one source for one condition, statistic and phase
#: are parts of one whole: they add up to 100 at most. The tolerance allows for shares printed
#: rounded (0.05 each at one decimal: 20 shares). Medians of shares need not add up, so shares
#: given as medians are not checked.
SHARE_TOTAL = 100.0
SHARE_ROUNDING_TOLERANCE = 1.0

#: For the metrics that are never negative (NON_NEGATIVE_METRICS), an SD far above the mean is
#: implausible, then impossible. A between-participant coefficient of variation (SD / mean) of EMG in %MVIC is
#: typically 0.3-0.8; above 1.5 the spread is more likely an SE, a range or another unit entered
#: as an SD (a warning). For non-negative values from n participants the SD can be at most
#: sqrt(n) times the mean (all but one value 0), and an SE (SD / sqrt(n)) at most the mean: above
#: that, or above 10 times the mean whatever n, it is an error.
SD_WARN_RATIO = 1.5
SD_ABSURD_RATIO = 10.0

#: Size types whose sign is the direction: A - B (percent, mean difference, Cohen's d).
SIGNED_SIZE_TYPES = ("percent_difference", "mean_difference", "effect_size_d")


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_extraction(path: Path, data: ExtractionIn, this_year: int | None = None) -> Report:
    report = Report()

    def error(where: str, message: str) -> None:
        report.errors.append(f"{path}: {where}: {message}")

    def warn(where: str, message: str) -> None:
        report.warnings.append(f"{path}: {where}: {message}")

    check_year(data.study.year, this_year or date.today().year, error)
    check_study(data.study, error, warn)
    study_n = data.study.participants.n
    for i, m in enumerate(data.measurements):
        check_n(m, study_n, f"measurements[{i}].n", error)
        check_dispersion(m, m.n or study_n, f"measurements[{i}].dispersion", error, warn)
        check_measurement(m, f"measurements[{i}]", error)
    check_peaks(data.measurements, error)
    check_shares(data.measurements, error)
    check_units_in_file(data.measurements, warn)
    for i, f in enumerate(data.findings):
        check_p_value(f, f"findings[{i}]", error)
        check_size(f, f"findings[{i}].size", error)
        check_finding(f, f"findings[{i}]", error)
    return report


def check_year(year: int | None, this_year: int, error: Say) -> None:
    if year is None:
        return
    if year < FIRST_YEAR:
        error("study.year", f"{year} is before {FIRST_YEAR}, earlier than EMG studies of exercise")
    elif year > this_year + YEARS_AHEAD:
        error("study.year", f"{year} is in the future (after {this_year + YEARS_AHEAD})")


def check_n(m: MeasurementIn, study_n: int | None, where: str, error: Say) -> None:
    # A value's n above the study's participants would weigh it up to that many times over in a
    # pool (an n of 500 in a 10-person study).
    if m.n is not None and study_n is not None and m.n > study_n:
        error(where, f"{m.n} is more than the study's {study_n} participants")


def sd_limit(n: int | None) -> float:
    """The largest SD / mean an SD may have: sqrt(n) (the most non-negative values from n
    participants can spread), and never more than SD_ABSURD_RATIO."""
    return SD_ABSURD_RATIO if n is None else min(SD_ABSURD_RATIO, math.sqrt(n))


def check_dispersion(m: MeasurementIn, n: int | None, where: str, error: Say, warn: Say) -> None:
    if m.dispersion is None:
        return
    spread, mean = m.dispersion, m.value
    if m.dispersion_type == "ci95" and spread == 0:
        error(where, "a 95% CI of zero width: leave dispersion null if the source gives no interval")
    if m.metric not in NON_NEGATIVE_METRICS or m.central_tendency == "median" or spread == 0:
        return
    ratio = spread / mean if mean > 0 else math.inf
    shown = "infinitely many" if math.isinf(ratio) else f"{ratio:.3g}"
    if m.dispersion_type == "sd":
        limit = sd_limit(n)
        if ratio > limit:
            why = (
                f"impossible for non-negative values from {n} participants (at most sqrt(n) = {limit:.3g} times)"
                if limit < SD_ABSURD_RATIO
                else f"more than {SD_ABSURD_RATIO:g} times is absurd"
            )
            error(where, f"an SD of {spread:g} is {shown} times the mean {mean:g}: {why}")
        elif ratio > SD_WARN_RATIO:
            warn(
                where,
                f"an SD of {spread:g} is {shown} times the mean {mean:g} (more than {SD_WARN_RATIO:g}):"
                " an SE, a range or another unit entered as an SD? check the source",
            )
    elif m.dispersion_type == "se":
        if ratio > 1:
            error(
                where,
                f"an SE of {spread:g} is {shown} times the mean {mean:g}: impossible for non-negative"
                " values (an SE is at most the mean)",
            )
        elif n is not None and ratio * math.sqrt(n) > SD_WARN_RATIO:
            warn(
                where,
                f"an SE of {spread:g} with n = {n} is an SD {ratio * math.sqrt(n):.3g} times the mean"
                f" {mean:g} (more than {SD_WARN_RATIO:g}): an SD entered as an SE? check the source",
            )


def check_peaks(measurements: list[MeasurementIn], error: Say) -> None:
    """A peak below the mean of the same signal (SAME_SIGNAL) is impossible."""
    means: dict[tuple, list[tuple[int, float]]] = defaultdict(list)
    for j, m in enumerate(measurements):
        if m.statistic == "mean" and m.metric in PEAK_ABOVE_MEAN_METRICS:
            means[tuple(getattr(m, name) for name in SAME_SIGNAL)].append((j, m.value))
    for i, m in enumerate(measurements):
        if m.statistic != "peak" or m.metric not in PEAK_ABOVE_MEAN_METRICS:
            continue
        for j, mean in means.get(tuple(getattr(m, name) for name in SAME_SIGNAL), []):
            if m.value < mean:
                error(
                    f"measurements[{i}].value",
                    f"the peak {m.value:g} is below the mean {mean:g} of measurements[{j}] (same"
                    " condition, muscle, metric, normalisation, phase and source): a peak cannot be"
                    " below the mean of the same signal",
                )
                break


def check_shares(measurements: list[MeasurementIn], error: Say) -> None:
    """Shares of one whole add up to at most 100 (SHARE_TOTAL, SHARE_ROUNDING_TOLERANCE)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, m in enumerate(measurements):
        if m.metric == "emg_share_of_sum" and m.central_tendency != "median":
            groups[(m.condition, m.source, m.statistic, m.phase)].append(i)
    for (condition, source, _, _), members in groups.items():
        total = math.fsum(measurements[i].value for i in members)
        if total > SHARE_TOTAL + SHARE_ROUNDING_TOLERANCE:
            listed = ", ".join(f"[{i}]" for i in members)
            error(
                f"measurements[{members[-1]}].value",
                f"the shares of summed EMG of condition {condition!r} from {source!r} add up to"
                f" {total:g} (measurements {listed}): more than {SHARE_TOTAL:g}",
            )


def check_p_value(f: FindingIn, where: str, error: Say) -> None:
    if f.p_value == 0:
        error(
            f"{where}.p_value",
            "p cannot be 0: 'p < 0.001' is p_value 0.001 with p_relation '<'",
        )
    elif f.p_value == 1 and f.p_relation == ">":
        error(f"{where}.p_relation", "p > 1 is impossible")


def check_size(f: FindingIn, where: str, error: Say) -> None:
    """A size that says the opposite of a_greater or b_greater."""
    if f.size is None or f.direction not in ("a_greater", "b_greater"):
        return
    if f.size_type not in (*SIGNED_SIZE_TYPES, "ratio"):
        return
    a_minus_b = f.size - 1 if f.size_type == "ratio" else f.size
    if (a_minus_b < 0) if f.direction == "a_greater" else (a_minus_b > 0):
        says = "B" if f.direction == "a_greater" else "A"
        form = "A / B" if f.size_type == "ratio" else "A - B"
        error(
            where,
            f"{f.size:g} ({f.size_type}) says {says} is greater, but direction is {f.direction}"
            f" (a size is {form})",
        )


#: Units that say the value is a share of an MVC; units that say it is raw EMG.
MVC_UNITS = ("%mvc", "%mvic", "% mvc", "% mvic", "%mvc peak", "%emg max")
RAW_UNITS = {"mv": 10.0, "µv": 10_000.0, "uv": 10_000.0, "μv": 10_000.0}
#: Participants in one EMG study of exercise: a few hundred at the very most. Above WARN_N a
#: typo is likely; above MAX_N it is certain.
WARN_N, MAX_N = 300, 10_000
#: An adult's age in years; the oldest people studied in exercise EMG are in their nineties.
MAX_AGE = 110
#: Resistance training rarely starts before about age 10.
TRAINING_START_AGE = 10
#: p above which a difference is not significant at the conventional level (no correction for
#: multiple comparisons makes a larger p significant).
ALPHA = 0.05
#: p at or below which a difference is significant even after the corrections studies apply
#: (Bonferroni over 50 comparisons); between the two, a 'no_difference' may be a corrected one.
CLEARLY_SIGNIFICANT = 0.001


def check_measurement(m: MeasurementIn, where: str, error: Say) -> None:
    unit = (m.unit or "").strip().lower()
    if m.metric == "emg_amplitude" and unit in MVC_UNITS and m.normalisation_category == "not_normalised":
        error(
            f"{where}.normalisation_category",
            f"'not_normalised' but the unit is {m.unit!r}, a share of an MVC",
        )
    if unit in RAW_UNITS and m.normalisation_category in MVC_CATEGORIES:
        error(
            f"{where}.normalisation_category",
            f"{m.normalisation_category!r} but the unit {m.unit!r} is raw EMG, not a share of an MVC",
        )
    if m.dispersion_type == "iqr" and m.central_tendency == "mean":
        error(f"{where}.dispersion_type", "an IQR goes with a median, not a mean: check the source")
    if m.n is not None and m.n > MAX_N:
        error(f"{where}.n", f"{m.n} participants is not an EMG study (more than {MAX_N:,})")
    if m.muscle_b is not None and m.muscle_b == m.muscle:
        error(f"{where}.muscle_b", "a muscle divided by itself")


def check_units_in_file(measurements: list[MeasurementIn], warn: Say) -> None:
    """A value below 1 among values of tens in the same percent unit: a fraction typed where
    the study prints percent (0.695 for 69.5%)."""
    by_unit: dict[str, list[tuple[int, float]]] = {}
    for i, m in enumerate(measurements):
        if m.metric == "emg_amplitude" and (m.unit or "").strip().startswith("%"):
            by_unit.setdefault(m.unit or "", []).append((i, m.value))
    for unit, values in by_unit.items():
        if max(v for _, v in values) < 10:
            continue
        for i, v in values:
            if 0 < v < 1:
                warn(
                    f"measurements[{i}].value",
                    f"{v:g} {unit} beside values of {max(x for _, x in values):g} {unit}: a fraction typed"
                    " where the source prints percent? check the source",
                )


def check_finding(f: FindingIn, where: str, error: Say) -> None:
    significant = f.p_value is not None and f.p_relation in ("<", "=") and f.p_value <= CLEARLY_SIGNIFICANT
    not_significant = f.p_value is not None and f.p_relation in ("=", ">") and f.p_value > ALPHA
    if f.direction == "no_difference" and significant:
        error(f"{where}.direction", f"'no_difference' with p {f.p_relation} {f.p_value:g}: a significant p")
    if f.direction in ("a_greater", "b_greater", "different") and not_significant:
        error(
            f"{where}.direction",
            f"{f.direction!r} with p {f.p_relation} {f.p_value:g}: not significant; a difference the"
            " paper did not find significant is 'no_difference' (its size may stay)",
        )
    compares = f.b is not None or f.muscle_b is not None
    # no_difference and different without b are omnibus results across the study's conditions.
    if f.direction in ("a_greater", "b_greater") and not compares:
        error(f"{where}.b", f"{f.direction!r} needs a second condition (b) or a second muscle (muscle_b)")
    if f.direction in ("increases", "decreases") and compares:
        error(
            f"{where}.direction",
            f"{f.direction!r} is a trend across the study's conditions: b and muscle_b stay empty",
        )
    if f.muscle_b is not None and f.muscle_b == f.muscle:
        error(f"{where}.muscle_b", "a muscle compared with itself")
    if f.size is not None and f.size_type == "ratio" and f.size <= 0:
        error(f"{where}.size", f"a ratio of {f.size:g}: a ratio of two amplitudes is positive")
    if f.size is not None and f.size_type == "percent_difference" and f.size <= -100:
        error(f"{where}.size", f"{f.size:g}%: A cannot be 100% or more below B")


def check_study(st: StudyIn, error: Say, warn: Say) -> None:
    p = st.participants
    if p.n is not None and p.n > MAX_N:
        error("study.participants.n", f"{p.n} participants is not an EMG study (more than {MAX_N:,})")
    elif p.n is not None and p.n > WARN_N:
        warn(
            "study.participants.n", f"{p.n} participants is unusually many for an EMG study: check the source"
        )
    if p.age_mean is not None and p.age_mean > MAX_AGE:
        error("study.participants.age_mean", f"{p.age_mean:g} years is not a participant's mean age")
    if p.age_mean is not None and p.age_sd is not None and p.age_sd > p.age_mean:
        error("study.participants.age_sd", f"an age SD of {p.age_sd:g} above the mean age {p.age_mean:g}")
    if p.age_mean is not None and p.training_years_mean is not None:
        if p.training_years_mean > p.age_mean - TRAINING_START_AGE:
            error(
                "study.participants.training_years_mean",
                f"{p.training_years_mean:g} years of training at a mean age of {p.age_mean:g}"
                f" (training before age {TRAINING_START_AGE})",
            )


def check_review_row(r: ReviewPooledIn, where: str, error: Say) -> None:
    if r.pooled_mean is not None and r.pooled_mean < 0 and r.metric == "emg_amplitude":
        error(f"{where}.pooled_mean", f"{r.pooled_mean:g}: a mean EMG amplitude cannot be negative")
    if r.pooled_mean is not None and r.range_low is not None and r.range_high is not None:
        if not r.range_low <= r.pooled_mean <= r.range_high:
            error(
                f"{where}.pooled_mean",
                f"{r.pooled_mean:g} lies outside its own range {r.range_low:g}-{r.range_high:g}",
            )
    if r.studies is not None and r.subjects is not None and r.studies > r.subjects:
        error(f"{where}.studies", f"{r.studies} studies but {r.subjects} subjects: each study has someone")
    if r.sd is not None and r.pooled_mean is not None and r.pooled_mean > 0 and r.sd > 10 * r.pooled_mean:
        error(f"{where}.sd", f"an SD of {r.sd:g} is more than 10 times the mean {r.pooled_mean:g}")
