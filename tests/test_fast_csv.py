"""plugins/fast_csv.py: the streaming CSV route, against the built evidence.db."""

import csv
import io
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emg_evidence.analysis.csv_cells import safe_row
from emg_evidence.analysis.export import run_query
from emg_evidence.serving.plugins.fast_csv import CACHED_TEXTS, csv_header, csv_query, csv_records


@pytest.fixture(scope="module")
def expected(db):
    """``expected(sql, params)``: the CSV rows, header first, that Python's csv writes for a query."""

    def rows(sql: str, params=()) -> list[list[str]]:
        cursor = db.execute(sql, params)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([d[0] for d in cursor.description])
        writer.writerows(cursor)
        return list(csv.reader(io.StringIO(out.getvalue())))

    return rows


async def test_whole_view_streams_as_csv(ds, expected, db_rows):
    response = await ds.client.get("/-/csv/evidence/meta_extract.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == expected("SELECT * FROM meta_extract")
    assert len(rows) == 1 + db_rows("select count(*) from measurement")[0][0] > 1


async def test_filters_and_limit(ds, expected):
    response = await ds.client.get("/-/csv/evidence/meta_extract.csv?comparable_mvc=1&_limit=5")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == expected("SELECT * FROM meta_extract WHERE comparable_mvc = 1 LIMIT 5")
    assert len(rows) == 6
    response = await ds.client.get("/-/csv/evidence/measurement.csv?muscle_id=gluteus_maximus_upper")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == expected("SELECT * FROM measurement WHERE muscle_id = ?", ("gluteus_maximus_upper",))
    assert len(rows) > 1


async def test_bad_requests_are_refused(ds):
    response = await ds.client.get("/-/csv/evidence/meta_extract.csv?value=1;drop")
    assert response.status_code == 200 and response.text.count("\n") == 1  # a value, not SQL
    for path, status in [
        ("/-/csv/evidence/meta_extract.csv?nope=1", 400),
        ("/-/csv/evidence/meta_extract.csv?_limit=ten", 400),
        ("/-/csv/evidence/no_such_table.csv", 404),
        ("/-/csv/nodb/meta_extract.csv", 404),
        ("/-/csv/evidence/sqlite_master%5D%3B--.csv", 404),
    ]:
        response = await ds.client.get(path)
        assert response.status_code == status, (path, response.text)


async def test_canned_query_streams_every_row_past_the_row_cap(make_datasette, db_path):
    # A cap of 10 rows: the query's page is cut off, its stream is not.
    ds = make_datasette(settings={"max_returned_rows": 10})
    page = (await ds.client.get("/evidence/meta_contrasts.json?_shape=objects&ri=0.7")).json()
    assert page["truncated"] and len(page["rows"]) == 10
    response = await ds.client.get("/-/csv/evidence/meta_contrasts.csv?ri=0.7")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    # The same rows `evidence export` writes (it runs the same canned query, yi and vi included).
    columns, want = run_query(db_path, "meta_contrasts", {"ri": "0.7"})
    assert rows[0] == columns
    assert len(rows) - 1 == len(want) > 10
    text = io.StringIO()
    csv.writer(text).writerows(want)
    assert rows[1:] == list(csv.reader(io.StringIO(text.getvalue())))
    # Parameters left out are '' as on the query's page (ri then defaults to 0.5); _limit applies.
    default = list(csv.reader(io.StringIO((await ds.client.get(
        "/-/csv/evidence/meta_contrasts.csv?_limit=3")).text)))  # fmt: skip
    assert len(default) == 4 and {r[columns.index("ri")] for r in default[1:]} == {"0.5"}


async def test_canned_query_stream_refuses_unknown_parameters(ds):
    response = await ds.client.get("/-/csv/evidence/muscle_activation.csv?muscle=hocks&sql=drop")
    assert response.status_code == 400 and "sql: not a parameter" in response.text
    response = await ds.client.get("/-/csv/evidence/muscle_activation.csv?muscle=hocks")
    assert response.status_code == 200 and response.text.count("\n") > 1


async def test_canned_query_without_declared_params_takes_those_its_sql_names(
    make_datasette, metadata, expected
):
    metadata["databases"]["evidence"]["queries"]["one_study"] = {
        "sql": "select id, citation from study where id = :study_id -- not :other"
    }
    ds = make_datasette(metadata=metadata)
    response = await ds.client.get("/-/csv/evidence/one_study.csv?study_id=contreras2015")
    assert response.status_code == 200, response.text
    assert list(csv.reader(io.StringIO(response.text))) == expected(
        "select id, citation from study where id = ?", ("contreras2015",)
    )
    response = await ds.client.get("/-/csv/evidence/one_study.csv?other=1")
    assert response.status_code == 400


def csv_module(rows: list[tuple]) -> bytes:
    """What the route must send for ``rows``: Python's csv module, each row through safe_row."""
    out = io.StringIO()
    csv.writer(out).writerows(safe_row(row) for row in rows)
    return out.getvalue().encode("utf-8")


def streamed(connection: sqlite3.Connection, sql: str, params=(), limit=None) -> tuple[list, bytes]:
    names, cursor = csv_query(connection, sql, list(params), limit)
    # Small chunks, so a record's text is met again in a later chunk, read until none is left.
    return names, b"".join(map(csv_records, iter(lambda: cursor.fetchmany(7), [])))


async def test_whole_view_is_byte_for_byte_the_csv_module(ds, db):
    rows = db.execute("SELECT * FROM meta_extract").fetchall()
    names = [d[0] for d in db.execute("SELECT * FROM meta_extract LIMIT 0").description]
    response = await ds.client.get("/-/csv/evidence/meta_extract.csv")
    assert response.content == csv_header(names) + csv_module(rows)


#: Cells of every kind SQLite returns, text with the characters CSV quotes and formula starts.
CELLS = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(alphabet=st.sampled_from("ab ,\"\r\n=+-@\t'0.5eé€None"), max_size=12),
    st.text(max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=4).flatmap(
    lambda width: st.lists(st.tuples(*[CELLS] * width), min_size=1, max_size=6)))  # fmt: skip
