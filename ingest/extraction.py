"""One extraction file, from its bytes to its rows: the unit a build parses in parallel and caches.

``process`` reads the file (``yaml_reader``), validates it (``records.ExtractionIn``), runs every
check that needs nothing but the file and the folder's ``Context`` (``dataset.check_file``), and
makes its rows with ids numbered from 1 (``rows.file_rows``). The result is plain data, cheap to
send between processes and to store: the build adds the ids of the files before it as it inserts
the rows, and checks what files may clash on (``dataset.FolderCheck``) as they come.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .. import schema
from .dataset import Context, check_file
from .records import ExtractionIn, SourceIn, StudyIn
from .rows import file_rows, source_kinds
from .yaml_reader import DataError, parse, read_yaml


@dataclass
class FileResult:
    """What one extraction file gives: its problems, or its rows and what the folder checks."""

    path: Path
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The study and the file's own sources (None and [] if the file did not validate).
    study: StudyIn | None = None
    sources: list[SourceIn] = field(default_factory=list)
    #: Table -> rows as tuples in the table's column order (column_names); ids from 1. Empty if
    #: the file has problems.
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    #: The validated record itself, when asked for (load_dataset); never cached.
    record: ExtractionIn | None = None
    #: SHA-256 of the file's bytes, where the build hashed them (with the cache on).
    digest: str | None = None


@cache
def column_names(table: str) -> tuple[str, ...]:
    """The table's columns, in the order of its CREATE TABLE (the order of the row tuples)."""
    return tuple(c.name for c in schema.Base.metadata.tables[table].columns)


def insert_sql(table: str, shifts: dict[str, int] | None = None) -> str:
    """The INSERT of a table's row tuples (column_names order), adding ``shifts`` to the id
    columns in SQL (NULL stays NULL), so that the tuples go to executemany as they are."""
    columns = column_names(table)
    values = ", ".join(f"? + {shifts[c]}" if shifts and shifts.get(c) else "?" for c in columns)
    return 'INSERT INTO "{}" ({}) VALUES ({})'.format(table, ", ".join(f'"{c}"' for c in columns), values)


def process(path: Path, root: Path | None, context: Context, keep_record: bool = False) -> FileResult:
    """Read, validate, check and turn into rows one extraction file (see the module's doc)."""
    try:
        data = read_yaml(path) if root is None else read_yaml(path, root)
        if not isinstance(data, dict):
            return FileResult(path, [f"{path}: (top level): expected a mapping with study, conditions, ..."])
        record = parse(path, ExtractionIn, data)
    except DataError as e:
        return FileResult(path, e.problems)
    problems, warnings = check_file(path, record, context)
    result = FileResult(path, problems, warnings, record.study, list(record.sources))
    if keep_record:
        result.record = record
    if not problems:
        part = file_rows(record, source_kinds(context.shared_sources, record.sources))
        for table, batch in part.items():
            columns = column_names(table)
            # Every row of to_rows has every column: itemgetter makes the tuples in C.
            result.rows[table] = list(map(operator.itemgetter(*columns), batch)) if batch else []
    return result
