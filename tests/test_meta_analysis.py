"""Meta-analysis that runs: preferred values, converted and imputed SDs, pools checked by R.

The real data have too few studies sharing an exercise, muscle, statistic, central tendency and
phase to pool (the export says so with k = 0 warnings), so the pools are also checked on a
database built from data/ plus three made-up studies (test fixtures, never in data/) that do.
"""

import csv
import math
import shutil
import statistics
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from emg_evidence.analysis import dispersion
from emg_evidence.analysis.export import export
from emg_evidence.analysis.imputation import RuleError, parse_rule
from emg_evidence.analysis.pooling import pool
from emg_evidence.analysis.preferred import SAME_VALUE
from emg_evidence.cli import cli
from emg_evidence.ingest.build import build
from emg_evidence.paths import DATA_DIR

FIXTURE = Path(__file__).parent / "data" / "synthetic2099.extraction.yaml"

#: Three made-up studies of hip thrust vs back squat, upper gluteus maximus, mean %MVIC, whole
#: repetition: (study, n, hip thrust mean, SD, back squat mean, SD or None).
SYNTHETIC = [
    ("synthetic2096", 12, 62.0, 18.0, 35.0, 12.0),
    ("synthetic2097", 16, 75.0, 21.0, 28.0, None),
    ("synthetic2098", 10, 58.0, 15.0, 33.0, 11.0),
]


def synthetic_study(study_id: str, n: int, ht: float, ht_sd: float, bs: float, bs_sd: float | None) -> dict:
    def value(condition: str, mean: float, sd: float | None) -> dict:
        m = {
            "condition": condition, "muscle": "gluteus_maximus_upper", "metric": "emg_amplitude",
            "unit": "%MVIC", "normalisation_category": "mvc_standardised_isometric",
            "electrode": "surface", "statistic": "mean", "central_tendency": "mean", "phase": "whole",
            "value": mean, "n": n, "source": f"{study_id}_paper", "locator": "Table 2",
        }  # fmt: skip
        if sd is not None:
            m.update(dispersion=sd, dispersion_type="sd")
        return m

    return {
        "study": {
            "id": study_id, "authors": ["Fixture T"], "year": 2001, "journal": "Test Fixture",
            "title": f"SYNTHETIC TEST FIXTURE {study_id} (not a real study)", "identification": "unverified",
            "identification_note": "synthetic test fixture, not a real paper",
            "participants": {"n": n, "sex": "mixed", "population": "healthy_trained"},
        },
        "sources": [{"id": f"{study_id}_paper", "kind": "primary", "citation": "Synthetic paper",
                     "url": "https://example.org/synthetic"}],
        "conditions": [
            {"id": "hip_thrust", "exercise": "barbell_hip_thrust", "label": "hip thrust"},
            {"id": "back_squat", "exercise": "back_squat", "label": "back squat"},
        ],
        "measurements": [value("hip_thrust", ht, ht_sd), value("back_squat", bs, bs_sd)],
    }  # fmt: skip


@pytest.fixture(scope="module")
def pooled_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pooling")
    shutil.copytree(DATA_DIR, root / "data")
    shutil.copy(FIXTURE, root / "data" / "extractions")
    for row in SYNTHETIC:
        path = root / "data" / "extractions" / f"{row[0]}.extraction.yaml"
        path.write_text(yaml.safe_dump(synthetic_study(*row), sort_keys=False))
    return build(root / "pooling.db", root / "data").path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- the real data ------------------------------------------------------------------------------


def test_real_data_give_single_rows_with_yi_and_vi_without_assumption(real_export, db_path):
    rows = read_csv(real_export / "single_conditions.csv")
    usable = [r for r in rows if r["yi"] and r["vi"]]
    assert len(usable) >= 5
    assert all(r["sd_imputed"] == "0" and r["sd_source"] for r in usable)
    # The review's SD for McCurdy's split squat is among them, and Benn's medians, converted.
    assert any(r["study_id"] == "mccurdy2018" and r["sd_source"] == "review" for r in usable)
    assert any(r["study_id"] == "benn2018" and r["sd_source"] == "from_iqr:wan2014" for r in usable)


