"""No single client may stall or exhaust the server: a real `evidence serve` on loopback, attacked
with a huge query string, huge values, runaway SQL from many clients and downloads nobody reads.
Each attack is refused or bounded (serving/harden.py, LIMITS in serving/settings.py) while
pages, canned queries and downloads keep answering. The tests assert outcomes (a refusal, an
answer, a closed connection, bounded memory), never latencies: bench/hostile.py prints those.
Every request has a timeout; hostile loops run for a few seconds.
"""

from __future__ import annotations

import re
import shutil
import socket
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
import yaml

from emg_evidence.analysis.queries import names, query_sql
from emg_evidence.paths import DB_PATH
from emg_evidence.serving.server import evidence_serve_process
from emg_evidence.serving.settings import LIMITS, METADATA

ENDLESS = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
STUDY_PAGE = "/evidence/study/contreras2015"
CANNED = "/evidence/study_numbers?study_id=contreras2015"
#: Sent by the client of normal pages: a request with credentials is never answered from
#: serving/response_cache.py, so each page is rendered while the hostile clients run.
RENDER = {"authorization": "Bearer render-every-time"}


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, server process) of `evidence serve` over a copy of evidence.db."""
    path = tmp_path_factory.mktemp("hostile") / "evidence.db"
    shutil.copyfile(DB_PATH, path)
    with evidence_serve_process(path) as (base, process):
        warm_up(base)
        yield base, process


def warm_up(base: str) -> None:
    """Render each normal page once: the first render of a page compiles its templates."""
    with httpx.Client(base_url=base, timeout=60, headers=RENDER) as client:
        for path in (STUDY_PAGE, CANNED, "/evidence/measurement?muscle_id=gluteus_maximus_upper", "/"):
            client.get(path)


@pytest.fixture
def client(served):
    with httpx.Client(base_url=served[0], timeout=60, headers=RENDER) as client:
        yield client
        assert client.get(STUDY_PAGE).status_code == 200  # still answering


def timed(client: httpx.Client, url: str, **kwargs) -> tuple[int, float]:
    start = time.perf_counter()
    status = client.get(url, **kwargs).status_code
    return status, time.perf_counter() - start


def hammer(base: str, clients: int, request, stop: threading.Event) -> tuple[list[threading.Thread], list]:
    """``clients`` threads calling request(client) until ``stop``; returns the threads and outcomes."""
    outcomes: list = []

    def loop() -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while not stop.is_set():
                start = time.perf_counter()
                response = request(c)
                outcomes.append((response.status_code, time.perf_counter() - start, response.text[:200]))

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    return threads, outcomes


def dashboard_queries() -> list[tuple[str, dict[str, str]]]:
    """Each dashboard chart's SQL as datasette-dashboards sends it (every optional clause kept,
    as with every filter set), with the filters' defaults."""
    out = []
    dashboards = yaml.safe_load(METADATA.read_text())["plugins"].get("datasette-dashboards") or {}
    for dashboard in dashboards.values():
        params = {k: str(f.get("default") or "") for k, f in (dashboard.get("filters") or {}).items()}
        for chart in (dashboard.get("charts") or {}).values():
            if chart.get("query"):
                sql = re.sub(r"\[\[(.*?)\]\]", lambda m: m.group(1), chart["query"])
                out.append((sql, params))
    return out


# --- 1. one request that stalls the server ------------------------------------------------------


def test_long_urls_and_many_parameters_are_refused_at_once(client):
    four_thousand = "&".join(f"c{i:04d}=v" for i in range(4000))  # 32 kB: held the server 43 s
    status, seconds = timed(client, "/evidence/study?" + four_thousand)
    assert status == 414
    many = "&".join(["p=1"] * (LIMITS.max_query_parameters + 1))  # within the length limit
    assert len(many) <= LIMITS.max_query_string_bytes
    response = client.get("/evidence/study?" + many)
    assert response.status_code == 400
    assert f"more than {LIMITS.max_query_parameters} query parameters" in response.json()["error"]
    assert client.get("/evidence/" + "x" * LIMITS.max_path_bytes).status_code == 414
    # At the limits, the request passes.
    at_limit = "&".join(f"p{i}=1" for i in range(LIMITS.max_query_parameters))
    assert client.get("/-/versions.json?" + at_limit).status_code == 200


