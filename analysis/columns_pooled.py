"""The columns of the pooled files (differences.csv, pooled.csv, network.csv, sensitivity.csv),
documented once, and every file of the export with its title (:data:`TABLES`)."""

from __future__ import annotations

from typing import Any

from ..schema.comparability import POPULATIONS
from .columns import FIELDS, _f
from .grade import LEVELS, SWD

_KEY_PARTS: dict[str, dict] = {
    "muscle_id": _f("string", "Muscle or region id."),
    "statistic": _f("string", "Amplitude statistic within a repetition (mean, rms, peak...)."),
    "central_tendency": _f("string", "mean or median across people."),
    "phase": _f("string", "Part of the movement."),
    "normalisation_category": _f("string", "CEDE EMG normalisation category."),
    "unit_kind": _f("string", "'%' for a percentage of the normalisation reference, else the unit."),
    "population": _f(
        "string",
        "healthy, impaired (a named weakness or pain), clinical or not_reported.",
        enum=list(POPULATIONS),
    ),
}
_ANSWER: dict[str, dict] = {
    "estimate": _f("number", "The estimate (metafor's b), in the values' unit."),
    "se": _f("number", "Its standard error."),
    "ci_lb": _f("number", "Lower bound of the 95% confidence interval."),
    "ci_ub": _f("number", "Upper bound of the 95% confidence interval."),
    "pi_lb": _f("number", "Lower bound of the 95% prediction interval (metafor's predict)."),
    "pi_ub": _f("number", "Upper bound of the 95% prediction interval."),
    "studies": _f("integer", "Studies behind the answer.", minimum=0),
    "people": _f("integer", "People behind it: each study's n once.", minimum=0),
    "grade": _f("string", "Certainty, GRADE-style (analysis/grade.py): high, moderate, low or very low.",
                enum=list(LEVELS)),
    "reasons": _f("string", f"Why the grade is below high, in words (smallest worthwhile difference {SWD:g} %MVIC)."),
    "sensitivity": _f("string", "The answer under other choices (leave one study out, ri, SD basis), in words."),
    "i2": _f("number", "I² in percent (pools: rma's I2, 0 for one difference; networks: between-study "
                       "and condition variance over the total)."),
}  # fmt: skip

DIFFERENCE_FIELDS: dict[str, dict] = {
    "contrast_key": FIELDS["contrast_key"],
    "pair": FIELDS["pair"],
    "factor": FIELDS["factor"],
    "study_id": FIELDS["study_id"],
    "origin": _f("string", "arms (two values of the study, MC with ri) or printed (a difference the "
                           "source reports with its CI, SE or p: the contrast table).", enum=["arms", "printed"]),
    "condition1_id": FIELDS["condition1_id"] | {"constraints": {}},
    "condition2_id": FIELDS["condition2_id"] | {"constraints": {}},
    "exercise1_id": FIELDS["exercise1_id"],
    "exercise2_id": FIELDS["exercise2_id"],
    "muscle_id": _f("string", "Muscle or region id."),
    "yi": _f("number", "The difference, condition 1 minus condition 2, in the values' unit."),
    "vi": _f("number", "Its sampling variance: MC's from arms, SE² of a printed difference.", minimum=0),
    "ni": _f("integer", "Participants."),
    "ri": _f("number", "The imputed correlation of a difference from arms; empty for a printed one."),
    "sd_imputed": FIELDS["sd_imputed"],
    "sd_unlabelled": FIELDS["sd_unlabelled"],
    "se_source": _f("string", "For a printed difference: se printed, from the CI, or from the exact p."),
    "contrast_id": _f("integer", "The contrast table's row of a printed difference."),
    "pooled": _f("integer", "1: the pool took this row; 0: it did not (see why_not_pooled).", enum=[0, 1]),
    "why_not_pooled": _f("string", "Why a row was not pooled."),
}  # fmt: skip

POOLED_FIELDS: dict[str, dict] = {
    "key": _f("string", "The contrast key pooled (differences.csv's contrast_key).", required=True),
    "kind": _f("string", "exercises (two exercises) or technique (two versions of one exercise).",
               enum=["exercises", "technique"]),
    "pair": FIELDS["pair"],
    "factor": FIELDS["factor"],
    "direction": _f("string", "The direction of the estimate in words (first minus second)."),
    **_KEY_PARTS,
    "studies": _ANSWER["studies"],
    "differences": _f("integer", "Differences pooled (a study may give several).", minimum=0),
    "people": _ANSWER["people"],
    "rows_without_vi": _f("integer", "Differences of this key left out for want of an SD.", minimum=0),
    "printed": _f("integer", "Differences pooled as printed (generic inverse variance).", minimum=0),
    "unlabelled_sd": _f("integer", "Differences whose vi needs an unlabelled '±' read as an SD.", minimum=0),
    "imputed_sd": _f("integer", "Differences whose vi needs an imputed SD.", minimum=0),
    **{c: _ANSWER[c] for c in ("estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub")},
    "tau2": _f("number", "Between-study variance (rma's tau2); 0 with one difference.", minimum=0),
    "i2": _ANSWER["i2"],
    "method": _f("string", "tau² estimator (metafor's codes).", enum=["REML", "DL", "PM"]),
    "test": _f("string", "z (normal) or knha (Knapp-Hartung, t with k - 1 df).", enum=["z", "knha"]),
    "robust_se": _f("number", "Cluster-robust (CR2, by study) SE where a study gives several differences "
                              "(clubSandwich's coef_test)."),
    "robust_df": _f("number", "Its Satterthwaite degrees of freedom."),
    "robust_ci_lb": _f("number", "Lower bound of the robust 95% interval (t with robust_df)."),
    "robust_ci_ub": _f("number", "Upper bound of the robust 95% interval."),
    **{c: _ANSWER[c] for c in ("grade", "reasons", "sensitivity")},
    "notes": _f("string", "What the pool assumes: unlabelled or imputed SDs, ri, dependent differences."),
}  # fmt: skip

