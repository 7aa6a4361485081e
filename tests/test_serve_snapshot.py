"""`evidence serve` serves one release, consistently, on every route until restart (a private
snapshot of the file made at start), shows no file path, and leads the old /-/csv/ addresses to
Datasette's own CSV. A real server on loopback each time.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from emg_evidence.paths import DB_PATH
from emg_evidence.serving.server import evidence_serve_process
from emg_evidence.serving.settings import SNAPSHOT_PREFIX

STUDY = "contreras2015"


def snapshots_of(pid: int) -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob(f"{SNAPSHOT_PREFIX}{pid}-*"))


def release(path: Path, title: str) -> Path:
    """A copy of evidence.db whose study STUDY has ``title``: a stand-in for another build."""
    shutil.copyfile(DB_PATH, path)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("update study set title = ? where id = ?", (title, STUDY))
    connection.close()
    return path


def titles(client: httpx.Client) -> dict[str, object]:
    """The study's title as each route serves it (or the status when it fails)."""
    out: dict[str, object] = {}
    page = client.get(f"/evidence/study/{STUDY}.json", params={"_shape": "array"})
    out["row"] = page.json()[0]["title"] if page.status_code == 200 else page.status_code
    table = client.get("/evidence/study.json", params={"id": STUDY, "_shape": "array"})
    out["table"] = table.json()[0]["title"] if table.status_code == 200 else table.status_code
    sql = client.get(
        "/evidence.json", params={"sql": f"select title from study where id = '{STUDY}'", "_shape": "array"}
    )
    out["sql"] = sql.json()[0]["title"] if sql.status_code == 200 else sql.status_code
    download = client.get("/-/csv/evidence/study.csv", params={"id": STUDY})
    rows = list(csv.DictReader(io.StringIO(download.text, newline="")))
    out["csv"] = rows[0]["title"] if download.status_code == 200 else download.status_code
    html = client.get(f"/evidence/study/{STUDY}")
    out["html"] = html.status_code
    return out


def test_one_release_on_every_route_until_restart(tmp_path):
    served = release(tmp_path / "evidence.db", "OLD")
    with evidence_serve_process(served) as (base, process):
        (folder,) = snapshots_of(process.pid)
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
            old = {"row": "OLD", "table": "OLD", "sql": "OLD", "csv": "OLD", "html": 200}
            assert titles(client) == old
            # A new build is renamed over the file, as `evidence build` does ...
            new = release(tmp_path / ".next.db", "NEW")
            os.replace(new, served)
            assert titles(client) == old
            # ... or a file is copied over it in place (which broke the old file's pages).
            shutil.copyfile(release(tmp_path / "other.db", "OTHER"), served)
            assert titles(client) == old
            for path in (
                "/",
                "/evidence",
                "/evidence/measurement",
                "/evidence/meta_extract",
                "/-/csv/evidence/meta_extract.csv",
            ):
                assert client.get(path).status_code == 200, path
    assert not folder.exists()  # removed when the server stops
    # Restarted, it serves what the file holds now.
    with evidence_serve_process(served) as (base, _):
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
            assert set(titles(client).values()) == {"OTHER", 200}


def test_a_killed_servers_snapshot_is_removed_at_the_next_start(tmp_path):
    served = tmp_path / "evidence.db"
    shutil.copyfile(DB_PATH, served)
    with evidence_serve_process(served) as (_, process):
        (folder,) = snapshots_of(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    assert folder.exists()
    with evidence_serve_process(served):
        deadline = time.monotonic() + 10
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not folder.exists()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    served = tmp_path_factory.mktemp("paths") / "evidence.db"
    shutil.copyfile(DB_PATH, served)
    with evidence_serve_process(served) as (base, process):
        (folder,) = snapshots_of(process.pid)
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client, [str(served.parent), str(folder)]


def test_no_route_shows_the_files_path(server):
    client, secret_dirs = server
    databases = client.get("/-/databases.json")
    assert databases.status_code == 200
    assert [sorted(d) for d in databases.json()] == [["hash", "is_memory", "is_mutable", "name", "route"]]
    for path in ("/-/databases", "/-/databases.json", "/-/versions.json", "/-/plugins.json", "/-/settings.json",
                 "/-/metadata.json", "/-/threads.json", "/-/actor.json", "/", "/evidence", "/-/config.json"):  # fmt: skip
        text = client.get(path).text
        assert not any(d in text for d in secret_dirs), path
    response = client.get("/evidence.json", params={"sql": "select file from pragma_database_list"})
    assert response.status_code == 400
    assert "pragma_database_list is not available here" in response.json()["error"]
    upper = client.get("/evidence.json", params={"sql": "select * from PRAGMA_DATABASE_LIST()"})
    assert upper.status_code == 400


def test_the_old_csv_addresses_lead_to_datasettes_csv(server):
    client, _ = server
    moved = client.get("/-/csv/evidence/meta_extract.csv", params={"comparable_mvc": "1"})
    assert moved.status_code == 301
    assert moved.headers["location"] == "/evidence/meta_extract.csv?comparable_mvc=1&_stream=on"
    rows = list(csv.DictReader(io.StringIO(client.get(moved.headers["location"]).text, newline="")))
    with sqlite3.connect(DB_PATH) as connection:  # the served copy's source
        (expected,) = connection.execute(
            "select count(*) from meta_extract where comparable_mvc = 1"
        ).fetchone()
    assert len(rows) == expected > 0
    first = client.get("/-/csv/evidence/meta_extract.csv", params={"_limit": "3"}, follow_redirects=True)
    assert first.status_code == 200 and first.text.count("\n") == 4
    query = client.get("/-/csv/evidence/study_numbers.csv", params={"study_id": "contreras2015"})
    assert query.headers["location"] == "/evidence/study_numbers.csv?study_id=contreras2015"


def test_serve_stops_cleanly_on_sigterm(tmp_path):
    served = tmp_path / "evidence.db"
    shutil.copyfile(DB_PATH, served)
    with evidence_serve_process(served) as (_, process):
        (folder,) = snapshots_of(process.pid)
        process.terminate()
        assert process.wait(15) == 0
    assert not folder.exists()
