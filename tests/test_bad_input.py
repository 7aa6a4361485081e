"""Malformed extraction files, each run through the real `evidence build` CLI.

Every file in tests/data/bad/ breaks the valid template tests/data/good/fuzzbase.extraction.yaml
in one way; tests/data/bad/expected.yaml gives the `<field>: <message>` the build must print after
the file's name. Each build must fail with exit status 1, without a traceback, and leave the
existing database byte-for-byte as it was.
"""

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from emg_evidence.ingest.dataset import load_dataset
from emg_evidence.paths import DATA_DIR, ROOT

HERE = Path(__file__).parent / "data"
BAD = HERE / "bad"
GOOD = HERE / "good" / "fuzzbase.extraction.yaml"
EXPECTED: dict[str, str] = yaml.safe_load((BAD / "expected.yaml").read_text())


def test_every_bad_file_has_an_expectation():
    files = {p.name for p in BAD.glob("*.extraction.yaml")}
    assert files == set(EXPECTED)
    assert len(files) >= 30


@pytest.fixture(scope="module")
def target(db_path, tmp_path_factory) -> Path:
    """A copy of the database built from the real data, that every failed build must leave alone."""
    path = tmp_path_factory.mktemp("target") / "evidence.db"
    shutil.copyfile(db_path, path)
    return path


@pytest.fixture(scope="module")
def runs(target, tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Run `evidence build` once per bad file, a few at a time (each is a fresh interpreter)."""

    def run(name: str):
        data = tmp_path_factory.mktemp("data") / "data"
        shutil.copytree(DATA_DIR, data)
        added = data / "extractions" / name
        shutil.copyfile(BAD / name, added)
        command = [sys.executable, "-m", "emg_evidence.cli", "build", "--db", str(target)]
        command += ["--data", str(data)]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        return name, (added, result)

    before = target.read_bytes()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(pool.map(run, sorted(EXPECTED)))
    assert target.read_bytes() == before
    return results


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_refused_naming_file_and_field(name, runs, target, fresh_build):
    added, result = runs[name]
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: {added}: {EXPECTED[name]}" in result.stderr, result.stderr
    assert f"{target} was left unchanged" in result.stderr
    assert "content hash" not in result.stdout
    # The target holds what the real data builds, and no temporary file was left beside it.
    assert target.read_bytes() == fresh_build.path.read_bytes()
    assert not list(target.parent.glob(".evidence-*"))


def test_template_itself_is_valid(data_copy):
    shutil.copyfile(GOOD, data_copy / "extractions" / GOOD.name)
    dataset = load_dataset(data_copy)
    assert "fuzzbase" in {e.data.study.id for e in dataset.extractions}


def test_utf8_byte_order_mark_is_accepted(data_copy):
    # Some Windows editors start UTF-8 files with a BOM; it carries no data, so it is no error.
    (data_copy / "extractions" / GOOD.name).write_bytes(b"\xef\xbb\xbf" + GOOD.read_bytes())
    assert "fuzzbase" in {e.data.study.id for e in load_dataset(data_copy).extractions}


def test_anchors_and_aliases_still_work(data_copy):
    # The real data uses anchors for repeated notes; refusing alias bombs must not refuse those.
    text = GOOD.read_text().replace("load: 10RM", "load: &rm 10RM")
    text = text.replace("knee_angle_deg: 90", "load: *rm")
    (data_copy / "extractions" / GOOD.name).write_text(text)
    dataset = load_dataset(data_copy)
    (ex,) = [e for e in dataset.extractions if e.data.study.id == "fuzzbase"]
    assert [c.load for c in ex.data.conditions] == ["10RM", "10RM"]
