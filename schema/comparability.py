"""What may be compared with what: the one definition of "comparable to an MVC".

EMG amplitude is comparable across studies only when it is normalised to a maximal voluntary
contraction (the CEDE matrix's MVC categories). A share of summed EMG, a joint moment or EMG
normalised to the task's own peak answers another question. The models' partial indexes, the
meta_extract view's ``comparable_mvc`` column, the canned queries, the claim verdicts and the
exports all take the rule from here.
"""

from .allowed_values import sql_in

#: The metrics that are EMG signals (and so have an EMG normalisation).
EMG_METRICS = ("emg_amplitude", "emg_share_of_sum", "emg_ratio")

#: The normalisation categories whose values are a share of a maximal voluntary contraction.
MVC_CATEGORIES = ("mvc_same_task", "mvc_standardised_isometric")


def is_mvc_comparable(metric: str, normalisation_category: str) -> bool:
    """Whether a value of this metric and normalisation is EMG as a share of an MVC."""
    return metric == "emg_amplitude" and normalisation_category in MVC_CATEGORIES


def mvc_comparable_sql(prefix: str = "", joiner: str = " AND ") -> str:
    """The same rule as SQL, on columns named ``<prefix>metric`` and ``<prefix>normalisation_category``."""
    return (
        f"{prefix}metric = 'emg_amplitude'"
        + joiner
        + sql_in(f"{prefix}normalisation_category", MVC_CATEGORIES)
    )


#: A first-hand MVC-normalised value: the rows the partial indexes of measurement hold, and the
#: WHERE a query must repeat (spelled this way) for SQLite to use them.
PRIMARY_MVC_VALUE = mvc_comparable_sql() + " AND restates_id IS NULL"
