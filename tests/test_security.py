"""A real `evidence serve` on loopback, attacked: writes through every door, the array-filter
injection (GHSA-w3hf-fcg5-p4cc), runaway queries and an export of everything. Each is refused or
cut off, the server keeps answering, and the database file's bytes never change (the server
serves a copy of the session's build, so that a successful attack harms no other test).
"""

import hashlib
import shutil
import sqlite3
import threading
import time

import httpx
import pytest
from datasette.filters import Filters

from emg_evidence.serving.server import evidence_serve
from emg_evidence.serving.settings import SERVE_SETTINGS

ROW_CAP = int(SERVE_SETTINGS["max_returned_rows"])


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def served(db_path, tmp_path_factory):
    """(base URL, db path, its hash) of `evidence serve` over a copy of the built evidence.db."""
    path = tmp_path_factory.mktemp("served") / "evidence.db"
    shutil.copyfile(db_path, path)
    before = digest(path)
    with evidence_serve(path) as base:
        yield base, path, before
    assert digest(path) == before


@pytest.fixture
def client(served):
    """A client of the server; after each test, the file is unchanged and the server answers."""
    base, path, before = served
    with httpx.Client(base_url=base, timeout=30) as client:
        yield client
        assert digest(path) == before
        assert client.get("/evidence/study.json").status_code == 200


def count_studies(client: httpx.Client) -> int:
    sql = "select count(*) n from study"
    return client.get("/evidence.json", params={"sql": sql, "_shape": "array"}).json()[0]["n"]


WRITES = [
    "insert into study (id, identification) values ('x', 'verified')",
    "replace into study (id, identification) values ('x', 'verified')",
    "update study set title = 'changed'",
    "delete from study",
    "drop table measurement",
    "create table t (x)",
    "create temp table t (x)",
    "alter table study add column x",
    "attach database '/tmp/evil.db' as evil",
    "detach database main",
    "pragma writable_schema = 1",
    "select * from pragma_writable_schema(1)",
    "pragma journal_mode = delete",
    "vacuum",
    "vacuum into '/tmp/evil.db'",
    "reindex",
    "analyze",
    "begin; delete from study; commit",
    "select 1; delete from study",
    "with x as (select 1) delete from study",
    "with x as (select 1) insert into study (id, identification) select 'x', 'verified'",
    "explain delete from study",
    "select load_extension('/tmp/evil.so')",
    "select writefile('/tmp/evil', 'x')",
]


@pytest.mark.parametrize("sql", WRITES)
def test_sql_endpoint_refuses_writes(client, sql):
    before = count_studies(client)
    for path in ("/evidence.json", "/evidence"):  # the JSON API and the HTML page
        response = client.get(path, params={"sql": sql})
        assert response.status_code == 400, response.text[:300]
    assert count_studies(client) == before


@pytest.mark.parametrize(
    "params",
    [
        {"_where": "1=1); delete from study; --"},
        {"_where": "id in (select id from study); drop table study"},
        {"_where": "(select load_extension('/tmp/evil.so')) is null"},
        {"_sort": "id; drop table study"},
        {"_sort": "id]; drop table study; --"},
        {"_col": "id] from study; delete from study; --"},
        {"_facet": "id]; drop table study; --"},
        {"_search": "x') ; delete from study; --"},
        {"id__exact": "x'); delete from study; --"},
        {"title__contains": "'; drop table study; --"},
    ],
)
def test_table_filters_cannot_write(client, params):
    before = count_studies(client)
    response = client.get("/evidence/study.json", params=params)
    if response.status_code == 200:
        # Accepted only as data: a value matched against the column, never as SQL to run. (The
        # data may say "pelvic drop"; the injected statement may not come back as a row.)
        assert all("drop table" not in str(row).lower() for row in response.json()["rows"])
    else:
        # Refused; Datasette 0.65 answers a second statement in _where with a 500, not a 400.
        assert response.status_code in (400, 500), response.text[:300]
        assert response.json()["ok"] is False
    assert count_studies(client) == before


