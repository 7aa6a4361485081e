"""Turn a validated Dataset into every table's rows, and insert them.

Integer ids are given in a fixed order (studies by id, then file order), so two builds from the
same files produce the same rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from .. import schema
from ..analysis.dispersion import to_sd
from ..analysis.preferred import mark_preferred
from .records import ExtractionIn, StudyIn
from .vocabulary import Dataset

Rows = dict[str, list[dict[str, Any]]]

_TABLES = schema.Base.metadata.tables
_COLUMNS = {name: table.columns.keys() for name, table in _TABLES.items()}
#: The tables whose ids the build numbers (1, 2, ...); the others' ids are the files' slugs.
_NUMBERED = {
    name for name, table in _TABLES.items() if "id" in table.c and table.c.id.type.python_type is int
}


def make_row(table: str, fields: dict[str, Any], **given: Any) -> dict[str, Any]:
    """A row of ``table``: each column takes the value ``given``, else the field of its name, or
    of its name without ``_id`` (``muscle`` for ``muscle_id``); None where there is none."""
    return {
        c: given[c] if c in given else fields.get(c, fields.get(c.removesuffix("_id")))
        for c in _COLUMNS[table]
    }


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
    elif len(names) <= 2:
        who = " & ".join(names)
    else:
        who = f"{names[0]} et al."
    text = f"{who} ({study.year if study.year else 'n.d.'})"
    if study.journal:
        text += f" {study.journal}"
        if study.volume:
            text += f" {study.volume}" + (f"({study.issue})" if study.issue else "")
        if study.pages:
            text += f":{study.pages}" if study.volume else f" {study.pages}"
    return text


def population(study: StudyIn) -> str | None:
    p = study.participants
    head = " ".join(str(x) for x in (p.n, p.sex if p.sex != "not_reported" else None) if x)
    return ", ".join(x for x in (head, p.training_status) if x) or None


def to_rows(ds: Dataset) -> Rows:
    """Every table's rows, as dicts keyed by column name (the claims' tables empty: claims.py)."""
    rows: Rows = {t: [] for t in _COLUMNS}
    rows["muscle"] = [make_row("muscle", vars(m), muscle_group=m.group) for m in ds.muscles]
    rows["muscle_synonym"] = [make_row("muscle_synonym", vars(s), id=i) for i, s in enumerate(ds.synonyms, 1)]
    rows["exercise"] = [make_row("exercise", vars(e)) for e in ds.exercises]
    words = dict.fromkeys((w, e.id) for e in ds.exercises for w in e.words)
    rows["exercise_synonym"] = [
        {"id": i, "term": term, "exercise_id": exercise_id} for i, (term, exercise_id) in enumerate(words, 1)
    ]
    rows["source"] = [make_row("source", vars(s)) for s in ds.shared_sources]
    rows["review_pooled"] = [
        make_row("review_pooled", vars(r), id=i, source_id=r.review)
        for i, r in enumerate(ds.review_pooled, 1)
    ]
    for ex in sorted(ds.extractions, key=lambda e: e.data.study.id):
        _extraction_rows(ex.data, rows)
    # The build's own columns of measurement: the SD each dispersion gives (with its origin) and
    # which of several sources' values is the one to use (analysis/dispersion.py, preferred.py).
    kind = {s["id"]: s["kind"] for s in rows["source"]}
    study_n = {s["id"]: s["n"] for s in rows["study"]}
    study_of = {c["id"]: c["study_id"] for c in rows["condition"]}
    for m in rows["measurement"]:
        n = m["n"] if m["n"] is not None else study_n[study_of[m["condition_id"]]]
        m["sd"], m["sd_source"] = to_sd(m["dispersion"], m["dispersion_type"], n, kind[m["source_id"]])
    mark_preferred(rows["measurement"], kind)
    # A restating value may come before the value it restates; insert primaries first so the
    # self-referencing foreign key is satisfied row by row.
    rows["measurement"].sort(key=lambda r: (r["restates_id"] is not None, r["id"]))
    return rows


def _extraction_rows(data: ExtractionIn, rows: Rows) -> None:
    """The rows of one extraction file; each table's ids follow the rows before."""

    def add(table: str, fields: dict[str, Any], **given: Any) -> int:
        if table in _NUMBERED:
            given["id"] = len(rows[table]) + 1
        rows[table].append(make_row(table, fields, study_id=st.id, **given))
        return given.get("id", 0)

    st, p = data.study, data.study.participants
    add("study", {**vars(p), **vars(st)}, citation=citation(st), population=population(st),
        authors="; ".join(st.authors) if st.authors else None, population_group=p.population,
        first_author=surname(st.authors[0]) if st.authors else None)  # fmt: skip
    read_on: list[tuple[str, str | None, str | None]] = [(k, v, None) for k, v in st.read_on.items()]
    read_on += [("participants", p.source, p.locator), ("pedro_score", st.pedro_source, st.pedro_locator)]
    for name, source_id, locator in read_on:
        if source_id is not None:
            add("study_field_source", {}, field=name, source_id=source_id, locator=locator)
    for s in data.sources:
        add("source", vars(s))
    conditions = {c.id: add("condition", vars(c), key=c.id) for c in data.conditions}
    # Keys resolve within the file, and a value may restate one listed after it.
    first = len(rows["measurement"]) + 1
    keys = {m.key: first + i for i, m in enumerate(data.measurements) if m.key}
    for m in data.measurements:
        restates = keys[m.restates] if m.restates else None
        add("measurement", vars(m), condition_id=conditions[m.condition], restates_id=restates)
    for section, table in ((data.findings, "finding"), (data.contrasts, "contrast")):
        for f in section:
            b = conditions[f.b] if f.b else None
            add(table, vars(f), condition_a_id=conditions[f.a], condition_b_id=b)
    for r in data.reading_log:
        add("reading_log", vars(r))
    de = data.double_extraction
    if de is not None:
        resolved = sum(d.resolved is not None for d in de.differences)
        add("extraction_check", vars(de), resolved=resolved)
        for d in de.differences:
            add("extraction_difference", vars(d))


def insert_rows(connection: Connection, rows: Rows) -> dict[str, int]:
    """Insert in foreign-key order with SQLAlchemy Core, the same way into SQLite (the build)
    and PostgreSQL (ingest/postgres.py); return the row count of each table.

    :param connection: an open connection inside a transaction (``engine.begin()``)
    """
    counts = {}
    for table in schema.Base.metadata.sorted_tables:
        batch = rows.get(table.name) or []
        if batch:
            connection.execute(table.insert(), batch)
        counts[table.name] = len(batch)
    return counts
