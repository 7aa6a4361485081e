"""Requests that once made the server do unbounded or wrong work (issue 26), each asserting its
outcome in-process: a refusal with its reason, work done once per meaning, a safe redirect.
The attacks that need a real server and sockets are in test_hostile_clients.py."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from emg_evidence.serving import forest
from emg_evidence.serving.responses import safe_location
from emg_evidence.serving.settings import LIMITS


@pytest.fixture
def drawn(monkeypatch):
    """The forest plots drawn, as (muscle, impute, method); each drawing takes 0.2 s."""
    calls: list[tuple] = []
    running = [0, 0]  # now, most at once
    lock = threading.Lock()

    def fake_svg(muscle, db_path, impute, method):
        with lock:
            running[0] += 1
            running[1] = max(running)
        time.sleep(0.2)
        with lock:
            running[0] -= 1
            calls.append((muscle, impute, method))
        return f"<svg>{muscle} {impute} {method}</svg>"

    monkeypatch.setattr(forest, "forest_svg", fake_svg)
    monkeypatch.setattr(forest, "PLOTS", forest.Plots())
    return calls, running


async def test_the_forest_plot_is_drawn_once_per_meaning(ds, drawn):
    calls, _ = drawn
    spellings = ["0.3", "0.30", "0.300", " 0.3 ", "3e-1", "0.3000000"]
    bodies = set()
    for cv in spellings:
        response = await ds.client.get(
            "/-/forest.svg", params={"muscle": "Glutes ", "impute_sd": cv, "method": "reml"}
        )
        assert response.status_code == 200, response.text
        bodies.add(response.text)
    assert calls == [("glutes", "0.3", "REML")] and len(bodies) == 1


async def test_forest_plots_are_drawn_one_at_a_time_off_the_event_loop(ds, drawn):
    calls, running = drawn
    cvs = [f"0.{i}" for i in range(1, 9)]
    responses = await asyncio.gather(
        *(ds.client.get("/-/forest.svg", params={"muscle": "glutes", "impute_sd": cv}) for cv in cvs)
    )
    assert running[1] == LIMITS.forest_at_once
    assert {r.status_code for r in responses} <= {200, 429}
    assert len(calls) == sum(r.status_code == 200 for r in responses) > 0
    assert all(r.headers["retry-after"] for r in responses if r.status_code == 429)


async def test_an_unknown_muscle_word_draws_nothing(ds, drawn):
    calls, _ = drawn
    response = await ds.client.get("/-/forest.svg", params={"muscle": "no such muscle " * 3})
    assert response.status_code == 400 and "no muscle is called" in response.text
    assert calls == []


@pytest.mark.parametrize(
    "sql",
    [
        "select printf('%.*c', 2147483647, 'x')",
        "select format('%*d', 2147483647, 1)",
        "select PRINTF('%d', 1)",
    ],
)
async def test_sql_functions_that_allocate_without_bound_are_refused(ds, sql):
    response = await ds.client.get("/evidence.json", params={"sql": sql})
    assert response.status_code == 400
    assert "not authorized" in response.json()["error"]


@pytest.mark.parametrize(
    "params",
    [{"_sort": "nope"}, {"_sort_desc": "nope"}, {"_sort": "count(*)"}, {"_sort": "id) --"}],
)
@pytest.mark.parametrize("path", ["/evidence/study", "/evidence/study.json", "/evidence/meta_extract.csv"])
async def test_sorting_by_what_is_no_column_is_a_400(ds, path, params):
    response = await ds.client.get(path, params=params)
    assert response.status_code == 400, response.text[:300]
    assert "to sort by" in response.json()["error"]


async def test_sorting_by_a_column_still_sorts(ds, db_rows):
    rows = (
        await ds.client.get("/evidence/study.json", params={"_sort_desc": "id", "_shape": "array"})
    ).json()
    ids = [r["id"] for r in rows]
    assert ids == sorted(ids, reverse=True) and len(ids) == min(len(db_rows("select id from study")), 100)


@pytest.mark.parametrize(
    "path", ["/\\evil.example/", "/%5Cevil.example/", "//evil.example/", "/\\/evil.example/"]
)
async def test_no_redirect_leads_to_another_host(ds, path):
    response = await ds.client.get(path)
    location = response.headers.get("location", "")
    assert not location.replace("\\", "/").startswith("//"), (response.status_code, location)


@pytest.mark.parametrize(
    "location,safe",
    [
        (b"/\\evil.example", b"/evil.example"),
        (b"//evil.example/x", b"/evil.example/x"),
        (b"/\t/evil.example", b"/evil.example"),
        (b"\\\\evil.example", b"/evil.example"),
        (b"/evidence/study", b"/evidence/study"),
        (b"https://example.org/x", b"https://example.org/x"),
    ],
)
def test_safe_location(location, safe):
    assert safe_location(location) == safe
