"""``evidence export``: files a meta-analyst runs unchanged, and the descriptor that documents them.

contrasts.csv and single_conditions.csv are the canned queries meta_contrasts and meta_single (so
the files and the Datasette pages agree) under the export's SD basis; differences.csv, pooled.csv,
network.csv and sensitivity.csv are one synthesis (analysis/synthesis.py), each answer with its
grade, reasons, sensitivity and the assumptions it needs; datapackage.json (Frictionless) and
read_export.R (reads each file with its types, and rebuilds any pool or network with metafor).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..paths import DB_PATH
from ..schema.comparability import key_parts
from . import sensitivity
from .columns import ASSUMPTIONS, PACKAGE, TABLES
from .contrasts import direction_words
from .effect_sizes import DEFAULT_RI
from .imputation import BASIS_WORDS
from .pooling import PairPool
from .queries import ExportError, connect, contrast_rows, single_rows  # noqa: F401  (the API)
from .synthesis import Options, Synthesis, synthesise

DESCRIPTOR_FILE = "datapackage.json"
READER_FILE = "read_export.R"


@dataclass
class ExportResult:
    """What `evidence export` prints. Usable: rows with yi and vi, as reported or converted;
    assumed: only with an unlabelled or imputed SD. Pools by studies: 3 for three or more."""

    files: list[Path]
    contrasts: int
    contrasts_usable: int
    single: int
    single_usable: int
    single_assumed: int
    pools: int
    pools_by_studies: dict[int, int]
    networks: int
    networks_fitted: int
    #: the level keys of the networks of three or more studies
    networks_3: list[str]


def differences_table(s: Synthesis) -> list[dict[str, Any]]:
    """Every difference a pool took, and those it could not take (with why)."""
    columns = [c for c in TABLES["differences"]["fields"] if c not in ("pooled", "why_not_pooled")]

    def row(r: dict[str, Any], why: str | None) -> dict[str, Any]:
        return {c: r.get(c) for c in columns} | {"pooled": int(why is None), "why_not_pooled": why}

    rows = [row(r, None) for p in s.pools for r in p.rows]
    for p in s.pools:
        taken = {id(r) for r in p.rows}
        rows += [row(r, r.get("reason") or "no SD for its vi") for r in s.differences
                 if r.get("contrast_key") == p.key and id(r) not in taken]  # fmt: skip
    return rows + [row(r, r["why_not_pooled"]) for r in s.raw.printed_left]


def _notes(s: Synthesis, p: PairPool) -> str | None:
    """What a pool assumes, so that a reader of its row needs no other file."""
    notes = []
    unlabelled = sum(1 for r in p.rows if r.get("sd_unlabelled"))
    imputed = sum(1 for r in p.rows if r.get("sd_imputed"))
    if unlabelled:
        notes.append(f"needs an unlabelled '±' read as SD in {unlabelled} of {len(p.rows)} differences")
    if imputed:
        notes.append(f"imputed SDs in {imputed} of {len(p.rows)} differences ({s.options.impute_sd})")
    if any(r["origin"] == "arms" for r in p.rows):
        notes.append(f"differences from arms assume ri = {s.options.ri:g}")
    if p.several_per_study and p.robust is None:
        notes.append(
            "several differences from one study: the interval treats them as independent (too narrow)"
        )
    elif p.robust is not None:
        notes.append("several differences per study: robust (CR2) interval given")
    if p.pooled is None:
        notes.append("no difference with an SD: nothing pooled")
    return "; ".join(notes) or None


def pooled_table(s: Synthesis, reruns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in s.pools:
        g = s.grades.get(("pool", p.key))
        row: dict[str, Any] = {
            "key": p.key, "kind": "technique" if p.factor else "exercises", "pair": p.pair,
            "factor": p.factor, "direction": direction_words(p.pair, s.raw.names),
            **p.parts,
            "studies": p.studies, "differences": len(p.rows), "people": p.people,
            "rows_without_vi": p.without_vi,
            "printed": sum(1 for r in p.rows if r["origin"] == "printed"),
            "unlabelled_sd": sum(1 for r in p.rows if r.get("sd_unlabelled")),
            "imputed_sd": sum(1 for r in p.rows if r.get("sd_imputed")),
            "method": s.options.method, "grade": g.level if g else None,
            "reasons": g.words if g else "nothing pooled",
            "sensitivity": sensitivity.summary(reruns, "pool", p.key, p.pair) or None,
            "notes": _notes(s, p),
        }  # fmt: skip
        if q := p.pooled:
            row.update(estimate=q.estimate, se=q.se, ci_lb=q.ci_lb, ci_ub=q.ci_ub, pi_lb=q.pi_lb,
                       pi_ub=q.pi_ub, tau2=q.tau2, i2=q.i2, test=q.test)  # fmt: skip
        if r := p.robust:
            row.update(robust_se=r.se, robust_df=r.df, robust_ci_lb=r.ci_lb, robust_ci_ub=r.ci_ub)
        out.append(row)
    return out


def network_table(s: Synthesis, reruns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per level key: a 'level' row per exercise, a 'difference' row per pair (first - second),
    an 'apart' row per exercise no study links to the rest, or one 'model' row saying why no
    model was fitted."""
    out = []
    for n in s.networks:
        f = n.fit
        base = {
            "key": n.key, **key_parts(n.key), "network_studies": n.studies, "network_people": n.people,
            "sigma2_study": None if f is None else float(f.sigma2[0]),
            "sigma2_condition": None if f is None else float(f.sigma2[1]), "i2": n.i2, "note": n.note or None,
        }  # fmt: skip
        if f is None:
            out.append({**base, "row": "model"})
        for lv in n.levels:
            g = s.grades[("level", n.key, lv.exercise_id)]
            out.append({
                **base, "row": "level", "exercise_id": lv.exercise_id,
                "exercise": s.raw.names.get(lv.exercise_id), "estimate": lv.estimate, "se": lv.se,
                "ci_lb": lv.ci_lb, "ci_ub": lv.ci_ub, "pi_lb": lv.pi_lb, "pi_ub": lv.pi_ub,
                "studies": lv.studies, "people": lv.people, "arms": lv.arms, "p_score": lv.p_score,
                "rank": lv.rank, "grade": g.level, "reasons": g.words,
                "sensitivity": sensitivity.summary(reruns, "level", n.key, lv.exercise_id) or None,
            })  # fmt: skip
        for d in n.league:
            g = s.grades[("difference", n.key, d.first, d.second)]
            out.append({
                **base, "row": "difference", "exercise_id": d.first, "exercise2_id": d.second,
                "exercise": direction_words(f"{d.first}-vs-{d.second}", s.raw.names),
                "estimate": d.estimate, "se": d.se, "ci_lb": d.ci_lb, "ci_ub": d.ci_ub,
                "pi_lb": d.pi_lb, "pi_ub": d.pi_ub, "studies": d.direct_studies,
                "grade": g.level, "reasons": g.words,
            })  # fmt: skip
        out += [{
            **base, "row": "apart", "exercise_id": a.exercise_id, "exercise": s.raw.names.get(a.exercise_id),
            "studies": a.studies, "people": a.people, "arms": a.arms,
            "reasons": "no study links it to the network's other exercises: not estimated, not ranked",
        } for a in n.apart]  # fmt: skip
    return out


