"""The answer pages' bottom lines and the synthesis say the same thing: a pooled answer (a pool or
network model of two or more studies) first, with its difference or estimate, studies, people and
the grade analysis/grade.py gave it; "no pooled answer exists yet" where the synthesis has none.

On the real data (no pool has two studies yet) and on a copy with generated studies added
(tests/synthetic_network.py: test fixtures, never in data/). Pages through Datasette's in-process
client; expected values from analysis/synthesis.py and analysis/grade.py, never literals.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from synthetic_network import write_studies

from emg_evidence.analysis.grade import LEVELS, grade, unpooled
from emg_evidence.analysis.synthesis import cached, network_for, pairwise_for, pool_evidence
from emg_evidence.analysis.verdicts import fmt_number
from emg_evidence.ingest.build import build
from emg_evidence.paths import DATA_DIR
from emg_evidence.serving import answer_lines as lines
from emg_evidence.serving.answer_lines import studies_and_people


@pytest.fixture(scope="module")
def generated_db(tmp_path_factory) -> Path:
    """The real data and 30 generated studies, built as evidence.db (the name Datasette serves)."""
    root = tmp_path_factory.mktemp("answers_generated")
    shutil.copytree(DATA_DIR, root / "data")
    write_studies(root / "data" / "extractions", studies=30)
    return build(root / "evidence.db", root / "data").path


async def bottom_line(make_datasette, db: Path, url: str) -> str:
    """The page's bottom line as text (tags dropped, entities read)."""
    response = await make_datasette(db).client.get(url)
    assert response.status_code == 200, url
    section = re.search(r'<section class="bottom-line".*?</section>', response.text, re.S)
    assert section, url
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section.group(0))).split())


def pools(db: Path, a_ids: list[str], b_ids: list[str], muscle: str) -> list[dict]:
    """The synthesis's pools of two or more studies between a version of A and one of B."""
    return [
        row
        for a in a_ids
        for b in b_ids
        if a != b
        for row in pairwise_for(db, a, b, muscle)
        if row.get("estimate") is not None and row["studies"] >= lines.MIN_POOLED
    ]


# --- the real data ---------------------------------------------------------------------------------

#: (question, exercise ids of A, of B, muscle id): the compare pages asked by id-like words.
COMPARE = [
    ("/compare?a=barbell+hip+thrust&b=back+squat&muscle=gluteus+maximus", ["barbell_hip_thrust"], ["back_squat"], "gluteus_maximus"),
    ("/compare?a=barbell+hip+thrust&b=back+squat&muscle=gluteus+medius", ["barbell_hip_thrust"], ["back_squat"], "gluteus_medius"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "a", "b", "muscle"), COMPARE, ids=[c[0] for c in COMPARE])
async def test_real_data_compare_says_no_pooled_answer_where_the_synthesis_has_none(
    make_datasette, db_path, url, a, b, muscle
):
    text = await bottom_line(make_datasette, db_path, url)
    found = pools(db_path, a, b, muscle)
    if found:  # the data have grown: the pooled answer leads
        assert "No pooled answer exists yet" not in text and "pooled over" in text
    else:
        assert text.startswith("Bottom line No pooled answer exists yet; study by study")
        assert "pooled over" not in text


async def test_real_data_ranking_says_no_pooled_answer_where_no_network_has_two_studies(
    make_datasette, db_path
):
    text = await bottom_line(make_datasette, db_path, "/ranking?muscle=gluteus+maximus")
    networks = [n for n in network_for(db_path, "gluteus_maximus") if n["studies"] >= lines.MIN_POOLED]
    assert ("No pooled answer exists yet" in text) == (not networks)
    assert ("network model" in text) == bool(networks)


# --- generated studies: a pooled answer shows ------------------------------------------------------


