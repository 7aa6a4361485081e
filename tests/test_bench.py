"""The benchmarks in bench/ run end to end at a small size and print their figures.

Not timed assertions: the figures of a full-size run are in README.md; this only shows the
programs work on a fresh clone (CI runs them here).
"""

import re
import sqlite3
import subprocess
import sys

import pytest

from emg_evidence.paths import ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    base = tmp_path_factory.mktemp("bench")
    data, db = base / "data", base / "large.db"
    generated = run("bench/generate.py", "--studies", "40", "--measurements", "4000",
                    "--out", str(data))  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    again = run("bench/generate.py", "--studies", "40", "--measurements", "4000",
                "--out", str(base / "again"))  # fmt: skip
    assert again.returncode == 0, again.stderr
    files = sorted((data / "extractions").glob("*.yaml"))
    assert len(files) == 40
    # Fixed seed: the same files twice.
    assert all(f.read_bytes() == (base / "again" / "extractions" / f.name).read_bytes() for f in files)
    ingest = run("bench/ingest.py", "--data", str(data), "--db", str(db))
    assert ingest.returncode == 0, ingest.stderr
    return db, ingest.stdout


def test_ingest_benchmark_prints_figures(small_db):
    db, out = small_db
    assert "synthetic base: 4,000 measurements" in out, out
    # The build of the synthetic base and of the real data, each with its time, CPU, peak memory
    # and a verdict against its target; the database kept is the synthetic base's.
    for name in ("synthetic", "real data"):
        line = rf"^{name} +build: +[\d.]+ s wall, +[\d.]+ s CPU, peak RSS +\d+ MB +\(target <= .*: (met|NOT MET)\)"
        assert re.search(line, out, re.M), out
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from measurement").fetchone() == (4000,)


def test_query_benchmark_prints_figures(small_db):
    db, _ = small_db
    result = run("bench/queries.py", "--db", str(db), "--runs", "3")
    assert "study_numbers" in result.stdout, result.stderr
    # Every canned query of metadata.yml got a line with p50/p95/max and a plan verdict.
    lines = [
        line for line in result.stdout.splitlines() if re.search(r"\s3\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+", line)
    ]
    assert len(lines) >= 1 and all(("index" in line) or ("FULL SCAN" in line) for line in lines), (
        result.stdout
    )
    assert "ERRORS" not in result.stdout.split("study_numbers", 1)[1].splitlines()[0]


def test_csv_benchmark_prints_figures(small_db):
    db, _ = small_db
    result = run("bench/csv_export.py", "--db", str(db), "--small", "500")
    assert result.returncode == 0, result.stderr
    assert re.search(r"ratio to sqlite3 \d+\.\d+", result.stdout)
    assert re.search(r"all rows / 500 rows: \d+\.\d\d", result.stdout)
    # The stream carried every row of the view, plus the header.
    rows = int(re.search(r"meta_extract rows: ([\d,]+)", result.stdout).group(1).replace(",", ""))
    stream_lines = re.search(r"datasette \?_stream=on:.*?([\d,]+) lines", result.stdout).group(1)
    assert int(stream_lines.replace(",", "")) == rows + 1


def test_every_canned_query_avoids_a_full_scan_of_measurement(small_db):
    # The plan verdict, not the timings: a plan that walks measurement stays a defect at any size.
    db, _ = small_db
    result = run("bench/queries.py", "--db", str(db), "--runs", "1", "--target-ms", "1e9")
    assert "FULL SCAN" not in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "sql, walked",
    [
        # count(*) walks whichever b-tree of measurement is smallest: any one of them (None).
        ("select count(*) from measurement", None),
        ("select * from measurement m where m.value > 50", ["measurement"]),
        ("select * from meta_extract where value > 50", ["measurement"]),
        ("select * from measurement where id = 3", []),
        ("select * from meta_extract where measurement_id = 3", []),
        # 'm' is the muscle here: scanning muscle is not scanning measurement.
        ("select m.name from muscle m", []),
        ("select * from meta_extract where muscle_id = 'gluteus_maximus' and metric = 'emg_amplitude'", []),
    ],
)
def test_full_scans_reads_the_bytecode(db_path, sql, walked):
    sys.path.insert(0, str(ROOT))
    from bench.queries import full_scans

    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    roots = dict(connection.execute(
        "SELECT rootpage, name FROM sqlite_master WHERE tbl_name = 'measurement' AND rootpage > 0"))  # fmt: skip
    program = connection.execute("EXPLAIN " + sql).fetchall()
    connection.close()
    scans = full_scans(program, roots)
    if walked is None:
        assert len(scans) == 1 and scans[0].startswith(("measurement", "ix_measurement")), scans
    else:
        assert scans == walked


def test_hostile_benchmark_prints_figures_for_each_pattern():
    """bench/hostile.py at a small size: a line of figures per pattern asked for, each with the
    probe's study-page latency, the normal clients' errors and the server's peak growth."""
    patterns = ["quiet", "csv", "stalled", "forest", "host", "printf", "not-found", "slow-head", "forwarded"]
    result = run("bench/hostile.py", "--copies", "5", "--hostile", "2", "--probes", "3", "--normal", "4",
                 "--rounds", "1", "--seconds", "4", "--patterns", ",".join(patterns))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    for name in patterns:
        line = re.search(rf"^{re.escape(name)}\s+probe study page ms n\s+3 .*\| errors (\d+) \| server peak [+-]\d+ MB, kept [+-]\d+ MB$",
                         result.stdout, re.M)  # fmt: skip
        assert line, (name, result.stdout)
        assert line.group(1) == "0", line.group(0)
