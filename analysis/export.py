"""``evidence export``: files a meta-analyst runs unchanged, and the descriptor that documents them.

- contrasts.csv, single_conditions.csv: the canned queries meta_contrasts and meta_single (so
  the files and the Datasette pages agree), under the export's SD basis;
- differences.csv: each within-study difference as its pool took it (yi, vi, contrast_key);
- pooled.csv: one row per pairwise pool, with its grade, reasons and sensitivity;
- network.csv: per level key, each exercise's estimate (with P-score and rank), every pairwise
  difference (the league table) and the exercises apart, each with its grade and reasons;
- sensitivity.csv: every re-run behind the sensitivity lines;
- datapackage.json (Frictionless), read_export.R (reads each file as UTF-8 with its types, and
  reproduces any pool and network model with metafor).
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
from . import sensitivity
from .columns import ASSUMPTIONS
from .columns_pooled import TABLES
from .effect_sizes import DEFAULT_RI
from .export_tables import differences_table, network_table, pooled_table
from .extracts import ExportError, connect, contrast_rows, run_query, single_rows  # noqa: F401  (the API)
from .imputation import BASIS_WORDS
from .synthesis import Options, Synthesis, synthesise

CONTRASTS_FILE = "contrasts.csv"
SINGLE_FILE = "single_conditions.csv"
DIFFERENCES_FILE = "differences.csv"
POOLED_FILE = "pooled.csv"
NETWORK_FILE = "network.csv"
SENSITIVITY_FILE = "sensitivity.csv"
DESCRIPTOR_FILE = "datapackage.json"
READER_FILE = "read_export.R"


@dataclass
class ExportResult:
    out_dir: Path
    files: list[Path]
    contrasts: int
    single: int
    ri: float
    #: single rows with yi and vi without any assumption; with an unlabelled or imputed SD
    single_usable: int = 0
    single_assumed: int = 0
    contrasts_usable: int = 0
    unlabelled: int = 0
    imputed: int = 0
    pools: int = 0
    #: pools by the studies behind them: {3: pools of >= 3 studies, 2: ..., 1: ..., 0: none usable}
    pools_by_studies: dict[int, int] = field(default_factory=dict)
    networks: int = 0
    networks_fitted: int = 0
    #: networks of >= 3 studies (the level keys)
    networks_3: list[str] = field(default_factory=list)


def _csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    # The csv module writes floats with repr (shortest exact form) and None as '', as Datasette's
    # CSV does, so the two downloads are byte for byte the same.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([tuple(r.get(c) for c in columns) for r in rows])
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


_CSV_DIALECT = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True}


def _schema(name: str, columns: list[str]) -> dict[str, Any]:
    fields = TABLES[name]["fields"]
    missing = [c for c in columns if c not in fields]
    if missing:
        raise ExportError(f"analysis/columns.py: {name}: no description for column(s) {', '.join(missing)}")
    return {"fields": [{"name": c, **fields[c]} for c in columns], "missingValues": [""],
            "primaryKey": TABLES[name]["primary_key"]}  # fmt: skip


def descriptor(columns: dict[str, list[str]], options: Options, release: str | None) -> dict[str, Any]:
    """The Frictionless data package descriptor (datapackage.json) of one export."""
    rule = options.rule()
    assumptions = [
        *ASSUMPTIONS,
        f"ri imputed as {options.ri:g} in this export.",
        f"SDs in this export: {BASIS_WORDS[options.basis]}" + (f"; {rule.describe()}." if rule else "."),
        f"tau² estimator {options.method}; "
        + ("Knapp-Hartung intervals." if options.knha else "normal-theory (z) intervals."),
    ]
    package: dict[str, Any] = {
        "name": "emg-evidence-meta-analysis",
        "title": "emg-evidence: extracts for meta-analysis, pooled differences and network models",
        "description": (
            "Within-study contrasts and single-condition values from evidence.db in the column "
            "names of R's metafor escalc, the pools and network models made of them (as metafor's "
            "rma and rma.mv compute them) with a certainty grade and sensitivity analyses. "
            "Assumptions: " + " ".join(assumptions)
        ),
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "sources": [{"title": "evidence.db, built by `evidence build` from data/ (emg-evidence)"}],
        "keywords": ["EMG", "meta-analysis", "network meta-analysis", "metafor", "gluteus maximus",
                     "hamstrings", "adductors"],
        "assumptions": assumptions,
        "ri": options.ri,
        "sd_basis": options.basis,
        "imputed_sd": rule.describe() if rule else None,
        "resources": [
            {"name": name, "path": TABLES[name]["file"], "title": TABLES[name]["title"],
             "description": TABLES[name]["description"], "profile": "tabular-data-resource",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "dialect": _CSV_DIALECT,
             "schema": _schema(name, cols)}
            for name, cols in columns.items()
        ],
    }  # fmt: skip
    if release:
        package["release"] = release
    return package


def tables(s: Synthesis) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    """Every CSV of the export: name -> (columns, rows)."""
    reruns = sensitivity.rows(s)
    entered = {(n.key, r["measurement_id"]) for n in s.networks for r in n.rows}
    single = [{**r, "in_network": int((r["network_key"], r["measurement_id"]) in entered)} for r in s.single]
    out = {
        "contrasts": s.contrasts,
        "single_conditions": single,
        "differences": differences_table(s),
        "pooled": pooled_table(s, reruns),
        "network": network_table(s, reruns),
        "sensitivity": reruns,
    }
    return {name: (list(TABLES[name]["fields"]) if name not in ("contrasts", "single_conditions")
                   else _query_columns(rows, name), rows) for name, rows in out.items()}  # fmt: skip


def _query_columns(rows: list[dict[str, Any]], name: str) -> list[str]:
    if rows:
        return list(rows[0])
    return [c for c in TABLES[name]["fields"]]


def export(
    db_path: Path = DB_PATH,
    out_dir: Path = Path("meta-analysis"),
    ri: float = DEFAULT_RI,
    impute_sd: str | None = None,
    method: str = "REML",
    unlabelled_as_sd: bool = False,
    knha: bool = False,
) -> ExportResult:
    """Write every file of the export into ``out_dir`` (created if missing).

    Everything is computed before anything is written, and each file replaces its old copy
    only once it is complete, so a failed export leaves the previous files as they were.

    :param ri: the imputed within-participant correlation between two conditions
    :param impute_sd: None (never impute), a CV such as '0.3', or 'median-cv'
    :param method: the tau² estimator of the pools: REML, DL or PM (metafor's codes)
    :param unlabelled_as_sd: read a '±' printed without a label as an SD
    :param knha: Knapp-Hartung intervals for the pools
    """
    options = Options(ri, unlabelled_as_sd, impute_sd, method, knha)
    s = synthesise(Path(db_path), options)
    made = tables(s)
    columns = {name: cols for name, (cols, _) in made.items()}
    package = descriptor(columns, options, _release(Path(db_path)))
    texts = {TABLES[name]["file"]: _csv_text(cols, rows) for name, (cols, rows) in made.items()}
    texts[DESCRIPTOR_FILE] = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    texts[READER_FILE] = read_export_r(columns)
    written = _write_files(Path(out_dir), texts)
    by_studies: dict[int, int] = {}
    for p in s.pools:
        by_studies[min(p.studies, 3)] = by_studies.get(min(p.studies, 3), 0) + 1
    return ExportResult(
        out_dir=Path(out_dir), files=written, contrasts=len(s.contrasts), single=len(s.single), ri=ri,
        single_usable=sum(1 for r in s.single if _has_effect(r) and not _assumed(r)),
        single_assumed=sum(1 for r in s.single if _has_effect(r) and _assumed(r)),
        contrasts_usable=sum(1 for r in s.contrasts if _has_effect(r)),
        unlabelled=s.unlabelled, imputed=s.imputed, pools=len(s.pools), pools_by_studies=by_studies,
        networks=len(s.networks), networks_fitted=sum(1 for n in s.networks if n.fit),
        networks_3=[n.key for n in s.networks if n.fit and n.studies >= 3],
    )  # fmt: skip


def _has_effect(row: dict[str, Any]) -> bool:
    return row["yi"] is not None and row["vi"] is not None


def _assumed(row: dict[str, Any]) -> bool:
    return bool(row.get("sd_imputed") or row.get("sd_unlabelled"))


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


def read_export_r(columns: dict[str, list[str]]) -> str:
    """read_export.R: a reader per CSV with every column's type fixed (an all-empty column such
    as vi where no SD is known is numeric in R, not logical) and its text marked UTF-8 whatever
    the locale (``encoding``; ``fileEncoding`` would convert it to the locale's and fail in a C
    locale), and the two models the export reports, rebuilt with metafor from the files."""
    readers = []
    for name, cols in columns.items():
        fields = TABLES[name]["fields"]
        classes = ", ".join(f'{c} = "{_R_CLASSES[fields[c]["type"]]}"' for c in cols)
        readers.append(
            f'read_{name} <- function(path = "{TABLES[name]["file"]}") {{\n'
            f'  read.csv(path, colClasses = c({classes}), na.strings = "", encoding = "UTF-8",\n'
            f"           check.names = FALSE)\n}}"
        )
    return f"""# Read the emg-evidence meta-analysis export with each column's type fixed, as UTF-8
