"""The citation explorer: the article's claims, their links, and the verdict logic on real rows."""

import sqlite3

import pytest
import yaml
from conftest import make_datasette

from emg_evidence.analysis.verdicts import compute_verdict, support
from emg_evidence.ingest.build import build
from emg_evidence.ingest.yaml_reader import DataError
from emg_evidence.paths import DATA_DIR, DB_PATH, TEMPLATES_DIR


def query(path, sql, *params):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return connection.execute(sql, params).fetchall()


def verdicts(path=DB_PATH):
    return dict(query(path, "select id, verdict from claim"))


def test_every_claim_of_the_file_has_a_verdict():
    doc = yaml.safe_load((DATA_DIR / "claims.yaml").read_text())
    got = verdicts()
    assert set(got) == {c["id"] for c in doc["claims"]}
    assert all(got.values())


@pytest.mark.parametrize(
    "claim, verdict, basis, reason_has",
    [
        ("contreras2015_hip_thrust_vs_squat", "numbers_match", "computed", "All 4"),
        ("mccurdy2018_glute_vs_hamstring_values", "numbers_match", "computed", "All 6"),
        ("mccurdy2018_exercise_ranking", "supported", "computed", "5 agrees"),
        ("caterisano2002_depth", "metric_not_mvc", "computed", "16.92 vs 16.9; 35 vs 35.4"),
        ("collazogarcia2020_rotation_best", "no_difference_reported", "computed", "no_difference"),
        ("collazogarcia2020_ninety_percent", "not_verifiable", "computed", "No primary value"),
        ("kickback_30_percent", "not_verifiable", "computed", "Only the article"),
        ("benn2018_adductor_magnus", "partly_supported", "computed", "3 of 5"),
        ("andersen2018_hip_thrust_vs_deadlifts", "partly_supported", "computed", "Not covered"),
        ("split_squat_gluteus_medius", "different_muscle_or_task", "curated", "McCurdy et al. 2010"),
        ("riemann2012_heavier_lunges", "different_muscle_or_task", "curated", "joint"),
    ],
)
def test_verdicts_on_the_real_data(claim, verdict, basis, reason_has):
    ((got, got_basis, reason),) = query(
        DB_PATH, "select verdict, verdict_basis, verdict_reason from claim where id = ?", claim
    )
    assert (got, got_basis) == (verdict, basis)
    assert reason_has in reason


def edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_verdicts_that_a_change_in_the_data_would_give(data_copy, tmp_path):
    # The three kinds the current evidence does not produce, made to occur on real rows by
    # changing one fact each in a copy of the data.
    extractions = data_copy / "extractions"
    # 1. the article quotes a number the paper does not print (its second 69.5 is the article's)
    edit(data_copy / "claims.yaml", "value: 69.5}", "value: 69.0}")
    study_file = extractions / "contreras2015.extraction.yaml"
    first, rest = study_file.read_text().split("value: 69.5\n", 1)
    study_file.write_text(first + "value: 69.5\n" + rest.replace("value: 69.5\n", "value: 69.0\n", 1))
    # 2. the source reports the opposite of what the claim asserts
    edit(
        data_copy / "claims.yaml",
        "{a: msls, b: sldl, muscle: gluteus_maximus, asserts: a_greater}\n"
        "      - {a: msls, b: bs, muscle: gluteus_maximus, asserts: a_greater}\n"
        "      - {a: msls, b: sldl, muscle: hamstrings, asserts: a_greater}",
        "{a: msls, b: sldl, muscle: gluteus_maximus, asserts: b_greater}\n"
        "      - {a: msls, b: bs, muscle: gluteus_maximus, asserts: b_greater}\n"
        "      - {a: msls, b: sldl, muscle: hamstrings, asserts: b_greater}",
    )
    # 3. the cited study cannot be identified
    edit(
        extractions / "riemann2012.extraction.yaml", "identification: probable", "identification: unverified"
    )
    result = build(tmp_path / "changed.db", data_copy)
    got = verdicts(result.path)
    assert got["contreras2015_hip_thrust_vs_squat"] == "numbers_differ"
    assert got["rfess_best_overall"] == "partly_supported"  # gluteus medius still agrees
    assert got["riemann2012_heavier_lunges"] == "study_unidentified"
    (reason,) = query(
        result.path, "select verdict_reason from claim where id = 'contreras2015_hip_thrust_vs_squat'"
    )[0]
    assert "69 vs 69.5" in reason


