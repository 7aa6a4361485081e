"""Canned queries (defaults, parameters, results against the database), a study's row page, and the
activation chart's dashboard and data."""

import re

import pytest
import yaml
from markupsafe import escape

from emg_evidence.schema.comparability import value_to_use_sql
from emg_evidence.serving.settings import METADATA

QUERIES = yaml.safe_load(METADATA.read_text())["databases"]["evidence"]["queries"]


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_canned_query_opens_without_parameters(ds, name):
    """Every canned query page opens on results, never on an error, with its parameters empty."""
    page = await ds.client.get(f"/evidence/{name}")
    assert page.status_code == 200
    assert "message-error" not in page.text
    data = await ds.client.get(f"/evidence/{name}.json?_shape=objects")
    assert data.status_code == 200, data.text
    assert data.json()["ok"] is True


@pytest.mark.parametrize("name", ["muscle_activation", "exercises_compared", "muscle_meta_extract"])
async def test_canned_query_defaults_give_rows(ds, name):
    data = await ds.client.get(f"/evidence/{name}.json?_shape=array")
    assert data.json(), f"{name} with its defaults returns no rows"


def activation_expected(db_rows, muscle_ids: list[str]) -> list[tuple]:
    marks = ", ".join("?" for _ in muscle_ids)
    return [
        (r["measurement_id"], r["value"])
        for r in db_rows(
            # The values to use (schema/comparability.py), as the /ranking page shows them.
            f"select measurement_id, value from meta_extract where comparable_mvc = 1"
            f" and preferred = 1 and provenance <> 'article' and value is not null and muscle_id in ({marks})",
            *muscle_ids,
        )
    ]


@pytest.mark.parametrize(
    "muscle, muscle_ids",
    [
        ("", ["gluteus_maximus", "gluteus_maximus_upper", "gluteus_maximus_lower"]),  # default
        (
            "gluteus_medius",
            "select muscle_id from muscle_term where term = 'gluteus_medius'",
        ),  # with its regions
        ("hocks", "select id from muscle where muscle_group = 'hamstrings'"),  # synonym of a group
        ("BF", ["biceps_femoris"]),  # abbreviation
        ("vastus lateralis", ["vastus_lateralis"]),  # name
    ],
)
async def test_muscle_activation_is_mvc_only_and_ranked(ds, db_rows, muscle, muscle_ids):
    if isinstance(muscle_ids, str):  # the muscles a query of the muscle table picks
        muscle_ids = [r[0] for r in db_rows(muscle_ids)]
    rows = (await ds.client.get(f"/evidence/muscle_activation.json?_shape=array&muscle={muscle}")).json()
    expected = activation_expected(db_rows, muscle_ids)
    assert expected
    assert sorted((r["measurement_id"], r["value"]) for r in rows) == sorted(expected)
    # Ranked within each muscle (or region), statistic and central tendency, highest first; ties
    # share a rank.
    for key in {(r["muscle_id"], r["statistic"], r["central_tendency"]) for r in rows}:
        ranked = [r for r in rows if (r["muscle_id"], r["statistic"], r["central_tendency"]) == key]
        assert [r["value"] for r in ranked] == sorted((r["value"] for r in ranked), reverse=True)
        assert ranked[0]["rank"] == 1
        assert all(b["rank"] == (a["rank"] if b["value"] == a["value"] else ranked.index(b) + 1)
                   for a, b in zip(ranked, ranked[1:]))  # fmt: skip


async def test_exercises_compared_pairs_values_within_a_study(ds, db_rows):
    rows = (
        await ds.client.get(
            "/evidence/exercises_compared.json?_shape=array&exercise_a=barbell_hip_thrust"
            "&exercise_b=back_squat&muscle=gluteus_maximus_upper"
        )
    ).json()
    valued = [r for r in rows if r["value_a"] is not None]
    # Contreras 2015: upper gluteus maximus, mean, hip thrust 69.5 vs back squat 29.4 %MVIC (abstract).
    mean = [r for r in valued if r["study_id"] == "contreras2015" and r["statistic"] == "mean"]
    assert [(r["value_a"], r["value_b"], r["direction"]) for r in mean] == [(69.5, 29.4, "a_greater")]
    # Every pair comes from one study that performed both exercises.
    both = {
        r["study_id"]
        for r in db_rows(
            "select c.study_id from condition c group by c.study_id"
            " having sum(exercise_id = 'barbell_hip_thrust') > 0 and sum(exercise_id = 'back_squat') > 0"
        )
    }
    assert {r["study_id"] for r in rows} <= both
    # Reported findings appear too, direction seen from exercise A.
    reported = [r for r in rows if r["evidence"].startswith("finding:")]
    assert reported and all(
        r["direction"] == "a_greater" for r in reported if r["study_id"] == "contreras2015"
    )


