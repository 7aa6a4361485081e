"""Smoke run of the load script (bench/load.py) in reduced size: 16 concurrent clients against a
real `evidence serve`, fresh and repeated pages, and not one error. The figures it prints are for
reading, not asserted (the budgets are bench/load.py's)."""

import re
import subprocess
import sys

from emg_evidence.paths import ROOT


def test_sixteen_clients_get_no_errors(db_path):
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--db", str(db_path), "--clients", "16", "--requests", "96",
         "--time-limit", "240", "--servers", "evidence"],
        cwd=ROOT, capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    for mode in ("fresh", "repeated"):
        line = re.search(
            rf"^\S+\s+evidence\s+16 {mode}\s+96\s+0\s+[\d.]+\s+[\d.]+\s+[\d.]+", result.stdout, re.M
        )
        assert line, (mode, result.stdout)


def test_refuses_anything_but_loopback():
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--url", "http://192.0.2.1:8001", "--requests", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "loopback addresses only" in result.stderr