def test_contradicted_when_every_finding_disagrees(data_copy, tmp_path):
    edit(
        data_copy / "claims.yaml",
        "{a: hip_thrust, b: back_squat, muscle: gluteus_maximus_upper, asserts: a_greater}\n"
        "      - {a: hip_thrust, b: back_squat, muscle: gluteus_maximus_lower, asserts: a_greater}",
        "{a: hip_thrust, b: back_squat, muscle: gluteus_maximus_upper, asserts: b_greater}\n"
        "      - {a: hip_thrust, b: back_squat, muscle: gluteus_maximus_lower, asserts: b_greater}",
    )
    edit(
        data_copy / "claims.yaml",
        "      - {condition: hip_thrust, muscle: gluteus_maximus_upper, value: 69.5}\n",
        "",
    )
    edit(
        data_copy / "claims.yaml",
        "      - {condition: back_squat, muscle: gluteus_maximus_upper, value: 29.4}\n",
        "",
    )
    edit(
        data_copy / "claims.yaml",
        "      - {condition: hip_thrust, muscle: gluteus_maximus_lower, value: 86.8}\n",
        "",
    )
    edit(
        data_copy / "claims.yaml",
        "      - {condition: back_squat, muscle: gluteus_maximus_lower, value: 45.4}\n",
        "",
    )
    edit(data_copy / "claims.yaml", "    reads_as_mvc: true\n    numbers:\n    findings:", "    findings:")
    result = build(tmp_path / "contra.db", data_copy)
    assert verdicts(result.path)["contreras2015_hip_thrust_vs_squat"] == "contradicted"


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(identification=None), "study_unidentified"),
        (dict(identification="unverified"), "study_unidentified"),
        (dict(judgement=("contradicted", "r")), "contradicted"),
        (dict(numbers=[{"article": 1.0, "primary": {"value": 1.0, "metric": "emg_amplitude",
                        "normalisation_category": "mvc_same_task"}}]), "numbers_match"),
        (dict(numbers=[{"article": 1.0, "primary": {"value": 2.0, "metric": "emg_amplitude",
                        "normalisation_category": "mvc_same_task"}}]), "numbers_differ"),
        (dict(reads_as_mvc=True, numbers=[{"article": 1.0, "primary": {
            "value": 1.0, "metric": "emg_share_of_sum",
            "normalisation_category": "task_peak_or_mean"}}]), "metric_not_mvc"),
        (dict(numbers=[{"article": 1.0, "primary": None}]), "not_verifiable"),
        (dict(findings=[{"agreement": "agrees", "source_kind": "primary"}]), "supported"),
        (dict(findings=[{"agreement": "agrees", "source_kind": "primary"}], gaps="g"),
         "partly_supported"),
        (dict(findings=[{"agreement": "disagrees", "source_kind": "primary"}]), "contradicted"),
        (dict(findings=[{"agreement": "no_difference", "source_kind": "primary"}]),
         "no_difference_reported"),
        (dict(findings=[{"agreement": "agrees", "source_kind": "article"}]), "not_verifiable"),
        (dict(), "not_verifiable"),
    ],
)  # fmt: skip
def test_verdict_rules(kwargs, expected):
    args = dict(identification="verified", judgement=None, reads_as_mvc=False, numbers=[],
                findings=[], gaps=None)  # fmt: skip
    args.update(kwargs)
    assert compute_verdict(**args)[0] == expected


def test_recommendation_support_levels():
    assert support(["supported", "numbers_match"])[0] == "supported"
    assert support(["supported", "metric_not_mvc"])[0] == "partly supported"
    assert support(["not_verifiable"])[0] == "not shown by the evidence"
    assert query(DB_PATH, "select support from recommendation where id = 'kickback_with_abduction'") == [
        ("not shown by the evidence",)
    ]


