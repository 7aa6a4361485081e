"""The one build: data folder -> a fresh, migrated, indexed evidence.db.

The new database is written to a temporary file beside the target and moved over it only when
every step succeeded, so a failed or killed build leaves the previous evidence.db as it was.

That file is written once and thrown away on any error, so it is written like a bulk loader
writes (bench/ingest.py measures each choice): one transaction; the secondary indexes dropped
before the rows go in and created again from their own SQL after; foreign keys checked once, by
``PRAGMA foreign_key_check``, instead of row by row; no fsync, the rollback journal in memory
(none for VACUUM), a larger page cache; the CHECK constraints checked once over every row
(check_violations) instead of row by row (bulk_load says why). The content is the same as
row-by-row inserts give, and so is the content hash.

The extraction files are processed in parallel, each on its own (ingest/extraction.py: parsed,
validated, checked, turned into rows), and their rows go in as they come, in the studies' order,
while the next files are parsed: the build never holds more than a few files' rows, whatever
the size of the folder. Each file's result is cached under its content hash
(ingest/parse_cache.py), in ``.cache/emg-evidence/`` beside the database, with the freshly
migrated empty schema: a rebuild after editing one file processes that file only.

Nothing is moved over the old database until every file, the claims and the insert succeeded:
a file with problems stops the insert (the other files are still checked, so that every problem
is reported at once) and the half-written file is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import operator
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event

from .. import schema
from ..analysis.derived import derive
from ..paths import DATA_DIR, DB_PATH, MIGRATIONS_DIR
from . import parse_cache, rebuild
from . import progress as bars
from .claims import CLAIM_TABLES, ClaimsFileIn, claim_rows, claimed_studies, load_claims
from .content import Patch, content_hash
from .dataset import Context, Dataset, FolderCheck, load_dataset, load_vocabulary
from .extraction import column_names, insert_sql
from .files import extraction_paths
from .rows import Rows, advance, id_shifts, shift_ids, to_rows, vocabulary_rows
from .yaml_reader import DataError

#: Full-text indexes: table -> columns (sqlite-utils' enable_fts; Datasette finds them itself).
FTS_COLUMNS = {
    "study": ["title", "authors", "journal", "cited_as", "design"],
    # The claim's id names its topic too (caterisano2002_depth): searching 'depth' finds it.
    "claim": ["id", "assertion", "section", "article_terms", "verdict_reason"],
    "condition": ["label", "depth", "stance", "cue", "load", "notes"],
    "finding": ["summary"],
}


#: The build's cache, beside the database: parsed files, the migrated empty schema, and what the
#: last build was made from (ingest/rebuild.py).
CACHE_SUBDIR = Path(".cache") / "emg-evidence"
#: Where a build writes its content hash's blocks before they move to their place.
NEW_BLOCKS = ".blocks-new"
#: build_info's rows: the content hash, and the release named by its first 12 characters.
BUILD_INFO_KEYS = ("content_hash", "release")

#: Pragmas for a file written once by one process and thrown away on any error. The journal is
#: kept (in memory) while rows go in, so derive()'s ROLLBACK stays defined; VACUUM runs without.
#: Temporary b-trees (index sorts, derive()'s) stay in files: in memory they grew with the base
#: (690 MB at 1M measurements, against 245 MB in files, and no slower at 100k).
BULK_PRAGMAS = (
    "PRAGMA synchronous = OFF",
    "PRAGMA journal_mode = MEMORY",
    "PRAGMA cache_size = -32768",  # KiB: 32 MiB; more was no faster at 100k or 1M measurements
)

#: Rows per executemany: the progress bar moves this often; the batch size costs nothing.
INSERT_BATCH = 25_000


def cache_dir_for(db_path: Path) -> Path:
    """Where a build of ``db_path`` keeps its cache."""
    return Path(db_path).resolve().parent / CACHE_SUBDIR


@dataclass
class BuildResult:
    path: Path
    content_hash: str
    counts: dict[str, int]
    #: `<file>: <field>: <message>` of what the data has that is possible but suspicious.
    warnings: list[str] = field(default_factory=list)


def alembic_config(connection: Any = None) -> Config:
    """Alembic's config for this project, optionally bound to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema revision."""
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    engine.dispose()


