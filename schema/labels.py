"""Plain words for the coded values (the data and CSVs keep the codes).

One table per coded column, beside the vocabularies of allowed_values.py: the claim verdicts'
reasons are written with them (analysis/verdicts.py), and the pages show them
(serving/plugins/questions.py, whose ``render_cell`` hook also labels Datasette's own tables).
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "metric": {
        "emg_amplitude": "EMG amplitude",
        "emg_share_of_sum": "share of the summed EMG of several muscles",
        "relative_muscular_effort": "joint moment as a share of a maximal moment",
        "joint_moment": "joint moment",
        "joint_work": "joint work",
        "emg_ratio": "ratio of two muscles' EMG",
        "other": "other measure",
    },
    "normalisation_category": {
        "mvc_same_task": "% of a maximal contraction in the same task",
        "mvc_standardised_isometric": "% of a maximal isometric contraction (%MVIC)",
        "submaximal_reference": "% of a submaximal reference contraction",
        "task_peak_or_mean": "% of the task's own peak or mean",
        "contralateral_limb": "% of the other limb",
        "not_normalised": "not normalised (mV)",
        "not_reported": "normalisation not stated",
        "not_applicable": "not an EMG measure",
    },
    "statistic": {
        "mean": "mean amplitude",
        "rms": "RMS amplitude",
        "peak": "peak amplitude",
        "median": "median amplitude",
        "integrated": "integrated EMG",
        "other": "other summary",
        "not_reported": "not stated",
    },
    "central_tendency": {"mean": "mean of participants", "median": "median of participants"},
    "phase": {
        "whole": "whole repetition",
        "concentric": "lifting (concentric)",
        "eccentric": "lowering (eccentric)",
        "isometric": "isometric hold",
        "upper_range": "upper range",
        "lower_range": "lower range",
        "not_reported": "phase not stated",
    },
    "direction": {
        "a_greater": "higher in the first",
        "b_greater": "higher in the second",
        "no_difference": "no difference",
        "different": "different (direction not stated)",
        "increases": "increases",
        "decreases": "decreases",
        "mixed": "mixed",
        "equal": "equal",
    },
    "verdict": {
        "supported": "Supported by the studies",
        "partly_supported": "Partly supported",
        "numbers_match": "The numbers match the paper",
        "numbers_differ": "The numbers differ from the paper",
        "metric_not_mvc": "Reads another measure as %MVC",
        "no_difference_reported": "The study found no difference",
        "contradicted": "Contradicted by the study",
        "different_muscle_or_task": "The study measured something else",
        "not_verifiable": "Cannot be checked in the readable sources",
        "study_unidentified": "The cited study could not be identified",
    },
    "population_group": {
        "healthy_trained": "healthy, resistance-trained",
        "healthy_untrained": "healthy, not described as resistance-trained",
        "athletes": "athletes",
        "clinical": "patients",
        "not_reported": "not stated",
    },
    "provenance": {"primary": "the paper", "review": "a review's table", "article": "the article"},
    "sd_source": {
        "reported": "SD reported",
        "review": "SD from a review",
        "from_se": "SD from the SE",
        "from_ci": "SD from the 95% CI",
        "from_iqr:wan2014": "SD estimated from the IQR (Wan 2014)",
    },
    "dispersion_type": {
        "sd": "SD",
        "se": "SE",
        "iqr": "IQR",
        "ci95": "95% CI",
        "range": "range",
        "unlabelled": "± printed without saying SD or SE",
    },
    "side": {
        "left": "left",
        "right": "right",
        "dominant": "dominant side",
        "non_dominant": "non-dominant side",
    },
    "estimate_type": {
        "mean_difference": "mean difference",
        "percent_difference": "percent difference",
        "effect_size_d": "effect size (Cohen's d)",
        "effect_size_g": "effect size (Hedges' g)",
        "ratio": "ratio",
        "other": "difference as printed",
    },
    "showed": {
        "abstract": "the abstract only",
        "full_text": "the full text",
        "full_text_cut": "the full text, cut off before the results",
        "table": "a results table",
        "poster": "a poster",
        "record_only": "a bibliographic record only",
        "not_found": "nothing (not found)",
        "unrelated": "another paper",
        "other": "other",
    },
}
LABELS["kind"] = LABELS["provenance"]


def label(column: str, value: object) -> str:
    """The plain words for ``value`` of ``column``; the value itself if it has none."""
    if value is None:
        return ""
    return LABELS.get(column, {}).get(str(value), str(value))
