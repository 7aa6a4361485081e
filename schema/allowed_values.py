"""The allowed values of every coded column (vocabularies.yaml), and plausible numeric ranges.

Shared by the models' CHECK constraints and the data files' validator (ingest/records.py), so the
database and the ingest never disagree on what is allowed.
"""

from pathlib import Path

import yaml

#: Column -> its values in order, each with its plain words (None where it has none).
VOCABULARIES: dict[str, dict[str, str | None]] = {
    column: values if isinstance(values, dict) else dict.fromkeys(values)
    for column, values in yaml.safe_load((Path(__file__).parent / "vocabularies.yaml").read_bytes()).items()
}


def _values(column: str) -> tuple[str, ...]:
    return tuple(VOCABULARIES[column])


METRICS = _values("metric")
NORMALISATION_CATEGORIES = _values("normalisation_category")
STATISTICS = _values("statistic")
CENTRAL_TENDENCIES = _values("central_tendency")
POPULATION_GROUPS = _values("population_group")
PHASES = _values("phase")
DISPERSION_TYPES = _values("dispersion_type")
SD_SOURCES = _values("sd_source")
ELECTRODES = _values("electrode")
PROVENANCES = _values("provenance")
IDENTIFICATIONS = _values("identification")
SEXES = _values("sex")
EXERCISE_PATTERNS = _values("pattern")
MUSCLE_GROUPS = _values("muscle_group")
SYNONYM_KINDS = _values("synonym_kind")
DIRECTIONS = _values("direction")
SIZE_TYPES = _values("size_type")
P_RELATIONS = _values("p_relation")
SIDES = _values("side")
ESTIMATE_TYPES = _values("estimate_type")
COPY_SHOWED = _values("showed")
VERDICTS = _values("verdict")
VERDICT_BASES = _values("verdict_basis")
AGREEMENTS = _values("agreement")

#: Metrics that can never be negative.
NON_NEGATIVE_METRICS = ("emg_amplitude", "emg_share_of_sum", "relative_muscular_effort", "emg_ratio")
#: The groups a default ranking or pool takes: healthy adults, trained or not, athletes included.
HEALTHY_GROUPS = ("healthy_trained", "healthy_untrained", "athletes")
#: Bibliographic fields of a study whose page of origin is recorded (study.read_on).
BIBLIOGRAPHIC_FIELDS = ("authors", "year", "title", "journal", "volume", "issue", "pages", "doi", "pmid")
#: Every study fact whose page is recorded in study_field_source.
STUDY_FIELDS = (*BIBLIOGRAPHIC_FIELDS, "participants", "pedro_score")

#: Plausible bounds of a value for its metric; a value outside is almost surely a typo or a
#: unit slip. EMG above 500 %MVC is not plausible for these tasks; moments are in N·m or N·m/kg.
PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    "emg_amplitude": (0.0, 500.0),
    "emg_share_of_sum": (0.0, 100.0),
    "relative_muscular_effort": (0.0, 500.0),
    "joint_moment": (-1000.0, 1000.0),
    "joint_work": (-10000.0, 10000.0),
    "emg_ratio": (0.0, 1000.0),
    "other": (-1e6, 1e6),
}


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that ``column`` holds one of ``values`` (NULL passes, as in SQL)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"
