"""Remember each table's `allow` rules instead of recomputing them on every permission check.

Datasette 0.65.5 answers each view-table check by deep-copying the whole metadata (our column
descriptions, canned queries and dashboard specs: about 0.4 ms a copy) and merging it again. The
home and database pages check every table, so the copies were about three quarters of their time:
80 ms a page, 2.8 s at p50 with 16 clients (bench/load.py). The metadata of `evidence serve` does
not change while it runs and no plugin here supplies metadata through get_metadata, so the answer
for a (database, table) pair cannot change either: it is computed once, by Datasette's own code.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl


@hookimpl
def startup(datasette: Any) -> None:
    compute = datasette._table_permission_allows
    answers: dict[tuple[str, str], list] = {}

    def table_permission_allows(database: str, table: str) -> list:
        key = (database, table)
        if key not in answers:
            answers[key] = compute(database, table)
        return answers[key]

    datasette._table_permission_allows = table_permission_allows
