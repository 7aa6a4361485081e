"""Answer questions about an immutable database's schema once, not once per table per page.

Datasette 0.65.5 builds the home and database pages with a round trip to its SQL threads for
every table's columns, primary keys and full-text table, for the hidden tables and the views, and
one more per table for the permission check (which looks the table's spelling up in
sqlite_master): about 230 of them for one home page of evidence.db. Each round trip waits behind
every other request's under load, so these pages took 2.2 s at the median with 16 clients while
they take 35 ms alone (bench/load.py).

For a database opened immutable (``-i``) none of these answers can change while it is served,
so each is computed once, by Datasette's own code, and reused. Mutable databases are left alone.
"""

from __future__ import annotations

import copy
from typing import Any

from datasette import hookimpl

#: Database methods whose answer depends only on the schema (and their arguments).
SCHEMA_METHODS = (
    "table_names",
    "view_names",
    "hidden_table_names",
    "table_columns",
    "table_column_details",
    "primary_keys",
    "fts_table",
    "label_column_for_table",
    "foreign_keys_for_table",
    "get_all_foreign_keys",
    "get_table_definition",
    "get_view_definition",
)

#: The one query Datasette runs per view-table permission check: a table's spelling.
SPELLING_SQL = "select name from sqlite_master where type in ('table', 'view') and name = ? collate nocase"


def _memoize(db: Any, name: str) -> None:
    compute = getattr(db, name, None)
    if compute is None:
        return
    answers: dict[tuple, Any] = {}

    async def cached(*args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted(kwargs.items())))
        if key not in answers:
            answers[key] = await compute(*args, **kwargs)
        # A copy: a caller that changes the list it got does not change the next caller's.
        return copy.copy(answers[key])

    setattr(db, name, cached)


def _memoize_spelling(db: Any) -> None:
    execute = db.execute
    spellings: dict[tuple, Any] = {}

    async def cached_execute(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        if sql == SPELLING_SQL and not args and not kwargs and isinstance(params, tuple | list):
            key = tuple(params)
            if key not in spellings:
                spellings[key] = await execute(sql, params)
            return spellings[key]
        return await execute(sql, params, *args, **kwargs)

    db.execute = cached_execute


@hookimpl
def startup(datasette: Any) -> None:
    for name, db in datasette.databases.items():
        if name == "_internal" or db.is_mutable or db.is_memory:
            continue
        for method in SCHEMA_METHODS:
            _memoize(db, method)
        _memoize_spelling(db)
