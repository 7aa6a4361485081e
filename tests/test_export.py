"""Meta-analysis extracts: effect sizes by hand and by R's metafor, pairing rules, the Frictionless
descriptor, Datasette's CSV of the same queries, and the forest plot.

Most real studies give only abstract values without SDs, so the arithmetic is also checked on a
database built from data/ plus tests/data/synthetic2099.extraction.yaml, a made-up study (marked
as a test fixture) with SDs.
"""

import csv
import io
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from frictionless import validate

from emg_evidence.analysis.columns import FIELDS
from emg_evidence.analysis.effect_sizes import cmi, mc_vi, mc_yi, mn_vi, ri_param, smcc_vi, smcc_yi
from emg_evidence.analysis.export import ExportError, contrast_rows, export, single_rows
from emg_evidence.analysis.plot import forest_plot, plot_rows
from emg_evidence.analysis.synthesis import cached
from emg_evidence.cli import cli
from emg_evidence.ingest.build import build
from emg_evidence.paths import DATA_DIR, ROOT
from emg_evidence.schema.comparability import value_to_use_sql
from emg_evidence.serving.settings import SERVE_SETTINGS

FIXTURE = Path(__file__).parent / "data" / "synthetic2099.extraction.yaml"
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory) -> Path:
    """evidence.db's data plus the synthetic study, built by the one build."""
    root = tmp_path_factory.mktemp("fixture")
    shutil.copytree(DATA_DIR, root / "data")
    shutil.copy(FIXTURE, root / "data" / "extractions")
    return build(root / "fixture.db", root / "data").path


