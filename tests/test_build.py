"""The build: reproducible, current with the committed file, and all-or-nothing."""

import re
import sqlite3

import pytest
from click.testing import CliRunner

from emg_evidence.cli import cli
from emg_evidence.ingest.build import build, content_hash
from emg_evidence.paths import DATA_DIR, DB_PATH


def test_committed_database_is_current(fresh_build):
    # CI fails here when evidence.db is not what `evidence build` makes from data/.
    assert DB_PATH.exists(), "evidence.db is missing: run `evidence build` and commit it"
    assert content_hash(DB_PATH) == fresh_build.content_hash, (
        "evidence.db differs from a fresh build of data/: run `evidence build` and commit it"
    )


def test_stored_release_matches_content(fresh_build):
    with sqlite3.connect(fresh_build.path) as connection:
        stored = dict(connection.execute("select key, value from build_info"))
    assert stored["content_hash"] == fresh_build.content_hash == content_hash(fresh_build.path)
    assert stored["release"] == fresh_build.content_hash[:12]


def test_two_builds_have_the_same_content(fresh_build, tmp_path):
    again = build(tmp_path / "again.db", DATA_DIR)
    assert again.content_hash == fresh_build.content_hash
    assert again.counts == fresh_build.counts
    assert (tmp_path / "again.db").read_bytes() == fresh_build.path.read_bytes()


def test_build_counts_every_table(fresh_build, extractions):
    with sqlite3.connect(fresh_build.path) as connection:
        for table, expected in fresh_build.counts.items():
            (actual,) = connection.execute(f"select count(*) from [{table}]").fetchone()
            assert actual == expected, table
    assert fresh_build.counts["study"] == len(list((DATA_DIR / "extractions").glob("*.yaml")))
    for table in ("condition", "measurement", "finding"):
        expected = sum(len(doc.get(table + "s") or []) for doc in extractions.values())
        assert fresh_build.counts[table] == expected > 0, table


def test_full_text_search_and_view_exist(fresh_build):
    with sqlite3.connect(fresh_build.path) as connection:
        hits = connection.execute(
            "select id from study where rowid in (select rowid from study_fts where study_fts match 'thrust')"
        ).fetchall()
        assert ("contreras2015",) in hits
        columns = [r[1] for r in connection.execute("pragma table_info(meta_extract)")]
    for name in (
        "study_id citation year doi pmid n population exercise condition load muscle "
        "muscle_region muscle_group phase statistic value dispersion dispersion_type metric "
        "comparable_mvc provenance source_url locator"
    ).split():
        assert name in columns


def test_failed_build_leaves_database_unchanged(data_copy, tmp_path):
    target = tmp_path / "evidence.db"
    build(target, data_copy)
    before = target.read_bytes()
    broken = data_copy / "extractions" / "contreras2015.extraction.yaml"
    broken.write_text(broken.read_text().replace("metric: emg_amplitude", "metric: emg_amplitud", 1))
    result = CliRunner().invoke(cli, ["build", "--db", str(target), "--data", str(data_copy)])
    assert result.exit_code == 1
    assert re.search(r"contreras2015\.extraction\.yaml:\d+: measurements\[0\]\.metric", result.output)
    assert "left unchanged" in result.output
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".evidence-*"))


def test_error_during_ingest_leaves_database_unchanged(data_copy, tmp_path, monkeypatch):
    target = tmp_path / "evidence.db"
    build(target, data_copy)
    before = target.read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("emg_evidence.ingest.build.enable_fts", explode)
    with pytest.raises(RuntimeError):
        build(target, data_copy)
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".evidence-*"))


def test_cli_build_prints_content_hash(fresh_build, tmp_path):
    result = CliRunner().invoke(cli, ["build", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 0, result.output
    digest = result.output.split("content hash ")[1].split()[0]
    assert digest == content_hash(tmp_path / "x.db") == fresh_build.content_hash