async def test_exercises_compared_flips_direction_when_exercises_swap(ds):
    def findings(rows):
        return sorted(
            (r["study_id"], r["muscle_id"], r["direction"])
            for r in rows
            if r["evidence"].startswith("finding:")
        )

    ab = (await ds.client.get("/evidence/exercises_compared.json?_shape=array")).json()
    ba = (
        await ds.client.get(
            "/evidence/exercises_compared.json?_shape=array&exercise_a=back_squat&exercise_b=barbell_hip_thrust"
        )
    ).json()
    flip = {"a_greater": "b_greater", "b_greater": "a_greater"}
    assert findings(ba) == sorted((s, m, flip.get(d, d)) for s, m, d in findings(ab))


async def test_muscle_meta_extract_matches_meta_extract(ds, db_rows):
    rows = (await ds.client.get("/evidence/muscle_meta_extract.json?_shape=array&muscle=hamstrings")).json()
    # The values to use, by schema/comparability.py's one rule (not every first-hand value: two
    # values of one condition, muscle, statistic, phase and side count once).
    expected = db_rows(
        f"select * from meta_extract where comparable_mvc = 1 and {value_to_use_sql()}"
        " and muscle_id in (select id from muscle where muscle_group = 'hamstrings')"
    )
    assert sorted(r["measurement_id"] for r in rows) == sorted(r["measurement_id"] for r in expected)
    by_id = {r["measurement_id"]: r for r in expected}
    for row in rows:
        for column in ("value", "dispersion", "dispersion_type", "n", "doi", "pmid", "locator", "source_url"):
            assert row[column] == by_id[row["measurement_id"]][column]


async def test_study_page_shows_conditions_measurements_findings(ds, db_rows, extractions):
    page = await ds.client.get("/evidence/study/contreras2015")
    assert page.status_code == 200
    text = page.text
    for heading in ("Conditions (", "Measurements (", "Findings ("):
        assert heading in text
    (conditions,) = db_rows("select count(*) from condition where study_id = 'contreras2015'")[0]
    (measurements,) = db_rows(
        "select count(*) from measurement m join condition c on c.id = m.condition_id where c.study_id = 'contreras2015'"
    )[0]
    (findings,) = db_rows("select count(*) from finding where study_id = 'contreras2015'")[0]
    study = extractions["contreras2015"]
    assert (conditions, measurements, findings) == tuple(
        len(study.get(part) or []) for part in ("conditions", "measurements", "findings")
    )
    assert f"Conditions ({conditions})" in text
    assert f"Measurements ({measurements})" in text
    assert f"Findings ({findings})" in text
    assert text.count('class="measurement"') == measurements
    assert text.count('class="finding"') == findings
    assert ">69.5</a>" in text
    assert "/evidence/study_numbers?study_id=contreras2015" in text


async def test_activation_dashboard_and_its_data(ds, db_rows):
    redirect = await ds.client.get("/-/dashboards/activation")
    assert redirect.status_code == 302
    assert "muscle=gluteus+maximus" in redirect.headers["location"]
    page = await ds.client.get("/-/dashboards/activation?muscle=hamstrings&mvc_only=yes")
    assert page.status_code == 200
    assert "vega-lite.min.js" in page.text and "Activation per exercise" in page.text
    # The chart's own query, as the page's script sends it to Datasette.
    chart = yaml.safe_load(METADATA.read_text())["plugins"]["datasette-dashboards"]["activation"]["charts"][
        "activation-bars"
    ]
    sql = re.sub(r"\[\[(.*?)\]\]", r"\1", chart["query"])
    data = await ds.client.get(
        "/evidence.json", params={"sql": sql, "muscle": "hamstrings", "mvc_only": "yes", "_shape": "array"}
    )
    rows = data.json()
    # A word covers a group's muscles (muscle_term), each value once (preferred).
    expected = db_rows(
        "select value from meta_extract where comparable_mvc = 1 and preferred = 1 and value is not null"
        " and muscle_id in (select muscle_id from muscle_term where term = 'hamstrings') order by value desc"
    )
    assert [r["value"] for r in rows] == [r["value"] for r in expected]
    assert all(r["study"] and r["metric"] for r in rows)


