"""Turn a validated Dataset into rows and insert them.

Integer ids are given in a fixed order (studies by id, then file order), so two builds from the
same files produce the same rows.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table

from .. import schema
from ..analysis.dispersion import to_sd
from ..analysis.preferred import mark_preferred
from .dataset import Dataset, cited_sources
from .records import ExtractionIn, MeasurementIn, SourceIn, StudyIn

Rows = dict[str, list[dict[str, Any]]]


def surname(author: str) -> str:
    """'Contreras B' -> 'Contreras'; 'Collazo García CL' -> 'Collazo García'."""
    parts = author.split()
    if len(parts) > 1 and parts[-1].isupper() and len(parts[-1]) <= 4:
        parts = parts[:-1]
    return " ".join(parts)


def citation(study: StudyIn) -> str:
    """A short citation such as 'Contreras et al. (2015) J Appl Biomech 31:452-458'."""
    if not study.authors and study.identification == "unverified":
        return f"Unidentified study ({study.id})"
    names = [surname(a) for a in study.authors or []]
    if not names:
        # Identified by its record, but no page read showed the author names.
        who = "[authors not shown]"
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} & {names[1]}"
    else:
        who = f"{names[0]} et al."
    text = f"{who} ({study.year if study.year else 'n.d.'})"
    if study.journal:
        text += f" {study.journal}"
        if study.volume:
            text += f" {study.volume}"
            if study.issue:
                text += f"({study.issue})"
        if study.pages:
            text += f":{study.pages}" if study.volume else f" {study.pages}"
    return text


def population(study: StudyIn) -> str | None:
    p = study.participants
    head = " ".join(str(x) for x in (p.n, p.sex if p.sex != "not_reported" else None) if x)
    parts = [x for x in (head, p.training_status) if x]
    return ", ".join(parts) or None


#: The tables one extraction file fills.
FILE_TABLES = (
    "study", "study_field_source", "source", "condition", "measurement", "finding", "contrast",
    "reading_log", "extraction_check", "extraction_difference",
)  # fmt: skip

#: The integer ids of one file's rows: column -> the table whose numbering it follows. A file's
#: rows number these from 1 (file_rows); a build adds the ids the files before it used.
LOCAL_IDS: dict[str, dict[str, str]] = {
    "study_field_source": {"id": "study_field_source"},
    "condition": {"id": "condition"},
    "measurement": {"id": "measurement", "condition_id": "condition", "restates_id": "measurement"},
    "finding": {"id": "finding", "condition_a_id": "condition", "condition_b_id": "condition"},
    "contrast": {"id": "contrast", "condition_a_id": "condition", "condition_b_id": "condition"},
    "reading_log": {"id": "reading_log"},
    "extraction_difference": {"id": "extraction_difference"},
}


def id_shifts(table: str, offsets: dict[str, int]) -> dict[str, int]:
    """Column -> what to add to one file's local ids of ``table`` (LOCAL_IDS), given the ids
    the files before it used (``offsets``, as ``advance`` counts them)."""
    return {column: offsets.get(numbering, 0) for column, numbering in LOCAL_IDS.get(table, {}).items()}


def source_kinds(shared: Iterable[SourceIn], own: Iterable[SourceIn]) -> dict[str, str]:
    """Source id -> primary | review | article, of the sources a file may cite (cited_sources)."""
    return {i: s.kind for i, s in cited_sources(shared, own).items()}


def vocabulary_rows(ds: Dataset) -> Rows:
    """Every table's rows but the extraction files' and the claims': the vocabularies, the shared
    sources, the reviews' pooled rows (the other tables are empty)."""
    rows: Rows = {t: [] for t in schema.Base.metadata.tables}
    rows["muscle"] = [
        {"id": m.id, "name": m.name, "region": m.region, "muscle_group": m.group} for m in ds.muscles
    ]
    rows["muscle_synonym"] = [
        {"id": i, "term": s.term, "muscle_id": s.muscle, "kind": s.kind, "note": s.note}
        for i, s in enumerate(ds.synonyms, start=1)
    ]
    rows["exercise"] = [{"id": e.id, "name": e.name, "pattern": e.pattern} for e in ds.exercises]
    rows["exercise_synonym"] = [
        {"id": i, "term": term, "exercise_id": exercise_id}
        for i, (term, exercise_id) in enumerate(
            dict.fromkeys((w, e.id) for e in ds.exercises for w in e.words), start=1
        )
    ]
    rows["source"] = [
        {"id": s.id, "kind": s.kind, "citation": s.citation, "url": s.url, "study_id": None}
        for s in ds.shared_sources
    ]
    rows["review_pooled"] = [
        {
            "id": i,
            "source_id": r.review,
            "exercise_id": r.exercise,
            "exercise_label": r.exercise_label,
            "muscle_id": r.muscle,
            "metric": r.metric,
            "unit": r.unit,
            "statistic": r.statistic,
            "central_tendency": r.central_tendency,
            "pooled_mean": r.pooled_mean,
            "sd": r.sd,
            "range_low": r.range_low,
            "range_high": r.range_high,
            "subjects": r.subjects,
            "studies": r.studies,
            "locator": r.locator,
            "notes": r.notes,
        }
        for i, r in enumerate(ds.review_pooled, start=1)
    ]
    return rows


