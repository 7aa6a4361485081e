"""A rebuild after a few files changed patches the last build's database (ingest/rebuild.py):
it must give what a full build of the same folder gives, and fall back to one whenever it cannot."""

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from emg_evidence.ingest import rebuild
from emg_evidence.ingest.build import build, cache_dir_for
from emg_evidence.ingest.yaml_reader import DataError

#: Not a study the generated claims are linked to (those are rebuilt in full).
TARGET = "syn00007.extraction.yaml"


@pytest.fixture
def built(synthetic_copy, tmp_path):
    """A copy of the synthetic base, built once with the cache; (data folder, database)."""
    data = synthetic_copy
    db = tmp_path / "out" / "evidence.db"
    db.parent.mkdir()
    build(db, data)
    return data, db


def edit(path: Path, pattern: str, replace) -> None:
    text = path.read_text()
    changed, n = re.subn(pattern, replace, text, count=1, flags=re.MULTILINE)
    assert n == 1, pattern
    path.write_text(changed)


def rebuilt_and_clean(data: Path, db: Path, tmp_path: Path):
    lines: list[str] = []
    rebuilt = build(db, data, progress=lines.append)
    clean = build(tmp_path / "clean.db", data, cache=False)
    return rebuilt, clean, lines


def same_file_but_the_header_counters(a: Path, b: Path) -> bool:
    """Equal bytes, except the file change counter, schema cookie and version-valid-for number of
    the header (offsets 24, 40 and 92), which count the file's history, not its content."""
    x, y = bytearray(a.read_bytes()), bytearray(b.read_bytes())
    for at in (24, 40, 92):
        x[at : at + 4] = y[at : at + 4] = b"\0\0\0\0"
    return x == y


def test_a_changed_value_is_patched_in_and_gives_the_full_builds_database(built, tmp_path):
    data, db = built
    edit(data / "extractions" / TARGET, r"^(  value: )(\d+\.\d)$", lambda m: f"{m[1]}{float(m[2]) + 0.1:.1f}")
    rebuilt, clean, lines = rebuilt_and_clean(data, db, tmp_path)
    assert "replaced the rows of 1 changed file(s)" in lines
    assert rebuilt.content_hash == clean.content_hash
    assert rebuilt.counts == clean.counts and rebuilt.warnings == clean.warnings
    assert same_file_but_the_header_counters(db, tmp_path / "clean.db")
    # And the next change patches the patched database.
    edit(data / "extractions" / TARGET, r"^(  locator: )(.*)$", lambda m: f"{m[1]}{m[2]} (p. 3)")
    rebuilt, clean, lines = rebuilt_and_clean(data, db, tmp_path)
    assert "replaced the rows of 1 changed file(s)" in lines
    assert rebuilt.content_hash == clean.content_hash


def test_a_change_the_derived_tables_read_derives_them_again(built, tmp_path):
    data, db = built
    # The phase decides which values pair: contrast_pair and single_value change.
    edit(data / "extractions" / TARGET, r"^(  phase: )concentric$", lambda m: f"{m[1]}eccentric")
    rebuilt, clean, lines = rebuilt_and_clean(data, db, tmp_path)
    assert "replaced the rows of 1 changed file(s)" in lines
    assert rebuilt.content_hash == clean.content_hash and rebuilt.counts == clean.counts
    assert same_file_but_the_header_counters(db, tmp_path / "clean.db")


@pytest.mark.parametrize(
    "change",
    [
        "a measurement more",
        "a claimed study",
        "the shared sources",
        "a file removed",
    ],
)
def test_what_a_patch_cannot_do_is_built_in_full(built, tmp_path, change):
    data, db = built
    if change == "a measurement more":
        path = data / "extractions" / TARGET
        text = path.read_text()
        first = re.search(r"(?ms)^- key: m1\n.*?(?=^- )", text)
        assert first
        another = re.sub(
            r"value: ([\d.]+)",
            lambda m: f"value: {float(m[1]) + 0.5}",
            first[0].replace("key: m1", "key: m1b"),
            count=1,
        )
        path.write_text(text.replace("measurements:\n", "measurements:\n" + another, 1))
    elif change == "a claimed study":
        edit(
            data / "extractions" / "syn00001.extraction.yaml",
            r"^(  value: )(\d+\.\d)$",
            lambda m: f"{m[1]}{m[2]}1",
        )
    elif change == "the shared sources":
        (data / "sources.yaml").write_text((data / "sources.yaml").read_text() + "\n")
    else:
        (data / "extractions" / TARGET).unlink()
    rebuilt, clean, lines = rebuilt_and_clean(data, db, tmp_path)
    assert not any(line.startswith("replaced the rows") for line in lines)
    assert any(line.startswith("validated") for line in lines)
    assert rebuilt.content_hash == clean.content_hash