def test_canned_query_takes_parameters_as_values(client):
    url, shape = "/evidence/study_numbers.json", {"_shape": "array"}
    ok = client.get(url, params={"study_id": "contreras2015", **shape})
    assert ok.status_code == 200 and len(ok.json()) > 0
    evil = client.get(url, params={"study_id": "x'; drop table study; --", **shape})
    assert evil.status_code == 200 and evil.json() == []
    # ?sql= on a canned query does not replace its SQL
    swapped = client.get(url, params={"study_id": "contreras2015", "sql": "delete", **shape})
    assert swapped.json() == ok.json()


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_only_get_and_head(client, method):
    form = {"study_id": "x", "sql": "delete from study"}
    for path in ("/evidence/study_numbers", "/evidence", "/evidence/study", "/evidence/study/x"):
        response = client.request(method, path, data=form)
        assert response.status_code == 405, (path, response.status_code)
        assert response.headers["allow"] == "GET, HEAD"
    assert client.head("/evidence/study").status_code == 200


#: The column-name injection of GHSA-w3hf-fcg5-p4cc (datasette#2868): a `]` closes the bracket
#: quoting of the vulnerable template, and the rest of the key runs as SQL.
INJECTION = "id])) or 1=1 or (1 in (select value from json_each([n"


@pytest.mark.parametrize("lookup", ["arraycontains", "arraynotcontains"])
def test_array_filter_injection_is_refused(client, lookup):
    for key in (f"{INJECTION}__{lookup}", f"title__{lookup}"):
        response = client.get("/evidence/study.json", params={key: "x"})
        assert response.status_code == 400
        assert f"the {lookup} filter is not available here" in response.json()["error"]
    # The filter form (?_filter_op=) would redirect to the same parameter: refused too.
    form = {"_filter_column": "title", "_filter_op": lookup, "_filter_value": "x"}
    assert client.get("/evidence/study", params=form).status_code == 400
    # Other filters work as before.
    exact = client.get("/evidence/study.json?id__exact=contreras2015&_shape=array")
    assert [row["id"] for row in exact.json()] == ["contreras2015"]


def test_datasette_release_itself_quotes_the_column(db):
    # Without our plugin, the pinned Datasette (0.65.3 and later carry the fix) quotes the whole
    # key as one column name, so the injected SQL stays inside an identifier and never runs.
    # (Datasette's own filter code is called directly: a server in this process would already
    # have serving/plugin.py registered, since Datasette's plugin manager is global.)
    (clause,), params = Filters([(f"{INJECTION}__arraycontains", "x")]).build_where_clauses("study")
    assert clause == ':p0 in (select value from json_each("study"."' + INJECTION + '"))'
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        db.execute(f"select id from study where {clause}", params).fetchall()


ENDLESS = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
RUNAWAY = [
    ("/evidence.json", {"sql": ENDLESS}),
    ("/evidence.json", {"sql": "select count(*) from " + ", ".join(["measurement"] * 5)}),
    ("/evidence/study.json", {"_where": f"({ENDLESS}) > 0"}),
]


@pytest.mark.parametrize("path,params", RUNAWAY)
def test_runaway_query_is_cut_off_while_others_are_answered(client, path, params):
    limit_s = int(SERVE_SETTINGS["sql_time_limit_ms"]) / 1000
    outcome = {}

    def runaway():
        start = time.monotonic()
        outcome["response"] = client.get(path, params=params, timeout=60)
        outcome["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=runaway)
    thread.start()
    others = []
    while thread.is_alive() and len(others) < 20:
        others.append(client.get("/evidence/study/contreras2015.json").status_code)
    thread.join()
    response = outcome["response"]
    assert response.status_code == 400
    assert "SQL query took too long" in response.text
    # cut off near the limit (the margin is for a busy CI machine), not after running to the end
    assert outcome["seconds"] < limit_s + 10
    assert others and set(others) == {200}


def test_export_of_everything_is_capped(client):
    # A cross join far bigger than the row cap: JSON, CSV and CSV with _stream all stop at it.
    sql = "select a.id x, b.id y, c.id z from measurement a, measurement b, measurement c"
    data = client.get("/evidence.json", params={"sql": sql}, timeout=60).json()
    assert len(data["rows"]) == ROW_CAP and data["truncated"] is True
    for extra in ({"_size": "max"}, {"_stream": "on"}):
        csv_text = client.get("/evidence.csv", params={"sql": sql, **extra}, timeout=60).text
        assert len(csv_text.strip().splitlines()) == 1 + ROW_CAP
    # Table pages are capped too, and the file cannot be downloaded (allow_download is off).
    too_big = client.get("/evidence/measurement.json", params={"_size": str(ROW_CAP + 1)})
    assert too_big.status_code == 400
    assert client.get("/evidence.db").status_code == 403