NETWORK_FIELDS: dict[str, dict] = {
    "key": _f("string", "The level key (single_conditions.csv's network_key).", required=True),
    **_KEY_PARTS,
    "row": _f("string", "level (an exercise's estimate), difference (exercise_id minus exercise2_id), "
                        "apart (an exercise no study links to the others) or model (no model: see note).",
              enum=["level", "difference", "apart", "model"], required=True),
    "exercise_id": _f("string", "The exercise (a difference: the first)."),
    "exercise2_id": _f("string", "A difference's second exercise."),
    "exercise": _f("string", "The exercise's name, or a difference's direction in words."),
    **{c: _ANSWER[c] for c in ("estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub")},
    "studies": _f("integer", "Studies with the exercise; for a difference, studies that measured both."),
    "people": _ANSWER["people"],
    "arms": _f("integer", "Values (conditions) of the exercise in the model."),
    "p_score": _f("number", "P-score: the mean probability of a higher level than each other exercise."),
    "rank": _f("integer", "Rank by P-score (1 = highest)."),
    **{c: _ANSWER[c] for c in ("grade", "reasons", "sensitivity")},
    "network_studies": _f("integer", "Studies in the model."),
    "network_people": _f("integer", "People in the model."),
    "sigma2_study": _f("number", "Variance between studies (rma.mv's sigma2[1]); fixed at 0 with one study."),
    "sigma2_condition": _f("number", "Variance between conditions within studies (sigma2[2])."),
    "i2": _ANSWER["i2"],
    "note": _f("string", "Why no model was fitted."),
}  # fmt: skip

SENSITIVITY_FIELDS: dict[str, dict] = {
    "kind": _f("string", "pool (pooled.csv) or level (network.csv's exercise).", enum=["pool", "level"]),
    "key": _f("string", "The pool's or network's key."),
    "item": _f("string", "The pool's pair or the network's exercise."),
    "analysis": _f("string", "leave_one_out, ri or sd_basis.", enum=["leave_one_out", "ri", "sd_basis"]),
    "variant": _f("string", "The study left out, the ri, or the SD basis (reported, unlabelled, imputed)."),
    "studies": _ANSWER["studies"],
    **{c: _ANSWER[c] for c in ("estimate", "ci_lb", "ci_ub")},
}  # fmt: skip


def _table(
    file: str, title: str, description: str, fields: dict[str, dict], key: list[str]
) -> dict[str, Any]:
    return {"file": file, "title": title, "description": description, "fields": fields, "primary_key": key}


#: Every CSV of the export: its file, title, description, columns and primary key.
TABLES: dict[str, dict[str, Any]] = {
    "contrasts": _table(
        "contrasts.csv", "Within-study contrasts (metafor MC and SMCC)",
        "Two rows per pair of conditions (measure MC and SMCC), in the pair's common direction. In R: "
        'source("read_export.R"); d <- subset(read_contrasts(), measure == "SMCC"); '
        'metafor::escalc(measure = "SMCC", m1i = m1i, m2i = m2i, sd1i = sd1i, sd2i = sd2i, ni = ni, ri = ri, data = d).',
        FIELDS, ["measurement1_id", "measurement2_id", "measure"]),
    "single_conditions": _table(
        "single_conditions.csv", "Single conditions (metafor MN)",
        "One row per value; network_key names its network model, in_network = 1 the rows it was fitted to.",
        FIELDS, ["measurement_id"]),
    "differences": _table(
        "differences.csv", "The differences each pool took",
        "One row per within-study difference, as pooled (pooled = 1) or left out with why.",
        DIFFERENCE_FIELDS, []),
    "pooled": _table(
        "pooled.csv", "Pairwise pools (metafor rma) with a certainty grade",
        "One row per contrast key: studies, people, estimate, CI, prediction interval, tau2, I2, the "
        "robust interval where studies give several differences, grade, reasons, sensitivity.",
        POOLED_FIELDS, ["key"]),
    "network": _table(
        "network.csv", "Network models per muscle key (metafor rma.mv) with a certainty grade",
        "Per level key: each exercise's estimate, CI, prediction interval, P-score and rank; every "
        "pairwise difference (the league table); exercises apart; grade and reasons for each.",
        NETWORK_FIELDS, []),
    "sensitivity": _table(
        "sensitivity.csv", "Sensitivity analyses",
        "Every pool and network exercise again: leaving out each study, at ri 0.3/0.5/0.7, and under "
        "each SD basis.", SENSITIVITY_FIELDS, []),
}  # fmt: skip
