"""The citation explorer: the article's claims, their links, and the verdict logic on real rows."""

import re
import sqlite3
from collections import Counter

import pytest
import yaml

from emg_evidence.analysis.verdicts import compute_verdict, same_at_precision, support
from emg_evidence.ingest.build import build
from emg_evidence.ingest.yaml_reader import DataError
from emg_evidence.paths import DATA_DIR
from emg_evidence.schema.labels import label

CLAIMS_FILE = yaml.safe_load((DATA_DIR / "claims.yaml").read_text())
CLAIMS = {claim["id"]: claim for claim in CLAIMS_FILE["claims"]}


def query(path, sql, *params):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return connection.execute(sql, params).fetchall()


def verdicts(path):
    return dict(query(path, "select id, verdict from claim"))


# --- what the data files say a claim rests on, read here without the ingest ---------------------

OPPOSITE = {"a_greater": "b_greater", "b_greater": "a_greater", "increases": "decreases",
            "decreases": "increases"}  # fmt: skip


@pytest.fixture(scope="session")
def source_kinds(extractions) -> dict[str, str]:
    kinds = {s["id"]: s["kind"] for s in yaml.safe_load((DATA_DIR / "sources.yaml").read_text())}
    for doc in extractions.values():
        kinds |= {s["id"]: s["kind"] for s in doc.get("sources") or []}
    return kinds


def fmt(value: float) -> str:
    return f"{value:g}"


def expected_agreement(asserted: str, finding: dict, kind: str) -> str:
    """How a reported finding bears on the asserted direction (README: the verdict table)."""
    reported = finding["direction"]
    if kind not in ("primary", "review") or reported in ("different", "mixed"):
        return "unclear"
    if reported == asserted:
        return "agrees"
    if reported == "no_difference":
        return "no_difference"
    if asserted == "no_difference" or OPPOSITE.get(asserted) == reported:
        return "disagrees"
    return "unclear"


def claim_facts(claim: dict, extractions: dict, kinds: dict) -> dict:
    """The counts and values a claim's reason states, from claims.yaml and the extraction files."""
    numbers = []
    if claim.get("numbers"):
        measurements = extractions[claim["study"]]["measurements"]
        by_key = {m["key"]: m for m in measurements if m.get("key")}
        for number in claim["numbers"]:
            (article,) = [
                m for m in measurements
                if (m["condition"], m["muscle"], m["value"]) == (number["condition"], number["muscle"],
                                                                  number["value"])
                and kinds[m["source"]] == "article"
            ]  # fmt: skip
            numbers.append(
                (number["value"], by_key[article["restates"]] if article.get("restates") else None)
            )
    checked = [(article, primary) for article, primary in numbers if primary is not None]
    agreements = []
    for ref in claim.get("findings") or []:
        findings = extractions[ref.get("study") or claim["study"]].get("findings") or []
        wanted = {
            k: ref[k] for k in ("key", "a", "b", "muscle", "muscle_b", "metric", "statistic") if k in ref
        }
        matches = [f for f in findings if all(f.get(k) == v for k, v in wanted.items())]
        assert matches, (claim["id"], ref)
        agreements += [expected_agreement(ref["asserts"], f, kinds[f["source"]]) for f in matches]
    return {
        "numbers": len(numbers),
        "checked": len(checked),
        "unchecked": len(numbers) - len(checked),
        # Equal at the paper's printed precision is a match (16.92 against a printed 16.9).
        "differ": "; ".join(
            f"{fmt(a)} vs {fmt(p['value'])}" for a, p in checked if not same_at_precision(a, p["value"])
        ),
        "metrics": ", ".join(sorted({label("metric", p["metric"]) for _, p in checked})),
        "categories": ", ".join(
            sorted({label("normalisation_category", p["normalisation_category"]) for _, p in checked})
        ),
        "tally": ", ".join(f"{n} {kind}" for kind, n in sorted(Counter(agreements).items())),
        "gaps": claim.get("gaps"),
        "judgement": (claim.get("judgement") or {}).get("reason"),
    }


def test_every_claim_of_the_file_has_a_verdict(db_rows):
    got = {row["id"]: row for row in db_rows("select * from claim")}
    assert set(got) == set(CLAIMS)
    for claim_id, claim in CLAIMS.items():
        row = got[claim_id]
        assert row["verdict_reason"].strip(), claim_id
        # Curated exactly where the file gives a judgement, and then the file's verdict.
        judgement = claim.get("judgement")
        assert row["verdict_basis"] == ("curated" if judgement else "computed"), claim_id
        if judgement:
            assert (row["verdict"], row["verdict_reason"]) == (judgement["verdict"], judgement["reason"])


ALL_MATCH = "All {numbers} quoted numbers match the paper."
LINKED = "Reported findings linked: {tally}."


