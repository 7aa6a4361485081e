"""Consistency: a value that contradicts its own labels, a finding that contradicts its own p,
size or direction, study facts that contradict each other, review rows that cannot be.

Each rule has its threshold and why beside it. An error is impossible or self-contradictory
data; a warning is possible but needs a note or a second look (``--strict`` refuses both).
The plausibility of one value against the study's others is in plausibility.py.
"""

from __future__ import annotations

from collections.abc import Callable

from ..schema.comparability import MVC_CATEGORIES
from .records import ExtractionIn, FindingIn, MeasurementIn, ReviewPooledIn, StudyIn

Say = Callable[[str, str], None]

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


def check_extraction(data: ExtractionIn, error: Say, warn: Say) -> None:
    check_study(data.study, error, warn)
    for i, m in enumerate(data.measurements):
        check_measurement(m, f"measurements[{i}]", error)
    check_units_in_file(data.measurements, warn)
    for i, f in enumerate(data.findings):
        check_finding(f, f"findings[{i}]", error)


def check_review_row(r: ReviewPooledIn, where: str, error: Say) -> None:
    """A review's pooled row that cannot be what it says."""
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
