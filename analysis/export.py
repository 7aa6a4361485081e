"""Meta-analysis extracts: metafor-ready CSV files and a Frictionless data package descriptor.

The rows come from the canned queries ``meta_contrasts`` and ``meta_single`` (analysis/sql/),
run unchanged: Datasette serves the same SQL as CSV, so the files and the web pages agree.
The effect-size arithmetic is in :mod:`emg_evidence.analysis.effect_sizes`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..paths import DB_PATH
from ..schema.allowed_values import NORMALISATION_CATEGORIES, PHASES, PROVENANCES, STATISTICS
from ..schema.comparability import MVC_CATEGORIES
from .effect_sizes import DEFAULT_RI, register_sql_functions
from .queries import QueryNotFound, query_sql

CONTRASTS_QUERY = "meta_contrasts"
SINGLE_QUERY = "meta_single"
CONTRASTS_FILE = "contrasts.csv"
SINGLE_FILE = "single_conditions.csv"
DESCRIPTOR_FILE = "datapackage.json"


class ExportError(Exception):
    """The export cannot run; the message names the file and field at fault."""


@dataclass
class ExportResult:
    out_dir: Path
    files: list[Path]
    contrasts: int
    single: int
    ri: float


# --- the columns, documented once for the descriptor ------------------------------------------

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
        "How the signal was summarised within a repetition; 'other' where the source does not "
        "say (mean and peak are never paired).",
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
        "exercise/muscle/statistic/phase for MVC-normalised EMG with a stated statistic: rows "
        "with equal pool_key may be pooled across studies. Empty: not comparable across studies.",
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
        "SD of condition 1 between participants (metafor sd1i); empty unless the source reports "
        "an SD (an SE, IQR or range is not converted: see dispersion1).",
        _UNIT,
        minimum=0,
    ),
    "sd2i": _f(
        "number", "SD of condition 2 (metafor sd2i); empty unless reported as an SD.", _UNIT, minimum=0
    ),
    "mi": _f("number", "Mean of the condition (metafor mi), as reported.", _UNIT),
    "sdi": _f(
        "number", "SD between participants (metafor sdi); empty unless reported as an SD.", _UNIT, minimum=0
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
    "dispersion_type": _f("string", "sd, se, iqr, ci95 or range.", enum=["sd", "se", "iqr", "ci95", "range"]),
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
        f"dispersion_type{_i}": _f("string", f"Type of dispersion{_i}: sd, se, iqr, ci95 or range.", enum=["sd", "se", "iqr", "ci95", "range"]),
        f"locator{_i}": _f("string", f"Where in the source m{_i}i was read."),
        f"source_url{_i}": _f("string", f"Address of the page m{_i}i was read from."),
    })  # fmt: skip

ASSUMPTIONS = [
    "Within-study contrasts pair two conditions of one study only when both values are for the "
    "same muscle, metric, EMG normalisation, unit, statistic and phase, come from sources of the "
    "same rank (primary with primary, review with review, article with article), and have the "
    "same n (taken as the same participants: every study here is a within-subject design).",
    "A pair or value from a lower-ranked source is left out where a higher-ranked source gives "
    "the same one; a value a review or the article restates appears once, from the primary.",
    "ri, the within-participant correlation between conditions, is reported by no study and is "
    "imputed (ri_imputed = 1); the value used is in the ri column.",
    "Only SDs are used as SDs: an SE, IQR, CI or range is not converted (sd1i, sd2i, sdi stay "
    "empty and reason says what was reported).",
    "The standardised mean change is SMCC (change-score standardisation), chosen because it is "
    "symmetric in the two conditions (swapping them flips the sign of yi only).",
    "condition 1 is the condition listed first in the study's extraction file; yi > 0 means "
    "condition 1 is higher.",
    "Values from different studies used different MVC tests; comparable_mvc = 1 means only that "
    "both are a share of an MVC.",
]


# --- running the canned queries -----------------------------------------------------------------


def connect(db_path: Path) -> sqlite3.Connection:
    """A read-only connection to ``db_path`` with the effect-size SQL functions."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise ExportError(f"{db_path}: (file): no such database; run `evidence build` first")
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    register_sql_functions(connection)
    return connection


def run_query(db_path: Path, name: str, params: dict[str, Any]) -> tuple[list[str], list[tuple]]:
    """Run canned query ``name`` on ``db_path``; return its column names and rows."""
    try:
        sql = query_sql(name)
    except QueryNotFound as e:
        raise ExportError(str(e)) from e
    connection = connect(db_path)
    try:
        cursor = connection.execute(sql, params)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    except sqlite3.Error as e:
        raise ExportError(f"analysis/sql/{name}.sql: (query): {e} (on {db_path})") from e
    finally:
        connection.close()
    return columns, rows


def contrast_rows(db_path: Path = DB_PATH, ri: float = DEFAULT_RI) -> list[dict[str, Any]]:
    """Within-study contrasts (metafor MC and SMCC), one dict per row."""
    if not -1 <= ri <= 1:
        raise ExportError(f"ri: {ri} is not a correlation between -1 and 1")
    columns, rows = run_query(db_path, CONTRASTS_QUERY, {"ri": ri})
    return [dict(zip(columns, row)) for row in rows]