def test_records_are_the_csv_module_for_any_cells(rows):
    # Columns without a type, so SQLite keeps each value's own type, as a view's may.
    connection = sqlite3.connect(":memory:")
    width = len(rows[0])
    connection.execute(f"CREATE TABLE t ({', '.join(f'x{i}' for i in range(width))})")
    connection.executemany(f"INSERT INTO t VALUES ({', '.join('?' * width)})", rows)
    stored = connection.execute("SELECT * FROM t ORDER BY rowid").fetchall()
    names, body = streamed(connection, "SELECT * FROM t ORDER BY rowid")
    assert names == [f"x{i}" for i in range(width)]
    assert body == csv_module(stored)


def test_query_order_repeated_names_limit_and_trailing_comment_are_kept():
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (a INTEGER, b TEXT)")
    connection.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"n{i}") for i in range(20)])
    sql = "SELECT a, b, a * 2 AS a FROM t WHERE a >= ? ORDER BY a DESC -- newest first"
    names, body = streamed(connection, sql, [5], limit=3)
    assert names == ["a", "b", "a"]  # not SQLite's a:1 for the repeated name
    assert body == b"19,n19,38\r\n18,n18,36\r\n17,n17,34\r\n"


def test_blobs_are_hex_and_bad_utf8_is_replaced():
    connection = sqlite3.connect(":memory:")
    names, body = streamed(connection, "SELECT x'00ff2c22' AS b, CAST(x'ff41' AS TEXT) AS t, NULL AS n")
    assert list(csv.reader(io.StringIO(body.decode()))) == [["00FF2C22", "\ufffdA", ""]]


def test_one_column_empty_cells_stay_records():
    connection = sqlite3.connect(":memory:")
    names, body = streamed(connection, "SELECT NULL AS x UNION ALL SELECT '' UNION ALL SELECT 'a'")
    assert body == csv_module([(None,), ("",), ("a",)]) == b'""\r\n""\r\na\r\n'


def test_distinct_texts_kept_are_bounded():
    connection = sqlite3.connect(":memory:")
    sql = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "SELECT 'text ' || i AS short, printf('%.300c', 'x') || i AS long FROM n"
    )
    names, body = streamed(connection, sql, [CACHED_TEXTS + 500])
    assert body.count(b"\r\n") == CACHED_TEXTS + 500
    assert len(connection.text_factory.__self__) == CACHED_TEXTS  # the long texts are not kept
