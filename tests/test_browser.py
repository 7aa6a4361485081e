"""A user's session in a real browser: Playwright drives Debian's chromium (installed by
`scripts/setup --test`, never a downloaded browser) against a real `evidence serve` on loopback.
Screenshots go to artefacts/ (gitignored) for a person to look at."""

import csv
import io
import sqlite3
from pathlib import Path

import bibtexparser
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from emg_evidence.paths import DB_PATH, ROOT
from serving import evidence_serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTEFACTS = ROOT / "artefacts"
TIMEOUT_MS = 20_000


def db_rows(sql: str, *params) -> list[sqlite3.Row]:
    with sqlite3.connect(DB_PATH) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def server():
    with evidence_serve(DB_PATH) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/setup --test (Debian package chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(
        base_url=server, accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def test_home_to_a_study_page(page):
    page.goto("/")
    expect(page.locator("h1")).to_have_text("emg-evidence")
    expect(page.locator("body")).to_contain_text("meta_extract")
    screenshot(page, "01-home")
    page.get_by_role("link", name="evidence", exact=True).first.click()
    expect(page.locator("h2#queries")).to_be_visible()
    page.locator("h2#tables ~ div h3 a", has_text="study").first.click()
    page.wait_for_url("**/evidence/study")
    # Full-text search over studies, then open one.
    page.fill("input[name=_search]", "thrust")
    page.press("input[name=_search]", "Enter")
    page.get_by_role("link", name="contreras2015", exact=True).click()
    assert page.url.endswith("/evidence/study/contreras2015")
    (measurements,) = db_rows(
        "select count(*) from measurement m join condition c on c.id = m.condition_id"
        " where c.study_id = 'contreras2015'"
    )[0]
    expect(page.locator("h2#measurements")).to_have_text(f"Measurements ({measurements})")
    expect(page.locator("tr.measurement")).to_have_count(measurements)
    expect(page.locator("h2#conditions")).to_contain_text("Conditions (2)")
    screenshot(page, "02-study")


def test_filter_measurements_by_muscle(page):
    page.goto("/evidence/measurement")
    page.select_option("select[name=_filter_column]", "muscle_id")
    page.select_option("select[name=_filter_op]", "exact")
    page.fill("input[name=_filter_value]", "gluteus_maximus_upper")
    page.click("input[type=submit][value=Apply]")
    page.wait_for_url("**muscle_id__exact=gluteus_maximus_upper**")
    ids = [
        int(r[0])
        for r in db_rows("select id from measurement where muscle_id = 'gluteus_maximus_upper' order by id")
    ]
    cells = page.locator("table.rows-and-columns tbody td.col-id").all_inner_texts()
    assert [int(c) for c in cells] == ids
    expect(page.locator("h3").first).to_contain_text(f"{len(ids)} rows")
    screenshot(page, "03-measurements-filtered")


def test_canned_query_with_parameter(page):
    page.goto("/evidence/muscle_activation")
    page.fill("input[name=muscle]", "hamstrings")
    page.click("input[type=submit][value='Run SQL']")
    page.wait_for_url("**muscle=hamstrings**")
    expected = [
        r["value"]
        for r in db_rows(
            "select value from meta_extract where comparable_mvc = 1 and restates_measurement_id is null"
            " and value is not null and muscle_id in (select id from muscle where muscle_group = 'hamstrings')"
        )
    ]
    values = [float(v) for v in page.locator("table.rows-and-columns tbody td.col-value").all_inner_texts()]
    assert sorted(values) == sorted(expected) and values
    expect(page.locator("table.rows-and-columns tbody td.col-rank").first).to_have_text("1")
    screenshot(page, "04-canned-query")


def test_download_meta_extract_csv(page, tmp_path):
    page.goto("/evidence/meta_extract")
    page.check("input[name=_dl]")
    with page.expect_download() as info:
        page.click("input[type=submit][value='Export CSV']")
    path = tmp_path / "meta_extract.csv"
    info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    expected = db_rows("select * from meta_extract order by measurement_id")
    assert len(rows) == len(expected)
    assert list(rows[0]) == list(expected[0].keys())
    for got, want in zip(sorted(rows, key=lambda r: int(r["measurement_id"])), expected):
        assert got == {k: "" if v is None else str(v) for k, v in dict(want).items()}


def test_export_bibtex_of_a_filtered_view(page, tmp_path):
    page.goto("/evidence/meta_extract?muscle_id=hamstrings")
    with page.expect_download() as info:
        page.get_by_role("link", name="bib", exact=True).click()
    assert info.value.suggested_filename == "meta_extract.bib"
    path = tmp_path / "meta_extract.bib"
    info.value.save_as(path)
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    expected = {r[0]: r for r in db_rows(
        "select id, title, year, doi from study where id in"
        " (select study_id from meta_extract where muscle_id = 'hamstrings')"
    )}  # fmt: skip
    assert sorted(e.key for e in library.entries) == sorted(expected)
    for entry in library.entries:
        assert entry.fields_dict["title"].value == expected[entry.key]["title"]
        assert entry.fields_dict["year"].value == str(expected[entry.key]["year"])


def test_activation_chart(page):
    page.goto("/-/dashboards")
    page.get_by_role("link", name="Activation per exercise").click()
    page.wait_for_url("**muscle=gluteus_maximus**")
    page.select_option("select#muscle", "hamstrings")
    page.click("input[type=submit][value=Apply]")
    page.wait_for_url("**muscle=hamstrings**")
    chart = page.locator("#chart-activation-bars svg.marks")
    expect(chart).to_be_visible()
    rows = db_rows(
        "select citation, condition, value from meta_extract where muscle_id = 'hamstrings'"
        " and comparable_mvc = 1 and restates_measurement_id is null and value is not null"
    )
    assert rows
    # One bar per value, each labelled with its study and condition; the legend names the metric.
    expect(chart.locator("g.mark-rect path")).to_have_count(len(rows))
    labels = chart.locator("g.role-axis-label text").all_text_contents()
    for row in rows:
        short = row["citation"][: row["citation"].index(")") + 1]
        assert any(label.startswith(f"{short}: {row['condition']}") for label in labels), (row, labels)
    expect(chart.locator("g.role-legend")).to_contain_text("emg_amplitude")
    table = page.locator("#chart-activation-table")
    expect(table).to_contain_text("McCurdy et al. (2018)")
    screenshot(page, "05-chart")
