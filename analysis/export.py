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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..paths import DB_PATH
from .columns import ASSUMPTIONS, FIELDS, POOLED_FIELDS
from .effect_sizes import DEFAULT_RI, register_sql_functions
from .imputation import Rule, RuleError, group_cvs, impute_contrasts, impute_single, parse_rule
from .pooling import METHODS, pooled_rows
from .queries import QueryNotFound, query_sql

CONTRASTS_QUERY = "meta_contrasts"
SINGLE_QUERY = "meta_single"
CONTRASTS_FILE = "contrasts.csv"
SINGLE_FILE = "single_conditions.csv"
POOLED_FILE = "pooled.csv"
DESCRIPTOR_FILE = "datapackage.json"
READER_FILE = "read_export.R"


class ExportError(Exception):
    """The export cannot run; the message names the file and field at fault."""


@dataclass
class ExportResult:
    out_dir: Path
    files: list[Path]
    contrasts: int
    single: int
    ri: float
    #: single rows with yi and vi without any assumption; with an imputed SD
    single_usable: int = 0
    single_assumed: int = 0
    #: contrast rows with yi and vi (every one assumes the imputed ri)
    contrasts_usable: int = 0
    imputed: int = 0
    pools: int = 0
    #: pools none of whose rows has yi and vi (k = 0)
    empty_pools: list[str] = field(default_factory=list)


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


def _schema(columns: list[str], primary_key: list[str], fields: dict[str, dict] = FIELDS) -> dict[str, Any]:
    missing = [c for c in columns if c not in fields]
    if missing:
        raise ExportError(f"{__file__}: FIELDS: no description for column(s) {', '.join(missing)}")
    return {
        "fields": [{"name": c, **fields[c]} for c in columns],
        "missingValues": [""],
        "primaryKey": primary_key,
    }


_CSV_DIALECT = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True}


def _resource(name: str, path: str, title: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "title": title,
        "description": description,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": _CSV_DIALECT,
        "schema": schema,
    }


