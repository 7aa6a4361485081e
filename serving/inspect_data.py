"""Datasette's inspect data for an immutable database, computed once per release.

``datasette inspect`` writes what Datasette would otherwise work out from the file while it
serves it: each table's row count and the file's hash and size. ``datasette serve
--inspect-file`` reads it, so no page waits on a ``count(*)`` of a large table. The file is kept
beside the database, in ``.cache/emg-evidence/inspect-<name>-<release>-<size>-<mtime>.json``
(the release is the content hash the build stored), and written again only for another file. The format is the one ``datasette inspect`` writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path

CACHE_SUBDIR = Path(".cache") / "emg-evidence"


def _release_key(db_path: Path) -> str:
    try:
        connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT value FROM build_info WHERE key = 'content_hash'").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        row = None
    info = db_path.stat()
    # The file's name, size and time as well: the same release written again (or under another
    # name beside it) is another file, with another hash and size.
    release = str(row[0])[:16] if row else "none"
    return f"{db_path.stem}-{release}-{info.st_size}-{info.st_mtime_ns}"


def file_hash(db_path: Path) -> str:
    """SHA-256 of the file, as Datasette's inspect_hash computes it."""
    digest = hashlib.sha256()
    with db_path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_data(db_path: Path) -> dict:
    """What ``datasette inspect db_path`` prints."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro&immutable=1", uri=True)
    try:
        tables = [r[0] for r in connection.execute("select name from sqlite_master where type='table'")]
        counts = {}
        for table in tables:
            try:
                counts[table] = connection.execute(f"select count(*) from [{table}]").fetchone()[0]
            except sqlite3.Error:  # e.g. a virtual table whose module is not loaded
                counts[table] = None
    finally:
        connection.close()
    return {
        db_path.stem: {
            "hash": file_hash(db_path),
            "size": db_path.stat().st_size,
            "file": str(db_path),
            "tables": {t: {"count": n} for t, n in counts.items()},
        }
    }


def inspect_file(db_path: Path) -> Path | None:
    """The inspect file of ``db_path``'s release, written now if it is not there yet; None if
    there is nowhere to write it (then Datasette counts the tables itself)."""
    db_path = Path(db_path).resolve()
    folder = db_path.parent / CACHE_SUBDIR
    target = folder / f"inspect-{_release_key(db_path)}.json"
    if target.exists():
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".inspect-", suffix=".json")
        with os.fdopen(fd, "w") as out:
            json.dump(inspect_data(db_path), out, indent=2)
        os.replace(tmp, target)
        for old in folder.glob(f"inspect-{db_path.stem}-*.json"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError:
        return None
    return target
