"""The content hash of a built database, and the per-table blocks that let a rebuild rehash only
the tables it changed.

The hash is the SHA-256 of a canonical SQL dump, leaving out build_info's rows: the statements
``sqlite3.Connection.iterdump`` writes (Python 3.11; each table's CREATE, a virtual table's as
an insert into sqlite_master, each row as ``INSERT INTO "t" VALUES(...)`` with SQLite's
``quote()``, each index, trigger and view), hashed in sorted order, one per line, so that equal
content gives an equal hash whatever the layout (VACUUM may reorder sqlite_master).

In that order each table's rows form one run (a *block*): every row statement starts with
``INSERT INTO "<table>" VALUES(``, after every CREATE and before sqlite_master's inserts and the
PRAGMAs. A block's bytes, exactly as hashed, can be kept in a folder (``blocks``): the next
build that changed only a few tables hashes the others' kept bytes as they are, and patches a
large table's block with the statements of the rows it replaced (``Patch``). The rows'
statements are made and sorted by SQLite, a table at a time: memory stays flat however large the
database.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import mmap
import os
import re
import shutil
import sqlite3
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

#: What the row statements start with; every schema statement sorts before or after all of them.
ROW_PREFIX = 'INSERT INTO "'
#: Table names whose blocks are known to be contiguous (no quote or other odd character).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")


@dataclass
class Patch:
    """A block changed in a few rows: the statements of the rows taken out, and of those put in."""

    removed: set[bytes] = field(default_factory=set)
    added: list[bytes] = field(default_factory=list)


def row_statements_sql(connection: sqlite3.Connection, table: str, where: str = "") -> str:
    """The query of a table's row statements, sorted (optionally of the rows ``where`` selects)."""
    ident = table.replace('"', '""')
    columns = [str(c[1]) for c in connection.execute(f'PRAGMA table_info("{ident}")')]
    values = ",".join("'||quote(\"{}\")||'".format(c.replace('"', '""')) for c in columns)
    statement = "'INSERT INTO \"{}\" VALUES({});'".format(ident.replace("'", "''"), values)
    return f'SELECT {statement} AS s FROM "{ident}" {where} ORDER BY s'


def row_statements(
    connection: sqlite3.Connection, table: str, where: str = "", *params: object
) -> list[bytes]:
    """A few rows' statements, as hashed (UTF-8), sorted."""
    query = row_statements_sql(connection, table, where)
    return [s.encode("utf-8") for (s,) in connection.execute(query, params)]


def _schema(connection: sqlite3.Connection, path: Path) -> tuple[list[str], list[str]]:
    """The schema's statements, and the tables whose rows are hashed, in the dump's form."""
    statements = ["BEGIN TRANSACTION;", "COMMIT;"]
    tables = []
    found = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE sql NOT NULL AND type == 'table' ORDER BY name"
    ).fetchall()
    for name, sql in found:
        if name.startswith("sqlite_"):
            if name in ("sqlite_sequence", "sqlite_stat1"):  # no table has AUTOINCREMENT; no ANALYZE
                raise ValueError(f"{path}: {name}: not expected in a built database")
            continue
        if sql.startswith("CREATE VIRTUAL TABLE"):
            statements.append(
                "INSERT INTO sqlite_master(type,name,tbl_name,rootpage,sql)"
                "VALUES('table','{0}','{0}',0,'{1}');".format(name.replace("'", "''"), sql.replace("'", "''"))
            )
        else:
            statements.append(f"{sql};")
        if name != "build_info":
            tables.append(name)
    if any(sql.startswith("CREATE VIRTUAL TABLE") for _, sql in found):
        statements += ["PRAGMA writable_schema=ON;", "PRAGMA writable_schema=OFF;"]
    statements += [
        f"{sql};"
        for (sql,) in connection.execute(
            "SELECT sql FROM sqlite_master WHERE sql NOT NULL AND type IN ('index', 'trigger', 'view')"
        )
    ]
    return statements, tables


