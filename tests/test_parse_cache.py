"""The parse cache, parallel parsing, the bulk insert and the progress bars of `evidence build`.

None of them may change what is built: a build with the cache, a rebuild after an edit, and a
clean build without the cache give the same content hash; a file is never read back from the
cache once its bytes changed.
"""

import io
import pickle
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emg_evidence.ingest import parse_cache
from emg_evidence.ingest import progress as bars
from emg_evidence.ingest.build import (
    build,
    bulk_insert,
    cache_dir_for,
    check_expressions,
    check_violations,
    deferrable_indexes,
    fresh_schema,
)
from emg_evidence.ingest.dataset import Context, load_vocabulary
from emg_evidence.ingest.extraction import FileResult, column_names
from emg_evidence.ingest.files import extraction_paths
from emg_evidence.ingest.yaml_reader import DataError
from emg_evidence.paths import ROOT


@pytest.fixture
def data(synthetic_copy) -> Path:
    """A copy of the synthetic base that a test may change."""
    return synthetic_copy


@pytest.fixture
def empty_db(tmp_path) -> Iterator[sqlite3.Connection]:
    """A freshly migrated, empty database, in autocommit mode."""
    path = tmp_path / "x.db"
    fresh_schema(path, tmp_path / "cache")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def change_value(path: Path) -> str:
    """Change the first measurement value of ``path``; return the new value as written."""
    text = path.read_text()
    match = re.search(r"(?m)^  value: (\d+\.\d)$", text)
    assert match, path
    new = f"{float(match[1]) + 0.1:.1f}"
    path.write_text(text[: match.start(1)] + new + text[match.end(1) :])
    return new