def ingest_engine(url: str):
    """An engine that enforces foreign keys on SQLite (off during migrations, per batch.rst)."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

    return engine


def enable_fts(target: Path | sqlite3.Connection) -> None:
    """Full-text indexes (FTS_COLUMNS) on the database at ``target``, a path or an open connection."""
    db = sqlite_utils.Database(target)
    for table, columns in FTS_COLUMNS.items():
        # Porter stemming, so that 'squats' finds 'squat' and 'activated' finds 'activation'.
        db.table(table).enable_fts(columns, fts_version="FTS5", replace=True, tokenize="porter")
    if not isinstance(target, sqlite3.Connection):
        db.close()


def finish(target: Path | sqlite3.Connection) -> dict[str, int]:
    """Add what the build computes from the inserted rows: derived tables, full-text indexes.

    :param target: the database's path, or an open connection in autocommit mode
        (``isolation_level=None``)
    :return: the derived tables' row counts
    """
    if isinstance(target, sqlite3.Connection):
        counts = derive(target)
        enable_fts(target)
        return counts
    connection = sqlite3.connect(target, isolation_level=None)
    try:
        counts = derive(connection)
    finally:
        connection.close()
    enable_fts(target)
    return counts


def build(
    db_path: Path = DB_PATH,
    data_dir: Path = DATA_DIR,
    progress: Callable[[str], None] = lambda message: None,
    strict: bool = False,
    cache: bool = True,
    show_bars: bool | None = False,
    workers: int | None = None,
) -> BuildResult:
    """Build ``db_path`` from ``data_dir``; on any error the old file is left untouched.

    :param db_path: the database to (re)place
    :param data_dir: the folder with vocab/, sources.yaml and extractions/
    :param progress: called with a line of text after each step
    :param strict: refuse warnings as errors (CI): nothing is written if there is any
    :param cache: keep and use the cache beside the database (processed files, migrated schema);
        the result is the same either way
    :param show_bars: a progress bar on stderr for a long build (files parsed, rows inserted);
        None: when stderr is a terminal
    :param workers: processes that parse files; None: one per core (a few files: none)
    """
    cache_dir = cache_dir_for(db_path) if cache else None
    planned = rebuild.plan(Path(db_path), data_dir, cache_dir) if cache_dir is not None else None
    if planned is not None and cache_dir is not None:
        if strict and planned.warnings:
            raise DataError(planned.warnings)
        result = _patch(Path(db_path), data_dir, planned, progress, cache_dir)
    else:
        paths = extraction_paths(data_dir)
        show = bars.enabled(show_bars) and len(paths) >= bars.LONG_BUILD_FILES
        loaded = _Loaded()
        try:
            with bars.bar("parsing files  ", show) as on_files, parse_cache.options(cache_dir, workers):
                result = _write(
                    Path(db_path),
                    lambda load: _load_folder(load, data_dir, paths, on_files, progress, loaded, strict),
                    progress,
                    cache_dir,
                )
        except DataError as e:
            raise DataError(e.problems + e.warnings) if strict else e from None
        if cache_dir is not None and loaded.context is not None:
            rebuild.save(cache_dir, result.path, result.content_hash, cache_dir / NEW_BLOCKS, data_dir,
                         loaded.context, loaded.files, loaded.claimed, result.counts,
                         loaded.vocabulary_warnings)  # fmt: skip
    if strict and result.warnings:
        raise DataError(result.warnings)
    return result


@dataclass
class _Loaded:
    """What a full build leaves for the next rebuild's manifest (ingest/rebuild.py)."""

    context: str | None = None
    files: list[rebuild.FileEntry] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)
    vocabulary_warnings: list[str] = field(default_factory=list)


def _patch(
    db_path: Path, data_dir: Path, plan: rebuild.Plan, progress: Callable[[str], None], cache_dir: Path
) -> BuildResult:
    """The rebuild: ``db_path`` copied, the changed files' rows replaced (rebuild.patch), the
    full-text indexes made again, then hashed and sealed as a full build is."""
    content = plan.manifest.database[0]
    if not plan.results:
        progress("nothing changed since the last build")
        return BuildResult(db_path, content, dict(plan.manifest.counts), plan.warnings)
    with _scratch(db_path) as tmp:
        shutil.copyfile(db_path, tmp)
        connection = _connect(tmp)
        try:
            # Made again after the rows (and any derived table), as a full build makes them:
            # the schema then lists its tables in the same order, and VACUUM writes the same file.
            fts = sqlite_utils.Database(connection)
            for table in FTS_COLUMNS:
                fts.table(table).disable_fts()
            changes = rebuild.patch(connection, plan)
            progress(f"replaced the rows of {len(plan.results)} changed file(s)")
            enable_fts(connection)
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                if any(name.startswith(f"{t}_fts") for t in FTS_COLUMNS):
                    changes[name] = None
        finally:
            connection.close()
        digest = _seal(tmp, db_path, cache_dir / NEW_BLOCKS, plan.kept, changes)
    rebuild.save(cache_dir, db_path, digest, cache_dir / NEW_BLOCKS, data_dir, plan.manifest.context,
                 plan.files, plan.manifest.claimed, plan.manifest.counts,
                 plan.manifest.vocabulary_warnings)  # fmt: skip
    return BuildResult(db_path, digest, dict(plan.manifest.counts), plan.warnings)