def content_hash(
    path: Path,
    save_to: Path | None = None,
    kept: Path | None = None,
    changed: dict[str, Patch | None] | None = None,
) -> str:
    """SHA-256 of the database's canonical dump (see the module's doc).

    :param save_to: a folder to keep every table's block in, for a later build
    :param kept: the folder of a previous build's blocks, to hash instead of the tables'
        rows: every table not in ``changed`` is taken from it as it is
    :param changed: table -> a Patch of its kept block, or None to read its rows again
    """
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        statements, tables = _schema(connection, path)
        digest = hashlib.sha256()
        if not all(_PLAIN_NAME.fullmatch(t) for t in tables):
            # A name that could make blocks interleave: merge every statement instead.
            streams = [(s for (s,) in connection.execute(row_statements_sql(connection, t))) for t in tables]
            for statement in heapq.merge(sorted(statements), *streams):
                digest.update(statement.encode("utf-8") + b"\n")
            return digest.hexdigest()
        if save_to is not None:
            shutil.rmtree(save_to, ignore_errors=True)
            save_to.mkdir(parents=True)
        statements.sort()
        for statement in statements:
            if statement >= ROW_PREFIX:
                break
            digest.update(statement.encode("utf-8") + b"\n")
        # 'x' sorts before 'x_y' as 'INSERT INTO "x"' does before 'INSERT INTO "x_y"'.
        for table in sorted(tables, key=lambda t: t + '"'):
            if kept is not None and changed is not None and table not in changed:
                _hash_kept(digest, kept, table, save_to)
                continue
            if kept is not None and changed is not None and changed[table] is not None:
                _hash_patched(digest, kept, table, changed[table], save_to)  # type: ignore[arg-type]
                continue
            else:
                block = (
                    s.encode("utf-8") for (s,) in connection.execute(row_statements_sql(connection, table))
                )
            _hash_block(digest, block, save_to / table if save_to is not None else None)
        for statement in statements:
            if statement >= ROW_PREFIX:
                digest.update(statement.encode("utf-8") + b"\n")
        return digest.hexdigest()
    finally:
        connection.close()


def _hash_block(digest: hashlib._Hash, block: Iterable[bytes], save_to: Path | None) -> None:
    """Hash a block's statements; write them (and their lengths) to ``save_to`` if given."""
    if save_to is None:
        for statement in block:
            digest.update(statement + b"\n")
        return
    lengths = array("Q")
    with open(save_to.with_suffix(".sql"), "wb") as out:
        for statement in block:
            line = statement + b"\n"
            digest.update(line)
            out.write(line)
            lengths.append(len(line))
    with open(save_to.with_suffix(".len"), "wb") as out:
        lengths.tofile(out)


def _hash_kept(digest: hashlib._Hash, kept: Path, table: str, save_to: Path | None) -> None:
    """Hash a kept block's bytes as they are, in large pieces; link it into ``save_to``."""
    with open(kept / f"{table}.sql", "rb") as f:
        while piece := f.read(1 << 20):
            digest.update(piece)
    if save_to is not None:
        for suffix in (".sql", ".len"):
            try:
                os.link(kept / f"{table}{suffix}", save_to / f"{table}{suffix}")
            except OSError:
                shutil.copyfile(kept / f"{table}{suffix}", save_to / f"{table}{suffix}")


def _hash_patched(digest: hashlib._Hash, kept: Path, table: str, patch: Patch, save_to: Path | None) -> None:
    """Hash a kept block with a few statements taken out and put in, without reading the rest
    statement by statement: the block is sorted, so each change's place is found by bisection,
    and the runs between the changes are hashed (and written) as they are, in large pieces."""
    lengths = array("Q")
    with open(kept / f"{table}.len", "rb") as f:
        lengths.frombytes(f.read())
    starts = array("Q", [0])
    starts.extend(accumulate(lengths))
    with open(kept / f"{table}.sql", "rb") as f:
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if starts[-1] else b""
    try:
        if len(data) != starts[-1]:
            raise ValueError(f"{kept / table}: block and lengths disagree")

        def statement(k: int) -> bytes:
            return data[starts[k] : starts[k + 1] - 1]

        count = len(lengths)
        cut = set()
        for removed in patch.removed:
            k = bisect.bisect_left(range(count), removed, key=statement)
            if k == count or statement(k) != removed:
                raise ValueError(f"{kept / table}: a replaced row's statement is not in the block")
            cut.add(k)
        # Each added statement goes before the first kept one not less than it.
        places = sorted((bisect.bisect_left(range(count), a, key=statement), a) for a in patch.added)
        out = open(save_to / f"{table}.sql", "wb") if save_to is not None else None
        new_lengths = array("Q")
        try:

            def emit_run(low: int, high: int) -> None:  # kept statements low..high-1
                if low < high:
                    piece = data[starts[low] : starts[high]]
                    digest.update(piece)
                    if out is not None:
                        out.write(piece)
                        new_lengths.extend(lengths[low:high])

            at = 0
            events = sorted([(k, 1, b"") for k in cut] + [(k, 0, a) for k, a in places])
            for k, is_cut, added in events:
                emit_run(at, k)
                at = max(at, k)
                if is_cut:
                    at = k + 1
                else:
                    line = added + b"\n"
                    digest.update(line)
                    if out is not None:
                        out.write(line)
                        new_lengths.append(len(line))
            emit_run(at, count)
        finally:
            if out is not None:
                out.close()
        if save_to is not None:
            with open(save_to / f"{table}.len", "wb") as lengths_out:
                new_lengths.tofile(lengths_out)
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def has_blocks(folder: Path, tables: Iterable[str]) -> bool:
    return all((folder / f"{t}.sql").is_file() and (folder / f"{t}.len").is_file() for t in tables)