def test_generated_folder_builds_with_the_cli(synthetic, tmp_path):
    # bench/generate.py writes claims.yaml too: the folder builds as it is.
    assert (synthetic.path / "claims.yaml").exists()
    result = subprocess.run(
        [sys.executable, "-m", "emg_evidence.cli", "build", "--db", str(tmp_path / "s.db"), "--data", str(synthetic.path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    connection = sqlite3.connect(tmp_path / "s.db")
    try:
        assert connection.execute("select count(*) from measurement").fetchone()[0] == synthetic.measurements
        assert connection.execute("select count(*) from claim").fetchone()[0] == 2
        assert connection.execute("select count(*) from claim_evidence").fetchone()[0] >= 1
    finally:
        connection.close()


def test_rebuild_after_one_change_has_the_clean_builds_hash(data, tmp_path):
    target = tmp_path / "cached" / "evidence.db"
    target.parent.mkdir()
    first = build(target, data)
    assert list((cache_dir_for(target)).glob(f"{parse_cache.VERSION_PREFIX}*/*.pickle"))
    assert build(target, data).content_hash == first.content_hash  # nothing changed, all cached
    change_value(data / "extractions" / "syn00007.extraction.yaml")
    rebuilt = build(target, data)
    clean = build(tmp_path / "clean.db", data, cache=False)
    assert rebuilt.content_hash == clean.content_hash != first.content_hash
    assert not (tmp_path / ".cache").exists()  # cache=False wrote none


def file_results(data: Path, cache: Path | None = None, workers: int | None = None) -> list[FileResult]:
    """What `evidence build` gets for each extraction file of ``data``."""
    vocabulary, problems = load_vocabulary(data)
    assert not problems
    with parse_cache.options(cache, workers):
        return list(parse_cache.results(extraction_paths(data), data, Context.of(vocabulary)))


def values_of(result: FileResult) -> list[float]:
    where = column_names("measurement").index("value")
    return [row[where] for row in result.rows["measurement"]]


def test_cache_never_serves_a_changed_file(data, tmp_path):
    path = data / "extractions" / "syn00003.extraction.yaml"
    cache = tmp_path / "cache"
    (before,) = [r for r in file_results(data, cache) if r.path == path]
    new = change_value(path)
    (after,) = [r for r in file_results(data, cache) if r.path == path]
    assert float(new) in values_of(after)
    assert values_of(after) != values_of(before)
    # Now a broken file whose old content is cached: its problem is found, not hidden.
    path.write_text(path.read_text().replace("metric: emg_amplitude", "metric: emg_amplitud", 1))
    (broken,) = [r for r in file_results(data, cache) if r.path == path]
    assert not broken.rows
    assert any("syn00003.extraction.yaml: measurements[" in p and ".metric" in p for p in broken.problems)
    with pytest.raises(DataError) as e:
        build(tmp_path / "x.db", data, cache=True)
    assert any("syn00003.extraction.yaml: measurements[" in p and ".metric" in p for p in e.value.problems)


def test_a_damaged_cache_entry_is_parsed_again(data, synthetic, tmp_path):
    cache = tmp_path / "cache"
    expected = file_results(data, cache)
    entries = sorted(parse_cache.entry_dir(cache).glob("*.pickle"))
    assert len(entries) == synthetic.studies
    entries[0].write_bytes(b"not a pickle")
    entries[1].write_bytes(pickle.dumps({"a": "dict, not a result"}))
    assert file_results(data, cache) == expected
    # And both were stored again, whole.
    assert all(isinstance(pickle.loads(e.read_bytes()), FileResult) for e in entries[:2])


def test_the_cache_is_keyed_by_the_folders_context(data, synthetic, tmp_path):
    # A file's rows depend on the shared sources' kinds: a change there is no cache hit.
    cache = tmp_path / "cache"
    file_results(data, cache)
    sources = data / "sources.yaml"
    sources.write_text(sources.read_text() + "\n# a comment changes nothing read\n")
    file_results(data, cache)
    assert len(list(parse_cache.entry_dir(cache).glob("*.pickle"))) == synthetic.studies
    text = sources.read_text()
    assert "kind: review" in text
    sources.write_text(text.replace("kind: review", "kind: article", 1))
    file_results(data, cache)
    assert len(list(parse_cache.entry_dir(cache).glob("*.pickle"))) == 2 * synthetic.studies


def test_parallel_and_serial_parsing_agree(data):
    broken = data / "extractions" / "syn00002.extraction.yaml"
    broken.write_text(broken.read_text().replace("locator: Table", "locator:\n  - Table", 1))
    (data / "extractions" / "syn00005.extraction.yaml").write_text("study: [unclosed\n")
    paths = extraction_paths(data)
    assert parse_cache.worker_count(len(paths), 2) == 2
    serial = file_results(data, workers=1)
    parallel = file_results(data, workers=2)
    assert serial == parallel
    assert [r.path for r in parallel] == paths
    assert [r.path for r in parallel if r.problems] == [
        broken,
        data / "extractions" / "syn00005.extraction.yaml",
    ]
    assert all(r.rows["measurement"] for r in parallel if not r.problems)
    assert parallel[paths.index(broken)].problems[0].startswith(str(broken))


def test_few_files_are_parsed_in_this_process():
    assert parse_cache.worker_count(3, 8) == 1
    assert parse_cache.worker_count(parse_cache.MIN_PARALLEL_FILES - 1) == 1


def test_code_version_names_the_cache_folder_and_old_versions_go(tmp_path):
    old = tmp_path / f"{parse_cache.VERSION_PREFIX}old"
    old.mkdir()
    (old / "x.pickle").write_bytes(b"")
    parse_cache.prune(tmp_path, set())
    assert not old.exists()
    assert (
        parse_cache.entry_dir(tmp_path).name == parse_cache.VERSION_PREFIX + parse_cache.code_version()[:20]
    )


def test_bulk_insert_checks_foreign_keys_and_rebuilds_indexes(empty_db):
    indexes = deferrable_indexes(empty_db)
    assert indexes and all("UNIQUE" not in sql.upper().split("ON")[0] for _, sql in indexes)
    rows = {"muscle": [{"id": "m", "name": "M", "region": None, "muscle_group": "g"}],
            "muscle_synonym": [{"id": 1, "term": "t", "muscle_id": "nowhere", "kind": "lay", "note": None}]}  # fmt: skip
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        bulk_insert(empty_db, rows)
    # Nothing of the failed insert stays, and every index is back.
    assert empty_db.execute("select count(*) from muscle").fetchone()[0] == 0
    assert deferrable_indexes(empty_db) == indexes


def test_bulk_insert_checks_every_check_constraint_once_at_the_end(empty_db):
    # CHECK constraints are not checked row by row during the bulk insert, but once over every
    # row before the commit: a row that breaks one is refused all the same, and nothing stays.
    rows = {"muscle": [{"id": "m", "name": "M", "region": None, "muscle_group": "g"}],
            "exercise": [{"id": "e", "name": "E", "pattern": "no such pattern"}]}  # fmt: skip
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed in exercise"):
        bulk_insert(empty_db, rows)
    assert empty_db.execute("select count(*) from muscle").fetchone()[0] == 0
    # And the empty_db checks row by row again afterwards.
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        empty_db.execute("insert into exercise (id, name, pattern) values ('e', 'E', 'no such pattern')")


def test_check_expressions_are_read_whole_from_the_schema(empty_db):
    tricky = """CREATE TABLE t (a TEXT CHECK (a IN ('x)', 'it''s (')), "check" INT, [CHECK] INT,
        b INT CONSTRAINT c CHECK(b > 0 AND (b < 9)))"""
    assert check_expressions(tricky) == ["a IN ('x)', 'it''s (')", "b > 0 AND (b < 9)"]
    # Every named CHECK constraint of the real schema is found (the models name them ck_...).
    for name, sql in empty_db.execute("select name, sql from sqlite_master where type = 'table'"):
        assert len(check_expressions(sql or "")) == (sql or "").count("CONSTRAINT ck_"), name


def test_check_violations_finds_each_broken_row(empty_db):
    empty_db.execute("PRAGMA ignore_check_constraints = ON")
    empty_db.executemany("insert into exercise (id, name, pattern) values (?, ?, ?)",
                           [("a", "A", "hinge"), ("b", "B", "no such pattern")])  # fmt: skip
    empty_db.execute("PRAGMA ignore_check_constraints = OFF")
    assert check_violations(empty_db) == ["CHECK constraint failed in exercise: rowid 2"]


def test_bars_are_off_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not bars.enabled(None)
    assert bars.enabled(True) and not bars.enabled(False)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert bars.enabled(None)


def test_a_build_draws_nothing_on_a_pipe(data, tmp_path, capfd, monkeypatch):
    monkeypatch.setattr(bars, "LONG_BUILD_FILES", 1)  # this small base counts as long
    build(tmp_path / "x.db", data, show_bars=None)
    err = capfd.readouterr().err
    assert "parsing files" not in err and "rows inserted" not in err and "\r" not in err


def test_a_build_draws_bars_on_a_terminal(data, synthetic, tmp_path, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(bars, "LONG_BUILD_FILES", 1)
    build(tmp_path / "x.db", data, show_bars=None)
    # One bar: files parsed, and the rows inserted as they go in.
    shown = screen.getvalue()
    inserted = sqlite3.connect(tmp_path / "x.db").execute("select count(*) from measurement").fetchone()[0]
    assert "parsing files" in shown and "rows inserted" in shown and inserted == synthetic.measurements


def test_cli_no_cache_writes_no_cache(tmp_path):
    from click.testing import CliRunner

    from emg_evidence.cli import cli
    from emg_evidence.paths import DATA_DIR

    target = tmp_path / "x.db"
    result = CliRunner().invoke(cli, ["build", "--db", str(target), "--data", str(DATA_DIR), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert target.exists() and not (tmp_path / ".cache").exists()