def file_rows(data: ExtractionIn, kind_of_source: dict[str, str]) -> Rows:
    """One extraction file's rows (FILE_TABLES), its integer ids numbered from 1 (LOCAL_IDS).

    They depend on nothing but the file and the kinds of the sources it may cite, so each file's
    rows can be made on their own: in parallel, and once per version of the file (parse_cache).
    """
    rows: Rows = {t: [] for t in FILE_TABLES}
    _extraction_rows(data, rows, _Ids())
    _add_sd_and_preferred(rows, kind_of_source)
    return rows


def shift_ids(rows: Rows, offsets: dict[str, int]) -> None:
    """Add to one file's local ids (LOCAL_IDS) the ids the files before it used, in place; then
    count its rows into ``offsets`` for the next file."""
    for table, columns in LOCAL_IDS.items():
        for r in rows.get(table) or ():
            for column, numbering in columns.items():
                if r[column] is not None:
                    r[column] += offsets.get(numbering, 0)
    advance(offsets, rows)


def advance(offsets: dict[str, int], rows: Rows | dict[str, list[Any]]) -> None:
    """Count one file's rows of each numbered table into ``offsets``."""
    for table in LOCAL_IDS:
        offsets[table] = offsets.get(table, 0) + len(rows.get(table) or ())


def to_rows(ds: Dataset) -> Rows:
    """Every table's rows, as dicts keyed by column name: the vocabularies' (vocabulary_rows),
    then each file's (file_rows), in the studies' order, its ids following the files before."""
    rows = vocabulary_rows(ds)
    offsets: dict[str, int] = {}
    for ex in sorted(ds.extractions, key=lambda e: e.data.study.id):
        part = file_rows(ex.data, source_kinds(ds.shared_sources, ex.data.sources))
        shift_ids(part, offsets)
        for table, batch in part.items():
            rows[table].extend(batch)
    # A restating value may come before the value it restates; insert primaries first so the
    # self-referencing foreign key is satisfied row by row.
    rows["measurement"].sort(key=lambda r: (r["restates_id"] is not None, r["id"]))
    return rows


def _add_sd_and_preferred(rows: Rows, kind: dict[str, str]) -> None:
    """The build's own columns of measurement: the SD each dispersion gives (with its origin)
    and which of several sources' values is the one to use (analysis/dispersion.py, preferred.py)."""
    study_n = {s["id"]: s["n"] for s in rows["study"]}
    study_of = {c["id"]: c["study_id"] for c in rows["condition"]}
    for m in rows["measurement"]:
        n = m["n"] if m["n"] is not None else study_n[study_of[m["condition_id"]]]
        m["sd"], m["sd_source"] = to_sd(m["dispersion"], m["dispersion_type"], n, kind[m["source_id"]])
    mark_preferred(rows["measurement"], kind)