def test_article_words_resolve_to_the_right_muscles():
    terms = query(DB_PATH, "select article_term, muscle_id from claim_muscle")
    assert ("hocks", "hamstrings") in terms
    assert ("buttock muscles", "hamstrings") in terms
    synonyms = dict(
        query(
            DB_PATH,
            "select term, muscle_id from muscle_synonym where term in "
            "('hocks', 'bale', 'balls', 'butt', 'inner thigh', 'hase')",
        )
    )
    assert synonyms == {
        "hocks": "hamstrings",
        "bale": "gluteals",
        "balls": "gluteals",
        "butt": "gluteals",
        "inner thigh": "adductors",
        "hase": "hamstrings",
    }
    # 'buttocks' is both: a lay word for the glutes and the article's mistranslation of hamstrings
    assert set(query(DB_PATH, "select muscle_id from muscle_synonym where term = 'buttocks'")) == {
        ("gluteals",), ("hamstrings",)}  # fmt: skip


def test_claims_full_text_search():
    hits = query(
        DB_PATH,
        "select c.id from claim c join claim_fts f on f.rowid = c.rowid "
        "where claim_fts match 'thrust' order by c.position",
    )
    assert ("contreras2015_hip_thrust_vs_squat",) in hits


def test_unknown_article_word_is_an_error_naming_the_field(data_copy, tmp_path):
    edit(data_copy / "claims.yaml", "{term: hocks, muscle: hamstrings}", "{term: hooks, muscle: hamstrings}")
    with pytest.raises(DataError) as error:
        build(tmp_path / "x.db", data_copy)
    assert "claims.yaml: claims[1].terms[0].term: 'hooks' is not a known word" in str(error.value)


def test_a_number_the_study_file_does_not_record_is_an_error(data_copy, tmp_path):
    edit(data_copy / "claims.yaml", "value: 40.3}", "value: 41.3}")
    with pytest.raises(DataError, match=r"claims\[0\]\.numbers\[0\]: 0 article measurements"):
        build(tmp_path / "x.db", data_copy)


@pytest.fixture
def explorer():
    ds = make_datasette()
    ds.template_dir = str(TEMPLATES_DIR)
    return ds


async def test_claim_page_shows_verdict_study_and_numbers(explorer):
    page = (await explorer.client.get("/evidence/claim/caterisano2002_depth")).text
    assert "metric_not_mvc" in page
    assert "emg_share_of_sum" in page
    assert 'href="/evidence/study/caterisano2002"' in page
    assert ">16.92</a>" in page and ">16.9</a>" in page


async def test_recommendation_to_claims_to_study_to_numbers(explorer):
    page = (await explorer.client.get("/evidence/recommendation/squat_to_parallel")).text
    assert 'href="/evidence/claim/caterisano2002_depth"' in page
    claim = (await explorer.client.get("/evidence/claim/caterisano2002_depth")).text
    assert 'href="/evidence/study/caterisano2002"' in claim
    study = await explorer.client.get("/evidence/study_numbers.json?study_id=caterisano2002&_shape=array")
    assert 16.9 in [row["value"] for row in study.json()]


async def test_canned_query_claims_and_their_evidence(explorer):
    everything = (await explorer.client.get("/evidence/claims_and_their_evidence.json?_shape=array")).json()
    assert {row["claim_id"] for row in everything} == set(verdicts())
    only = (
        await explorer.client.get(
            "/evidence/claims_and_their_evidence.json?_shape=array&verdict=metric_not_mvc"
        )
    ).json()
    assert {row["claim_id"] for row in only} == {"caterisano2002_depth"}
    page = await explorer.client.get("/evidence/claims_and_their_evidence")
    assert page.status_code == 200


async def test_claim_search_in_datasette(explorer):
    rows = (await explorer.client.get("/evidence/claim.json?_search=kickback&_shape=array")).json()
    assert "kickback_abduction_vs_adduction" in {r["id"] for r in rows}
