"""Shared fixtures. Every test reads a database built once, now, from data/ by the code under test
(``fresh_build``), never the committed evidence.db: only test_build.py's
test_committed_database_is_current compares the two."""

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from datasette.app import Datasette

from emg_evidence.analysis.export import export
from emg_evidence.ingest.build import BuildResult, build
from emg_evidence.paths import DATA_DIR
from emg_evidence.serving.run import make_datasette as make_serving_datasette
from emg_evidence.serving.server import evidence_serve
from emg_evidence.serving.settings import METADATA, datasette_settings


@pytest.fixture(scope="session")
def fresh_build(tmp_path_factory) -> BuildResult:
    """evidence.db built now from data/ (path, content hash, row counts): the one every test reads."""
    path = tmp_path_factory.mktemp("build") / "evidence.db"
    return build(path, DATA_DIR)


@pytest.fixture(scope="session")
def db_path(fresh_build) -> Path:
    """The session's database file. Read it; a test that writes works on a copy of it."""
    return fresh_build.path


@pytest.fixture(scope="session")
def real_export(db_path, tmp_path_factory) -> Path:
    """`evidence export` of the session's database with the default options, written once for
    every test that reads it (read it; a test that exports otherwise writes to its own folder)."""
    out = tmp_path_factory.mktemp("real_export")
    export(db_path, out)
    return out


@pytest.fixture(scope="session")
def db(db_path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the session's database, rows as sqlite3.Row."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def db_rows(db) -> Callable[..., list[sqlite3.Row]]:
    """``db_rows(sql, *params)``: the rows of a query on the session's database."""

    def rows(sql: str, *params: Any) -> list[sqlite3.Row]:
        return db.execute(sql, params).fetchall()

    return rows


@pytest.fixture(scope="session")
def extractions() -> dict[str, dict]:
    """Every extraction file of data/, parsed, by study id."""
    docs = [yaml.safe_load(p.read_text()) for p in sorted((DATA_DIR / "extractions").glob("*.yaml"))]
    return {doc["study"]["id"]: doc for doc in docs}


@pytest.fixture(scope="session")
def make_datasette(db_path) -> Callable[..., Datasette]:
    """``make_datasette(db=None, settings=None, metadata=None)``: an in-process Datasette as
    `evidence serve` configures it (serving/run.py), over the session's database (or ``db``);
    ``settings`` override the served ones, ``metadata`` replaces metadata.yml."""

    def make(db: Path | None = None, settings: dict | None = None, metadata: dict | None = None) -> Datasette:
        overrides: dict[str, Any] = {"settings": {**datasette_settings(), **(settings or {})}}
        if metadata is not None:
            overrides["metadata"] = metadata
        return make_serving_datasette(db or db_path, **overrides)

    return make


@pytest.fixture
def ds(make_datasette) -> Datasette:
    """Datasette over the session's database, as `evidence serve` configures it."""
    return make_datasette()


@pytest.fixture
def metadata() -> dict:
    """metadata.yml, parsed afresh: a test may change it."""
    return yaml.safe_load(METADATA.read_text())


@pytest.fixture(scope="session")
def server(db_path) -> Iterator[str]:
    """Base URL of a real `evidence serve` on loopback over the session's database."""
    with evidence_serve(db_path) as base:
        yield base


@pytest.fixture
def fetch_all():
    """``await fetch_all(ds, path)``: every row of a JSON table page, following next_url past the
    row cap (``path`` without _shape)."""

    async def fetch(ds: Datasette, path: str) -> list[dict]:
        rows: list[dict] = []
        url: str | None = path + ("&" if "?" in path else "?") + "_shape=objects"
        while url:
            response = await ds.client.get(url)
            assert response.status_code == 200, response.text
            data = response.json()
            rows += data["rows"]
            next_url = data.get("next_url")
            url = None if not next_url else urlsplit(next_url)._replace(scheme="", netloc="").geturl()
        return rows

    return fetch


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of the data folder, for tests that break it on purpose."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target
