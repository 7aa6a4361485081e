"""The evidence in the built evidence.db: each study against its extraction file, and data quality."""

from pathlib import Path

import pytest
import yaml

from emg_evidence.paths import DATA_DIR
from emg_evidence.schema.allowed_values import PLAUSIBLE_RANGES
from emg_evidence.schema.comparability import MVC_CATEGORIES

EXTRACTIONS = sorted((DATA_DIR / "extractions").glob("*.extraction.yaml"))

#: The twelve studies the seed article cites (issue 3), by the ids chosen for them.
CITED = {
    "mccurdy2018", "mccurdy2010", "caterisano2002", "bryanton2012", "riemann2012",
    "marchetti2016", "dasilva2017", "collazogarcia2020", "andersen2018", "contreras2015",
    "hipext2019_ptp", "benn2018",
}  # fmt: skip


def test_every_cited_study_is_in_the_database(db):
    ids = {row["id"] for row in db.execute("select id from study")}
    assert CITED <= ids
    claims = yaml.safe_load((DATA_DIR / "claims.yaml").read_text())["claims"]
    assert {c["study"] for c in claims if c.get("study")} <= CITED


@pytest.mark.parametrize("path", EXTRACTIONS, ids=lambda p: p.name.split(".")[0])
def test_study_matches_its_extraction_file(db, path: Path):
    data = yaml.safe_load(path.read_text())
    study = data["study"]
    row = db.execute("select * from study where id = ?", [study["id"]]).fetchone()
    assert row is not None
    for field in ("year", "title", "journal", "doi", "pmid", "identification"):
        expected = study.get(field)
        assert (None if expected is None else str(expected)) == (
            None if row[field] is None else str(row[field])
        ), field
    assert row["n"] == study.get("participants", {}).get("n")

    conditions = db.execute(
        "select key, exercise_id, label from condition where study_id = ? order by id",
        [study["id"]],
    ).fetchall()
    assert [(c["key"], c["exercise_id"], c["label"]) for c in conditions] == [
        (c["id"], c["exercise"], c["label"]) for c in data["conditions"]
    ]

    rows = db.execute(
        """select c.key as condition, m.muscle_id, m.metric, m.statistic, m.phase, m.value,
                  m.dispersion, m.dispersion_type, m.n, m.source_id, m.locator, r.key as restates
           from measurement m join condition c on c.id = m.condition_id
           left join measurement r on r.id = m.restates_id
           where c.study_id = ? order by m.id""",
        [study["id"]],
    ).fetchall()
    expected = [
        (m["condition"], m["muscle"], m["metric"], m["statistic"], m["phase"], m["value"],
         m.get("dispersion"), m.get("dispersion_type"), m.get("n"), m["source"], m["locator"],
         m.get("restates"))
        for m in data.get("measurements") or []
    ]  # fmt: skip
    assert [tuple(r) for r in rows] == expected

    findings = db.execute(
        """select a.key, b.key, f.muscle_id, f.muscle_b_id, f.direction, f.size, f.p_value,
                  f.p_relation, f.source_id
           from finding f join condition a on a.id = f.condition_a_id
           left join condition b on b.id = f.condition_b_id
           where f.study_id = ? order by f.id""",
        [study["id"]],
    ).fetchall()
    assert [tuple(r) for r in findings] == [
        (f["a"], f.get("b"), f["muscle"], f.get("muscle_b"), f["direction"], f.get("size"),
         f.get("p_value"), f.get("p_relation"), f["source"])
        for f in data.get("findings") or []
    ]  # fmt: skip


def test_every_measurement_has_what_a_reader_needs(db):
    missing = db.execute(
        """select measurement_id from meta_extract
           where metric is null or statistic is null or provenance is null
              or locator is null or trim(locator) = ''"""
    ).fetchall()
    assert missing == []


def test_values_are_plausible_for_their_metric(db):
    for metric, (low, high) in PLAUSIBLE_RANGES.items():
        bad = db.execute(
            "select id, value from measurement where metric = ? and (value < ? or value > ?)",
            [metric, low, high],
        ).fetchall()
        assert bad == [], metric
    # %MVC values sit well under 500; shares of a sum are percentages.
    (top,) = db.execute("select max(value) from meta_extract where comparable_mvc = 1").fetchone()
    assert top < 500


def test_primary_sources_have_addresses(db):
    assert (
        db.execute("select id from source where kind in ('primary', 'review') and url is null").fetchall()
        == []
    )


def test_secondary_values_point_at_primary_values(db):
    bad = db.execute(
        """select m.id from measurement m join source s on s.id = m.source_id
           left join measurement r on r.id = m.restates_id
           left join source rs on rs.id = r.source_id
           where (s.kind = 'primary' and m.restates_id is not null)
              or (m.restates_id is not null and rs.kind <> 'primary')"""
    ).fetchall()
    assert bad == []


def test_comparable_mvc_only_for_mvc_normalised_emg(db):
    rows = db.execute("select metric, normalisation_category, comparable_mvc from meta_extract").fetchall()
    for metric, category, comparable in rows:
        assert comparable == int(metric == "emg_amplitude" and category in MVC_CATEGORIES)


def test_not_verified_studies_say_why(db):
    assert (
        db.execute(
            "select id from study where identification <> 'verified' "
            "and (identification_note is null or identification_note = '')"
        ).fetchall()
        == []
    )


def test_article_numbers_that_differ_from_the_paper_are_kept(db):
    # Caterisano: the article prints 16.92 where the abstract prints 16.9: a disagreement is data.
    rows = db.execute(
        """select m.value, r.value from measurement m join measurement r on r.id = m.restates_id
           join condition c on c.id = m.condition_id
           where c.study_id = 'caterisano2002' and c.key = 'partial'"""
    ).fetchall()
    assert [tuple(r) for r in rows] == [(16.92, 16.9)]
