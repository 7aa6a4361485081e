"""A rebuild after a few extraction files changed: the last build's database, patched.

Each build with the cache on leaves in the cache a *manifest* (what it was built from: each
extraction file's hash, its rows per table, its study's ids, its warnings) and the blocks of its
content hash (ingest/content.py). A later build first tries :func:`rebuild`: when the database
beside the cache is the one the manifest describes, nothing but extraction files changed, and
each changed file gives as many rows of each table as before (an edited value, note or locator:
the ids of every other row stay as they are), the new database is the old one with those rows
replaced. The derived tables are filled again only if what they read changed; the full-text
indexes are made again; the content hash rehashes only the tables that changed, patching the
large ones. The result is the database a full build gives, to the byte (the tests compare).

Anything else (a new, removed or renamed file, a row more or fewer, a changed vocabulary,
sources.yaml or claims.yaml, a file the claims are linked to, a file with problems, a missing
or stale manifest, other code) falls back to the full build, which reports problems as usual.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analysis.derived import INPUT_COLUMNS, NAMES, derive
from . import parse_cache
from .content import Patch, has_blocks, row_statements
from .dataset import Context, load_vocabulary
from .extraction import FileResult, column_names, insert_sql, process
from .files import TOP_LEVEL_FILES, VOCAB_FILES, extraction_paths, read_file
from .rows import LOCAL_IDS, id_shifts

MANIFEST = "last-build.pickle"
BLOCKS_PREFIX = "blocks-"
#: Beyond this share of the files changed, a full build costs about as much.
MAX_CHANGED_SHARE = 0.05


@dataclass
class FileEntry:
    """One extraction file as the last build read it."""

    name: str
    digest: str
    #: Rows per table (rows.FILE_TABLES).
    counts: dict[str, int]
    #: The study's id, DOI and PMID, and the file's own source ids: what FolderCheck compares.
    keys: tuple[Any, ...]
    warnings: list[str]


@dataclass
class Manifest:
    versions: tuple[str, str]
    #: SHA-256 of the folder's other files and names (folder_digest).
    folder: str
    context: str
    #: The database written: content hash, size, modification time.
    database: tuple[str, int, int]
    #: Its path (resolved): a cache folder may serve several databases side by side.
    path: str
    files: list[FileEntry]
    claimed: frozenset[str]
    counts: dict[str, int]
    vocabulary_warnings: list[str]


def file_entry(result: FileResult) -> FileEntry:
    return FileEntry(result.path.name, result.digest or "", {t: len(b) for t, b in result.rows.items()},
                     _keys(result), list(result.warnings))  # fmt: skip


def _keys(result: FileResult) -> tuple[Any, ...]:
    study = result.study
    assert study is not None
    return (study.id, study.doi, study.pmid, tuple(s.id for s in result.sources))


def folder_digest(data_dir: Path) -> str | None:
    """A hash of the data folder's files other than the extractions, and of its file names (a
    file the build skips is named in a warning); None if one cannot be read."""
    digest = hashlib.sha256()
    try:
        for name in (*TOP_LEVEL_FILES, *(f"vocab/{v}" for v in VOCAB_FILES)):
            path = data_dir / name
            digest.update(name.encode() + b"\0")
            if os.path.lexists(path):
                digest.update(hashlib.sha256(read_file(path, data_dir)).digest())
        for folder in (data_dir, data_dir / "vocab", data_dir / "extractions"):
            digest.update(
                b"\0".join(n.encode("utf-8", "surrogateescape") for n in sorted(os.listdir(folder)))
            )
    except Exception:
        return None
    return digest.hexdigest()


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _versions() -> tuple[str, str]:
    from .build import schema_version

    return parse_cache.code_version(), schema_version()


def save(cache_dir: Path, db_path: Path, content: str, blocks: Path, data_dir: Path, context: str,
         files: list[FileEntry], claimed: frozenset[str] | set[str], counts: dict[str, int],
         vocabulary_warnings: list[str]) -> None:  # fmt: skip
    """Keep what the next rebuild needs: the manifest and the blocks (moved to their place)."""
    folder = folder_digest(data_dir)
    if folder is None:
        return
    target = cache_dir / f"{BLOCKS_PREFIX}{content[:20]}"
    try:
        if target != blocks:
            shutil.rmtree(target, ignore_errors=True)
            os.replace(blocks, target)
        for old in cache_dir.glob(BLOCKS_PREFIX + "*"):
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
        manifest = Manifest(_versions(), folder, context, (content, *_stat(db_path)), str(db_path.resolve()),
                            files, frozenset(claimed), dict(counts), list(vocabulary_warnings))  # fmt: skip
    except OSError:
        return  # a cache that cannot be written is only slower
    parse_cache._write_entry(cache_dir, MANIFEST, pickle.dumps(manifest, protocol=pickle.HIGHEST_PROTOCOL))


def _load(cache_dir: Path) -> Manifest | None:
    try:
        manifest = pickle.loads((cache_dir / MANIFEST).read_bytes())
    except Exception:
        return None
    return manifest if isinstance(manifest, Manifest) else None


@dataclass
class Plan:
    """What a rebuild patches: the last build's manifest and blocks, the changed files' new
    results and the ids the files before each start after."""

    manifest: Manifest
    kept: Path
    results: dict[int, FileResult]
    offsets: dict[int, dict[str, int]]
    files: list[FileEntry]

    @property
    def warnings(self) -> list[str]:
        return [*self.manifest.vocabulary_warnings, *(w for f in self.files for w in f.warnings)]


def plan(db_path: Path, data_dir: Path, cache_dir: Path) -> Plan | None:
    """How to build ``data_dir`` by patching ``db_path``, or None where a full build is needed
    (see the module's doc). A plan without results: nothing changed since the last build."""
    manifest = _load(cache_dir)
    if manifest is None or manifest.versions != _versions() or not db_path.is_file():
        return None
    if manifest.path != str(db_path.resolve()):
        return None
    content, size, mtime = manifest.database
    kept = cache_dir / f"{BLOCKS_PREFIX}{content[:20]}"
    if (size, mtime) != _stat(db_path) or folder_digest(data_dir) != manifest.folder:
        return None
    paths = extraction_paths(data_dir)
    if [p.name for p in paths] != [f.name for f in manifest.files]:
        return None
    digests = [parse_cache._digest(p, data_dir) for p in paths]
    changed = [i for i, (d, f) in enumerate(zip(digests, manifest.files)) if d != f.digest]
    if len(changed) > max(1, int(MAX_CHANGED_SHARE * len(paths))):
        return None
    if not changed:
        return Plan(manifest, kept, {}, {}, list(manifest.files))
    vocabulary, problems = load_vocabulary(data_dir)
    context = Context.of(vocabulary)
    if problems or context.digest() != manifest.context:
        return None
    results: dict[int, FileResult] = {}
    entries: dict[int, FileEntry] = {}
    for i in changed:
        result = process(paths[i], data_dir, context)
        result.digest = digests[i]
        entry = manifest.files[i]
        if result.problems or result.study is None or result.study.id in manifest.claimed:
            return None
        new = file_entry(result)
        if (new.counts, new.keys) != (entry.counts, entry.keys):
            return None
        results[i], entries[i] = result, new
    try:
        connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            tables = [
                name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    if not has_blocks(kept, [t for t in tables if not t.startswith("sqlite_") and t != "build_info"]):
        return None
    offsets: dict[int, dict[str, int]] = {}
    running: dict[str, int] = {}
    for i, entry in enumerate(manifest.files):
        if i in results:
            offsets[i] = dict(running)
        for table in LOCAL_IDS:
            running[table] = running.get(table, 0) + entry.counts.get(table, 0)
    files = [entries.get(i, entry) for i, entry in enumerate(manifest.files)]
    return Plan(manifest, kept, results, offsets, files)


def patch(connection: sqlite3.Connection, plan: Plan) -> dict[str, Patch | None]:
    """Replace the changed files' rows on ``connection`` (in autocommit mode) and derive again
    if what the derived tables read changed; return what changed, for content_hash: a table's
    Patch (rows replaced by id), or None (read the table again)."""
    studies = sorted(r.study.id for r in plan.results.values())  # type: ignore[union-attr]
    marks = ", ".join("?" for _ in studies)
    derived_input = (
        f"SELECT {', '.join(INPUT_COLUMNS)}, preferred FROM meta_extract"
        f" WHERE study_id IN ({marks}) ORDER BY measurement_id"
    )
    before = connection.execute(derived_input, studies).fetchall()
    changes: dict[str, Patch | None] = {"study": None, "source": None}
    connection.execute("BEGIN")
    try:
        # Rows are taken out and put back under the same ids: their references hold at COMMIT.
        connection.execute("PRAGMA defer_foreign_keys = ON")
        for i, result in plan.results.items():
            for table, batch in result.rows.items():
                if batch and table in LOCAL_IDS:
                    _replace(connection, table, batch, plan.offsets[i], changes)
                elif batch:  # study, source: in place by id, each keeping its rowid
                    columns = column_names(table)
                    sets = ", ".join(f'"{c}" = ?' for c in columns[1:])
                    connection.executemany(
                        f'UPDATE "{table}" SET {sets} WHERE id = ?', [(*r[1:], r[0]) for r in batch]
                    )
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    if connection.execute(derived_input, studies).fetchall() != before:
        derive(connection)
        changes.update(dict.fromkeys(NAMES))
    return changes


def _replace(
    connection: sqlite3.Connection,
    table: str,
    batch: list[tuple[Any, ...]],
    offsets: dict[str, int],
    changes: dict[str, Patch | None],
) -> None:
    """One file's rows of a numbered table, taken out and put in again under the same ids."""
    shifts = id_shifts(table, offsets)
    low, high = shifts["id"] + 1, shifts["id"] + len(batch)
    where = "WHERE id BETWEEN ? AND ?"
    change = changes.setdefault(table, Patch())
    assert change is not None
    change.removed.update(row_statements(connection, table, where, low, high))
    connection.execute(f'DELETE FROM "{table}" {where}', (low, high))
    connection.executemany(insert_sql(table, shifts), batch)
    change.added.extend(row_statements(connection, table, where, low, high))