def _csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    # The csv module writes floats with repr (shortest exact form) and None as '', as Datasette's
    # CSV does, so the two downloads are byte for byte the same.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([tuple(r.get(c) for c in columns) for r in rows])
    return buffer.getvalue()


def _release(db_path: Path) -> str | None:
    with connect(db_path) as connection:
        try:
            row = connection.execute("SELECT value FROM build_info WHERE key = 'content_hash'").fetchone()
        except sqlite3.Error:  # a database from before build_info
            row = None
    return row[0] if row else None


def _schema(name: str, columns: list[str]) -> dict[str, Any]:
    fields = TABLES[name]["fields"]
    missing = [c for c in columns if c not in fields]
    if missing:
        raise ExportError(f"analysis/columns.yml: {name}: no description for column(s) {', '.join(missing)}")
    return {"fields": [{"name": c, **fields[c]} for c in columns], "missingValues": [""],
            "primaryKey": TABLES[name]["primary_key"]}  # fmt: skip


def descriptor(columns: dict[str, list[str]], options: Options, release: str | None) -> dict[str, Any]:
    rule = options.rule()
    assumptions = [
        *ASSUMPTIONS,
        f"ri imputed as {options.ri:g} in this export.",
        f"SDs in this export: {BASIS_WORDS[options.basis]}" + (f"; {rule.describe()}." if rule else "."),
        f"tau² estimator {options.method}; "
        + ("Knapp-Hartung intervals." if options.knha else "normal-theory (z) intervals."),
    ]
    dialect = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True}
    package: dict[str, Any] = {
        **PACKAGE,
        "description": f"{PACKAGE['description']} Assumptions: {' '.join(assumptions)}",
        "assumptions": assumptions,
        "ri": options.ri,
        "sd_basis": options.basis,
        "imputed_sd": rule.describe() if rule else None,
        "resources": [
            {"name": name, "path": TABLES[name]["file"], "title": TABLES[name]["title"],
             "description": TABLES[name]["description"], "profile": "tabular-data-resource",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "dialect": dialect,
             "schema": _schema(name, cols)}
            for name, cols in columns.items()
        ],
    }  # fmt: skip
    if release:
        package["release"] = release
    return package


