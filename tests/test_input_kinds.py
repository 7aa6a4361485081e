"""What the build does with files that are not plain data files, with warnings, and with --strict.

A FIFO, /dev/zero, a folder named like an extraction file, a symlink out of the data folder and
an oversized file are refused without being read. Files the build does not read are named in
warnings; `evidence build --strict` refuses warnings as errors. Text is stored as typed (markup
included), words are compared NFKC-casefolded and in one script, and the same files give the
same database. Each build is the `evidence build` command run in this process (click's
CliRunner) on a copy of the small test data folder (tests/data/small/).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from emg_evidence.cli import cli
from emg_evidence.ingest.dataset import load_dataset
from emg_evidence.ingest.files import MAX_FILE_BYTES, read_file
from emg_evidence.ingest.yaml_reader import DataError, read_yaml
from emg_evidence.paths import DATA_DIR, ROOT

GOOD = Path(__file__).parent / "data" / "good" / "fuzzbase.extraction.yaml"
SMALL = Path(__file__).parent / "data" / "small"
#: A build that takes longer than this is taken to hang (on a FIFO, say).
TIMEOUT = 120


@pytest.fixture
def data(tmp_path) -> Path:
    """A writable copy of the small test data folder."""
    target = tmp_path / "data"
    shutil.copytree(SMALL, target)
    return target


@pytest.fixture
def db(tmp_path) -> Path:
    """A stand-in for an existing database: a failed build must leave these bytes as they are."""
    path = tmp_path / "target" / "evidence.db"
    path.parent.mkdir()
    path.write_bytes(b"the previous build")
    return path


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def build(data: Path, db: Path, *options: str) -> Run:
    """`evidence build --db db --data data [options]`, in this process, in a thread that must end
    within TIMEOUT (a build blocked on a FIFO fails the test instead of hanging the suite)."""
    done: list[Run] = []

    def run() -> None:
        result = CliRunner().invoke(cli, ["build", "--db", str(db), "--data", str(data), *options])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a traceback: the test fails with it
        done.append(Run(result.exit_code, result.stdout, result.stderr))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    assert done, f"the build did not end within {TIMEOUT} s (or raised: see the thread's exception)"
    return done[0]


def unnumbered(problem: str) -> str:
    """A problem without its line number (`<file>:<line>: ` as `<file>: `), to compare with a
    line made from the file's name."""
    return re.sub(r"(\.ya?ml):\d+: ", r"\1: ", problem)


