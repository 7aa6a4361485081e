"""The canned queries' SQL: one file per query in analysis/sql/, read by Datasette and the export.

Datasette gets them through the ``canned_queries`` hook (serving/plugins/canned_queries.py), with
title, description and parameters from metadata.yml; ``evidence export`` runs the same SQL, so a
CSV file and its web page never disagree. A rule the database defines once is put into the SQL
here, not copied into it: ``{MVC_COMPARABLE}``, ``{VALUE_TO_USE}`` and ``{LEVEL_KEY}`` become
schema/comparability.py's rules (the level key over meta_extract ``e`` joined to its study
``st``); a pair's contrast key is the same module's, stored by the build in contrast_pair.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..schema.comparability import level_key_sql, mvc_comparable_sql, value_to_use_sql

SQL_DIR = Path(__file__).resolve().parent / "sql"

#: Placeholders a query's SQL may use, and what each stands for.
PLACEHOLDERS = {
    "{MVC_COMPARABLE}": mvc_comparable_sql(),
    "{VALUE_TO_USE}": value_to_use_sql(),
    "{LEVEL_KEY}": level_key_sql("e.", "st.clinical_condition"),
}


class QueryNotFound(LookupError):
    """No canned query of that name."""


def names() -> list[str]:
    """Every canned query's name, sorted."""
    return sorted(p.stem for p in SQL_DIR.glob("*.sql"))


@cache
def query_sql(name: str) -> str:
    """The SQL of canned query ``name``, placeholders filled in."""
    path = SQL_DIR / f"{name}.sql"
    if "/" in name or not path.is_file():
        raise QueryNotFound(f"{path}: (file): no canned query {name!r}")
    sql = path.read_text(encoding="utf-8").strip()
    for placeholder, value in PLACEHOLDERS.items():
        sql = sql.replace(placeholder, value)
    return sql
