"""Datasette serves the built evidence.db: pages, JSON, the meta_extract CSV, the release."""

import csv
import io
import re
import shutil

import pytest
from markupsafe import escape


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/", "emg-evidence"),
        ("/evidence", "meta_extract"),
        ("/evidence/study", "Contreras et al. (2015)"),
        ("/evidence/study/contreras2015", "Back Squat and Barbell Hip Thrust"),
        ("/evidence/measurement", "gluteus_maximus_upper"),
        ("/evidence/meta_extract", "comparable_mvc"),
        ("/evidence/finding", "a_greater"),
        ("/evidence/muscle_synonym", "hocks"),
        ("/evidence/study_numbers?study_id=contreras2015", "69.5"),
    ],
)
async def test_pages_render(ds, path, expected):
    response = await ds.client.get(path)
    assert response.status_code == 200, path
    assert expected in response.text, path


async def test_study_json_matches_database(ds, db_rows, fetch_all, extractions):
    ids = [row["id"] for row in await fetch_all(ds, "/evidence/study.json?_size=max")]
    assert ids == [r[0] for r in db_rows("select id from study order by id")]
    assert sorted(ids) == sorted(extractions)


async def test_study_full_text_search(ds):
    response = await ds.client.get("/evidence/study.json?_search=thrust&_shape=array")
    assert "contreras2015" in [row["id"] for row in response.json()]


async def test_meta_extract_csv_downloads_every_row(ds, db_rows):
    # _stream: every row, however many there are beyond the row cap.
    response = await ds.client.get("/evidence/meta_extract.csv?_size=max&_stream=on")
    assert response.status_code == 200
    assert (
        response.headers["content-type"].startswith("text/plain") or "csv" in response.headers["content-type"]
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    (expected,) = db_rows("select count(*) from measurement")[0]
    assert len(rows) == expected
    upper = [
        r for r in rows
        if r["study_id"] == "contreras2015" and r["muscle_id"] == "gluteus_maximus_upper"
        and r["provenance"] == "primary" and r["statistic"] == "mean"
        and r["exercise_id"] == "barbell_hip_thrust"
    ]  # fmt: skip
    assert [float(r["value"]) for r in upper] == [69.5]
    # Whether it is comparable to an MVC is the data's call (the readable pages do not say).
    (mvc,) = db_rows(
        "select comparable_mvc from meta_extract where measurement_id = ?", int(upper[0]["measurement_id"])
    )[0]
    assert upper[0]["comparable_mvc"] == str(mvc)
    assert upper[0]["source_url"].startswith("http")


async def test_measurement_filter_by_muscle(ds, db_rows, fetch_all):
    rows = await fetch_all(ds, "/evidence/measurement.json?muscle_id=gluteus_maximus_upper&_size=max")
    assert rows and all(r["muscle_id"] == "gluteus_maximus_upper" for r in rows)
    (expected,) = db_rows("select count(*) from measurement where muscle_id = 'gluteus_maximus_upper'")[0]
    assert len(rows) == expected


@pytest.mark.parametrize(
    "column, value",
    [("comparable_mvc", 1), ("comparable_mvc", 0), ("n", 13), ("year", 2015), ("value", 69.5)],
)
async def test_meta_extract_filters_on_computed_columns(ds, db_rows, fetch_all, column, value):
    # Datasette passes ?comparable_mvc=1 as the text '1'; the view's computed columns need an
    # affinity for it to match (migration 0007), as the columns it takes from tables have.
    path = f"/evidence/meta_extract.json?{column}={value}&_size=max"
    data = (await ds.client.get(path + "&_shape=objects")).json()
    rows = await fetch_all(ds, path)
    (expected,) = db_rows(f"select count(*) from meta_extract where {column} = ?", value)[0]
    assert expected > 0
    assert len(rows) == data["filtered_table_rows_count"] == expected
    assert all(r[column] == value for r in rows)


@pytest.mark.parametrize(
    "path", ["/", "/evidence", "/evidence/study", "/evidence/study/contreras2015", "/ranking"]
)
async def test_every_footer_shows_licence_source_and_release_once(ds, fresh_build, metadata, path):
    page = (await ds.client.get(path)).text
    assert page.count(fresh_build.content_hash) == 1
    assert page.count(str(escape(metadata["license"]))) == 1
    assert page.count(str(escape(metadata["source"]))) == 1


async def test_a_page_renders_the_same_whatever_was_served_before(make_datasette):
    """On a fresh server the study page once lacked the footer's licence, source and release, and
    had them twice after /evidence/study had been served (Datasette filled the table's metadata
    in, in place)."""
    study = "/evidence/study/contreras2015"

    def rendered(page: str) -> str:  # the footer says how long the queries took
        return re.sub(r"Queries took [0-9.]+ms", "", page)

    first = rendered((await make_datasette().client.get(study)).text)
    ds = make_datasette()
    for path in ("/evidence/study", "/evidence", "/", "/evidence/study.json", "/evidence/measurement"):
        assert (await ds.client.get(path)).status_code == 200
    assert rendered((await ds.client.get(study)).text) == first


async def test_database_is_immutable(make_datasette, db_path, tmp_path):
    # On a copy: were the database served mutable, the writes below would change it.
    copy = tmp_path / "evidence.db"
    shutil.copyfile(db_path, copy)
    before = copy.read_bytes()
    ds = make_datasette(db=copy)
    databases = (await ds.client.get("/-/databases.json")).json()
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("evidence", False)]
    # Datasette opens it with immutable=1 and has no connection that may write to it (it
    # refuses with an AssertionError) ...
    with pytest.raises(AssertionError):
        await ds.databases["evidence"].execute_write("delete from study")
    # ... and its SQL endpoint refuses writes.
    response = await ds.client.get("/evidence.json", params={"sql": "delete from study"})
    assert response.status_code == 400
    assert copy.read_bytes() == before