# (written by `evidence export`; see datapackage.json for every column's meaning).
# Usage: source("read_export.R"); p <- read_pooled(); fit <- pool_model(p$key[1])
{chr(10).join(readers)}

# One pool of pooled.csv, from the differences it took (differences.csv), with metafor's rma:
# estimate, se, tau2, I2 and predict()'s interval are pooled.csv's.
pool_model <- function(key, method = "REML", test = "z") {{
  d <- read_differences()
  d <- d[d$contrast_key == key, ]
  metafor::rma(yi, vi, data = d, method = method, test = test)
}}

# One network model of network.csv, from the rows that entered it (single_conditions.csv,
# in_network = 1): each exercise's estimate and se are network.csv's.
network_model <- function(key) {{
  s <- read_single_conditions()
  s <- s[!is.na(s$network_key) & s$network_key == key & s$in_network == 1, ]
  metafor::rma.mv(yi, vi, mods = ~ 0 + factor(exercise_id),
                  random = list(~ 1 | study_id, ~ 1 | condition_id), data = s, method = "REML")
}}
"""


def validate(out_dir: Path) -> list[str]:
    """Problems frictionless finds in the package written to ``out_dir`` (empty: valid)."""
    from frictionless import Package

    report = Package(str(Path(out_dir) / DESCRIPTOR_FILE)).validate()
    errors = list(report.errors) + [e for task in report.tasks for e in task.errors]
    return [f"{Path(out_dir) / DESCRIPTOR_FILE}: {e.type}: {e.message}" for e in errors]
