"""Every column of the meta-analysis extracts, documented once: type, description, unit and
constraints (Frictionless Table Schema), and the assumptions behind them.

``evidence export`` writes these into datapackage.json; the Datasette plugin
serving/plugins/column_docs.py shows the same descriptions on meta_extract's page.
"""

from __future__ import annotations

from typing import Any

from ..schema.allowed_values import (
    CENTRAL_TENDENCIES,
    DISPERSION_TYPES,
    NORMALISATION_CATEGORIES,
    PHASES,
    POPULATION_GROUPS,
    PROVENANCES,
    STATISTICS,
)
from ..schema.comparability import MVC_CATEGORIES

_UNIT = "unit of the row's `unit` column (e.g. %MVIC, %)"


def _f(type_: str, description: str, unit: str | None = None, **constraints: Any) -> dict:
    field: dict[str, Any] = {"type": type_, "description": description}
    if unit:
        # Table Schema v1 has no unit property; frictionless allows extra properties, and the
        # description says it too so that any reader sees it.
        field["unit"] = unit
        field["description"] += f" Unit: {unit}."
    if constraints:
        field["constraints"] = constraints
    return field


#: Every column of both extracts: Table Schema type, description, unit, constraints.
FIELDS: dict[str, dict] = {
    "measurement_id": _f("integer", "Id of the measurement (evidence.db measurement.id).", required=True),
    "study_id": _f("string", "The study: first author's surname and year.", required=True),
    "citation": _f("string", "Short citation of the study."),
    "year": _f("integer", "Year of publication."),
    "doi": _f("string", "DOI, without https://doi.org/; empty where no page read showed it."),
    "pmid": _f("string", "PubMed id; empty where none was read."),
    "exercise_id": _f("string", "Canonical exercise id."),
    "exercise": _f("string", "Canonical exercise name."),
    "condition_id": _f("integer", "The condition (the exercise as this study performed it)."),
    "condition": _f("string", "The paper's label for the condition."),
    "load": _f("string", "Load as reported."),
    "muscle_id": _f("string", "Canonical muscle or muscle-region id.", required=True),
    "muscle": _f("string", "Muscle name."),
    "muscle_region": _f("string", "Region (upper, lower, proximal, distal); empty for the whole muscle."),
    "muscle_group": _f("string", "Muscle group."),
    "metric": _f(
        "string",
        "What was measured (emg_amplitude, emg_share_of_sum, relative_muscular_effort, "
        "joint_moment, joint_work, other). Values of different metrics are never paired or pooled.",
        required=True,
    ),
    "unit": _f("string", "Unit of the values (m1i, m2i, sd1i, sd2i, mi, sdi and MC/MN yi) as reported."),
    "normalisation_category": _f(
        "string", "CEDE EMG normalisation category.", enum=list(NORMALISATION_CATEGORIES)
    ),
    "comparable_mvc": _f(
        "integer",
        "1 only for EMG amplitude normalised to a maximal voluntary contraction "
        f"({', '.join(MVC_CATEGORIES)}); 0 otherwise.",
        enum=[0, 1],
    ),
    "statistic": _f(
        "string",
        "How the signal was summarised within a repetition or trial (the amplitude statistic: "
        "mean, rms, peak...); not_reported where the source does not say. Mean and peak are never "
        "paired or pooled.",
        enum=list(STATISTICS),
    ),
    "phase": _f("string", "Part of the movement.", enum=list(PHASES)),
    "provenance": _f(
        "string",
        "Source rank of the values: primary (the paper) > review > article. A pair never mixes ranks.",
        enum=list(PROVENANCES),
    ),
    "pool_key": _f(
        "string",
        "exercise/muscle/statistic/central_tendency/phase/healthy|clinical, for MVC-normalised EMG "
        "with a stated statistic and central tendency from a paper or review: rows with equal "
        "pool_key may be pooled across studies (pooled.csv does). Empty: not poolable.",
    ),
    "contrast_key": _f(
        "string",
        "exercise1-vs-exercise2/muscle/statistic/central_tendency/phase/healthy|clinical: contrasts "
        "with equal contrast_key may be pooled (pooled.csv does). Empty: not poolable.",
    ),
    "central_tendency": _f(
        "string",
        "How the value summarises the participants: mean or median; empty where the source does "
        "not say. Means and medians are never paired or pooled together.",
        enum=list(CENTRAL_TENDENCIES),
    ),
    "population_group": _f(
        "string",
        "Who took part: healthy_trained, healthy_untrained, athletes, clinical, not_reported. "
        "Pools never mix clinical with healthy groups.",
        enum=list(POPULATION_GROUPS),
    ),
    "preferred": _f(
        "integer",
        "1: the one value to use where several sources give it (the paper's, or a review's that "
        "adds the SD the paper's lacks). Every row of these extracts is preferred.",
        enum=[0, 1],
    ),
    "sd_source": _f(
        "string",
        "Where sdi came from: reported (the paper's SD), review (a review's SD), from_se "
        "(SE x sqrt(n)), from_ci (95% CI half-width x sqrt(n) / t), from_iqr:wan2014 (IQR / "
        "eta(n), Wan et al. 2014), imputed:cv=<c> or imputed:median_cv=<c> (only when the export "
        "was asked to impute: see sd_imputed).",
    ),
    "sd1_source": _f("string", "Where sd1i came from (as sd_source)."),
    "sd2_source": _f("string", "Where sd2i came from (as sd_source)."),
    "sd_imputed": _f(
        "integer",
        "1: an SD of this row was imputed by `evidence export --impute-sd` (an assumption, not a "
        "reported or converted value); 0 otherwise.",
        enum=[0, 1],
    ),
    "measure": _f(
        "string",
        "metafor outcome measure of yi and vi: MC (raw mean change), SMCC (standardised mean "
        "change, change-score standardisation), MN (raw mean).",
        enum=["MC", "SMCC", "MN"],
        required=True,
    ),
    "m1i": _f("number", "Mean of condition 1 (metafor m1i), as reported.", _UNIT),
    "m2i": _f("number", "Mean of condition 2 (metafor m2i), as reported.", _UNIT),
    "sd1i": _f(
        "number",
        "SD of condition 1 between participants (metafor sd1i): reported, or converted from an "
        "SE, CI or IQR, or imputed on request (sd1_source says which); empty where none.",
        _UNIT,
        minimum=0,
    ),
    "sd2i": _f("number", "SD of condition 2 (metafor sd2i), as sd1i (see sd2_source).", _UNIT, minimum=0),
    "mi": _f(
        "number",
        "Value of the condition (metafor mi) as reported: a mean, or a median where central_tendency says so.",
        _UNIT,
    ),
    "sdi": _f(
        "number",
        "SD between participants (metafor sdi): reported, converted or imputed (see sd_source); empty where none.",
        _UNIT,
        minimum=0,
    ),
    "ni": _f(
        "integer",
        "Participants (metafor ni): the measurement's n, else the study's. Both conditions of a "
        "pair have the same n (same participants).",
        minimum=1,
    ),
    "ri": _f(
        "number",
        "Correlation between a participant's values in the two conditions (metafor ri). No study "
        "reports it: imputed (see ri_imputed), 0.5 by default, set with `evidence export --ri` or "
        "the ri parameter of the Datasette query. Empty if the parameter was not a number in "
        "[-1, 1].",
        minimum=-1,
        maximum=1,
    ),
    "ri_imputed": _f("integer", "1: ri is an assumption, not a reported value.", enum=[1]),
    "yi": _f(
        "number",
        "Effect size as metafor's escalc computes it. MC: m1i - m2i, in the row's unit "
        "(given even without SDs, as escalc does). SMCC: c(ni-1)*(m1i-m2i)/sqrt(sd1i^2+sd2i^2-"
        "2*ri*sd1i*sd2i), c(m) = gamma(m/2)/(sqrt(m/2)*gamma((m-1)/2)), unitless. MN: mi.",
    ),
    "vi": _f(
        "number",
        "Sampling variance of yi (escalc, vtype LS). MC: (sd1i^2+sd2i^2-2*ri*sd1i*sd2i)/ni, in "
        "unit squared. SMCC: 1/ni + yi^2/(2*ni). MN: sdi^2/ni, in unit squared. Empty where an "
        "input is missing: see reason.",
        minimum=0,
    ),
    "reason": _f(
        "string",
        "Why vi (MC, MN) or yi and vi (SMCC) are empty: which SD is missing and what the source "
        "gave instead. Empty when both are computed.",
    ),
    "dispersion": _f("number", "Dispersion as reported (type in dispersion_type).", _UNIT),
    "dispersion_type": _f(
        "string",
        "sd, se, iqr, ci95, range, or unlabelled (a ± printed without saying SD or SE).",
        enum=list(DISPERSION_TYPES),
    ),
    "locator": _f("string", "Where in the source the value was read."),
    "source_url": _f("string", "Address of the page the value was read from."),
}

