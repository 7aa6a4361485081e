"""The views of the current schema, one readable SQL file each (schema/sql/).

Migrations freeze each view as it was at their revision (a migration never imports this
module); ``tests/test_schema.py`` checks that a database migrated to head holds exactly these
definitions, so the files are always the current ones.
"""

from pathlib import Path

from .comparability import mvc_comparable_sql

_SQL = Path(__file__).parent / "sql"


def _view(name: str) -> str:
    """The file's CREATE VIEW (its comments before it left out), the MVC rule filled in."""
    sql = (_SQL / f"{name}.sql").read_text(encoding="utf-8")
    return sql[sql.index("CREATE VIEW") :].replace(
        "{mvc_comparable}", mvc_comparable_sql("m.", "\n            AND ")
    )


#: Name -> CREATE VIEW statement, in the order a fresh database creates them.
VIEWS = {name: _view(name) for name in ("meta_extract", "muscle_term", "exercise_term")}