def _load_folder(
    load: Loader,
    data_dir: Path,
    paths: list[Path],
    on_files: bars.Update,
    progress: Callable[[str], None],
    loaded: _Loaded,
    strict: bool = False,
) -> list[str]:
    """Check ``data_dir`` and insert its rows with ``load``: the vocabularies, each extraction
    file as it comes (parse_cache.results), then the claims. Raise DataError listing every
    problem, after every file was checked (``strict``: every warning too); return the warnings.

    Only what the claims need is kept: every study's and source's row, and the rows of the
    studies the claims name.
    """
    vocabulary, problems = load_vocabulary(data_dir)
    claims_path = data_dir / "claims.yaml"
    claims: ClaimsFileIn | None = None
    claims_problems: list[str] = []
    try:
        claims = load_claims(claims_path, data_dir)
    except DataError as e:
        claims_problems = e.problems
    named = claimed_studies(claims) if claims is not None else set()
    kept = vocabulary_rows(vocabulary)
    if not problems:
        load.insert_rows(kept)
    warnings = list(vocabulary.warnings)
    folder = FolderCheck(vocabulary.shared_sources)
    offsets: dict[str, int] = {}
    files = 0
    context = Context.of(vocabulary)
    for result in parse_cache.results(paths, data_dir, context):
        problems += result.problems
        warnings += result.warnings
        if result.study is not None:
            problems += folder.add(result.path, result.study, result.sources)
        files += 1
        if problems:  # the build fails: nothing more is inserted, every file is still checked
            on_files(files, len(paths))
            continue
        assert result.study is not None  # a file without problems validated
        load.insert_file(result.rows, offsets)
        loaded.files.append(rebuild.file_entry(result))
        on_files(files, len(paths), f"{load.done:,} rows inserted")
        claimed = result.study.id in named
        part = {t: [dict(zip(column_names(t), r)) for r in batch] for t, batch in result.rows.items()
                if t in ("study", "source") or claimed}  # fmt: skip
        if claimed:
            shift_ids(part, offsets)
        else:
            advance(offsets, result.rows)
        for table, batch in part.items():
            kept[table].extend(batch)
    if problems:
        raise DataError(problems, warnings)
    if claims is None:
        raise DataError(claims_problems, warnings)
    try:
        claim_rows(claims_path, claims, kept)
    except DataError as e:
        raise DataError(e.problems, warnings + e.warnings) from None
    if strict and warnings:  # before the commit: nothing is written
        raise DataError(warnings)
    load.insert_rows({t: kept[t] for t in CLAIM_TABLES})
    progress(f"validated {files} extraction files and {len(kept['claim'])} claims")
    if all(f.digest for f in loaded.files):  # each file was hashed: the cache is on
        loaded.context, loaded.claimed = context.digest(), named
        loaded.vocabulary_warnings = list(vocabulary.warnings)
    return warnings


def validated_rows(data_dir: Path = DATA_DIR) -> tuple[Dataset, Rows]:
    """Validate ``data_dir`` and turn it into every table's rows; raise DataError on problems.

    The dataset's ``warnings`` (and a DataError's) list what is suspicious but possible. The
    PostgreSQL load (ingest/postgres.py) starts here; `evidence build` runs the same checks and
    makes the same rows one file at a time (_load_folder).
    """
    dataset = load_dataset(data_dir)
    rows = to_rows(dataset)
    claims_path = data_dir / "claims.yaml"
    try:
        claim_rows(claims_path, load_claims(claims_path, data_dir), rows)
    except DataError as e:
        raise DataError(e.problems, dataset.warnings + e.warnings) from None
    return dataset, rows


