"""The canned queries' SQL, one file per query in analysis/sql/, for Datasette and the export.

A rule the database defines once is put into the SQL, not copied: ``{MVC_COMPARABLE}``,
``{VALUE_TO_USE}`` and ``{LEVEL_KEY}`` (over meta_extract ``e`` joined to its study ``st``)
become schema/comparability.py's rules."""

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