def test_no_value_is_counted_twice(real_export, db_path):
    import sqlite3

    rows = read_csv(real_export / "single_conditions.csv")
    ids = [int(r["measurement_id"]) for r in rows]
    assert len(ids) == len(set(ids))
    with sqlite3.connect(db_path) as c:
        restated = {
            r[0] for r in c.execute("select restates_id from measurement where restates_id is not null")
        }
        preferred_restatements = {
            r[0]
            for r in c.execute("select id from measurement where restates_id is not null and preferred = 1")
        }
        # A value and its restatement are never both preferred.
        both = c.execute(
            "select count(*) from measurement a join measurement b on b.restates_id = a.id"
            " where a.preferred = 1 and b.preferred = 1"
        ).fetchone()[0]
    assert both == 0
    assert not (set(ids) & (restated - preferred_restatements) - set(ids))
    # Filtering on preferred = 1 gives each value once: one row per SAME_VALUE key (condition,
    # muscle, metric, normalisation, statistic, phase and side: a left and a right leg's values
    # are two values), the project's one definition of "the same value".
    columns = ", ".join(f"m.{c}" for c in SAME_VALUE)
    with sqlite3.connect(db_path) as c:
        dupes = c.execute(
            f"select count(*) from (select {columns} from meta_extract e"
            " join measurement m on m.id = e.measurement_id where e.preferred = 1"
            f" group by {columns} having count(*) > 1)"
        ).fetchone()[0]
    assert dupes == 0


@pytest.mark.parametrize("which", ["real", "pooled"])
def test_no_pool_mixes_mean_median_peak_or_phase(which, real_export, pooled_db, tmp_path):
    out = real_export if which == "real" else tmp_path
    if which == "pooled":
        export(pooled_db, out, impute_sd="0.3")
    single = read_csv(out / "single_conditions.csv")
    columns = ("metric", "normalisation_category", "statistic", "central_tendency", "phase", "muscle_id")
    for rows, key in ((single, "network_key"), (read_csv(out / "contrasts.csv"), "contrast_key")):
        by_key: dict[str, set] = {}
        for r in rows:
            if r[key]:
                by_key.setdefault(r[key], set()).add(tuple(r[c] for c in columns))
        assert by_key
        assert all(len(v) == 1 for v in by_key.values())
    assert all(r["central_tendency"] in ("mean", "median", "") for r in single)


def test_export_counts_pools_by_studies_and_validates(db_path, tmp_path):
    result = CliRunner().invoke(cli, ["export", "--db", str(db_path), "--out", str(tmp_path), "--validate"])
    assert result.exit_code == 0, result.output
    pooled = read_csv(tmp_path / "pooled.csv")
    by_studies = [sum(min(int(r["studies"]), 3) == k for r in pooled) for k in (3, 2, 1, 0)]
    assert (
        f"{by_studies[0]} of 3 or more studies, {by_studies[1]} of 2, {by_studies[2]} of 1, "
        f"{by_studies[3]} with nothing to pool" in result.output
    )
    # Where no pool has two studies, the export says so in words.
    assert ("no pool has two studies yet" in result.output) == (by_studies[0] + by_studies[1] == 0)
    assert "with yi and vi as reported or converted" in result.output
    assert "frictionless: the package is valid" in result.output


# --- conversions ---------------------------------------------------------------------------------