def test_pages_answer_while_clients_send_huge_query_strings(served, client):
    stop = threading.Event()
    huge = "&".join(["p=1"] * 2000)  # 8 kB of parameters
    threads, outcomes = hammer(served[0], 8, lambda c: c.get("/evidence/study?" + huge), stop)
    try:
        time.sleep(0.5)
        pages = [timed(client, STUDY_PAGE) for _ in range(10)]
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert {status for status, *_ in outcomes} == {400}
    assert all(status == 200 for status, _ in pages), pages


def test_the_real_urls_fit_the_limits(client):
    """The longest URLs the site makes itself: each canned query's "Edit SQL" link (as a browser's
    form sends it, newlines as CRLF, and as JavaScript's encodeURIComponent writes it), the
    dashboard charts' data URLs, and a table with every column picked."""
    for name in names():
        sql = query_sql(name)
        for encoded in (urlencode({"sql": sql.replace("\n", "\r\n")}), "sql=" + quote(sql, safe="")):
            assert len(encoded) + 200 <= LIMITS.max_query_string_bytes, (name, len(encoded))
        response = client.get("/evidence.json", params={"sql": sql, "_shape": "array"})
        assert response.status_code == 200, (name, response.text[:300])
    for sql, params in dashboard_queries():
        qs = f"sql={quote(sql, safe='')}&{urlencode(params)}&_shape=objects"  # as dashboards.js asks
        assert len(qs) <= LIMITS.max_query_string_bytes
        assert client.get("/evidence.json?" + qs).status_code == 200, sql
    with sqlite3.connect(DB_PATH) as connection:
        widest = max(
            (
                row[0]
                for row in connection.execute(
                    "select name from sqlite_master where type in ('table', 'view')"
                )
            ),
            key=lambda t: len(connection.execute(f"select * from [{t}] limit 0").description),
        )
        columns = [d[0] for d in connection.execute(f"select * from [{widest}] limit 0").description]
    assert len(columns) < LIMITS.max_query_parameters
    response = client.get(f"/evidence/{widest}.json", params=[("_col", c) for c in columns])
    assert response.status_code == 200, response.text[:300]


# --- 2. one query that exhausts memory ---------------------------------------------------------


#: A value of 98% of the cell limit (its record, with a header, must stay under it), as SQL.
SIZE = LIMITS.max_cell_bytes * 49 // 100
BIG = f"with v(x) as (select replace(hex(zeroblob({SIZE})), '0', char(1)))"
ROWS = "r(i) as (select 1 union all select i + 1 from r limit 200)"


def columns(n: int) -> str:
    return ", ".join(["x"] * n)


HUGE_VALUES = [
    # one value of 200 MB: the server went from 138 MB to 6 GB and sent 1.2 GB
    "select zeroblob(200000000)",
    "select randomblob(300000000)",
    "select group_concat(zeroblob(50000)) from measurement, study",
    # values under the cell limit, as many columns as allowed, 200 rows: 2 GB in all
    f"{BIG}, {ROWS} select {columns(LIMITS.max_columns)} from r, v",
    # more columns than allowed
    f"{BIG} select {columns(LIMITS.max_columns + 1)} from v",
]


@pytest.mark.parametrize(
    "sql", HUGE_VALUES, ids=["zeroblob", "randomblob", "group_concat", "many cells", "columns"]
)
def test_huge_values_are_refused_in_bounded_memory(served, client, sql):
    _, process = served
    before, _ = memory_mb(process.pid)
    for path in ("/evidence.json", "/evidence"):
        response = client.get(path, params={"sql": sql})
        assert response.status_code == 400, (path, response.status_code, response.text[:300])
        assert len(response.content) < 1_000_000
    response = client.get("/evidence.csv", params={"sql": sql})
    assert response.status_code == 400 and response.text.startswith("the query failed: ")
    assert len(response.content) < 1000
    _, peak = memory_mb(process.pid)
    assert peak - before < 200, f"server memory grew {peak - before:.0f} MB"


@pytest.mark.parametrize(
    "sql,error",
    [
        ("select nonsense from nowhere", "no such table: nowhere"),
        ("select from where", "syntax error"),
        (ENDLESS, "took too long"),
        ("select zeroblob(200000000)", "too big"),
    ],
    ids=["no table", "syntax", "time limit", "too big"],
)
def test_csv_of_failing_sql_is_a_400_that_says_why(client, sql, error):
    # Datasette 0.65 answered these with an empty CSV and status 200 (the time limit: a 500).
    response = client.get("/evidence.csv", params={"sql": sql})
    assert response.status_code == 400, (response.status_code, response.text[:200])
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("the query failed: ") and error in response.text, response.text
    # A query that works still gives its rows.
    ok = client.get("/evidence.csv", params={"sql": "select count(*) as n from study"})
    assert ok.status_code == 200 and ok.text.splitlines()[0] == "n" and int(ok.text.splitlines()[1]) > 0