#: (claim, verdict, basis, reason): the reason's wording, its counts and values filled in from the
#: data files by claim_facts.
CASES = [
    # The readable pages print the values as plain percentages and never say of what.
    ("contreras2015_hip_thrust_vs_squat", "metric_not_mvc", "computed",
     "The article reads these numbers as activation (%MVC), but the paper reports {metrics} ({categories})."),
    ("mccurdy2018_glute_vs_hamstring_values", "numbers_match", "computed", ALL_MATCH),
    ("mccurdy2018_exercise_ranking", "supported", "computed", LINKED),
    ("rfess_best_overall", "partly_supported", "computed", LINKED + " Not covered: {gaps}"),
    ("caterisano2002_depth", "metric_not_mvc", "computed",
     "The article reads these numbers as activation (%MVC), but the paper reports {metrics} "
     "({categories}). The numbers also differ from the paper (article vs paper: {differ})."),
    ("collazogarcia2020_rotation_best", "no_difference_reported", "computed", LINKED),
    ("collazogarcia2020_ninety_percent", "not_verifiable", "computed",
     "No primary value could be read to check the quoted numbers against."),
    ("kickback_30_percent", "not_verifiable", "computed",
     "Only the article itself reports this comparison; no readable source does. Not covered: {gaps}"),
    ("benn2018_adductor_magnus", "partly_supported", "computed",
     "{checked} of {numbers} quoted numbers match the paper; {unchecked} could not be checked in "
     "the readable source."),
    ("andersen2018_hip_thrust_vs_deadlifts", "partly_supported", "computed",
     LINKED + " Not covered: {gaps}"),
    ("bryanton2012_depth_and_load", "partly_supported", "computed", LINKED + " Not covered: {gaps}"),
    ("split_squat_gluteus_medius", "different_muscle_or_task", "curated", "{judgement}"),
    ("riemann2012_heavier_lunges", "different_muscle_or_task", "curated", "{judgement}"),
]  # fmt: skip


@pytest.mark.parametrize("claim, verdict, basis, reason", CASES, ids=[case[0] for case in CASES])
def test_verdicts_on_the_real_data(db_rows, extractions, source_kinds, claim, verdict, basis, reason):
    ((got, got_basis, got_reason),) = db_rows(
        "select verdict, verdict_basis, verdict_reason from claim where id = ?", claim
    )
    assert (got, got_basis) == (verdict, basis)
    facts = claim_facts(CLAIMS[claim], extractions, source_kinds)
    assert got_reason == reason.format(**facts)


def test_claim_evidence_rows_are_the_linked_numbers_and_findings(db_rows, extractions, source_kinds):
    # One claim_evidence row per quoted number and per linked finding, with its agreement.
    for claim_id, claim in CLAIMS.items():
        facts = claim_facts(claim, extractions, source_kinds)
        rows = db_rows("select * from claim_evidence where claim_id = ?", claim_id)
        numbers = [r for r in rows if r["measurement_id"] is not None]
        findings = Counter(r["agreement"] for r in rows if r["finding_id"] is not None)
        assert len(numbers) == facts["numbers"], claim_id
        assert sum(r["agreement"] == "unchecked" for r in numbers) == facts["unchecked"], claim_id
        assert ", ".join(f"{n} {kind}" for kind, n in sorted(findings.items())) == facts["tally"], claim_id


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
    # numbers_differ, or metric_not_mvc with the differing number named (the readable pages do
    # not say the values are %MVC).
    assert got["contreras2015_hip_thrust_vs_squat"] in ("numbers_differ", "metric_not_mvc")
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


def test_recommendation_support_levels(db_rows):
    assert support(["supported", "numbers_match"])[0] == "supported"
    assert support(["supported", "metric_not_mvc"])[0] == "partly supported"
    assert support(["not_verifiable"])[0] == "not shown by the evidence"
    # Each recommendation of the file, from its claims' verdicts in the database.
    claim_verdicts = {row["id"]: row["verdict"] for row in db_rows("select id, verdict from claim")}
    got = {
        row["id"]: (row["support"], row["support_summary"]) for row in db_rows("select * from recommendation")
    }
    assert set(got) == {rec["id"] for rec in CLAIMS_FILE["recommendations"]}
    for rec in CLAIMS_FILE["recommendations"]:
        linked = {row[0] for row in db_rows(
            "select claim_id from recommendation_claim where recommendation_id = ?", rec["id"])}  # fmt: skip
        assert linked == set(rec["claims"]), rec["id"]
        verdicts_of = [claim_verdicts[c] for c in rec["claims"]]
        strong, partial = {"supported", "numbers_match"}, {"partly_supported", "numbers_differ"}
        if all(v in strong for v in verdicts_of):
            level = "supported"
        elif any(v in strong | partial for v in verdicts_of):
            level = "partly supported"
        else:
            level = "not shown by the evidence"
        counts = ", ".join(f"{n} {v}" for v, n in sorted(Counter(verdicts_of).items()))
        assert got[rec["id"]] == (level, f"{len(verdicts_of)} claims: {counts}"), rec["id"]


