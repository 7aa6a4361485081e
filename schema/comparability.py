"""What may be compared with what: every comparability rule, once, in Python and as SQL.

Each rule is a Python function over a row of ``meta_extract`` (plus the study's
``clinical_condition``) and an SQL expression made from the same constants; the canned queries
(analysis/sql/, through analysis/queries.py's placeholders), the derived tables
(analysis/derived.py), the question pages and the pools take them from here, and
tests/test_synthesis.py checks that the Python rule and the SQL select the same rows on the real data.

- **MVC**: EMG amplitude is comparable across studies only when normalised to a maximal
  voluntary contraction (the CEDE matrix's MVC categories). A share of summed EMG, a joint moment
  or EMG normalised to the task's own peak answers another question.
- **Comparable normalisation**: the normalisation category (same-task MVC and standardised
  isometric MVC are different references) and the unit's kind: every unit printed as a
  percentage ('%MVIC', '% MVIC', '% nEMG') is a share of that reference; any other unit is its
  own kind.
- **Population**: healthy means a healthy group (trained, untrained, athletes) with no condition
  named; a sample with a named condition that is not a clinical group (a strength weakness, pain)
  is ``impaired``; ``clinical`` and ``not_reported`` stay apart. Pools never mix them.
- **The value to use**: of several sources giving one value, the ``preferred`` one
  (analysis/preferred.py, ranked by :data:`PROVENANCE_RANK`), and never the seed article's.
- **Level key** (the network model): MVC-normalised EMG amplitude, one muscle, a stated
  amplitude statistic and central tendency, phase, comparable normalisation, population.
- **Contrast key** (pairwise pools): the same, for within-study differences, which may also be
  normalised to a submaximal or task reference (graded down as indirect); the build stores each
  pair's in contrast_pair (analysis/derived.py), so the queries read it rather than repeat it.
- **Pairing**: two values of one study pair when :data:`PAIRED_COLUMNS` are equal (the same
  participants, as far as n tells, measured the same way), whatever the exercises.
- **One value per study**: k counts studies, and people are counted once per study
  (:func:`people`); a study's several conditions enter the models as such (the network model's
  random study and condition effects, the pools' cluster-robust variance), never as studies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .allowed_values import HEALTHY_GROUPS, STATISTICS, sql_in

#: The metrics that are EMG signals (and so have an EMG normalisation).
EMG_METRICS = ("emg_amplitude", "emg_share_of_sum", "emg_ratio")

#: The normalisation categories whose values are a share of a maximal voluntary contraction.
MVC_CATEGORIES = ("mvc_same_task", "mvc_standardised_isometric")

#: Normalisations whose within-study differences may be pooled (non-MVC ones graded indirect).
#: Raw millivolts and unstated normalisations are not comparable between people.
CONTRAST_NORMALISATIONS = (*MVC_CATEGORIES, "submaximal_reference", "task_peak_or_mean", "contralateral_limb")

#: Amplitude statistics a pool may take: stated ones only ('other' and 'not_reported' are not
#: one statistic).
STATED_STATISTICS = tuple(s for s in STATISTICS if s not in ("other", "not_reported"))

#: Source rank: the paper beats a review's table, which beats the seed article.
PROVENANCE_RANK = {"primary": 1, "review": 2, "article": 3}

#: What two values of one study must share to be paired (compared within the study).
PAIRED_COLUMNS = ("study_id", "muscle_id", "metric", "normalisation_category", "unit", "statistic",
                  "central_tendency", "phase", "provenance", "n", "side")  # fmt: skip

POPULATIONS = ("healthy", "impaired", "clinical", "not_reported")


# --- MVC ------------------------------------------------------------------------------------------


def is_mvc_comparable(metric: str, normalisation_category: str) -> bool:
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


# --- units, population, provenance ---------------------------------------------------------------


def unit_kind(unit: str | None) -> str:
    """'%' for any percentage ('%MVIC', '% nEMG'), else the unit as printed, '' when none.
    Spaces only are trimmed (SQL's trim())."""
    text = (unit or "").strip(" ")
    return "%" if text.startswith("%") else text


def unit_kind_sql(column: str) -> str:
    return (
        f"(CASE WHEN substr(trim(coalesce({column}, '')), 1, 1) = '%' THEN '%' "
        f"ELSE trim(coalesce({column}, '')) END)"
    )


def population(group: str | None, clinical_condition: str | None) -> str:
    """healthy | impaired | clinical | not_reported (see the module's rule)."""
    if group == "clinical":
        return "clinical"
    if clinical_condition:
        return "impaired"
    if group in HEALTHY_GROUPS:
        return "healthy"
    return "not_reported"


def population_sql(group: str, clinical_condition: str) -> str:
    return (
        f"(CASE WHEN {group} = 'clinical' THEN 'clinical' "
        f"WHEN coalesce({clinical_condition}, '') <> '' THEN 'impaired' "
        f"WHEN {sql_in(group, HEALTHY_GROUPS)} THEN 'healthy' ELSE 'not_reported' END)"
    )


def is_value_to_use(row: Mapping[str, Any]) -> bool:
    """The one value of several sources' to use (preferred), never the seed article's."""
    return bool(row["preferred"]) and row["provenance"] != "article"


def value_to_use_sql(prefix: str = "") -> str:
    return f"({prefix}preferred = 1 AND {prefix}provenance <> 'article')"


# --- keys -----------------------------------------------------------------------------------------


def _key(row: Mapping[str, Any], clinical_condition: str | None) -> str:
    return "/".join((
        row["muscle_id"], row["statistic"], row["central_tendency"], row["phase"],
        row["normalisation_category"], unit_kind(row["unit"]),
        population(row["population_group"], clinical_condition),
    ))  # fmt: skip


def _key_sql(p: str, clinical_condition: str) -> str:
    parts = [f"{p}muscle_id", f"{p}statistic", f"{p}central_tendency", f"{p}phase",
             f"{p}normalisation_category", unit_kind_sql(f"{p}unit"),
             population_sql(f"{p}population_group", clinical_condition)]  # fmt: skip
    return " || '/' || ".join(parts)


def _poolable(row: Mapping[str, Any], normalisations: tuple[str, ...]) -> bool:
    return (
        row["metric"] == "emg_amplitude"
        and row["normalisation_category"] in normalisations
        and row["statistic"] in STATED_STATISTICS
        and row["central_tendency"] is not None
        and row["provenance"] != "article"
    )


def _poolable_sql(p: str, normalisations: tuple[str, ...]) -> str:
    return (
        f"{p}metric = 'emg_amplitude' AND {sql_in(p + 'normalisation_category', normalisations)} "
        f"AND {sql_in(p + 'statistic', STATED_STATISTICS)} AND {p}central_tendency IS NOT NULL "
        f"AND {p}provenance <> 'article'"
    )


def level_key(row: Mapping[str, Any], clinical_condition: str | None = None) -> str | None:
    """The network model a value enters (muscle/statistic/central tendency/phase/
    normalisation/unit kind/population), or None where it enters none."""
    if not (is_value_to_use(row) and _poolable(row, MVC_CATEGORIES)):
        return None
    return _key(row, clinical_condition)


def level_key_sql(prefix: str = "", clinical_condition: str = "clinical_condition") -> str:
    """:func:`level_key` as an SQL expression over meta_extract's columns (``prefix``)."""
    return (
        f"(CASE WHEN {value_to_use_sql(prefix)} AND {_poolable_sql(prefix, MVC_CATEGORIES)} "
        f"THEN {_key_sql(prefix, clinical_condition)} END)"
    )


def contrast_key(row: Mapping[str, Any], clinical_condition: str | None = None) -> str | None:
    """The key a within-study difference measured as ``row`` pools under (beside its pair of
    exercises), or None where it pools with nothing."""
    if not _poolable(row, CONTRAST_NORMALISATIONS):
        return None
    return _key(row, clinical_condition)


def key_parts(key: str) -> dict[str, str]:
    names = ("muscle_id", "statistic", "central_tendency", "phase", "normalisation_category",
             "unit_kind", "population")  # fmt: skip
    return dict(zip(names, key.split("/")))


# --- pairing and counting -------------------------------------------------------------------------


def paired(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two values of one study may be compared within it (two different conditions)."""
    return a["condition_id"] != b["condition_id"] and all(a[c] == b[c] for c in PAIRED_COLUMNS)


def people(rows: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """(studies, people): each study once, with the largest n any of its rows gives."""
    by_study: dict[str, int] = {}
    for r in rows:
        by_study[r["study_id"]] = max(by_study.get(r["study_id"], 0), r.get("n") or r.get("ni") or 0)
    return len(by_study), sum(by_study.values())


class CountsPeople:
    """``studies`` and ``people`` of what a pool or a network model took (``rows``), by
    :func:`people`."""

    rows: Sequence[Mapping[str, Any]]

    @property
    def studies(self) -> int:
        return people(self.rows)[0]

    @property
    def people(self) -> int:
        return people(self.rows)[1]
