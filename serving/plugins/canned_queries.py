"""Datasette plugin: the canned queries, with their SQL from analysis/sql/.

metadata.yml says what each query is for (title, description, parameters, hide_sql); the SQL
lives in one file per query, which `evidence export` runs too.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from emg_evidence.analysis.queries import names, query_sql


@hookimpl
def canned_queries(datasette: Any, database: str) -> dict[str, dict[str, Any]] | None:
    if database != "evidence":
        return None
    described = datasette.metadata("queries", database=database, fallback=False) or {}
    return {name: {**(described.get(name) or {}), "sql": query_sql(name)} for name in names()}