def write_database(
    rows: Rows,
    db_path: Path = DB_PATH,
    progress: Callable[[str], None] = lambda message: None,
    defer_foreign_keys: bool = False,
    cache_dir: Path | None = None,
    show_bars: bool = False,
) -> BuildResult:
    """Write ``rows`` to a fresh, migrated, indexed SQLite file and move it over ``db_path``.

    :param defer_foreign_keys: kept for callers (ingest/postgres.py's publish): foreign keys are
        always checked once, after every row is in, so the order of the rows does not matter
    :param cache_dir: where a migrated empty database is kept, to copy instead of migrating
    :param show_bars: a progress bar of the rows inserted
    """

    def fill(load: Loader) -> list[str]:
        total = sum(len(b) for b in rows.values())
        with bars.bar("inserting rows ", show_bars) as on_rows:
            load.insert_rows(rows, lambda done: on_rows(done, total))
        return []

    return _write(Path(db_path), fill, progress, cache_dir)


def _write(
    db_path: Path,
    fill: Callable[[Loader], list[str]],
    progress: Callable[[str], None],
    cache_dir: Path | None,
) -> BuildResult:
    """A fresh, migrated database beside ``db_path``, filled by ``fill`` (which returns the
    warnings), finished (derived tables, full-text indexes, content hash, VACUUM) and moved over
    ``db_path``; on any error it is removed and ``db_path`` left as it was."""
    with _scratch(db_path) as tmp:
        fresh_schema(tmp, cache_dir)
        progress("migrated a fresh database to head")
        connection = _connect(tmp)
        try:
            with bulk_load(connection) as load:
                warnings = fill(load)
            counts = load.counts
            progress("inserted " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
            derived_counts = finish(connection)
        finally:
            connection.close()
        counts.update(derived_counts)
        progress("derived " + ", ".join(f"{n} {t}" for t, n in derived_counts.items()))
        digest = _seal(tmp, db_path, cache_dir / NEW_BLOCKS if cache_dir is not None else None)
        counts["build_info"] = len(BUILD_INFO_KEYS)
    return BuildResult(db_path, digest, counts, warnings)


@contextlib.contextmanager
def _scratch(db_path: Path) -> Iterator[Path]:
    """The file a build writes beside ``db_path``; removed unless it was moved over it."""
    tmp = db_path.parent / f".evidence-{os.getpid()}.db"
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to a file being built, in autocommit mode, with BULK_PRAGMAS."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in BULK_PRAGMAS:
        connection.execute(pragma)
    return connection


def _seal(
    tmp: Path,
    db_path: Path,
    blocks: Path | None,
    kept: Path | None = None,
    changed: dict[str, Patch | None] | None = None,
) -> str:
    """Hash ``tmp`` (its blocks kept in ``blocks``; see content.content_hash for ``kept`` and
    ``changed``), record the hash in build_info, VACUUM, and move it over ``db_path``."""
    try:
        digest = content_hash(tmp, blocks, kept, changed)
    except (OSError, ValueError):  # a kept block gone or damaged since: hash every table
        if kept is None:
            raise
        digest = content_hash(tmp, blocks)
    info = list(zip(BUILD_INFO_KEYS, (digest, digest[:12])))
    connection = _connect(tmp)
    try:
        connection.execute("BEGIN")
        connection.execute("DELETE FROM build_info")  # a rebuild's copy holds the last build's
        connection.executemany("INSERT INTO build_info (key, value) VALUES (?, ?)", info)
        connection.execute("COMMIT")
        # VACUUM rewrites the whole file: with a journal it would first copy every page.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("VACUUM")
    finally:
        connection.close()
    os.replace(tmp, db_path)
    return digest


def schema_version() -> str:
    """A hash of what a freshly migrated database depends on: the migrations, the models they may
    import, and the SQLAlchemy, Alembic and SQLite versions."""
    import alembic
    import sqlalchemy

    digest = hashlib.sha256()
    for folder in (MIGRATIONS_DIR, Path(schema.__file__).resolve().parent):
        for source in sorted(folder.rglob("*.py")):
            digest.update(str(source.relative_to(folder)).encode())
            digest.update(source.read_bytes())
    for version in (sqlalchemy.__version__, alembic.__version__, sqlite3.sqlite_version):
        digest.update(version.encode())
    return digest.hexdigest()


def fresh_schema(path: Path, cache_dir: Path | None = None) -> None:
    """A freshly migrated, empty database at ``path``: migrated by Alembic, or copied from the
    one migrated last time with the same migrations (a byte copy: the same file)."""
    if cache_dir is None:
        migrate(f"sqlite:///{path}")
        return
    template = cache_dir / f"schema-{schema_version()[:20]}.db"
    if not template.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=cache_dir, prefix=".schema-", suffix=".db")
        os.close(fd)
        scratch = Path(name)
        try:
            scratch.unlink()
            migrate(f"sqlite:///{scratch}")
            for old in cache_dir.glob("schema-*.db"):
                if old.name != template.name:  # another version's; another build may use ours
                    old.unlink(missing_ok=True)
            os.replace(scratch, template)
        finally:
            scratch.unlink(missing_ok=True)
    shutil.copyfile(template, path)