async def test_forest_page_offers_every_muscle_word_and_draws(ds, db_rows):
    """The forest plot's form offers exactly the words muscle_term knows; its image is an SVG of
    the studies for a word; a bad parameter is a 400 with the reason, not an image or a 500."""
    page = await ds.client.get("/-/forest?muscle=glutes&impute_sd=0.3")
    assert page.status_code == 200
    offered = re.findall(
        r'<option value="([^"]*)">', page.text.split('id="muscle-words"')[1].split("</datalist>")[0]
    )
    known = sorted({r["term"] for r in db_rows("select distinct term from muscle_term")})
    assert [w.replace("&#39;", "'") for w in offered] == known
    svg = await ds.client.get("/-/forest.svg?muscle=glutes&impute_sd=0.3")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text
    bad = await ds.client.get("/-/forest.svg?muscle=glutes&method=NOPE")
    assert bad.status_code == 400
    assert "method: one of" in bad.text


def test_muscle_queries_read_every_word_as_the_views_do(db):
    """muscle_activation and muscle_meta_extract look words up in muscle_term_lookup (analysis/
    derived.py): for every word, the same rows, ranks and order as the rule stated on the views."""
    from emg_evidence.analysis.queries import query_sql

    scope = (
        "from meta_extract where comparable_mvc = 1 and preferred = 1 and provenance <> 'article'"
        " and muscle_id in (select muscle_id from muscle_term where term = lower(:muscle))"
    )
    words = [r[0] for r in db.execute("select distinct term from muscle_term order by term")]
    assert len(words) > 100
    ranked = 0
    for word in words:
        activation = db.execute(query_sql("muscle_activation"), {"muscle": word}).fetchall()
        expected = db.execute(
            "select rank() over (partition by muscle_id, statistic, central_tendency order by value desc),"
            " measurement_id "
            + scope
            + " order by muscle_id, statistic, central_tendency, value desc, measurement_id",
            {"muscle": word},
        ).fetchall()
        assert [(r[0], r[-1]) for r in activation] == [tuple(r) for r in expected], word
        listed = db.execute(query_sql("muscle_meta_extract"), {"muscle": word}).fetchall()
        in_order = db.execute(
            "select measurement_id " + scope + " order by muscle_id, condition_id, statistic, measurement_id",
            {"muscle": word},
        ).fetchall()
        assert [r[-1] for r in listed] == [r[0] for r in in_order], word
        ranked += len(activation)
    assert ranked


async def test_a_study_page_shows_its_printed_differences_reading_log_and_double_extraction(ds, db_rows):
    # The study with the most printed differences, whichever it is in the data.
    ((study_id, contrasts),) = db_rows(
        "select study_id, count(*) from contrast group by study_id order by count(*) desc, study_id limit 1"
    )
    ((compared, differed, resolved),) = db_rows(
        "select fields_compared, fields_differed, resolved from extraction_check where study_id = ?", study_id
    )
    ((copies,),) = db_rows("select count(*) from reading_log where study_id = ?", study_id)
    page = (await ds.client.get(f"/evidence/study/{study_id}")).text
    assert f"Differences as printed ({contrasts})" in page
    assert page.count('class="contrast"') == contrasts
    assert f"How it was read ({copies} copies)" in page
    assert f"Of {compared} fields compared,\n{differed} differed" in page
    if differed:
        assert f"{resolved} of them were settled by reading the source again" in page
    # Codes in plain words: an unlabelled spread is said to be one.
    ((unlabelled,),) = db_rows(
        "select count(*) from measurement m join condition c on c.id = m.condition_id"
        " where c.study_id = ? and m.dispersion_type = 'unlabelled'",
        study_id,
    )
    assert page.count("printed without saying SD or SE") == unlabelled


async def test_a_row_page_lists_its_fields_and_a_table_page_keeps_its_table(ds, db_rows):
    """One record reads as a list of its fields (serving/templates/_table.html), in the table's
    column order with the stored values; a table of many records stays a table."""
    study = db_rows("select * from study where title is not null order by id limit 1")[0]
    page = (await ds.client.get(f"/evidence/study/{study['id']}")).text
    record = re.search(r'<dl class="record">(.*?)</dl>', page, re.S)
    assert record, "the study's fields are not listed"
    names = re.findall(r"<dt[^>]*>(.*?)</dt>", record.group(1))
    assert names == list(study.keys())
    assert str(escape(study["title"])) in record.group(1)
    table = (await ds.client.get("/evidence/study")).text
    assert '<table class="rows-and-columns">' in table and '<dl class="record">' not in table


async def test_the_home_page_is_the_question_page_and_its_json_stays_datasettes(ds, db_rows):
    """/ is served by serving/routes.py (Datasette's index view would check every table's
    permissions for a list the page never shows); /.json stays Datasette's."""
    page = await ds.client.get("/")
    assert page.status_code == 200
    (studies,) = db_rows("select count(*) from study")[0]
    assert f"Answers from {studies} EMG" in page.text
    assert 'rel="alternate"' in page.headers["link"]
    data = (await ds.client.get("/.json")).json()
    assert "evidence" in data