def test_nothing_changed_leaves_the_file_as_it_is(built):
    data, db = built
    before = db.stat().st_mtime_ns, db.read_bytes()
    lines: list[str] = []
    again = build(db, data, progress=lines.append)
    assert lines == ["nothing changed since the last build"]
    assert (db.stat().st_mtime_ns, db.read_bytes()) == before
    assert (
        again.content_hash
        == sqlite3.connect(db)
        .execute("select value from build_info where key = 'content_hash'")
        .fetchone()[0]
    )


def test_a_changed_file_with_problems_is_reported_and_nothing_is_written(built):
    data, db = built
    before = db.read_bytes()
    edit(data / "extractions" / TARGET, r"^(  metric: )emg_amplitude$", lambda m: f"{m[1]}emg_amplitud")
    with pytest.raises(DataError) as e:
        build(db, data)
    assert any(TARGET in p and ".metric" in p for p in e.value.problems)
    assert db.read_bytes() == before


def test_a_database_replaced_since_the_last_build_is_built_in_full(built, tmp_path):
    data, db = built
    edit(data / "extractions" / TARGET, r"^(  value: )(\d+\.\d)$", lambda m: f"{m[1]}{float(m[2]) + 0.1:.1f}")
    shutil.copyfile(db, tmp_path / "copy.db")
    shutil.copyfile(tmp_path / "copy.db", db)  # same bytes, another file: not the one recorded
    lines: list[str] = []
    build(db, data, progress=lines.append)
    assert any(line.startswith("validated") for line in lines)


def test_a_damaged_manifest_or_blocks_mean_a_full_build(built, tmp_path):
    data, db = built
    cache = cache_dir_for(db)
    edit(data / "extractions" / TARGET, r"^(  value: )(\d+\.\d)$", lambda m: f"{m[1]}{float(m[2]) + 0.1:.1f}")
    (cache / rebuild.MANIFEST).write_bytes(b"not a manifest")
    assert rebuild.plan(db, data, cache) is None
    build(tmp_path / "elsewhere.db", data, cache=False)
    rebuilt, clean, lines = rebuilt_and_clean(data, db, tmp_path)
    assert any(line.startswith("validated") for line in lines) and rebuilt.content_hash == clean.content_hash
    # Blocks gone: the manifest alone cannot hash the patched file.
    for blocks in cache.glob(rebuild.BLOCKS_PREFIX + "*"):
        shutil.rmtree(blocks)
    edit(data / "extractions" / TARGET, r"^(  value: )(\d+\.\d)$", lambda m: f"{m[1]}{float(m[2]) + 0.1:.1f}")
    assert rebuild.plan(db, data, cache) is None


def test_an_error_while_patching_leaves_the_database_as_it_was(built, monkeypatch):
    data, db = built
    before = db.read_bytes()
    edit(data / "extractions" / TARGET, r"^(  value: )(\d+\.\d)$", lambda m: f"{m[1]}{float(m[2]) + 0.1:.1f}")

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("emg_evidence.ingest.build.enable_fts", explode)
    with pytest.raises(RuntimeError):
        build(db, data)
    assert db.read_bytes() == before
    assert not list(db.parent.glob(".evidence-*"))
    monkeypatch.undo()
    lines: list[str] = []
    build(db, data, progress=lines.append)  # and the next build patches it as usual
    assert "replaced the rows of 1 changed file(s)" in lines


def test_strict_refuses_warnings_before_writing_anything(built, tmp_path):
    # The synthetic base has plausibility warnings (possible but suspicious), which --strict
    # refuses: neither a full build nor a patch writes anything then.
    data, db = built
    fresh = tmp_path / "fresh.db"
    with pytest.raises(DataError) as e:
        build(fresh, data, strict=True, cache=False)
    assert e.value.problems and not fresh.exists() and not list(tmp_path.glob(".evidence-*"))
    before = db.read_bytes()
    edit(data / "extractions" / TARGET, r"^(  value: )(\d+\.\d)$", lambda m: f"{m[1]}{float(m[2]) + 0.1:.1f}")
    assert rebuild.plan(db, data, cache_dir_for(db)) is not None  # a patch, not a full build
    with pytest.raises(DataError) as e:
        build(db, data, strict=True)
    assert e.value.problems and db.read_bytes() == before