# Per-condition columns of a contrast: the same meaning as above, for condition 1 and 2.
for _i in ("1", "2"):
    FIELDS.update({
        f"exercise{_i}_id": _f("string", f"Canonical exercise id of condition {_i}."),
        f"exercise{_i}": _f("string", f"Canonical exercise name of condition {_i}."),
        f"condition{_i}_id": _f("integer", f"Condition {_i} (listed {'first' if _i == '1' else 'second'} in the study's extraction file).", required=True),
        f"condition{_i}": _f("string", f"The paper's label for condition {_i}."),
        f"load{_i}": _f("string", f"Load of condition {_i} as reported."),
        f"measurement{_i}_id": _f("integer", f"Id of the measurement giving m{_i}i.", required=True),
        f"dispersion{_i}": _f("number", f"Dispersion of condition {_i} as reported.", _UNIT),
        f"dispersion_type{_i}": _f("string", f"Type of dispersion{_i}: sd, se, iqr, ci95, range or unlabelled.", enum=list(DISPERSION_TYPES)),
        f"locator{_i}": _f("string", f"Where in the source m{_i}i was read."),
        f"source_url{_i}": _f("string", f"Address of the page m{_i}i was read from."),
    })  # fmt: skip

ASSUMPTIONS = [
    "Within-study contrasts pair two conditions of one study only when both values are for the "
    "same muscle, metric, EMG normalisation, unit, statistic and phase, come from sources of the "
    "same rank (primary with primary, review with review, article with article), and have the "
    "same n (taken as the same participants: every study here is a within-subject design).",
    "Where several sources give one value, only the preferred one appears: the paper's, or a "
    "review's where it adds the SD the paper's lacks; a restatement is never counted twice.",
    "ri, the within-participant correlation between conditions, is reported by no study and is "
    "imputed (ri_imputed = 1); the value used is in the ri column.",
    "An SE becomes an SD as SE x sqrt(n), a 95% CI's half-width as half-width x sqrt(n) / "
    "t(0.975, n - 1) (Cochrane Handbook 6.5.2.2), an IQR as IQR / eta(n) (Wan et al. 2014, "
    "scenario C3); a range is not converted. The sd_source columns say which applies.",
    "A median stays a median (central_tendency): it is never converted to a mean, and never "
    "paired or pooled with means.",
    "SDs are imputed only when the export is asked to (--impute-sd): as CV x value, or with the "
    "median CV of the rows that report an SD for the same metric, normalisation and unit "
    "(Cochrane Handbook 6.5.2.7); such rows have sd_imputed = 1.",
    "The standardised mean change is SMCC (change-score standardisation), chosen because it is "
    "symmetric in the two conditions (swapping them flips the sign of yi only).",
    "condition 1 is the condition listed first in the study's extraction file; yi > 0 means "
    "condition 1 is higher.",
    "Values from different studies used different MVC tests; comparable_mvc = 1 means only that "
    "both are a share of an MVC.",
]


