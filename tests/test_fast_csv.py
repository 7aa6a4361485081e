"""plugins/fast_csv.py: the streaming CSV route, against the built evidence.db."""

import csv
import io

import pytest

from emg_evidence.analysis.export import run_query


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