def test_the_largest_answer_allowed_stays_in_bounded_memory(served, client):
    # One row of cells up to the result budget, of control characters (JSON writes each as six
    # bytes: a 60 MB answer).
    n = min(LIMITS.max_columns, LIMITS.max_result_bytes // SIZE // 2)
    _, process = served
    before, _ = memory_mb(process.pid)
    for path in ("/evidence.json", "/evidence.csv", "/evidence"):
        response = client.get(path, params={"sql": f"{BIG} select {columns(n)} from v"})
        assert response.status_code == 200, response.text[:300]
    _, peak = memory_mb(process.pid)
    assert peak - before < 200, f"server memory grew {peak - before:.0f} MB"
    # Rows of such cells: the budget ends the query at the row that passes it.
    response = client.get(
        "/evidence.json", params={"sql": f"{BIG}, {ROWS} select {columns(n // 2)} from r, v"}
    )
    assert response.status_code == 400 and "larger than this server sends" in response.json()["error"]


# --- 3. runaway SQL from many clients ----------------------------------------------------------


@pytest.mark.parametrize("clients", [6, 12])
def test_runaway_sql_from_many_clients_leaves_pages_and_canned_queries_fast(served, client, clients):
    base, _ = served
    chart_sql, chart_params = dashboard_queries()[0]
    runaway = [
        lambda c: c.get("/evidence.json", params={"sql": ENDLESS}),
        lambda c: c.get("/evidence/study.json", params={"_where": f"({ENDLESS}) > 0"}),
    ]
    stop = threading.Event()
    threads, outcomes = [], []
    for request in runaway:
        started, seen = hammer(base, clients // 2, request, stop)
        threads += started
        outcomes.append(seen)
    try:
        time.sleep(1.5)
        normal = []
        for _ in range(6):
            normal.append(("study page", *timed(client, STUDY_PAGE)))
            normal.append(("canned query", *timed(client, CANNED)))
            normal.append(("table", *timed(client, "/evidence/measurement?muscle_id=gluteus_maximus_upper")))
            chart = {"sql": chart_sql, **chart_params, "_shape": "objects"}
            normal.append(("dashboard data", *timed(client, "/evidence.json", params=chart)))
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    failed = [n for n in normal if n[1] != 200]
    assert not failed, failed
    hostile = [o for seen in outcomes for o in seen]
    assert hostile and {status for status, *_ in hostile} <= {400, 429}
    # Each is cut off at the lower time limit, after at most its wait for a turn.
    limit_s = LIMITS.arbitrary_sql_time_limit_ms / 1000
    assert max(seconds for _, seconds, _ in hostile) < LIMITS.arbitrary_sql_wait_s + limit_s + 2
    assert any("took too long" in text for status, _, text in hostile if status == 400)
    # Afterwards arbitrary SQL works as before.
    response = client.get("/evidence.json", params={"sql": "select count(*) n from study", "_shape": "array"})
    assert response.status_code == 200 and response.json()[0]["n"] > 0


# --- 4. downloads nobody reads ----------------------------------------------------------------


@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    """A server over evidence.db with two tables no page reads (so pages answer as they do
    on evidence.db): ``bulk``, 2,048 copies of the measurement rows (370,000 rows, a CSV of about
    80 MB, which Datasette's own streaming takes well over ten seconds to render), and
    ``padding``, 2,000 rows of 20 kB, quick to fill the socket buffers even through Datasette's
    streaming: downloads far larger than the kernel's buffers hold for a client that reads
    nothing."""
    path = tmp_path_factory.mktemp("big") / "evidence.db"
    shutil.copyfile(DB_PATH, path)
    with sqlite3.connect(path) as connection:
        connection.execute("create table bulk as select * from measurement")
        for _ in range(11):
            connection.execute("insert into bulk select * from bulk")
        connection.execute("create table padding (id integer primary key, text text)")
        connection.execute(
            "with recursive r(i) as (select 1 union all select i + 1 from r limit 2000)"
            " insert into padding select i, printf('%.*c', 20000, 'x') from r"
        )
    with evidence_serve_process(path) as (base, process):
        yield base, process


def open_and_never_read(base: str, path: str, address: str = "127.0.0.1") -> socket.socket:
    """A download asked for from ``address`` (a loopback address: each is another client to the
    server) and never read, once the server has answered it with a 200: a slot a client let go
    of a moment ago (an earlier test's) may take the server a moment to see free."""
    host, port = base.removeprefix("http://").split(":")
    deadline = time.monotonic() + LIMITS.stall_timeout_s + 20
    while True:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(30)
        s.bind((address, 0))
        s.connect((host, int(port)))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        status = s.recv(12, socket.MSG_PEEK | socket.MSG_WAITALL)  # b"HTTP/1.1 200", left unread
        if status.endswith(b" 200"):
            return s
        s.close()
        assert time.monotonic() < deadline, status
        time.sleep(0.5)


def client_at(base: str, address: str) -> httpx.Client:
    """An HTTP client whose connections come from ``address``, never answered from the response
    cache (a cached download takes no slot)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base, timeout=30, transport=transport, headers=RENDER)


#: A download larger than the socket buffers, and a small one.
DOWNLOAD, PROBE = "/evidence/padding.csv?_stream=on", "/evidence/study.csv?_stream=on"


def test_a_client_holding_downloads_locks_out_only_itself(big_server):
    base, _ = big_server
    download, probe, slots = DOWNLOAD, PROBE, LIMITS.downloads_at_once
    assert LIMITS.downloads_per_client < slots  # else one client could take them all
    hog = [open_and_never_read(base, download) for _ in range(LIMITS.downloads_per_client)]
    try:
        time.sleep(1)
        with client_at(base, "127.0.0.1") as same, client_at(base, "127.0.0.2") as other:
            refused = same.get(probe)
            assert refused.status_code == 429, refused.status_code
            assert "you already have" in refused.json()["error"] and refused.headers["retry-after"]
            # Another client still gets a slot, again and again, while the first one holds its own.
            assert [other.get(probe).status_code for _ in range(3)] == [200] * 3
    finally:
        for s in hog:
            s.close()


def test_downloads_nobody_reads_free_their_slots(big_server):
    base, _ = big_server
    download, probe, slots = DOWNLOAD, PROBE, LIMITS.downloads_at_once
    # As many clients as there are slots, each holding one download it never reads.
    per_client = LIMITS.downloads_per_client
    stalled = [
        open_and_never_read(base, download, f"127.0.0.{10 + i}")
        for i in range(-(-slots // per_client))
        for _ in range(per_client)
    ]
    try:
        with client_at(base, "127.0.0.3") as c:
            time.sleep(1)
            refused = c.get(probe)
            assert refused.status_code == 429  # every slot taken
            assert "too many at once" in refused.json()["error"]
            assert c.get("/evidence/study.json").status_code == 200  # pages are not
            start = time.monotonic()
            while (
                status := c.get(probe).status_code
            ) == 429 and time.monotonic() - start < LIMITS.stall_timeout_s + 20:
                time.sleep(0.5)
            waited = time.monotonic() - start
            assert status == 200, status
            assert waited < LIMITS.stall_timeout_s + 20
            # Slots are free again for anyone.
            assert [c.get(probe).status_code for _ in range(3)] == [200] * 3
    finally:
        for s in stalled:
            s.close()


def test_a_download_whose_client_goes_away_frees_its_slot_at_once(big_server):
    base, _ = big_server
    download, probe = "/evidence/bulk.csv?_stream=on", PROBE
    open_and_never_read(base, download, "127.0.0.5").close()
    with client_at(base, "127.0.0.5") as c:
        start = time.monotonic()
        # Well before the stall timeout would free it (uvicorn let Datasette's _stream=on render
        # the whole table for a client that was gone, holding the slot to the end).
        while (
            status := c.get(probe).status_code
        ) == 429 and time.monotonic() - start < LIMITS.stall_timeout_s / 2:
            time.sleep(0.2)
        assert status == 200, status


def test_a_slow_reader_that_keeps_reading_is_not_cut_off(big_server):
    base, _ = big_server
    received = 0
    with httpx.Client(base_url=base, timeout=30) as c:
        with c.stream("GET", "/evidence/bulk.csv?_stream=on") as response:
            assert response.status_code == 200
            start = time.monotonic()
            for chunk in response.iter_raw(16384):
                received += len(chunk)
                if time.monotonic() - start > LIMITS.stall_timeout_s + 3:
                    break
                time.sleep(0.1)  # about 160 kB/s
    assert received > 1_000_000


def test_datasette_streaming_csv_is_bounded(big_server):
    base, _ = big_server
    clients = [client_at(base, f"127.0.0.{30 + i}") for i in range(LIMITS.downloads_at_once)]
    streams = [c.stream("GET", "/evidence/bulk.csv?_stream=on") for c in clients]
    try:
        responses = [s.__enter__() for s in streams]
        assert all(r.status_code == 200 for r in responses)
        # Each reads a little and keeps its iterator: one dropped closes its connection.
        readers = [r.iter_raw(1024) for r in responses]
        assert all(next(reader) for reader in readers)
        with client_at(base, "127.0.0.4") as other:
            refused = other.get("/evidence/meta_extract.csv?_stream=on")
            assert refused.status_code == 429 and refused.headers["retry-after"]
            # Datasette's CSV without _stream is not a stream: it is capped, and answers.
            assert other.get("/evidence/meta_extract.csv").status_code == 200
    finally:
        for s in streams:
            s.__exit__(None, None, None)
        for c in clients:
            c.close()


# --- 5. downloads that are read as fast as they come -------------------------------------------


def test_a_download_of_wide_rows_stays_in_bounded_memory(big_server):
    """A streamed download holds a page of rows at a time, whatever the size of the whole: 40 MB
    of ``padding`` rows (20 kB each), and the server grows by a fraction of it."""
    base, process = big_server
    Path(f"/proc/{process.pid}/clear_refs").write_text("5")  # VmHWM from now
    before, _ = memory_mb(process.pid)
    size = 0
    with (
        client_at(base, "127.0.0.6") as c,
        c.stream(
            "GET",
            "/-/csv/evidence/padding.csv",
            follow_redirects=True,  # the old address leads there
        ) as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_raw(65536):
            size += len(chunk)
    _, peak = memory_mb(process.pid)
    assert size > 40_000_000
    assert peak - before < size / 1e6 / 4, (
        f"server memory grew {peak - before:.0f} MB for a {size / 1e6:.0f} MB download"
    )


def test_pages_answer_while_clients_download_as_fast_as_they_read(big_server):
    base, _ = big_server
    downloads = ["/evidence/padding.csv?_stream=on", "/evidence/bulk.csv?_stream=on"]
    stop = threading.Event()

    def download(address: str, path: str) -> None:
        with client_at(base, address) as c:
            while not stop.is_set():
                with c.stream("GET", path) as response:
                    for _ in response.iter_raw(65536):
                        if stop.is_set():
                            break
                if response.status_code == 429:
                    time.sleep(0.2)

    threads = [
        threading.Thread(target=download, args=(f"127.0.0.{40 + i}", downloads[i % len(downloads)]))
        for i in range(6)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        with client_at(base, "127.0.0.7") as c:
            c.get(STUDY_PAGE)  # its templates compiled
            pages = [timed(c, STUDY_PAGE) for _ in range(10)]
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert all(status == 200 for status, _ in pages), pages


# --- 6. a client posing as others, a client that never finishes its request -------------------


def test_forwarded_addresses_are_not_trusted_without_a_proxy(big_server):
    """uvicorn trusted X-Forwarded-For from 127.0.0.1, so one local client could pose as any
    number of clients and take every download slot; `evidence serve` trusts it from no one
    unless --forwarded-allow-ips names a proxy."""
    base, _ = big_server
    held = open_and_never_read(base, DOWNLOAD, "127.0.0.20")
    try:
        with client_at(base, "127.0.0.20") as same:
            refused = same.get(PROBE, headers={"x-forwarded-for": "203.0.113.9"})
            assert refused.status_code == 429 and "you already have" in refused.json()["error"]
    finally:
        held.close()


def test_a_request_head_sent_slowly_is_cut_off(served):
    """A client that opens a connection and sends its headers a byte at a time is closed after
    LIMITS.header_timeout_s (300 such sockets once stayed open for a minute); one that sends
    nothing at all, likewise."""
    base, _ = served
    host, port = base.removeprefix("http://").split(":")
    sockets = []
    for trickle in (True, False):
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" if trickle else b"")
        sockets.append((s, trickle))
    deadline = time.monotonic() + LIMITS.header_timeout_s + 15
    closed = set()
    while len(closed) < len(sockets) and time.monotonic() < deadline:
        for i, (s, trickle) in enumerate(sockets):
            if i in closed:
                continue
            try:
                if trickle:
                    s.sendall(b"X")
                s.settimeout(0.5)
                if s.recv(1024) == b"":
                    closed.add(i)
            except TimeoutError:
                pass
            except OSError:  # reset or broken pipe: closed by the server
                closed.add(i)
    for s, _ in sockets:
        s.close()
    assert closed == {0, 1}
    # A whole request on a new connection is answered as ever.
    with httpx.Client(base_url=base, timeout=30) as c:
        assert c.get("/evidence/study.json").status_code == 200