def tables(s: Synthesis) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
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
    # The extracts' columns are their query's; the others', their documentation's.
    return {name: (list(rows[0] if rows and name in ("contrasts", "single_conditions")
                        else TABLES[name]["fields"]), rows) for name, rows in out.items()}  # fmt: skip


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
    ``impute_sd``: None (never impute), a CV such as '0.3', or 'median-cv'.
    """
    options = Options(ri, unlabelled_as_sd, impute_sd, method, knha)
    s = synthesise(Path(db_path), options)
    made = tables(s)
    columns = {name: cols for name, (cols, _) in made.items()}
    package = descriptor(columns, options, _release(Path(db_path)))
    texts = {TABLES[name]["file"]: _csv_text(cols, rows) for name, (cols, rows) in made.items()}
    texts[DESCRIPTOR_FILE] = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    texts[READER_FILE] = read_export_r(columns)

    def has_effect(row: dict[str, Any]) -> bool:
        return row["yi"] is not None and row["vi"] is not None

    assumed = [bool(r.get("sd_imputed") or r.get("sd_unlabelled")) for r in s.single if has_effect(r)]
    return ExportResult(
        files=_write_files(Path(out_dir), texts),
        contrasts=len(s.contrasts),
        contrasts_usable=sum(map(has_effect, s.contrasts)),
        single=len(s.single),
        single_usable=assumed.count(False),
        single_assumed=assumed.count(True),
        pools=len(s.pools),
        pools_by_studies=Counter(min(p.studies, 3) for p in s.pools),
        networks=len(s.networks),
        networks_fitted=sum(1 for n in s.networks if n.fit),
        networks_3=[n.key for n in s.networks if n.fit and n.studies >= 3],
    )


def _write_files(out_dir: Path, texts: dict[str, str]) -> list[Path]:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"{out_dir}: (folder): cannot create: {e.strerror}") from e
    tmp_paths = [out_dir / f".{name}.{os.getpid()}.tmp" for name in texts]
    try:
        for tmp, text in zip(tmp_paths, texts.values()):
            # newline='' keeps the csv module's \r\n line ends as they are.
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        for name, tmp in zip(texts, tmp_paths):
            os.replace(tmp, out_dir / name)
    except OSError as e:
        raise ExportError(f"{out_dir}: (folder): cannot write: {e.strerror}") from e
    finally:
        for tmp in tmp_paths:
            tmp.unlink(missing_ok=True)
    return [out_dir / name for name in texts]


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
    template = (Path(__file__).parent / "read_export.R.in").read_text(encoding="utf-8")
    return template.replace("@READERS@", "\n".join(readers))


def validate(out_dir: Path) -> list[str]:
    from frictionless import Package

    report = Package(str(Path(out_dir) / DESCRIPTOR_FILE)).validate()
    errors = list(report.errors) + [e for task in report.tasks for e in task.errors]
    return [f"{Path(out_dir) / DESCRIPTOR_FILE}: {e.type}: {e.message}" for e in errors]
