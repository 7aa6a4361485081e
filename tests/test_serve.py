"""A real `evidence serve`: the command a user runs, on loopback, answering HTTP."""

import subprocess
import sys

import httpx

from emg_evidence.paths import ROOT


def test_serves_pages_and_csv(server, fresh_build):
    assert httpx.get(server + "/evidence/study/contreras2015").status_code == 200
    csv_text = httpx.get(server + "/evidence/meta_extract.csv").text
    assert csv_text.splitlines()[0].startswith("measurement_id,study_id,citation")
    # The server serves the build under test: its footer names that build's release.
    assert fresh_build.content_hash in httpx.get(server + "/").text


def test_serve_is_immutable_with_limits(server):
    settings = httpx.get(server + "/-/settings.json").json()
    assert settings["sql_time_limit_ms"] == 1000
    databases = httpx.get(server + "/-/databases.json").json()
    assert [d["is_mutable"] for d in databases] == [False]


def test_serve_refuses_missing_database(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "emg_evidence.cli", "serve", "--db", str(tmp_path / "none.db")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 1
    assert "run `evidence build` first" in result.stderr