class _Ids:
    """The last integer id given per table: ids follow the studies' order, then file order."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def next(self, table: str) -> int:
        self.last[table] = self.last.get(table, 0) + 1
        return self.last[table]


def _extraction_rows(data: ExtractionIn, rows: Rows, ids: _Ids) -> None:
    """The rows of one extraction file: its study, sources, conditions, values and findings."""
    st = data.study
    rows["study"].append(_study_row(st))
    for name, source_id in st.read_on.items():
        rows["study_field_source"].append(
            {"id": ids.next("study_field_source"), "study_id": st.id, "field": name,
             "source_id": source_id, "locator": None}
        )  # fmt: skip
    p = st.participants
    if p.source is not None:
        rows["study_field_source"].append(
            {"id": ids.next("study_field_source"), "study_id": st.id, "field": "participants",
             "source_id": p.source, "locator": p.locator}
        )  # fmt: skip
    if st.pedro_source is not None:
        rows["study_field_source"].append(
            {"id": ids.next("study_field_source"), "study_id": st.id, "field": "pedro_score",
             "source_id": st.pedro_source, "locator": st.pedro_locator}
        )  # fmt: skip
    for s in data.sources:
        rows["source"].append(
            {"id": s.id, "kind": s.kind, "citation": s.citation, "url": s.url, "study_id": st.id}
        )
    conditions: dict[str, int] = {}
    for c in data.conditions:
        conditions[c.id] = ids.next("condition")
        rows["condition"].append(
            {
                "id": conditions[c.id],
                "study_id": st.id,
                "key": c.id,
                "exercise_id": c.exercise,
                "label": c.label,
                "load": c.load,
                "load_pct_1rm": c.load_pct_1rm,
                "load_kg": c.load_kg,
                "depth": c.depth,
                "knee_angle_deg": c.knee_angle_deg,
                "stance": c.stance,
                "cue": c.cue,
                "notes": c.notes,
            }
        )
    # Keys resolve within the file, and a value may restate one listed after it.
    measurement_ids = [ids.next("measurement") for _ in data.measurements]
    keys = {m.key: i for m, i in zip(data.measurements, measurement_ids) if m.key}
    for m, measurement_id in zip(data.measurements, measurement_ids):
        rows["measurement"].append(_measurement_row(m, measurement_id, conditions, keys))
    for f in data.findings:
        rows["finding"].append(
            {
                "id": ids.next("finding"),
                "study_id": st.id,
                "condition_a_id": conditions[f.a],
                "condition_b_id": conditions[f.b] if f.b else None,
                "muscle_id": f.muscle,
                "muscle_b_id": f.muscle_b,
                "metric": f.metric,
                "statistic": f.statistic,
                "phase": f.phase,
                "direction": f.direction,
                "size": f.size,
                "size_type": f.size_type,
                "p_value": f.p_value,
                "p_relation": f.p_relation,
                "summary": f.summary,
                "source_id": f.source,
                "locator": f.locator,
                "key": f.key,
            }
        )
    for k in data.contrasts:
        rows["contrast"].append(
            {
                "id": ids.next("contrast"),
                "study_id": st.id,
                "condition_a_id": conditions[k.a],
                "condition_b_id": conditions[k.b],
                "muscle_id": k.muscle,
                "muscle_label": k.muscle_label,
                "metric": k.metric,
                "unit": k.unit,
                "normalisation_category": k.normalisation_category,
                "statistic": k.statistic,
                "phase": k.phase,
                "estimate_type": k.estimate_type,
                "estimate": k.estimate,
                "ci_low": k.ci_low,
                "ci_high": k.ci_high,
                "ci_level": k.ci_level,
                "se": k.se,
                "p_value": k.p_value,
                "p_relation": k.p_relation,
                "n": k.n,
                "source_id": k.source,
                "locator": k.locator,
                "notes": k.notes,
            }
        )
    _reading_rows(data, rows, ids)


def _reading_rows(data: ExtractionIn, rows: Rows, ids: _Ids) -> None:
    """How the study was read: each copy tried, and the check against a second extraction."""
    st = data.study
    for r in data.reading_log:
        rows["reading_log"].append(
            {
                "id": ids.next("reading_log"),
                "study_id": st.id,
                "url": r.url,
                "showed": r.showed,
                "note": r.note,
            }
        )
    de = data.double_extraction
    if de is None:
        return
    rows["extraction_check"].append(
        {
            "study_id": st.id,
            "fields_compared": de.fields_compared,
            "fields_differed": de.fields_differed,
            "resolved": sum(d.resolved is not None for d in de.differences),
            "method": de.method,
            "note": de.note,
        }
    )
    for d in de.differences:
        rows["extraction_difference"].append(
            {"id": ids.next("extraction_difference"), "study_id": st.id, "field": d.field,
             "first": d.first, "second": d.second, "resolved": d.resolved, "how": d.how}
        )  # fmt: skip


def _study_row(st: StudyIn) -> dict[str, Any]:
    p = st.participants
    return {
        "id": st.id,
        "citation": citation(st),
        "authors": "; ".join(st.authors) if st.authors else None,
        "first_author": surname(st.authors[0]) if st.authors else None,
        "year": st.year,
        "title": st.title,
        "journal": st.journal,
        "volume": st.volume,
        "issue": st.issue,
        "pages": st.pages,
        "doi": st.doi,
        "pmid": st.pmid,
        "design": st.design,
        "n": p.n,
        "sex": p.sex,
        "training_status": p.training_status,
        "population": population(st),
        "population_group": p.population,
        "clinical_condition": p.clinical_condition,
        "age_mean": p.age_mean,
        "age_sd": p.age_sd,
        "training_years_mean": p.training_years_mean,
        "training_years_sd": p.training_years_sd,
        "pedro_score": st.pedro_score,
        "identification": st.identification,
        "identification_note": st.identification_note,
        "cited_as": st.cited_as,
    }


def _measurement_row(
    m: MeasurementIn, measurement_id: int, conditions: dict[str, int], keys: dict[str, int]
) -> dict[str, Any]:
    return {
        "id": measurement_id,
        "condition_id": conditions[m.condition],
        "muscle_id": m.muscle,
        "muscle_b_id": m.muscle_b,
        "muscle_label": m.muscle_label,
        "metric": m.metric,
        "unit": m.unit,
        "normalisation": m.normalisation,
        "normalisation_category": m.normalisation_category,
        "electrode": m.electrode,
        "statistic": m.statistic,
        "central_tendency": m.central_tendency,
        "phase": m.phase,
        "value": m.value,
        "dispersion": m.dispersion,
        "dispersion_type": m.dispersion_type,
        "dispersion_locator": m.dispersion_locator,
        "approximate": m.approximate,
        "side": m.side,
        "n": m.n,
        "source_id": m.source,
        "locator": m.locator,
        "restates_id": keys[m.restates] if m.restates else None,
        "key": m.key,
        "notes": m.notes,
    }


def insert_rows(connection: Connection, rows: Rows) -> dict[str, int]:
    """Insert in foreign-key order; return the row count of each table.

    On SQLite the rows go as tuples straight to the sqlite3 cursor's ``executemany``: they were
    validated by pydantic already, and SQLAlchemy's per-row parameter processing of dicts costs
    about three times the insert itself (bench/ingest.py measures both). Other backends
    (PostgreSQL) take the portable SQLAlchemy Core path.

    :param connection: an open connection inside a transaction (``engine.begin()``)
    :param rows: every table's rows, as :func:`to_rows` makes them
    """
    counts = {}
    sqlite = connection.dialect.name == "sqlite"
    for table in schema.Base.metadata.sorted_tables:
        batch = rows.get(table.name) or []
        if batch and sqlite:
            _executemany_tuples(connection, table, batch)
        elif batch:
            connection.execute(table.insert(), batch)
        counts[table.name] = len(batch)
    return counts


def _executemany_tuples(connection: Connection, table: Table, batch: list[dict[str, Any]]) -> None:
    """One ``INSERT`` per table through the DBAPI cursor, in SQLAlchemy's transaction."""
    columns = [c.name for c in table.columns]
    names = set(columns)
    if len(columns) > 1 and all(r.keys() == names for r in batch):
        # The common case (to_rows gives every column): itemgetter makes the tuples in C.
        params: Iterable[tuple[Any, ...]] = map(operator.itemgetter(*columns), batch)
    else:
        for i, r in enumerate(batch):
            if not r.keys() <= names:
                # The Core path would refuse these too; say which table, row and keys.
                raise KeyError(f"{table.name}[{i}]: no column(s) {sorted(r.keys() - names)}")
        # A column a row leaves out is NULL, as with table.insert() (no column has a default).
        params = (tuple(r.get(c) for c in columns) for r in batch)
    preparer = connection.dialect.identifier_preparer
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        preparer.format_table(table),
        ", ".join(preparer.quote(c) for c in columns),
        ", ".join("?" for _ in columns),
    )
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()
