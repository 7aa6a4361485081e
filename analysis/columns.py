"""Every column of the meta-analysis extracts, documented once: type, description, unit and
constraints (Frictionless Table Schema), and the assumptions behind them.

``evidence export`` writes these into datapackage.json (the pooled files' columns are in
analysis/columns_pooled.py).
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
    SIDES,
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
    "side": _f(
        "string",
        "left, right, dominant or non_dominant where a study reports the limbs apart (two values, "
        "not one restated); empty for both or not stated.",
        enum=list(SIDES),
    ),
    "approximate": _f("integer", "1 where the source printed the value as approximate (~50%).", enum=[0, 1]),
    "provenance": _f(
        "string",
        "Source rank of the values: primary (the paper) > review > article. A pair never mixes ranks.",
        enum=list(PROVENANCES),
    ),
    "network_key": _f(
        "string",
        "muscle/statistic/central_tendency/phase/normalisation_category/unit kind/population "
        "(schema/comparability.py's level key): the network model of network.csv this row "
        "belongs to; empty where it belongs to none (not MVC-normalised EMG amplitude, a statistic "
        "or central tendency not stated, or the seed article's value). Unit kind '%' is any "
        "percentage of the reference; population is healthy, impaired, clinical or not_reported.",
    ),
    "in_network": _f(
        "integer",
        "1: the row entered its network model (it has yi and vi, and a study links its exercise "
        "to the others); 0: it did not (no SD, or its exercise is reported apart).",
        enum=[0, 1],
    ),
    "clinical_condition": _f(
        "string", "The condition a clinical or impaired sample has, as the study names it."
    ),
    "pair": _f(
        "string",
        "The pair of the contrast in its common direction: 'a-vs-b' (exercise ids in alphabetical "
        "order, yi = a - b), or 'exercise:factor' for two versions of one exercise (factor: what "
        "differs, depth, load, stance, cue or variant).",
    ),
    "factor": _f(
        "string", "For a technique contrast, what differs between the two versions; empty otherwise."
    ),
    "contrast_key": _f(
        "string",
        "pair/network-key parts (muscle/statistic/central_tendency/phase/normalisation_category/"
        "unit kind/population): contrasts with equal contrast_key are pooled in pooled.csv. Empty: "
        "pooled with nothing (not EMG amplitude with a stated statistic and a comparable "
        "normalisation, or a technique contrast without ordered levels).",
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
        "eta(n), Wan et al. 2014), unlabelled_as_sd (a '±' printed without a label, read as an "
        "SD only when the export was asked to: see sd_unlabelled), imputed:cv=<c> or "
        "imputed:median_cv=<c> (only when the export was asked to impute: see sd_imputed).",
    ),
    "sd1_source": _f("string", "Where sd1i came from (as sd_source)."),
    "sd2_source": _f("string", "Where sd2i came from (as sd_source)."),
    "sd_imputed": _f(
        "integer",
        "1: an SD of this row was imputed by `evidence export --impute-sd` (an assumption, not a "
        "reported or converted value); 0 otherwise.",
        enum=[0, 1],
    ),
    "sd_unlabelled": _f(
        "integer",
        "1: an SD of this row is a '±' the source printed without saying SD or SE, read as an SD "
        "because the export was asked to (`evidence export --unlabelled-as-sd`); 0 otherwise.",
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
        f"condition{_i}_id": _f("integer", f"Condition {_i}: the {'first' if _i == '1' else 'second'} of the pair in its common direction (see pair).", required=True),
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
    "Every contrast is in its pair's common direction: condition 1 is the exercise whose id comes "
    "first alphabetically, or, for two versions of one exercise, the higher level (heavier, "
    "deeper) where both levels are numbers or depth words; yi > 0 means condition 1 is higher. "
    "A technique contrast without ordered levels keeps the study's order and is not pooled.",
    "Values from different studies used different MVC tests; comparable_mvc = 1 means only that "
    "both are a share of an MVC.",
]