@pytest.fixture(scope="module")
def fixture_export(fixture_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fixture_export")
    export(fixture_db, out)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def num(text: str):
    return None if text == "" else float(text)


def synthetic(rows, **match):
    return [
        r for r in rows
        if r["study_id"] == "synthetic2099" and all(r[k] == v for k, v in match.items())
    ]  # fmt: skip


# --- the formulas, by hand ----------------------------------------------------------------------

# SMCC by hand for m1 = 70, m2 = 30, sd1 = 20, sd2 = 15, n = 20, ri = 0.5:
# sdd = sqrt(400 + 225 - 300) = sqrt(325) = 18.0277564; d = 40 / sdd = 2.2188008;
# c(19) = gamma(9.5) / (sqrt(9.5) gamma(9)) = 0.9599104; yi = c·d = 2.1298498;
# vi = 1/20 + yi²/40 = 0.1634065. (R's metafor 3.8 prints 2.12984984450285 and 0.16340650900322.)
SMCC_CASE = (70.0, 30.0, 20.0, 15.0, 0.5, 20)


@pytest.mark.parametrize(
    "sd1, sd2, ri, n, expected",
    [
        (20.0, 15.0, 0.5, 20, 16.25),  # (400 + 225 - 300) / 20
        (20.0, 15.0, 0.8, 20, 7.25),  # (625 - 480) / 20
        (20.0, 15.0, 0.0, 20, 31.25),  # independent conditions: (400 + 225) / 20
        (10.0, 10.0, 1.0, 5, 0.0),  # perfectly correlated, equal SDs
        (None, 15.0, 0.5, 20, None),  # no SD: no variance
        (20.0, 15.0, None, 20, None),
    ],
)
def test_mc_variance_by_hand(sd1, sd2, ri, n, expected):
    assert (
        mc_vi(sd1, sd2, ri, n) == pytest.approx(expected)
        if expected is not None
        else (mc_vi(sd1, sd2, ri, n) is None)
    )


def test_mc_yi_is_the_raw_difference():
    assert mc_yi(69.5, 29.4) == pytest.approx(40.1)
    assert mc_yi(None, 29.4) is None


def test_small_sample_correction_by_hand():
    assert cmi(19) == pytest.approx(math.gamma(9.5) / (math.sqrt(9.5) * math.gamma(9)), rel=1e-12)
    assert cmi(19) == pytest.approx(0.9599103529242532, rel=1e-12)  # metafor:::.cmicalc(19)
    assert cmi(19) == pytest.approx(1 - 3 / (4 * 19 - 1), abs=1e-3)  # Hedges' approximation
    assert cmi(1) is None and cmi(0) is None


def test_smcc_by_hand():
    yi = smcc_yi(*SMCC_CASE)
    assert yi == pytest.approx(0.9599103529 * 40 / math.sqrt(325), rel=1e-9)
    assert yi == pytest.approx(2.12984984450285, rel=1e-12)
    assert smcc_vi(yi, 20) == pytest.approx(1 / 20 + yi**2 / 40, rel=1e-12)
    assert smcc_vi(yi, 20) == pytest.approx(0.16340650900322, rel=1e-12)


def test_smcc_is_symmetric_in_the_two_conditions():
    m1, m2, sd1, sd2, ri, n = SMCC_CASE
    assert smcc_yi(m2, m1, sd2, sd1, ri, n) == pytest.approx(-smcc_yi(m1, m2, sd1, sd2, ri, n))


@pytest.mark.parametrize(
    "args",
    [
        (70.0, 30.0, None, 15.0, 0.5, 20),  # no SD
        (70.0, 30.0, 10.0, 10.0, 1.0, 20),  # SD of the difference is 0
        (70.0, 30.0, 0.0, 0.0, 0.5, 20),
        (70.0, 30.0, 20.0, 15.0, 0.5, 1),  # c(0) is undefined
        (70.0, 30.0, 20.0, 15.0, None, 20),
    ],
)
def test_smcc_is_empty_when_it_cannot_be_computed(args):
    assert smcc_yi(*args) is None


def test_mn_variance_by_hand():
    assert mn_vi(20.0, 20) == pytest.approx(20.0)  # 400 / 20
    assert mn_vi(None, 20) is None


@pytest.mark.parametrize(
    "raw, expected",
    [("", 0.5), (None, 0.5), ("  ", 0.5), ("0.7", 0.7), (0.2, 0.2), ("-1", -1.0),
     ("abc", None), ("1.5", None), ("nan", None)],
)  # fmt: skip
def test_ri_parameter(raw, expected):
    assert ri_param(raw) == expected


# --- the extracts on the fixture database -------------------------------------------------------


def test_fixture_pairs_are_exactly_the_comparable_ones(fixture_export):
    rows = synthetic(read_csv(fixture_export / "contrasts.csv"))
    pairs = {
        (r["muscle_id"], r["metric"], r["statistic"], r["provenance"], r["exercise1_id"], r["exercise2_id"])
        for r in rows
    }  # fmt: skip
    ugm, bf, amp, share = "gluteus_maximus_upper", "biceps_femoris", "emg_amplitude", "emg_share_of_sum"
    ht, bs, rdl = "barbell_hip_thrust", "back_squat", "romanian_deadlift"
    # Each pair in its common direction: exercise ids in alphabetical order, whatever the
    # study's order (it lists the hip thrust first).
    assert pairs == {
        (ugm, amp, "mean", "primary", bs, ht),
        (ugm, amp, "mean", "primary", ht, rdl),
        (ugm, amp, "mean", "primary", bs, rdl),
        (ugm, amp, "peak", "primary", bs, ht),
        (ugm, share, "integrated", "primary", bs, ht),
        (bf, amp, "mean", "primary", bs, ht),  # the RDL value has n 18: other participants
        # The article's own split squat value would pair only with the article's values, and
        # those are not preferred (the paper gives each of them): a restatement never pairs.
    }
    # Two rows per pair, one per measure.
    assert len(rows) == 2 * len(pairs)
    assert {r["measure"] for r in rows} == {"MC", "SMCC"}


def test_fixture_effect_sizes_by_hand(fixture_export):
    rows = read_csv(fixture_export / "contrasts.csv")
    key = dict(muscle_id="gluteus_maximus_upper", statistic="mean", provenance="primary",
               exercise1_id="back_squat", exercise2_id="barbell_hip_thrust")  # fmt: skip
    (mc,) = synthetic(rows, measure="MC", **key)
    assert (num(mc["m1i"]), num(mc["m2i"]), num(mc["sd1i"]), num(mc["sd2i"])) == (30, 70, 15, 20)
    assert (mc["ni"], num(mc["ri"]), mc["ri_imputed"]) == ("20", 0.5, "1")
    assert num(mc["yi"]) == -40.0 and num(mc["vi"]) == pytest.approx(16.25) and mc["reason"] == ""
    (smcc,) = synthetic(rows, measure="SMCC", **key)
    assert num(smcc["yi"]) == pytest.approx(-2.12984984450285, rel=1e-12)
    assert num(smcc["vi"]) == pytest.approx(0.16340650900322, rel=1e-12)

    single = read_csv(fixture_export / "single_conditions.csv")
    (mn,) = synthetic(single, muscle_id="gluteus_maximus_upper", statistic="mean",
                      exercise_id="barbell_hip_thrust")  # fmt: skip
    assert (num(mn["mi"]), num(mn["sdi"]), mn["ni"], mn["measure"]) == (70, 20, "20", "MN")
    assert (num(mn["yi"]), num(mn["vi"])) == (70, 20)
    assert mn["network_key"] == "gluteus_maximus_upper/mean/mean/whole/mvc_standardised_isometric/%/healthy"


def test_missing_sds_give_empty_values_and_a_reason(fixture_export):
    rows = read_csv(fixture_export / "contrasts.csv")
    key = dict(muscle_id="biceps_femoris", exercise1_id="back_squat")
    (mc,) = synthetic(rows, measure="MC", **key)
    (smcc,) = synthetic(rows, measure="SMCC", **key)
    # The hip thrust value has an SE (converted: SE x sqrt(n)), the squat value no dispersion.
    assert mc["dispersion2"] == "3.0" and mc["dispersion_type2"] == "se"
    assert num(mc["sd2i"]) == pytest.approx(3.0 * 20**0.5) and mc["sd2_source"] == "from_se"
    assert mc["sd1i"] == ""
    assert num(mc["yi"]) == -25.0  # escalc gives the raw difference without SDs too
    assert mc["vi"] == smcc["yi"] == smcc["vi"] == ""
    for row in (mc, smcc):
        assert row["reason"] == "sd1i no dispersion reported"
    # Every empty vi has a reason, and every reason an empty vi (or says a median is not a mean).
    for row in read_csv(fixture_export / "contrasts.csv") + read_csv(
        fixture_export / "single_conditions.csv"
    ):
        median_note = row["reason"] == "mi is a median, not a mean"
        assert (row["vi"] == "") == (row["reason"] != "" and not median_note), row


def test_single_conditions_appear_once_from_the_best_source(fixture_export):
    single = synthetic(read_csv(fixture_export / "single_conditions.csv"),
                       muscle_id="gluteus_maximus_upper", statistic="mean")  # fmt: skip
    by_exercise = {r["exercise_id"]: (r["provenance"], num(r["mi"])) for r in single}
    assert by_exercise == {
        "barbell_hip_thrust": ("primary", 70.0),  # the article restates it: once
        "back_squat": ("primary", 30.0),
        "romanian_deadlift": ("primary", 45.5),  # the article's 50.0 yields to the paper's value
        "split_squat": ("article", 55.0),  # only the article gives it
    }
    assert len(single) == 4


def test_ri_option_changes_ri_and_the_variances(fixture_db, tmp_path):
    result = CliRunner().invoke(
        cli, ["export", "--db", str(fixture_db), "--out", str(tmp_path), "--ri", "0.8"]
    )
    assert result.exit_code == 0, result.output
    (mc,) = synthetic(read_csv(tmp_path / "contrasts.csv"), measure="MC", statistic="mean",
                      muscle_id="gluteus_maximus_upper", provenance="primary",
                      exercise1_id="back_squat", exercise2_id="barbell_hip_thrust")  # fmt: skip
    assert num(mc["ri"]) == 0.8 and num(mc["vi"]) == pytest.approx(7.25)
    assert json.loads((tmp_path / "datapackage.json").read_text())["ri"] == 0.8


@pytest.mark.parametrize("which", ["fixture_db", "db_path"])
def test_no_contrast_mixes_metrics_statistics_sources_or_participants(which, request):
    db = request.getfixturevalue(which)
    rows = contrast_rows(db)
    assert rows, "no contrasts at all: the test would pass vacuously"
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    same = ("study_id", "muscle_id", "metric", "normalisation_category", "unit", "statistic",
            "phase", "provenance", "n")  # fmt: skip
    for row in rows:
        a, b = (
            connection.execute("select * from meta_extract where measurement_id = ?", (i,)).fetchone()
            for i in (row["measurement1_id"], row["measurement2_id"])
        )
        for column in same:
            assert a[column] == b[column], (column, dict(row))
        # The pair's common direction: alphabetical exercises, or a technique contrast.
        assert a["exercise_id"] < b["exercise_id"] or row["factor"], dict(row)
        assert (row["m1i"], row["m2i"], row["ni"]) == (a["value"], b["value"], a["n"])
    connection.close()


def test_real_database_exports(real_export, db_rows):
    contrasts = read_csv(real_export / "contrasts.csv")
    single = read_csv(real_export / "single_conditions.csv")
    assert contrasts and single
    (n_measurements,) = db_rows("select count(*) from measurement where restates_id is null")[0]
    assert 0 < len(single) <= n_measurements
    # The contrasts are the derived table's pairs, two measures each.
    (n_pairs,) = db_rows("select count(*) from contrast_pair")[0]
    assert len(contrasts) == 2 * n_pairs
    # Contreras 2015, upper gluteus maximus, mean: hip thrust 69.5 vs squat 29.4 (abstract), no SD.
    (mc,) = [
        r for r in contrasts
        if r["study_id"] == "contreras2015" and r["muscle_id"] == "gluteus_maximus_upper"
        and r["statistic"] == "mean" and r["measure"] == "MC"
    ]  # fmt: skip
    assert {mc["exercise1_id"], mc["exercise2_id"]} == {"barbell_hip_thrust", "back_squat"}
    assert abs(num(mc["yi"])) == pytest.approx(40.1)
    assert mc["vi"] == "" and "no dispersion reported" in mc["reason"]
    assert mc["provenance"] == "primary"


# --- the data package ---------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["fixture_export", "real_export"])
def test_datapackage_is_valid_and_documents_every_column(which, request):
    out = request.getfixturevalue(which)
    report = validate(out / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((out / "datapackage.json").read_text())
    assert package["assumptions"] and "ri" in package
    for resource in package["resources"]:
        header = next(csv.reader(open(out / resource["path"], newline="", encoding="utf-8")))
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == header
        for field in fields:
            assert field["description"].strip() and field["type"] in ("string", "integer", "number")
    units = {f["name"]: f.get("unit") for r in package["resources"] for f in r["schema"]["fields"]}
    assert units["m1i"] and units["mi"] and units["sdi"]


def test_datapackage_validation_catches_a_bad_value(fixture_export, tmp_path):
    # The validation above can fail: an ri outside [-1, 1] breaks the descriptor's constraint.
    for name in ("contrasts.csv", "single_conditions.csv", "datapackage.json"):
        shutil.copy(fixture_export / name, tmp_path / name)
    text = (tmp_path / "contrasts.csv").read_text(encoding="utf-8")
    (tmp_path / "contrasts.csv").write_text(text.replace(",0.5,1,", ",1.5,1,", 1), encoding="utf-8")
    assert not validate(tmp_path / "datapackage.json").valid


def test_every_field_is_documented_once():
    assert all(f["description"].strip() for f in FIELDS.values())


# --- R's metafor reads the files unchanged ------------------------------------------------------


def readme_r_snippet() -> list[str]:
    block = re.search(r"```r\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block, "README.md has no ```r block"
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    # The session's last line is the contrasts' escalc; keep the lines that read and compute them.
    lines = [line.replace("meta-analysis/", "") for line in lines]
    reading = [line for line in lines if line.startswith(("library(", "source(", "c <- "))]
    assert len(reading) == 4 and "escalc" in reading[-1], reading
    return [*reading, "d <- c"]


def run_r(code: str, cwd: Path) -> list[dict[str, str]]:
    """Run R code that leaves a data frame ``d`` with escalc's yi and vi; return d's rows."""
    script = code + '\nwrite.csv(d, "r_out.csv", row.names = FALSE)\n'
    done = subprocess.run(
        ["Rscript", "--vanilla", "-e", script], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return read_csv(cwd / "r_out.csv")


def assert_same(ours: str, theirs: str, what: str):
    if ours == "":
        assert theirs in ("", "NA"), what
    else:
        assert theirs not in ("", "NA"), what
        assert float(theirs) == pytest.approx(float(ours), rel=1e-9, abs=1e-12), what


@pytest.mark.parametrize("which", ["fixture_export", "real_export"])
@pytest.mark.parametrize("measure", ["MC", "SMCC"])
def test_metafor_escalc_agrees_on_contrasts(which, measure, request, tmp_path):
    out = request.getfixturevalue(which)
    shutil.copy(out / "contrasts.csv", tmp_path / "contrasts.csv")
    shutil.copy(out / "read_export.R", tmp_path / "read_export.R")
    code = "\n".join(readme_r_snippet()).replace('"SMCC"', f'"{measure}"')
    theirs = run_r(code, tmp_path)
    ours = [r for r in read_csv(out / "contrasts.csv") if r["measure"] == measure]
    assert len(theirs) == len(ours) > 0
    for o, t in zip(ours, theirs):
        assert (o["measurement1_id"], o["measurement2_id"]) == (t["measurement1_id"], t["measurement2_id"])
        what = f"{measure} {o['measurement1_id']}-{o['measurement2_id']}"
        assert_same(o["yi"], t["yi"], what + " yi")
        assert_same(o["vi"], t["vi"], what + " vi")
    if which == "fixture_export":
        assert sum(o["vi"] != "" for o in ours) >= 5  # metafor really computed something


@pytest.mark.parametrize("which", ["fixture_export", "real_export"])
def test_metafor_escalc_agrees_on_single_conditions(which, request, tmp_path):
    out = request.getfixturevalue(which)
    shutil.copy(out / "single_conditions.csv", tmp_path / "single_conditions.csv")
    code = (
        'd <- read.csv("single_conditions.csv", colClasses = c(sdi = "numeric"))\n'
        'd <- metafor::escalc(measure = "MN", mi = mi, sdi = sdi, ni = ni, data = d)'
    )
    theirs = run_r(code, tmp_path)
    ours = read_csv(out / "single_conditions.csv")
    assert len(theirs) == len(ours) > 0
    for o, t in zip(ours, theirs):
        assert o["measurement_id"] == t["measurement_id"]
        assert_same(o["yi"], t["yi"], o["measurement_id"] + " yi")
        assert_same(o["vi"], t["vi"], o["measurement_id"] + " vi")


# --- Datasette serves the same extracts ---------------------------------------------------------


async def test_datasette_csv_is_the_exported_file(ds, real_export):
    # A canned query's CSV stops at the row cap; the exported file has every row, and
    # single_conditions.csv adds in_network (which rows the network model was fitted to).
    cap = int(SERVE_SETTINGS["max_returned_rows"])
    for path, name in [
        ("/evidence/meta_contrasts.csv?ri=0.5&_size=max", "contrasts.csv"),
        ("/evidence/meta_contrasts.csv", "contrasts.csv"),  # ri defaults to 0.5
        ("/evidence/meta_single.csv?_size=max", "single_conditions.csv"),
    ]:
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        served = list(csv.reader(io.StringIO(response.text)))
        exported = list(csv.reader(io.StringIO((real_export / name).read_bytes().decode("utf-8"))))
        columns = [exported[0].index(c) for c in served[0]]
        assert served == [[row[i] for i in columns] for row in exported[: 1 + cap]], path


async def test_datasette_ri_parameter(ds):
    response = await ds.client.get("/evidence/meta_contrasts.csv?ri=0.8")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {r["ri"] for r in rows} == {"0.8"}
    response = await ds.client.get("/evidence/meta_contrasts.json?ri=seven&_shape=array")
    rows = response.json()
    assert rows and all(r["ri"] is None and "ri is not a number" in r["reason"] for r in rows)


async def test_datasette_query_pages_render(ds):
    for name in ("meta_contrasts", "meta_single"):
        response = await ds.client.get(f"/evidence/{name}")
        assert response.status_code == 200 and "measure" in response.text


# --- the CLI and the plot -----------------------------------------------------------------------


def test_cli_export_writes_every_file(db_path, tmp_path):
    result = CliRunner().invoke(cli, ["export", "--db", str(db_path), "--out", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == [
        "contrasts.csv", "datapackage.json", "differences.csv", "network.csv", "pooled.csv",
        "read_export.R", "sensitivity.csv", "single_conditions.csv",
    ]  # fmt: skip
    assert "contrasts:" in result.output and "with yi and vi" in result.output


def test_failed_export_keeps_the_previous_files(db_path, tmp_path):
    export(db_path, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ExportError, match="no such database"):
        export(tmp_path / "missing.db", tmp_path)
    result = CliRunner().invoke(cli, ["export", "--db", str(db_path), "--out", str(tmp_path), "--ri", "1.5"])
    assert result.exit_code != 0 and "--ri" in result.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_plot_shows_only_mvc_normalised_values(fixture_db):
    s = cached(fixture_db)
    rows = plot_rows(s, "gluteus_maximus_upper")
    assert rows and all(r["comparable_mvc"] == 1 and r["muscle_id"] == "gluteus_maximus_upper" for r in rows)
    # The fixture's share-of-summed-EMG values (not MVC-normalised) are left out.
    assert not [r for r in rows if r["metric"] != "emg_amplitude"]
    every = [r for r in single_rows(fixture_db) if r["study_id"] == "synthetic2099"]
    assert any(r["metric"] == "emg_share_of_sum" for r in every)


def test_plot_png_and_svg(fixture_db, tmp_path):
    png = forest_plot("gluteus_maximus_upper", tmp_path / "gm.png", fixture_db)
    data = png.path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    # One point per value, an interval where the value has an SD and an n (the fixture's do).
    rows = plot_rows(cached(fixture_db), "gluteus_maximus_upper")
    assert png.points == len(rows)
    assert png.with_interval == sum(r["sdi"] is not None and bool(r["ni"]) for r in rows) > 0
    svg = forest_plot("gluteus_maximus_upper", tmp_path / "gm.svg", fixture_db)
    text = svg.path.read_text(encoding="utf-8")
    ET.fromstring(text)  # well-formed
    # Matplotlib writes text as paths with the string in a comment-like id; check the labels.
    for label in ("Fixture &amp; Synthetic (2001) · hip thrust", "barbell hip thrust",
                  "peak amplitude, mean of participants"):  # fmt: skip
        assert label in text, label


def test_forest_svg_is_the_same_whatever_the_hash_seed(db_path):
    # Muscles with a panel where two or more exercises have no network estimate: their order was
    # a set's, which changes with PYTHONHASHSEED.
    s = cached(db_path)
    levels = {(n.key, lv.exercise_id) for n in s.networks for lv in n.levels}
    unestimated: dict[tuple[str, str | None], set[str]] = {}
    for r in s.single:
        if r["comparable_mvc"] == 1 and (r["network_key"], r["exercise_id"]) not in levels:
            unestimated.setdefault((r["muscle_id"], r["network_key"]), set()).add(r["exercise_id"])
    muscles = sorted({m for (m, _), exercises in unestimated.items() if len(exercises) > 1})
    assert muscles
    script = (
        "import hashlib, sys\n"
        "from emg_evidence.analysis.plot import forest_svg\n"
        "for m in sys.argv[2:]:\n"
        "    print(m, hashlib.sha256(forest_svg(m, sys.argv[1]).encode()).hexdigest())\n"
    )
    renders = [
        subprocess.run([sys.executable, "-c", script, str(db_path), *muscles], capture_output=True, text=True,
                       check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    ]  # fmt: skip
    assert renders[0].count("\n") == len(muscles) and renders[0] == renders[1]


def test_cli_plot_and_its_errors(db_path, tmp_path):
    runner = CliRunner()
    db = ["--db", str(db_path)]
    # The muscle with the most MVC-normalised values in the real data, whichever it is today. A
    # whole muscle covers its regions (the muscle_term view): one file per muscle with values
    # to use, u-<muscle>.svg, or u.svg where the word covers one muscle.
    with sqlite3.connect(db_path) as conn:
        (muscle,) = conn.execute(
            "select muscle_id from meta_extract where comparable_mvc = 1"
            " group by muscle_id order by count(*) desc, muscle_id limit 1"
        ).fetchone()
        targets = [r[0] for r in conn.execute(
            "select distinct muscle_id from muscle_term where term = ? order by 1", (muscle,))]  # fmt: skip
        drawable = {r[0] for r in conn.execute(
            f"select distinct muscle_id from meta_extract where comparable_mvc = 1 and {value_to_use_sql()}")}  # fmt: skip
    result = runner.invoke(cli, ["plot", *db, "--muscle", muscle, "--out", str(tmp_path / "u.svg")])
    assert result.exit_code == 0, result.output
    expected = {"u.svg"} if len(targets) == 1 else {f"u-{t}.svg" for t in targets if t in drawable}
    assert {p.name for p in tmp_path.glob("u*.svg")} == expected
    assert all((tmp_path / name).stat().st_size > 1000 for name in expected)
    result = runner.invoke(cli, ["plot", *db, "--muscle", "glutez", "--out", str(tmp_path / "g.png")])
    assert (
        result.exit_code != 0
        and "no muscle is called 'glutez'; nearest:" in result.output
        and "glutes" in result.output
    )
    result = runner.invoke(cli, ["plot", *db, "--muscle", muscle, "--out", str(tmp_path / "g.pdf")])
    assert result.exit_code != 0 and ".png or .svg" in result.output
    assert not (tmp_path / "g.png").exists() and not (tmp_path / "g.pdf").exists()
    # A word covering several muscles: one plot per muscle with values.
    result = runner.invoke(cli, ["plot", *db, "--muscle", "glutes", "--out", str(tmp_path / "glutes.png")])
    assert result.exit_code == 0, result.output
    drawn = {p.name for p in tmp_path.glob("glutes-*.png")}
    with sqlite3.connect(db_path) as conn:
        glutes = {r[0] for r in conn.execute("select muscle_id from muscle_term where term = 'glutes'")}
    assert len(glutes & drawable) > 1 and drawn == {f"glutes-{t}.png" for t in glutes & drawable}
    result = runner.invoke(cli, ["plot", *db, "--muscle", "gluteus_medius", "--network", "--width", "phone",
                                 "--out", str(tmp_path / "net.png")])  # fmt: skip
    assert result.exit_code == 0 and (tmp_path / "net-gluteus_medius.png").stat().st_size > 10_000, (
        result.output
    )