def descriptor(
    contrast_columns: list[str],
    single_columns: list[str],
    pooled_columns: list[str],
    ri: float,
    rule: Rule | None,
    release: str | None,
) -> dict[str, Any]:
    """The Frictionless data package descriptor (datapackage.json) of one export."""
    assumptions = [*ASSUMPTIONS, f"ri imputed as {ri:g} in this export."]
    assumptions.append(rule.describe() + " in this export." if rule else "No SD was imputed in this export.")
    package: dict[str, Any] = {
        "name": "emg-evidence-meta-analysis",
        "title": "emg-evidence: extracts for meta-analysis (metafor MC, SMCC, MN) and pooled estimates",
        "description": (
            "Within-study contrasts and single-condition values from evidence.db, in the column "
            "names of R's metafor escalc, with yi and vi computed as escalc 3.8 computes them, and "
            "random-effects pools of them as metafor's rma computes them. Assumptions: "
            + " ".join(assumptions)
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
        "assumptions": assumptions,
        "ri": ri,
        "imputed_sd": rule.describe() if rule else None,
        "resources": [
            _resource(
                "contrasts", CONTRASTS_FILE, "Within-study contrasts (metafor MC and SMCC)",
                "Two rows per pair of conditions (measure MC and SMCC). In R: source('read_export.R'); "
                'd <- subset(read_contrasts(), measure == "SMCC"); d <- metafor::escalc(measure = '
                '"SMCC", m1i = m1i, m2i = m2i, sd1i = sd1i, sd2i = sd2i, ni = ni, ri = ri, data = d).',
                _schema(contrast_columns, ["measurement1_id", "measurement2_id", "measure"]),
            ),
            _resource(
                "single_conditions", SINGLE_FILE, "Single conditions (metafor MN)",
                "One row per value, for pooling one exercise across studies (rows with equal pool_key).",
                _schema(single_columns, ["measurement_id"]),
            ),
            _resource(
                "pooled", POOLED_FILE, "Random-effects pools (metafor rma)",
                "One row per pool_key (single) or contrast_key and measure (contrast): k, estimate, "
                "se, 95% interval, tau2, I2 and the tau2 estimator.",
                _schema(pooled_columns, ["kind", "measure", "pool_key"], POOLED_FIELDS),
            ),
        ],
    }  # fmt: skip
    if release:
        package["release"] = release
    return package


def export(
    db_path: Path = DB_PATH,
    out_dir: Path = Path("meta-analysis"),
    ri: float = DEFAULT_RI,
    impute_sd: str | None = None,
    method: str = "REML",
) -> ExportResult:
    """Write contrasts.csv, single_conditions.csv, pooled.csv, datapackage.json and
    read_export.R into ``out_dir``.

    Everything is computed before anything is written, and each file replaces its old copy
    only once it is complete, so a failed export leaves the previous files as they were.

    :param db_path: the evidence database
    :param out_dir: the folder to write into (created if missing)
    :param ri: the imputed within-participant correlation between two conditions
    :param impute_sd: None (never impute), a CV such as '0.3', or 'median-cv'
    :param method: the tau² estimator of the pools: REML, DL or PM (metafor's codes)
    """
    if not -1 <= ri <= 1:
        raise ExportError(f"ri: {ri} is not a correlation between -1 and 1")
    if method not in METHODS:
        raise ExportError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    try:
        rule = parse_rule(impute_sd) if impute_sd is not None else None
    except RuleError as e:
        raise ExportError(str(e)) from None
    contrast_columns, contrast_tuples = run_query(db_path, CONTRASTS_QUERY, {"ri": ri})
    single_columns, single_tuples = run_query(db_path, SINGLE_QUERY, {})
    contrasts = [dict(zip(contrast_columns, t)) for t in contrast_tuples]
    single = [dict(zip(single_columns, t)) for t in single_tuples]
    imputed = 0
    if rule is not None:
        cvs = group_cvs(single)
        imputed = impute_single(single, rule, cvs) + impute_contrasts(contrasts, rule, cvs)
    assumptions = f"ri = {ri:g} (imputed)"
    pooled = pooled_rows(single, contrasts, method, assumptions)
    pooled_columns = list(POOLED_FIELDS)
    package = descriptor(contrast_columns, single_columns, pooled_columns, ri, rule, _release(Path(db_path)))
    texts = {
        CONTRASTS_FILE: _csv_text(
            contrast_columns, [tuple(r[c] for c in contrast_columns) for r in contrasts]
        ),
        SINGLE_FILE: _csv_text(single_columns, [tuple(r[c] for c in single_columns) for r in single]),
        POOLED_FILE: _csv_text(pooled_columns, [tuple(r[c] for c in pooled_columns) for r in pooled]),
        DESCRIPTOR_FILE: json.dumps(package, indent=2, ensure_ascii=False) + "\n",
        READER_FILE: read_export_r(contrast_columns, single_columns, pooled_columns),
    }
    written = _write_files(Path(out_dir), texts)
    return ExportResult(
        out_dir=Path(out_dir),
        files=written,
        contrasts=len(contrasts),
        single=len(single),
        ri=ri,
        single_usable=sum(1 for r in single if _has_effect(r) and not r["sd_imputed"]),
        single_assumed=sum(1 for r in single if _has_effect(r) and r["sd_imputed"]),
        contrasts_usable=sum(1 for r in contrasts if _has_effect(r)),
        imputed=imputed,
        pools=len(pooled),
        empty_pools=[f"{r['kind']} {r['measure']} {r['pool_key']}" for r in pooled if r["k"] == 0],
    )


def _has_effect(row: dict[str, Any]) -> bool:
    return row["yi"] is not None and row["vi"] is not None


def _write_files(out_dir: Path, texts: dict[str, str]) -> list[Path]:
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
    return written


#: R's type for each Table Schema type, for read_export.R's colClasses.
_R_CLASSES = {"number": "numeric", "integer": "integer", "string": "character"}


def read_export_r(contrast_columns: list[str], single_columns: list[str], pooled_columns: list[str]) -> str:
    """read_export.R: functions that read each CSV with every column's type fixed, so that an
    all-empty column (vi where no SD is known) is numeric in R, not logical."""

    def classes(columns: list[str], fields: dict[str, dict]) -> str:
        pairs = ", ".join(f'{c} = "{_R_CLASSES[fields[c]["type"]]}"' for c in columns)
        return f"c({pairs})"

    return f"""# Read the emg-evidence meta-analysis extracts with each column's type fixed
# (written by `evidence export`; see datapackage.json for every column's meaning).
# Usage: source("read_export.R"); d <- read_single(); dat <- metafor::escalc(...)
read_contrasts <- function(path = "{CONTRASTS_FILE}") {{
  read.csv(path, colClasses = {classes(contrast_columns, FIELDS)}, na.strings = "")
}}
read_single <- function(path = "{SINGLE_FILE}") {{
  read.csv(path, colClasses = {classes(single_columns, FIELDS)}, na.strings = "")
}}
read_pooled <- function(path = "{POOLED_FILE}") {{
  read.csv(path, colClasses = {classes(pooled_columns, POOLED_FIELDS)}, na.strings = "")
}}
"""


def validate(out_dir: Path) -> list[str]:
    """Problems frictionless finds in the package written to ``out_dir`` (empty: valid)."""
    from frictionless import Package

    report = Package(str(Path(out_dir) / DESCRIPTOR_FILE)).validate()
    errors = list(report.errors) + [e for task in report.tasks for e in task.errors]
    return [f"{Path(out_dir) / DESCRIPTOR_FILE}: {e.type}: {e.message}" for e in errors]