def test_article_words_resolve_to_the_right_muscles(db_rows):
    rows = db_rows("select claim_id, article_term, muscle_id from claim_muscle")
    assert sorted(tuple(r) for r in rows) == sorted(
        {(c, t["term"], t["muscle"]) for c, claim in CLAIMS.items() for t in claim.get("terms") or []}
    )
    terms = [(r["article_term"], r["muscle_id"]) for r in rows]
    assert ("hocks", "hamstrings") in terms
    assert ("buttock muscles", "hamstrings") in terms
    synonyms = {
        r["term"]: r["muscle_id"]
        for r in db_rows(
            "select term, muscle_id from muscle_synonym where term in "
            "('hocks', 'bale', 'balls', 'butt', 'inner thigh', 'hase')",
        )
    }
    assert synonyms == {
        "hocks": "hamstrings",
        "bale": "gluteals",
        "balls": "gluteals",
        "butt": "gluteals",
        "inner thigh": "adductors",
        "hase": "hamstrings",
    }
    # 'buttocks' is both: a lay word for the glutes and the article's mistranslation of hamstrings
    assert {r[0] for r in db_rows("select muscle_id from muscle_synonym where term = 'buttocks'")} == {
        "gluteals", "hamstrings"}  # fmt: skip


def test_claims_full_text_search(db_rows):
    hits = db_rows(
        "select c.id from claim c join claim_fts f on f.rowid = c.rowid "
        "where claim_fts match 'thrust' order by c.position",
    )
    assert "contreras2015_hip_thrust_vs_squat" in [r[0] for r in hits]


def test_unknown_article_word_is_an_error_naming_the_field(data_copy, tmp_path):
    # The first place the file gives {term: hocks, muscle: hamstrings} is the one edited.
    (where,) = [
        f"claims[{i}].terms[{j}]"
        for i, claim in enumerate(CLAIMS_FILE["claims"])
        for j, term in enumerate(claim.get("terms") or [])
        if term == {"term": "hocks", "muscle": "hamstrings"}
    ][:1]
    edit(data_copy / "claims.yaml", "{term: hocks, muscle: hamstrings}", "{term: hooks, muscle: hamstrings}")
    with pytest.raises(DataError) as error:
        build(tmp_path / "x.db", data_copy)
    # `<file>:<line>: <field>: <message>`
    assert re.search(
        rf"claims\.yaml:\d+: {re.escape(where)}\.term: 'hooks' is not a known word", str(error.value)
    )


def test_a_number_the_study_file_does_not_record_is_an_error(data_copy, tmp_path):
    edit(data_copy / "claims.yaml", "value: 40.3}", "value: 41.3}")
    with pytest.raises(DataError, match=r"claims\[0\]\.numbers\[0\]: 0 article measurements"):
        build(tmp_path / "x.db", data_copy)


async def test_claim_page_shows_verdict_study_and_numbers(ds):
    page = (await ds.client.get("/evidence/claim/caterisano2002_depth")).text
    # Codes in plain words (schema/labels.py), never raw.
    assert label("verdict", "metric_not_mvc") in page and "metric_not_mvc" not in page
    assert label("metric", "emg_share_of_sum") in page
    assert 'href="/evidence/study/caterisano2002"' in page
    assert ">16.92</a>" in page and ">16.9</a>" in page


async def test_recommendation_to_claims_to_study_to_numbers(ds):
    page = (await ds.client.get("/evidence/recommendation/squat_to_parallel")).text
    assert 'href="/evidence/claim/caterisano2002_depth"' in page
    claim = (await ds.client.get("/evidence/claim/caterisano2002_depth")).text
    assert 'href="/evidence/study/caterisano2002"' in claim
    study = await ds.client.get("/evidence/study_numbers.json?study_id=caterisano2002&_shape=array")
    assert 16.9 in [row["value"] for row in study.json()]


async def test_canned_query_claims_and_their_evidence(ds, db_path):
    everything = (await ds.client.get("/evidence/claims_and_their_evidence.json?_shape=array")).json()
    assert {row["claim_id"] for row in everything} == set(CLAIMS)
    only = (
        await ds.client.get("/evidence/claims_and_their_evidence.json?_shape=array&verdict=metric_not_mvc")
    ).json()
    expected = {c for c, verdict in verdicts(db_path).items() if verdict == "metric_not_mvc"}
    assert expected and {row["claim_id"] for row in only} == expected
    page = await ds.client.get("/evidence/claims_and_their_evidence")
    assert page.status_code == 200


async def test_claim_search_in_datasette(ds):
    rows = (await ds.client.get("/evidence/claim.json?_search=kickback&_shape=array")).json()
    assert "kickback_abduction_vs_adduction" in {r["id"] for r in rows}