def refused(result: Run, db: Path, line: str) -> None:
    """The build failed as a data problem should: exit 1, the line (its file's line number
    aside), no traceback, db untouched."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    printed = [unnumbered(out) for out in result.stderr.splitlines()]
    assert line in printed or any(out.startswith(line) for out in printed), result.stderr
    assert f"{db} was left unchanged" in result.stderr
    assert db.read_bytes() == b"the previous build"
    assert not list(db.parent.glob(".evidence-*"))


def template(stem: str = "fuzzbase", **edits: str) -> str:
    text = GOOD.read_text().replace("fuzzbase", stem)
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


# --- kinds of file -----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(data, db):
    fifo = data / "extractions" / "pipe.extraction.yaml"
    os.mkfifo(fifo)
    result = build(data, db)
    refused(
        result,
        db,
        f"error: {fifo}: (file): a FIFO (named pipe), not a regular file: refused without reading it",
    )


def test_a_socket_is_named_as_one(data, db):
    import socket

    path = data / "extractions" / "sock.extraction.yaml"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        result = build(data, db)
    refused(result, db, f"error: {path}: (file): a socket, not a regular file: refused without reading it")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_dev_zero_is_refused_without_reading_it(data, db):
    link = data / "extractions" / "zero.extraction.yaml"
    link.symlink_to("/dev/zero")
    refused(build(data, db), db, f"error: {link}: (file): a symlink to /dev/zero, outside the data folder")
    # Read directly (no data folder to be inside of), it is still refused, by its kind.
    script = "from pathlib import Path; from emg_evidence.ingest.files import read_file; read_file(Path('/dev/zero'))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert "FileProblem: /dev/zero: (file): a character device, not a regular file" in result.stderr


def test_a_folder_named_like_an_extraction_file_is_refused(data, db):
    folder = data / "extractions" / "folder.extraction.yaml"
    folder.mkdir()
    refused(build(data, db), db, f"error: {folder}: (file): a folder, not a file: refused")


def test_a_symlink_out_of_the_data_folder_is_refused(data, db, tmp_path):
    outside = tmp_path / "elsewhere" / "fuzzbase.extraction.yaml"
    outside.parent.mkdir()
    outside.write_text(template())
    link = data / "extractions" / "fuzzbase.extraction.yaml"
    link.symlink_to(outside)
    refused(
        build(data, db),
        db,
        f"error: {link}: (file): a symlink to {outside.resolve()}, outside the data folder",
    )


def test_a_symlink_inside_the_data_folder_is_read(data):
    inside = data / "drafts" / "fuzzbase.yaml"
    inside.parent.mkdir()
    inside.write_text(template())
    (data / "extractions" / "fuzzbase.extraction.yaml").symlink_to(Path("..") / "drafts" / "fuzzbase.yaml")
    assert "fuzzbase" in {e.data.study.id for e in load_dataset(data).extractions}


def test_a_vocabulary_file_linked_from_outside_is_refused(data, tmp_path):
    outside = tmp_path / "muscles.yaml"
    shutil.move(data / "vocab" / "muscles.yaml", outside)
    (data / "vocab" / "muscles.yaml").symlink_to(outside)
    with pytest.raises(DataError) as error:
        load_dataset(data)
    assert (
        f"{data / 'vocab' / 'muscles.yaml'}: (file): a symlink to {outside.resolve()}, outside"
        in error.value.problems[0]
    )


def test_broken_and_looping_symlinks_are_refused(data, db):
    broken = data / "extractions" / "broken.extraction.yaml"
    broken.symlink_to(data / "extractions" / "nothing-here.yaml")
    loop = data / "extractions" / "loop.extraction.yaml"
    loop.symlink_to(loop)
    result = build(data, db)
    refused(result, db, f"error: {broken}: (file): cannot read (No such file or directory)")
    assert f"error: {loop}: (file): cannot read" in result.stderr


def test_a_file_above_the_size_cap_is_refused_before_reading(data, db):
    big = data / "extractions" / "big.extraction.yaml"
    with big.open("wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing to read, and it is not read
    refused(
        build(data, db),
        db,
        f"error: {big}: (file): too large: {MAX_FILE_BYTES + 1:,} bytes, more than the {MAX_FILE_BYTES:,}",
    )


def test_a_file_at_the_size_cap_is_read(tmp_path):
    path = tmp_path / "cap.yaml"
    path.write_bytes(b"a: 1\n" + b"#" * (MAX_FILE_BYTES - 6) + b"\n")
    assert len(read_file(path)) == MAX_FILE_BYTES
    assert read_yaml(path) == {"a": 1}


# --- files the build does not read -------------------------------------------------------------

SKIPPED = {
    "extractions/draft.yml": "the build reads only *.extraction.yaml here: rename it",
    "extractions/Shouty.Extraction.YAML": "the case of the name differs: rename it",
    "extractions/fuzzbase.extraction.yaml~": "an editor's backup or temporary file? delete it",
    "extractions/notes.txt": "the build reads only *.extraction.yaml here",
    "sources.yml": "the build reads only sources.yaml, claims.yaml, review_pooled.yaml here: rename it",
    "vocab/Muscles.yaml": "the case of the name differs: rename it",
}


def test_files_the_build_skips_are_named_in_warnings_and_strict_refuses_them(data, db):
    for name in SKIPPED:
        (data / name).write_text(template())
    (data / "extractions" / "old").mkdir()
    result = build(data, db)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    for name, why in SKIPPED.items():
        assert any(
            w.startswith(f"warning: {data / name}: (file): not read: a file;") and why in w for w in warnings
        ), (
            name,
            warnings,
        )
    assert f"warning: {data / 'extractions' / 'old'}: (file): not read: a folder;" in "\n".join(warnings)
    assert len(warnings) == len(SKIPPED) + 1
    built = db.read_bytes()

    result = build(data, db, "--strict")
    assert result.returncode == 1
    assert not [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(SKIPPED) + 1
    assert f"error: {data / 'sources.yml'}: (file): not read: a file;" in "\n".join(errors)
    assert f"{len(errors)} problem(s) in the data; {db} was left unchanged" in result.stderr
    assert db.read_bytes() == built


def test_the_real_data_builds_strictly_with_no_warning(db):
    result = build(DATA_DIR, db, "--strict")
    assert result.returncode == 0, result.stderr
    assert "warning:" not in result.stderr and "error:" not in result.stderr


def test_the_small_test_folder_builds_strictly_with_no_warning(db):
    result = build(SMALL, db, "--strict")
    assert result.returncode == 0, result.stderr
    assert "warning:" not in result.stderr and "error:" not in result.stderr


# --- plausibility warnings and --strict ------------------------------------------------------------


def test_a_suspicious_sd_warns_and_strict_refuses_it(data, db):
    path = data / "extractions" / "fuzzbase.extraction.yaml"
    path.write_text(template(**{"dispersion: 10.2": "dispersion: 120"}))
    line = f"{path}: measurements[0].dispersion: an SD of 120 is 1.73 times the mean 69.5 (more than 1.5)"
    result = build(data, db)
    assert result.returncode == 0, result.stderr
    printed = [unnumbered(out) for out in result.stderr.splitlines()]
    assert any(out.startswith(f"warning: {line}") for out in printed), result.stderr
    built = db.read_bytes()
    result = build(data, db, "--strict")
    assert result.returncode == 1
    printed = [unnumbered(out) for out in result.stderr.splitlines()]
    assert any(out.startswith(f"error: {line}") for out in printed), result.stderr
    assert db.read_bytes() == built


def test_warnings_are_printed_with_the_errors_of_a_failed_build(data, db):
    (data / "extractions" / "draft.yml").write_text("x: 1\n")
    bad = data / "extractions" / "fuzzbase.extraction.yaml"
    bad.write_text(template(**{"p_value: 0.004": "p_value: 0"}))
    result = build(data, db)
    refused(result, db, f"error: {bad}: findings[0].p_value: p cannot be 0")
    assert f"warning: {data / 'extractions' / 'draft.yml'}: (file): not read" in result.stderr


def test_every_problem_is_one_line_even_with_a_line_break_in_a_key(data, db):
    bad = data / "extractions" / "fuzzbase.extraction.yaml"
    bad.write_text(template(**{"  title: A test study\n": '  title: A test study\n  "odd\\nkey": 1\n'}))
    result = build(data, db)
    refused(result, db, f"error: {bad}: study.odd\\nkey: Extra inputs are not permitted")


# --- text and words ----------------------------------------------------------------------------

MARKUP = "<script>alert('x')</script> & <b>bold</b> **not bold** [link](javascript:alert(1)) {{ x }} \\n"


def test_markup_in_text_is_stored_as_typed(data, tmp_path):
    path = data / "extractions" / "fuzzbase.extraction.yaml"
    doc = yaml.safe_load(template())
    doc["study"]["title"] = MARKUP
    doc["conditions"][0]["notes"] = MARKUP
    doc["conditions"][0]["label"] = "<i>hip</i> thrust &amp; more"
    doc["measurements"][0]["notes"] = "line one\nline two\twith a tab"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    db = tmp_path / "markup.db"
    result = build(data, db)
    assert result.returncode == 0, result.stderr
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("SELECT title FROM study WHERE id = 'fuzzbase'").fetchone() == (MARKUP,)
        labels = connection.execute(
            "SELECT label, notes FROM condition WHERE study_id = 'fuzzbase' ORDER BY id"
        ).fetchall()
        assert labels[0] == ("<i>hip</i> thrust &amp; more", MARKUP)
        notes = "line one\nline two\twith a tab"
        assert connection.execute(
            "SELECT count(*) FROM measurement WHERE notes = ?", (notes,)
        ).fetchone() == (1,)
    finally:
        connection.close()


def test_the_same_files_give_the_same_database(data, tmp_path):
    (data / "extractions" / "fuzzbase.extraction.yaml").write_text(template())
    hashes = set()
    for name in ("one.db", "two.db"):
        result = build(data, tmp_path / name)
        assert result.returncode == 0, result.stderr
        hashes.add(result.stdout.split("content hash ")[1].strip())
    assert len(hashes) == 1


def add_synonym(data: Path, term: str, muscle: str = "gluteus_maximus") -> None:
    path = data / "vocab" / "synonyms.yaml"
    path.write_text(path.read_text() + f'- {{term: "{term}", muscle: {muscle}, kind: lay}}\n')


@pytest.mark.parametrize(
    "term, message",
    [
        ("glut\u0435s", "the word 'glut\u0435s' mixes scripts: Latin (U+0067 LATIN SMALL LETTER G), Cyrillic (U+0435 CYRILLIC SMALL LETTER IE)"),
        ("glu\u200btes", "U+200B ZERO WIDTH SPACE at character 4 is an invisible character"),
    ],
)  # fmt: skip
def test_a_synonym_with_a_look_alike_or_invisible_letter_is_refused(data, term, message):
    add_synonym(data, term)
    with pytest.raises(DataError) as error:
        load_dataset(data)
    assert any(
        unnumbered(p).startswith(f"{data / 'vocab' / 'synonyms.yaml'}: [") and message in p
        for p in error.value.problems
    ), error.value.problems


def test_a_synonym_in_another_case_or_width_is_the_same_word(data):
    synonyms = yaml.safe_load((data / "vocab" / "synonyms.yaml").read_text())
    first = synonyms[0]
    variants = [
        first["term"].upper(),
        "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in first["term"]),
    ]
    for variant in variants:
        add_synonym(data, variant, first["muscle"])
    with pytest.raises(DataError) as error:
        load_dataset(data)
    found = [p for p in error.value.problems if "once case and width are ignored" in p]
    assert len(found) == len(variants), error.value.problems
    assert f"the same word as [0] {first['term']!r} once case and width are ignored" in found[0]


def test_a_claim_term_is_matched_as_the_synonyms_are(data):
    from emg_evidence.ingest.claims import TermIn

    with pytest.raises(Exception, match="mixes scripts"):
        TermIn.model_validate({"term": "glut\u0435us", "muscle": "gluteus_maximus"})
