"""Pools and network models as R's metafor and clubSandwich compute them, on the real data and on
generated data with many studies; the comparability rules' Python and SQL agree; one direction
per pair; every condition kept; grades and sensitivity analyses.

The generated studies (tests/synthetic_network.py) are test fixtures, never in data/.
"""

import csv
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from synthetic_network import APART, write_studies

from emg_evidence.analysis.export import export
from emg_evidence.analysis.grade import DEFAULT_PEDRO, SWD, Evidence, grade
from emg_evidence.analysis.pooling import pool, robust
from emg_evidence.analysis.queries import query_sql
from emg_evidence.analysis.synthesis import Options, network_for, pairwise_for, synthesise
from emg_evidence.ingest.build import build
from emg_evidence.paths import DATA_DIR

#: metafor's and clubSandwich's answers equal ours to this (estimates and SEs absolutely,
#: variance components relatively: metafor's own optimiser stops about 1e-7 short).
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def network_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("network")
    shutil.copytree(DATA_DIR, root / "data")
    write_studies(root / "data" / "extractions", studies=30)
    return build(root / "network.db", root / "data").path


@pytest.fixture(scope="module")
def network_export(network_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("network_export")
    export(network_db, out, unlabelled_as_sd=True)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def run_r(script: str, cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run(["Rscript", "--vanilla", "-e", script], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- the network model equals rma.mv ----------------------------------------------------------------

NETWORK_R = """
suppressMessages(library(metafor))
source("read_export.R")
net <- read_network()
out <- list()
for (key in unique(net$key[net$row == "level"])) {
  fit <- suppressWarnings(network_model(key))
  names <- sub("factor\\\\(exercise_id\\\\)", "", rownames(fit$b))
  out[[key]] <- list(names = names, b = as.numeric(fit$b), se = fit$se, sigma2 = fit$sigma2)
}
cat(jsonlite::toJSON(out, digits = NA, auto_unbox = FALSE))
"""


@pytest.mark.parametrize("which", ["network_export", "real_export"])
def test_network_equals_metafor_rma_mv(which, request):
    out = request.getfixturevalue(which)
    theirs = json.loads(run_r(NETWORK_R, out))
    rows = read_csv(out / "network.csv")
    levels = [r for r in rows if r["row"] == "level"]
    assert theirs and {r["key"] for r in levels} == set(theirs)
    for key, fit in theirs.items():
        mine = {r["exercise_id"]: r for r in levels if r["key"] == key}
        assert set(fit["names"]) == set(mine)
        for name, b, se in zip(fit["names"], fit["b"], fit["se"]):
            assert float(mine[name]["estimate"]) == pytest.approx(b, abs=TOLERANCE), (key, name)
            assert float(mine[name]["se"]) == pytest.approx(se, abs=TOLERANCE), (key, name)
        first = next(iter(mine.values()))
        for ours, expected in zip((first["sigma2_study"], first["sigma2_condition"]), fit["sigma2"]):
            assert float(ours) == pytest.approx(expected, rel=TOLERANCE, abs=TOLERANCE), key
    if which == "network_export":
        # The generated network: two muscles of 30 studies, every exercise estimated.
        big = {r["key"] for r in levels if int(r["network_studies"]) >= 25}
        assert len(big) == 2 and all(len(theirs[k]["names"]) == 6 for k in big)


def test_network_reports_unlinked_exercises_apart_and_ranks_the_rest(network_export):
    rows = read_csv(network_export / "network.csv")
    apart = [r for r in rows if r["row"] == "apart"]
    # The generated unlinked pair is apart; so is any exercise of the real data that no study
    # links to the ranked ones (derived from the arms of single_conditions.csv).
    assert set(APART) <= {r["exercise_id"] for r in apart}
    assert all(r["rank"] == "" and r["estimate"] == "" for r in apart)
    arms = [r for r in read_csv(network_export / "single_conditions.csv")
            if r["network_key"] and r["yi"] and r["vi"] and float(r["vi"]) > 0]  # fmt: skip
    for key in {r["key"] for r in rows}:
        ranked = {r["exercise_id"] for r in rows if r["key"] == key and r["row"] == "level"}
        away = {r["exercise_id"] for r in apart if r["key"] == key}
        mine = [r for r in arms if r["network_key"] == key]
        assert ranked | away == {r["exercise_id"] for r in mine}, key
        assert len(ranked) != 1, key  # one exercise alone is no network
        for e in away:
            studies = {r["study_id"] for r in mine if r["exercise_id"] == e}
            assert not {r["exercise_id"] for r in mine if r["study_id"] in studies} & ranked, (key, e)
    for key in {r["key"] for r in rows if r["row"] == "level"}:
        levels = sorted(
            (r for r in rows if r["key"] == key and r["row"] == "level"), key=lambda r: int(r["rank"])
        )
        scores = [float(r["p_score"]) for r in levels]
        assert scores == sorted(scores, reverse=True)
        assert sum(scores) == pytest.approx(len(scores) / 2)  # P-scores average one half
        for r in levels:
            assert (
                float(r["pi_lb"])
                <= float(r["ci_lb"])
                <= float(r["estimate"])
                <= float(r["ci_ub"])
                <= float(r["pi_ub"])
            )
            assert r["grade"] and r["reasons"]
        t = len(levels)
        assert sum(1 for r in rows if r["key"] == key and r["row"] == "difference") == t * (t - 1) // 2


# --- pools equal rma and clubSandwich -----------------------------------------------------------

POOLS_R = """
suppressMessages({library(metafor); library(clubSandwich)})
source("read_export.R")
d <- read_differences(); d <- d[d$pooled == 1, ]
out <- list()
for (key in unique(d$contrast_key)) {
  g <- d[d$contrast_key == key, ]
  for (method in c("REML", "DL", "PM")) for (test in c("z", "knha")) {
    fit <- suppressWarnings(rma(yi, vi, data = g, method = method, test = test,
               control = list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)))
    p <- predict(fit)
    r <- list(b = as.numeric(fit$b), se = fit$se, ci_lb = fit$ci.lb, tau2 = fit$tau2, i2 = fit$I2,
              pi_lb = p$pi.lb, pi_ub = p$pi.ub)
    if (test == "z" && length(unique(g$study_id)) > 1 && nrow(g) > length(unique(g$study_id))) {
      ct <- coef_test(fit, vcov = "CR2", cluster = g$study_id)
      r$robust_se <- ct$SE; r$robust_df <- ct$df_Satt
    }
    out[[paste(key, method, test)]] <- r
  }
}
cat(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE))
"""


def test_pools_equal_metafor_rma_and_clubsandwich(network_export):
    theirs = json.loads(run_r(POOLS_R, network_export))
    differences = [r for r in read_csv(network_export / "differences.csv") if r["pooled"] == "1"]
    by_key: dict[str, list[dict]] = {}
    for r in differences:
        by_key.setdefault(r["contrast_key"], []).append(r)
    assert len(by_key) >= 30 and sum(len(v) > 2 for v in by_key.values()) >= 20
    checked_robust = 0
    for key, rows in by_key.items():
        yi, vi = [float(r["yi"]) for r in rows], [float(r["vi"]) for r in rows]
        for method in ("REML", "DL", "PM"):
            for knha in (False, True):
                expected = theirs[f"{key} {method} {'knha' if knha else 'z'}"]
                p = pool(yi, vi, method, knha)
                for ours, name in ((p.estimate, "b"), (p.se, "se"), (p.ci_lb, "ci_lb"), (p.i2, "i2"),
                                   (p.pi_lb, "pi_lb"), (p.pi_ub, "pi_ub")):  # fmt: skip
                    assert ours == pytest.approx(expected[name], abs=TOLERANCE), (key, method, knha, name)
                assert p.tau2 == pytest.approx(expected["tau2"], rel=TOLERANCE, abs=TOLERANCE)
                if "robust_se" in expected:
                    r = robust(yi, vi, [x["study_id"] for x in rows], p)
                    assert r is not None
                    assert r.se == pytest.approx(expected["robust_se"], abs=TOLERANCE)
                    assert r.df == pytest.approx(expected["robust_df"], rel=TOLERANCE)
                    checked_robust += 1
    assert checked_robust >= 10
    # pooled.csv holds the REML (z) pools of these rows.
    for row in read_csv(network_export / "pooled.csv"):
        if row["estimate"]:
            expected = theirs[f"{row['key']} REML z"]
            assert float(row["estimate"]) == pytest.approx(expected["b"], abs=TOLERANCE)
            assert float(row["i2"]) == pytest.approx(expected["i2"], abs=TOLERANCE)


def test_reml_tau2_solves_the_reml_equation_at_large_tau2():
    """Where tau² is large (PyMARE's REML was off in the 4th decimal from about 170): our tau²
    equals metafor's run to convergence, and the REML score is zero there."""
    yi = [12.0, 55.0, -20.0, 80.0, 31.0, -2.0, 64.0]
    vi = [20.0, 35.0, 18.0, 60.0, 25.0, 15.0, 40.0]
    script = (f"suppressMessages(library(metafor)); r <- rma(c({','.join(map(str, yi))}), "
              f"c({','.join(map(str, vi))}), method = 'REML', control = list(threshold = 1e-14, maxiter = 10000));"
              " cat(sprintf('%.15g', r$tau2))")  # fmt: skip
    expected = float(run_r(script, Path.cwd()))
    p = pool(yi, vi, "REML")
    assert expected > 170
    assert p.tau2 == pytest.approx(expected, rel=1e-9)
    w = [1 / (v + p.tau2) for v in vi]
    mean = sum(a * b for a, b in zip(w, yi)) / sum(w)
    score = -0.5 * (sum(w) - sum(x * x for x in w) / sum(w)) + 0.5 * sum(
        x * x * (y - mean) ** 2 for x, y in zip(w, yi)
    )
    assert abs(score) < 1e-12


# --- direction, conditions, keys -----------------------------------------------------------------


def test_one_direction_per_pair(network_export, real_export):
    for out in (network_export, real_export):
        pooled = read_csv(out / "pooled.csv")
        pairs = {r["pair"] for r in pooled if r["kind"] == "exercises"}
        for pair in pairs:
            first, second = pair.split("-vs-")
            assert first < second and f"{second}-vs-{first}" not in pairs
    # The generated load contrasts: heavier minus lighter (the heavy version is 6 %MVIC higher).
    load = [r for r in read_csv(network_export / "pooled.csv") if r["factor"] == "load" and r["estimate"]]
    assert load and all(r["direction"].endswith("heavier minus lighter") for r in load)
    assert sum(float(r["estimate"]) > 0 for r in load) > len(load) / 2


def test_every_condition_of_a_study_is_kept(network_db, network_export):
    connection = sqlite3.connect(network_db)
    counts = connection.execute(
        "select c.study_id, count(*) from measurement m join condition c on c.id = m.condition_id"
        " where m.muscle_id = 'gluteus_maximus' and c.study_id like 'synthnet%' group by 1"
    ).fetchall()
    connection.close()
    contrasts = [r for r in read_csv(network_export / "contrasts.csv")
                 if r["measure"] == "MC" and r["muscle_id"] == "gluteus_maximus"]  # fmt: skip
    for study, conditions in counts:
        assert sum(r["study_id"] == study for r in contrasts) == conditions * (conditions - 1) // 2
    # Every difference with yi and vi enters its pool (one row per difference, not one per study).
    pooled = {r["key"]: int(r["differences"]) for r in read_csv(network_export / "pooled.csv")}
    taken = [r for r in read_csv(network_export / "differences.csv") if r["pooled"] == "1"]
    assert sum(pooled.values()) == len(taken)
    assert any(int(r["differences"]) > int(r["studies"]) for r in read_csv(network_export / "pooled.csv"))


def test_printed_differences_replace_the_arms_and_turn_with_the_pair(network_db, network_export):
    connection = sqlite3.connect(network_db)
    connection.row_factory = sqlite3.Row
    printed = {
        r["id"]: dict(r)
        for r in connection.execute(
            "select id, estimate, ci_low, ci_high, condition_a_id a, condition_b_id b from contrast"
        )
    }
    connection.close()
    rows = [r for r in read_csv(network_export / "differences.csv") if r["origin"] == "printed"]
    assert printed and {int(r["contrast_id"]) for r in rows} == set(printed)
    for r in rows:
        source = printed[int(r["contrast_id"])]
        assert {source["a"], source["b"]} == {int(r["condition1_id"]), int(r["condition2_id"])}
        sign = 1 if source["a"] == int(r["condition1_id"]) else -1
        # Where only the interval is printed, its midpoint is the estimate (schema: contrast.estimate).
        estimate = source["estimate"]
        if estimate is None:
            estimate = (source["ci_low"] + source["ci_high"]) / 2
            assert "midpoint" in r["se_source"]
        assert float(r["yi"]) == pytest.approx(sign * estimate)
        arms = [x for x in read_csv(network_export / "differences.csv")
                if x["origin"] == "arms" and x["contrast_key"] == r["contrast_key"]
                and {x["condition1_id"], x["condition2_id"]} == {r["condition1_id"], r["condition2_id"]}]  # fmt: skip
        assert not arms


def test_sql_rules_select_what_the_python_rules_select(db_path, real_export):
    """schema/comparability.py's SQL (in meta_single, meta_contrasts, the ranking) and its Python
    functions give the same keys and rows on the real data."""
    from emg_evidence.analysis.export import single_rows
    from emg_evidence.schema import comparability as rules

    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    clinical = dict(connection.execute("select id, clinical_condition from study").fetchall())
    single = single_rows(db_path)
    assert any(r["network_key"] for r in single)
    for r in single:
        assert r["network_key"] == rules.level_key(r, clinical[r["study_id"]]), r["measurement_id"]
    every = [dict(r) for r in connection.execute(
        f"select e.*, st.clinical_condition, {rules.level_key_sql('e.', 'st.clinical_condition')} as k,"
        f" {rules.value_to_use_sql('e.')} as use, {rules.unit_kind_sql('e.unit')} as kind,"
        f" {rules.population_sql('e.population_group', 'st.clinical_condition')} as pop"
        " from meta_extract e join study st on st.id = e.study_id")]  # fmt: skip
    assert len(every) > len(single) / 2
    for r in every:
        assert r["k"] == rules.level_key(r, r["clinical_condition"])
        assert bool(r["use"]) == rules.is_value_to_use(r)
        assert r["kind"] == rules.unit_kind(r["unit"])
        assert r["pop"] == rules.population(r["population_group"], r["clinical_condition"])
    for r in read_csv(real_export / "contrasts.csv"):
        row = dict(connection.execute("select * from meta_extract where measurement_id = ?",
                                      (r["measurement1_id"],)).fetchone())  # fmt: skip
        key = rules.contrast_key(row, clinical[row["study_id"]])
        expected = f"{r['pair']}/{key}" if key and (r["factor"] == "" or r["contrast_key"]) else ""
        assert r["contrast_key"] == expected
    # The pairs of the derived table are exactly the pairs the Python rule allows.
    preferred = [dict(r) for r in connection.execute(
        "select e.*, m.side from meta_extract e join measurement m on m.id = e.measurement_id where e.preferred = 1")]  # fmt: skip
    allowed = {frozenset((a["measurement_id"], b["measurement_id"])) for a in preferred for b in preferred
               if a["measurement_id"] < b["measurement_id"] and rules.paired(a, b)}  # fmt: skip
    stored = {
        frozenset(r) for r in connection.execute("select measurement1_id, measurement2_id from contrast_pair")
    }
    connection.close()
    assert stored == allowed


async def test_ranking_page_shows_the_values_the_rules_choose(ds, db_path):
    from emg_evidence.schema import comparability as rules

    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    rows = [dict(r) for r in connection.execute(
        "select e.*, st.clinical_condition from meta_extract e join study st on st.id = e.study_id"
        " where e.muscle_id in (select muscle_id from muscle_term where term = 'gluteus_maximus')")]  # fmt: skip
    sql = "select measurement_id from (" + query_sql("muscle_activation") + ")"
    activation = [
        dict(r) for r in await ds.get_database("evidence").execute(sql, {"muscle": "gluteus_maximus"})
    ]
    connection.close()
    expected = {r["measurement_id"] for r in rows if r["comparable_mvc"] and rules.is_value_to_use(r)}
    assert {r["measurement_id"] for r in activation} == expected


# --- grades, sensitivity, the files ---------------------------------------------------------------


def _evidence(**changes) -> Evidence:
    base = dict(kind="difference", estimate=25.0, ci_lb=15.0, ci_ub=35.0, studies=4, pedro=[7, 8, 6, 7],
                normalisation="mvc_standardised_isometric", population="healthy", pi_lb=5.0, pi_ub=45.0,
                i2=20.0, study_intervals=[(10.0, 40.0)] * 4)  # fmt: skip
    return Evidence(**{**base, **changes})


def test_grade_starts_high_and_goes_down_one_level_per_concern():
    assert grade(_evidence()).level == "high" and grade(_evidence()).reasons == ()
    one = {
        "risk of bias": dict(pedro=[None, None, 7, 6]),
        "inconsistency": dict(i2=70.0),
        "imprecision": dict(ci_lb=-2.0),
        "indirectness": dict(population="clinical"),
        "only 2 studies": dict(studies=2),
    }
    for word, change in one.items():
        g = grade(_evidence(**change))
        assert g.level == "moderate" and word in g.words, (word, g)
    assert f"taken as {DEFAULT_PEDRO}" in grade(_evidence(pedro=[None, None, 7, 6])).words
    g = grade(_evidence(ci_lb=-SWD - 1, ci_ub=SWD + 1, estimate=0.0, studies=1, pedro=[None],
                        normalisation="task_peak_or_mean", i2=None))  # fmt: skip
    assert g.level == "very low" and "one study" in g.words and "not an MVC" in g.words
    g = grade(_evidence(study_intervals=[(-30.0, -5.0)] + [(10.0, 40.0)] * 3))
    assert g.level == "moderate" and "other direction" in g.words


def test_every_pooled_answer_has_a_grade_and_reasons(network_export, real_export):
    for out in (network_export, real_export):
        for r in read_csv(out / "pooled.csv"):
            assert (r["grade"] != "") == (r["estimate"] != "")
            assert r["reasons"]
        for r in read_csv(out / "network.csv"):
            if r["row"] in ("level", "difference"):
                assert r["grade"] in ("high", "moderate", "low", "very low") and r["reasons"]
    # On the real data every pool rests on one study today, and says so.
    real = [r for r in read_csv(real_export / "pooled.csv") if r["estimate"]]
    assert real and all(("one study" in r["reasons"]) == (r["studies"] == "1") for r in real)


def test_sensitivity_reruns_each_pool(network_export):
    reruns = read_csv(network_export / "sensitivity.csv")
    pooled = read_csv(network_export / "pooled.csv")
    for p in pooled:
        mine = [r for r in reruns if r["key"] == p["key"] and r["kind"] == "pool"]
        assert sorted(r["variant"] for r in mine if r["analysis"] == "ri") == ["0.3", "0.5", "0.7"]
        assert {r["variant"] for r in mine if r["analysis"] == "sd_basis"} == {"reported", "unlabelled"}
        if int(p["studies"]) > 1:
            assert len([r for r in mine if r["analysis"] == "leave_one_out"]) == int(p["studies"])
            assert "leaving out one study" in p["sensitivity"]
    # The export read unlabelled '±' as SDs: the pools that need them say so.
    needing = [p for p in pooled if int(p["unlabelled_sd"]) > 0]
    assert needing and all("unlabelled" in p["notes"] for p in needing)


def test_read_export_reads_utf8_in_any_locale(real_export):
    script = """source("read_export.R"); s <- read_single_conditions()
    cat(any(grepl("Garc\\u00eda", s$citation, fixed = TRUE)), any(grepl("\\u00b0", s$condition, fixed = TRUE)))"""
    import os

    for locale in ("C", "C.UTF-8"):
        out = run_r(script, real_export, env={**os.environ, "LC_ALL": locale, "LANG": locale})
        assert out.split() == ["TRUE", "TRUE"], locale


def test_question_functions(network_db):
    s = synthesise(network_db, Options())
    models = network_for(network_db, "gluteus_maximus")
    model = max(models, key=lambda m: m["studies"])
    assert model["levels"][0]["rank"] == 1 and model["levels"][0]["grade"] and model["levels"][0]["reasons"]
    best = model["levels"][0]["exercise_id"]
    assert best == "barbell_hip_thrust"  # the generated studies' highest level
    there = pairwise_for(network_db, "barbell_hip_thrust", "back_squat", "gluteus_maximus")
    back = pairwise_for(network_db, "back_squat", "barbell_hip_thrust", "gluteus_maximus")
    assert there and there[0]["estimate"] == pytest.approx(-back[0]["estimate"])
    assert there[0]["estimate"] > 0 and there[0]["grade"] and there[0]["reasons"]
    assert len(s.networks) >= 2