def deferrable_indexes(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, SQL) of every index that may be built after the rows are in: those created with
    CREATE INDEX (not UNIQUE, not a constraint's own), partial ones included."""
    found = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
    ).fetchall()
    return [(name, sql) for name, sql in found if sql.lstrip().upper().startswith("CREATE INDEX")]


class Loader:
    """Inserts rows into a database inside bulk_load's transaction, counting them per table."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.counts: dict[str, int] = {t.name: 0 for t in schema.Base.metadata.sorted_tables}
        self.done = 0

    def insert_rows(self, rows: Rows, on_rows: Callable[[int], None] | None = None) -> None:
        """Every table's rows, as dicts keyed by column name, with their final ids."""
        for table in schema.Base.metadata.sorted_tables:
            batch = rows.get(table.name) or []
            columns = column_names(table.name)
            for start in range(0, len(batch), INSERT_BATCH):
                part = batch[start : start + INSERT_BATCH]
                self._insert(table.name, _tuples(table.name, list(columns), part, start), len(part))
                if on_rows is not None:
                    on_rows(self.done)

    def insert_file(self, rows: dict[str, list[tuple[Any, ...]]], offsets: dict[str, int]) -> None:
        """One file's rows (extraction.FileResult.rows): tuples in column order whose local ids
        (rows.LOCAL_IDS) are shifted by ``offsets``, the ids the files before it used."""
        for table, batch in rows.items():
            if batch:
                self._insert(table, batch, len(batch), id_shifts(table, offsets))

    def _insert(
        self, table: str, tuples: Iterable[tuple[Any, ...]], n: int, shifts: dict[str, int] | None = None
    ) -> None:
        # One statement per file and table: the rows go to executemany as they came.
        self.connection.executemany(insert_sql(table, shifts), tuples)
        self.counts[table] += n
        self.done += n


@contextlib.contextmanager
def bulk_load(
    connection: sqlite3.Connection, defer_indexes: bool = True, defer_checks: bool = True
) -> Iterator[Loader]:
    """One transaction into a freshly migrated database, for a Loader to insert rows in.

    Foreign keys and CHECK constraints are checked once at the end, over every row
    (``PRAGMA foreign_key_check``, check_violations); NOT NULL and UNIQUE row by row as usual.
    Checked row by row, the CHECKs cost more than the rest of the insert: SQLite builds the
    lookup table of each ``IN (...)`` vocabulary again for every row, once per statement run,
    where one pass builds it once. The secondary indexes are dropped first and created again,
    from the same SQL, after the rows (one sort each instead of a b-tree insert per row). Any
    failure, in the block or at the end, leaves nothing committed.

    :param connection: in autocommit mode (``isolation_level=None``)
    :param defer_indexes, defer_checks: False to keep the indexes up and check the CHECK
        constraints row by row instead (bench/ingest.py measures each choice)
    """
    connection.execute("PRAGMA foreign_keys = OFF")
    if defer_checks:
        connection.execute("PRAGMA ignore_check_constraints = ON")
    connection.execute("BEGIN")
    try:
        indexes = deferrable_indexes(connection) if defer_indexes else []
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        yield Loader(connection)
        for _, sql in indexes:
            connection.execute(sql)
        violations = connection.execute("PRAGMA foreign_key_check").fetchmany(5)
        if violations:
            shown = "; ".join(f"{t} rowid {r} -> {p}" for t, r, p, _ in violations)
            raise sqlite3.IntegrityError(f"FOREIGN KEY constraint failed: {shown}")
        connection.execute("PRAGMA ignore_check_constraints = OFF")
        broken = check_violations(connection)
        if broken:
            raise sqlite3.IntegrityError("; ".join(broken))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.execute("PRAGMA ignore_check_constraints = OFF")
        connection.execute("PRAGMA foreign_keys = ON")