def r_eval(expression: str) -> float:
    done = subprocess.run(
        ["Rscript", "--vanilla", "-e", f"cat(sprintf('%.15g', {expression}))"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return float(done.stdout)


@pytest.mark.parametrize("n", [5, 12, 40, 400])
def test_iqr_conversion_is_wan2014_checked_by_r(n):
    # Wan et al. 2014, scenario C3: SD = IQR / (2 qnorm((0.75 n - 0.125) / (n + 0.25))).
    expected = r_eval(f"20 / (2 * qnorm((0.75 * {n} - 0.125) / ({n} + 0.25)))")
    assert dispersion.sd_from_iqr(20, n) == pytest.approx(expected, rel=1e-12)


def test_iqr_divisor_tends_to_cochranes_1_35():
    assert dispersion.eta_wan2014(100_000) == pytest.approx(
        2 * statistics.NormalDist().inv_cdf(0.75), rel=1e-4
    )
    assert round(dispersion.eta_wan2014(100_000), 2) == 1.35


@pytest.mark.parametrize("n", [8, 25, 60])
def test_ci_and_se_conversions_checked_by_r(n):
    assert dispersion.sd_from_se(2.5, n) == pytest.approx(2.5 * math.sqrt(n))
    expected = r_eval(f"sqrt({n}) * 6.3 / qt(0.975, {n} - 1)")
    assert dispersion.sd_from_ci95(6.3, n) == pytest.approx(expected, rel=1e-12)


def test_to_sd_names_its_source():
    assert dispersion.to_sd(4.0, "sd", 10, "primary") == (4.0, "reported")
    assert dispersion.to_sd(4.0, "sd", 10, "review") == (4.0, "review")
    assert dispersion.to_sd(1.0, "se", 16, "primary") == (4.0, "from_se")
    assert dispersion.to_sd(None, None, 10, "primary") == (None, None)
    assert dispersion.to_sd(5.0, "range", 10, "primary") == (None, None)
    assert dispersion.to_sd(1.0, "se", None, "primary") == (None, None)


@pytest.mark.parametrize("text", ["0", "-1", "six", "9"])
def test_impute_rule_refuses_nonsense(text):
    with pytest.raises(RuleError):
        parse_rule(text)


# --- imputation and pools -------------------------------------------------------------------------


def test_impute_sd_fills_only_emg_amplitude_means(pooled_db, tmp_path):
    export(pooled_db, tmp_path, impute_sd="0.3")
    rows = read_csv(tmp_path / "single_conditions.csv")
    means = [r for r in rows if r["metric"] == "emg_amplitude" and r["central_tendency"] == "mean"
             and float(r["mi"]) > 0 and r["ni"]]  # fmt: skip
    assert means and all(r["yi"] and r["vi"] for r in means)
    imputed = [r for r in rows if r["sd_imputed"] == "1"]
    assert imputed and all(r["sd_source"] == "imputed:cv=0.3" for r in imputed)
    assert all(float(r["sdi"]) == pytest.approx(0.3 * float(r["mi"])) for r in imputed)
    # Never a time, a correlation, a force, a moment, nor a value whose mean/median status is
    # not stated: their SDs stay missing.
    others = [r for r in rows if r["metric"] != "emg_amplitude" or r["central_tendency"] != "mean"]
    assert others and not [r for r in others if r["sd_imputed"] == "1"]
    assert any(r["sdi"] == "" for r in others)
    # Every pool that needed an imputed SD says so.
    for p in read_csv(tmp_path / "pooled.csv"):
        assert (int(p["imputed_sd"]) > 0) == ("imputed SDs in" in p["notes"])


def test_median_cv_rule_borrows_the_reported_cvs(pooled_db, tmp_path):
    export(pooled_db, tmp_path, impute_sd="median-cv")
    rows = read_csv(tmp_path / "single_conditions.csv")
    imputed = [r for r in rows if r["sd_imputed"] == "1"]
    assert imputed and all(r["sd_source"].startswith("imputed:median_cv=") for r in imputed)
    # The CVs borrowed: EMG amplitude means whose SD the source reports or converts (not imputed,
    # not an unlabelled '±' read as SD, not a value whose mean/median status is unstated).
    reported = [r for r in rows if r["sd_imputed"] == "0" and r["sd_unlabelled"] == "0" and r["sdi"]
                and r["metric"] == "emg_amplitude" and r["central_tendency"] == "mean"]  # fmt: skip
    group = {(r["metric"], r["normalisation_category"], r["unit"]) for r in imputed}
    for key in group:
        cvs = [float(r["sdi"]) / float(r["mi"]) for r in reported
               if (r["metric"], r["normalisation_category"], r["unit"]) == key and float(r["mi"]) > 0]  # fmt: skip
        some = next(r for r in imputed if (r["metric"], r["normalisation_category"], r["unit"]) == key)
        assert float(some["sdi"]) == pytest.approx(statistics.median(cvs) * float(some["mi"]))


def test_pool_of_one_is_its_own_value():
    # As rma prints it for k = 1: tau² 0, I² 0%, and the prediction interval is the CI.
    p = pool([12.0], [4.0], knha=True)
    assert (p.k, p.estimate, p.se, p.tau2, p.i2, p.test) == (1, 12.0, 2.0, 0.0, 0.0, "z")
    assert (p.pi_lb, p.pi_ub) == (p.ci_lb, p.ci_ub)


def test_r_reads_every_numeric_column_as_numeric(real_export):
    script = """
    source("read_export.R")
    for (d in list(read_single_conditions(), read_contrasts(), read_pooled(), read_network(),
                   read_differences(), read_sensitivity())) {
      bad <- names(d)[sapply(d, is.logical)]
      if (length(bad)) stop(paste("logical columns:", paste(bad, collapse = ", ")))
    }
    cat("ok")
    """
    done = subprocess.run(["Rscript", "--vanilla", "-e", script], cwd=real_export, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "ok", done.stderr


def test_the_readme_r_session_runs_on_the_exported_files(db_path, tmp_path):
    from emg_evidence.paths import ROOT

    readme = (ROOT / "README.md").read_text()
    session = readme.split("A complete R session on the exported files")[1].split("```r\n")[1].split("```")[0]
    export(db_path, tmp_path / "meta-analysis")
    done = subprocess.run(["Rscript", "--vanilla", "-e", session], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (
        "Random-Effects Model" in done.stdout
        or "Fixed-Effects" in done.stdout
        or "Equal-Effects" in done.stdout
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-100, 200), st.floats(0.5, 500)),
        min_size=2,
        max_size=8,
    )
)
def test_paule_mandel_solves_its_equation(studies):
    """Paule-Mandel's tau² is where the generalised Q equals k - 1, or 0 where Q(0) is already at
    or below k - 1: checked on the equation itself, not on another estimator."""
    import numpy as np

    from emg_evidence.analysis.pooling import generalised_q, tau2

    y = np.array([s[0] for s in studies])
    v = np.array([s[1] for s in studies])
    t2 = tau2(list(y), list(v), "PM")
    k = len(studies)
    if t2 == 0:
        assert generalised_q(y, v, 0.0) <= k - 1 + 1e-9
    else:
        assert generalised_q(y, v, t2) == pytest.approx(k - 1, rel=1e-9)


def test_paule_mandel_where_an_iteration_stopped_at_zero():
    """Three studies whose Q(0) is well above k - 1 = 2: statsmodels' iterated estimator (0.14.6
    and 0.15.0) returned 0 for them, which also moved the pooled estimate; the root is ~107.9."""
    import numpy as np

    from emg_evidence.analysis.pooling import generalised_q, tau2

    y = [50.12213270777515, 45.86595642050944, 69.41095721597311]
    v = [58.94054598906813, 57.891145651508275, 44.86344674254435]
    assert generalised_q(np.array(y), np.array(v), 0.0) > 2
    assert tau2(y, v, "PM") == pytest.approx(107.89294624605027, rel=1e-9)
