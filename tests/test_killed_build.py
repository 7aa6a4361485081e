"""A build killed with SIGKILL part-way leaves the previous evidence.db intact and servable.

The build writes a temporary .evidence-<pid>.db beside the target and renames it over the target
only at the end (ingest/build.py); SIGKILL gives it no chance to clean up, so this is the real
test of that design.
"""

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys

import httpx
import pytest

from emg_evidence.ingest.build import build
from emg_evidence.paths import DATA_DIR, ROOT
from emg_evidence.serving.server import evidence_serve

#: Copies of one study, under new ids, so that ingest has enough rows to be killed in the middle.
COPIES = 150
TEMPLATE = "benn2018"


@pytest.fixture(scope="module")
def large_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("large") / "data"
    shutil.copytree(DATA_DIR, data)
    text = (DATA_DIR / "extractions" / f"{TEMPLATE}.extraction.yaml").read_text()
    text = re.sub(r"(?m)^  (doi|pmid): .*$", r"  \1: null", text)  # each DOI/PMID is one study's
    for i in range(COPIES):
        # The study id prefixes its own source ids, so one replacement renames both.
        new = f"{TEMPLATE}copy{i}"
        copy = text.replace(TEMPLATE, new)
        # A copy is another paper: its own first author (the build refuses one paper entered twice).
        copy = re.sub(r"(?m)^(  authors:\n  - )", rf"\g<1>Copy{i}", copy, count=1)
        (data / "extractions" / f"{new}.extraction.yaml").write_text(copy)
    return data


@pytest.mark.parametrize(
    "kill_after",
    [
        "migrated a fresh database",  # in the middle of inserting rows
        "inserted",  # in the middle of full-text indexing and VACUUM
    ],
)
def test_killed_build_leaves_previous_database_servable(kill_after, large_data, db_path, tmp_path):
    target = tmp_path / "evidence.db"
    shutil.copyfile(db_path, target)  # the previous build
    before = target.read_bytes()

    command = [sys.executable, "-m", "emg_evidence.cli", "build", "--db", str(target)]
    process = subprocess.Popen(
        command + ["--data", str(large_data)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen = []
    for line in process.stderr:  # the build reports each step on stderr as it finishes it
        seen.append(line)
        if line.startswith(kill_after):
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    stdout = process.stdout.read()
    assert process.returncode == -signal.SIGKILL, "".join(seen) + stdout
    assert "built" not in stdout
    # The half-written temporary database is still there: the build really died part-way.
    leftovers = list(tmp_path.glob(".evidence-*.db"))
    assert leftovers, "".join(seen)

    assert target.read_bytes() == before
    with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as connection:
        assert connection.execute("pragma integrity_check").fetchone() == ("ok",)
    with evidence_serve(target) as base:
        studies = httpx.get(base + "/evidence/study.json?_shape=array&_size=max", timeout=30).json()
    assert len(studies) == len(list((DATA_DIR / "extractions").glob("*.extraction.yaml")))

    # A later build is not disturbed by the dead one's leftover, and does replace the target.
    for leftover in leftovers:
        leftover.unlink()
    result = build(target, large_data)
    assert result.counts["study"] == len(studies) + COPIES