async def test_compare_states_the_pooled_difference_first_with_k_and_grade(make_datasette, generated_db):
    a, b, muscle = "barbell_hip_thrust", "back_squat", "gluteus_maximus"
    found = pools(generated_db, [a], [b], muscle)
    assert found, "the generated studies give this pair a pool of two or more studies"
    text = await bottom_line(
        make_datasette, generated_db, "/compare?a=barbell+hip+thrust&b=back+squat&muscle=gluteus+maximus"
    )
    s = cached(generated_db)
    for row in found:
        pool = next(p for p in s.pools if p.key == row["key"])
        level = grade(pool_evidence(pool, s.raw)).level  # grade.py's own answer for this pool
        assert level == row["grade"] == s.grades[("pool", row["key"])].level
        line = next(
            line
            for line in lines.pooled_compare_lines(generated_db, [a], [b], [], [muscle])
            if f"= {fmt_number(round(row['estimate'], 1))} %MVC points" in line["text"]
        )
        assert f"pooled over {studies_and_people(row['studies'], row['people'])}" in line["text"]
        assert line["grade"] == level and line["why"] == s.grades[("pool", row["key"])].main
        assert f"{line['text']} How sure: {level} ({line['why']}" in text
    # The pooled answer first, the studies one by one after it.
    assert text.index("pooled over") < text.index("Study by study")
    assert "No pooled answer exists yet" not in text


async def test_compare_turns_the_pool_into_the_order_asked(make_datasette, generated_db):
    """back squat vs hip thrust: the same pool, the difference and its bounds turned."""
    found = pools(generated_db, ["back_squat"], ["barbell_hip_thrust"], "gluteus_maximus")
    turned = pools(generated_db, ["barbell_hip_thrust"], ["back_squat"], "gluteus_maximus")
    assert [r["estimate"] for r in found] == pytest.approx([-r["estimate"] for r in turned])
    text = await bottom_line(
        make_datasette, generated_db, "/compare?a=back+squat&b=barbell+hip+thrust&muscle=gluteus+maximus"
    )
    for row in found:
        assert f"minus barbell hip thrust = {fmt_number(round(row['estimate'], 1))} %MVC points" in text


async def test_ranking_states_the_network_models_top_exercise_first(make_datasette, generated_db):
    networks = [n for n in network_for(generated_db, "gluteus_maximus") if n["studies"] >= lines.MIN_POOLED]
    assert networks, "the generated studies give the gluteus maximus a network model"
    network = max(networks, key=lambda n: (n["studies"], n["people"]))
    top = min((lv for lv in network["levels"] if lv["rank"]), key=lambda lv: lv["rank"])
    text = await bottom_line(make_datasette, generated_db, "/ranking?muscle=gluteus+maximus")
    assert f"network model of {studies_and_people(network['studies'], network['people'])}" in text
    assert f"the {top['exercise']} ranks first: about {fmt_number(round(top['estimate']))} %MVC" in text
    assert f"measured in {studies_and_people(top['studies'], top['people'])}" in text
    assert f"How sure: {top['grade']}" in text
    assert "No pooled answer exists yet" not in text
    assert text.index("network model") < text.index("study by study")


# --- one definition of the grade -------------------------------------------------------------------


def test_unpooled_evidence_is_graded_by_grade_py_with_reasons_in_words():
    one = unpooled("difference", [None])
    assert one.level in LEVELS and one.main == "one study"
    assert "not pooled" in one.words and "PEDro" in one.words
    scored = unpooled("difference", [8, 8, 8])
    assert LEVELS.index(scored.level) < LEVELS.index(one.level)
    mixed = unpooled("difference", [8, 8, 8], agree=False)
    assert LEVELS.index(mixed.level) == LEVELS.index(scored.level) + 1 and "disagree" in mixed.words
    assert "not healthy" in unpooled("difference", [8, 8, 8], population="clinical").words
    assert "levels compare studies" in unpooled("level", [8, 8, 8]).words
    assert not hasattr(lines, "certainty")