#: The columns of pooled.csv.
POOLED_FIELDS: dict[str, dict] = {
    "kind": _f("string", "single (one exercise across studies) or contrast (two exercises within studies).",
               enum=["single", "contrast"], required=True),
    "measure": _f("string", "metafor measure of the pooled yi: MN, MC or SMCC.", enum=["MC", "SMCC", "MN"], required=True),
    "pool_key": _f("string", "The pool_key (single) or contrast_key (contrast) of the rows pooled.", required=True),
    "k": _f("integer", "Studies pooled, one row each (with yi and a positive vi); 0: none of the pool's rows is usable.", minimum=0),
    "estimate": _f("number", "Random-effects estimate (metafor rma's b)."),
    "se": _f("number", "Its standard error (rma's se)."),
    "ci_lb": _f("number", "Lower bound of the 95% interval (rma's ci.lb, normal theory)."),
    "ci_ub": _f("number", "Upper bound of the 95% interval (rma's ci.ub)."),
    "tau2": _f("number", "Between-study variance (rma's tau2); 0 with k = 1.", minimum=0),
    "i2": _f("number", "I² in percent (rma's I2); empty with k = 1."),
    "method": _f("string", "tau² estimator, in metafor's codes: REML, DL or PM.", enum=["REML", "DL", "PM"]),
    "rows_without_vi": _f("integer", "Rows with this key left out for want of yi or a positive vi.", minimum=0),
    "assumptions": _f("string", "What the pooled rows assume: imputed SDs (the rule), the imputed ri."),
}  # fmt: skip