def single_rows(db_path: Path = DB_PATH) -> list[dict[str, Any]]:
    """Single-condition values (metafor MN), one dict per row."""
    columns, rows = run_query(db_path, SINGLE_QUERY, {})
    return [dict(zip(columns, row)) for row in rows]


# --- files ---------------------------------------------------------------------------------------


def _csv_text(columns: list[str], rows: list[tuple]) -> str:
    # The csv module writes floats with repr (shortest exact form) and None as '', as Datasette's
    # CSV does, so the two downloads are byte for byte the same.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def _release(db_path: Path) -> str | None:
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = connection.execute("SELECT value FROM build_info WHERE key = 'content_hash'").fetchone()
    except sqlite3.Error:
        row = None
    finally:
        connection.close()
    return row[0] if row else None


def _schema(columns: list[str], primary_key: list[str]) -> dict[str, Any]:
    missing = [c for c in columns if c not in FIELDS]
    if missing:
        raise ExportError(f"{__file__}: FIELDS: no description for column(s) {', '.join(missing)}")
    return {
        "fields": [{"name": c, **FIELDS[c]} for c in columns],
        "missingValues": [""],
        "primaryKey": primary_key,
    }


def descriptor(
    contrast_columns: list[str], single_columns: list[str], ri: float, release: str | None
) -> dict[str, Any]:
    """The Frictionless data package descriptor (datapackage.json) of one export."""
    csv_dialect = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True}
    package: dict[str, Any] = {
        "name": "emg-evidence-meta-analysis",
        "title": "emg-evidence: extracts for meta-analysis (metafor MC, SMCC, MN)",
        "description": (
            "Within-study contrasts and single-condition values from evidence.db, in the column "
            "names of R's metafor escalc, with yi and vi computed as escalc 3.8 computes them. "
            f"ri imputed as {ri} in this export. Assumptions: " + " ".join(ASSUMPTIONS)
        ),
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "title": "Creative Commons Attribution 4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
            }
        ],
        "sources": [{"title": "evidence.db, built by `evidence build` from data/ (emg-evidence)"}],
        "keywords": ["EMG", "meta-analysis", "metafor", "gluteus maximus", "hamstrings", "adductors"],
        "assumptions": ASSUMPTIONS,
        "ri": ri,
        "resources": [
            {
                "name": "contrasts",
                "path": CONTRASTS_FILE,
                "title": "Within-study contrasts (metafor MC and SMCC)",
                "description": (
                    "Two rows per pair of conditions (measure MC and SMCC). In R: "
                    'd <- subset(read.csv("contrasts.csv", colClasses = c(sd1i = "numeric", '
                    'sd2i = "numeric")), measure == "SMCC"); d <- metafor::escalc(measure = '
                    '"SMCC", m1i = m1i, m2i = m2i, sd1i = sd1i, sd2i = sd2i, ni = ni, ri = ri, '
                    "data = d)."
                ),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": csv_dialect,
                "schema": _schema(contrast_columns, ["measurement1_id", "measurement2_id", "measure"]),
            },
            {
                "name": "single_conditions",
                "path": SINGLE_FILE,
                "title": "Single conditions (metafor MN)",
                "description": (
                    "One row per value, for pooling one exercise across studies (rows with equal pool_key)."
                ),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": csv_dialect,
                "schema": _schema(single_columns, ["measurement_id"]),
            },
        ],
    }
    if release:
        package["release"] = release
    return package


def export(
    db_path: Path = DB_PATH, out_dir: Path = Path("meta-analysis"), ri: float = DEFAULT_RI
) -> ExportResult:
    """Write contrasts.csv, single_conditions.csv and datapackage.json into ``out_dir``.

    Everything is computed before anything is written, and each file replaces its old copy
    only once it is complete, so a failed export leaves the previous files as they were.

    :param db_path: the evidence database
    :param out_dir: the folder to write into (created if missing)
    :param ri: the imputed within-participant correlation between two conditions
    """
    if not -1 <= ri <= 1:
        raise ExportError(f"ri: {ri} is not a correlation between -1 and 1")
    contrast_columns, contrasts = run_query(db_path, CONTRASTS_QUERY, {"ri": ri})
    single_columns, single = run_query(db_path, SINGLE_QUERY, {})
    package = descriptor(contrast_columns, single_columns, ri, _release(Path(db_path)))
    texts = {
        CONTRASTS_FILE: _csv_text(contrast_columns, contrasts),
        SINGLE_FILE: _csv_text(single_columns, single),
        DESCRIPTOR_FILE: json.dumps(package, indent=2, ensure_ascii=False) + "\n",
    }
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"{out_dir}: (folder): cannot create: {e.strerror}") from e
    written = []
    tmp_paths = []
    try:
        for name, text in texts.items():
            tmp = out_dir / f".{name}.{os.getpid()}.tmp"
            tmp_paths.append(tmp)
            # newline='' keeps the csv module's \r\n line ends as they are.
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        for name, tmp in zip(texts, tmp_paths):
            os.replace(tmp, out_dir / name)
            written.append(out_dir / name)
    except OSError as e:
        raise ExportError(f"{out_dir}: (folder): cannot write: {e.strerror}") from e
    finally:
        for tmp in tmp_paths:
            tmp.unlink(missing_ok=True)
    return ExportResult(out_dir, written, len(contrasts), len(single), ri)