def check_expressions(create_table: str) -> list[str]:
    """The expression of every CHECK constraint of a CREATE TABLE statement, as written.

    Scanned, not parsed: outside quoted strings and names, each CHECK keyword is followed by its
    expression in balanced parentheses.
    """
    sql, out, i = create_table, [], 0
    quotes = {"'": "'", '"': '"', "`": "`", "[": "]"}

    def after_quoted(at: int) -> int:
        close, j = quotes[sql[at]], at + 1
        while j < len(sql):
            if sql[j] == close:
                if close != "]" and sql[j + 1 : j + 2] == close:  # '' inside '...'
                    j += 2
                    continue
                return j + 1
            j += 1
        raise ValueError(f"unclosed {sql[at]} in: {sql[:60]}")

    def word_at(at: int, word: str) -> bool:
        end = at + len(word)
        inside = lambda k: 0 <= k < len(sql) and (sql[k].isalnum() or sql[k] == "_")  # noqa: E731
        return sql[at:end].upper() == word and not inside(at - 1) and not inside(end)

    while i < len(sql):
        if sql[i] in quotes:
            i = after_quoted(i)
        elif word_at(i, "CHECK"):
            j = i + len("CHECK")
            while sql[j].isspace():
                j += 1
            depth, k = 0, j
            while True:
                if sql[k] in quotes:
                    k = after_quoted(k)
                    continue
                depth += {"(": 1, ")": -1}.get(sql[k], 0)
                k += 1
                if depth == 0:
                    break
            out.append(sql[j + 1 : k - 1])
            i = k
        else:
            i += 1
    return out


def check_violations(connection: sqlite3.Connection, limit: int = 5) -> list[str]:
    """Rows that break a CHECK constraint of their table (the database's own), as
    ``CHECK constraint failed in <table>: rowid <n>``.

    One query per table, its constraints in one WHERE: SQLite builds each ``IN (...)`` list's
    lookup once for the scan, where a row-by-row check (and ``PRAGMA quick_check``) builds it
    again for every row. A constraint fails where its expression is false (NULL passes).
    """
    found: list[str] = []
    tables = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%CHECK%'"
        " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT LIKE 'sqlite%' ORDER BY name"
    ).fetchall()
    for name, sql in tables:
        expressions = check_expressions(sql)
        if not expressions:
            continue
        where = " OR ".join(f"NOT ({e})" for e in expressions)
        ident = name.replace('"', '""')
        for (rowid,) in connection.execute(f'SELECT rowid FROM "{ident}" WHERE {where} LIMIT {limit}'):
            found.append(f"CHECK constraint failed in {name}: rowid {rowid}")
    return found[:limit]


def bulk_insert(
    connection: sqlite3.Connection,
    rows: Rows,
    on_rows: Callable[[int, int], None] | None = None,
    defer_indexes: bool = True,
    defer_checks: bool = True,
) -> dict[str, int]:
    """Insert every table's rows into a freshly migrated database in one transaction (bulk_load).

    :param connection: in autocommit mode (``isolation_level=None``)
    :param on_rows: called with (rows inserted, rows in all) after each batch
    :return: the row count of each table
    """
    total = sum(len(rows.get(t.name) or []) for t in schema.Base.metadata.sorted_tables)
    with bulk_load(connection, defer_indexes, defer_checks) as load:
        load.insert_rows(rows, None if on_rows is None else lambda done: on_rows(done, total))
    return load.counts


def _tuples(
    table: str, columns: list[str], batch: list[dict[str, Any]], offset: int
) -> Iterable[tuple[Any, ...]]:
    """The rows as tuples in column order; a column a row leaves out is NULL."""
    names = set(columns)
    if len(columns) > 1 and all(r.keys() == names for r in batch):
        # The common case (to_rows gives every column): itemgetter makes the tuples in C.
        return map(operator.itemgetter(*columns), batch)
    for i, r in enumerate(batch):
        if not r.keys() <= names:
            raise KeyError(f"{table}[{offset + i}]: no column(s) {sorted(r.keys() - names)}")
    return (tuple(r.get(c) for c in columns) for r in batch)
