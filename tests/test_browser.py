"""A user's session in a real browser: Playwright drives Debian's chromium (installed by
`scripts/setup --test`, never a downloaded browser) against a real `evidence serve` on loopback.
Screenshots go to artefacts/ (gitignored) for a person to look at."""

import csv
import io
from pathlib import Path

import bibtexparser
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from emg_evidence.paths import ROOT
from emg_evidence.schema.comparability import value_to_use_sql
from emg_evidence.serving.settings import SERVE_SETTINGS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTEFACTS = ROOT / "artefacts"
TIMEOUT_MS = 20_000


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


def test_home_to_a_study_page(page, db_rows, extractions):
    page.goto("/")
    # The home page leads with questions; SQL and the tables are one link away.
    expect(page.locator("h1")).to_have_text("What do the studies actually show?")
    screenshot(page, "01-home")
    page.get_by_role("link", name="Tables, views and ready-made queries").click()
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
    conditions = [c["label"] for c in extractions["contreras2015"]["conditions"]]
    expect(page.locator("h2#conditions")).to_contain_text(f"Conditions ({len(conditions)})")
    rows = page.locator("h2#conditions + div table tbody tr")
    expect(rows).to_have_count(len(conditions))
    assert [row.locator("td").first.inner_text() for row in rows.all()] == conditions
    screenshot(page, "02-study")


def test_filter_measurements_by_muscle(page, db_rows):
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
    assert [int(c) for c in cells] == ids[: int(SERVE_SETTINGS["default_page_size"])]
    expect(page.locator("h3").first).to_contain_text(f"{len(ids)} rows")
    screenshot(page, "03-measurements-filtered")


def test_canned_query_with_parameter(page, db_rows):
    page.goto("/evidence/muscle_activation")
    page.fill("input[name=muscle]", "hamstrings")
    page.click("input[type=submit][value='Run SQL']")
    page.wait_for_url("**muscle=hamstrings**")
    expected = [
        r["value"]
        for r in db_rows(
            # The values to use, by schema/comparability.py's one rule.
            f"select value from meta_extract where comparable_mvc = 1 and {value_to_use_sql()} and value"
            " is not null and muscle_id in (select id from muscle where muscle_group = 'hamstrings')"
        )
    ]
    values = [float(v) for v in page.locator("table.rows-and-columns tbody td.col-value").all_inner_texts()]
    assert sorted(values) == sorted(expected) and values
    expect(page.locator("table.rows-and-columns tbody td.col-rank").first).to_have_text("1")
    screenshot(page, "04-canned-query")


def test_download_meta_extract_csv(page, db_rows, tmp_path):
    page.goto("/evidence/meta_extract")
    page.check("input[name=_dl]")
    # Datasette offers 'stream all rows' only when the rows fill more than one page: then tick it.
    if page.locator("input[name=_stream]").count():
        page.check("input[name=_stream]")
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


def test_export_bibtex_of_a_filtered_view(page, db_rows, tmp_path):
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
        want = expected[entry.key]
        for field in ("title", "year"):
            # A field no readable page printed is left out of the entry (its note says so).
            got = entry.fields_dict[field].value if field in entry.fields_dict else None
            assert got == (None if want[field] is None else str(want[field]))


def test_activation_chart(page, db_rows):
    page.goto("/-/dashboards")
    page.get_by_role("link", name="Activation per exercise").click()
    page.wait_for_url("**muscle=gluteus+maximus**")
    page.fill("input#muscle", "hamstrings")
    page.click("input[type=submit][value=Apply]")
    page.wait_for_url("**muscle=hamstrings**")
    chart = page.locator("#chart-activation-bars svg.marks")
    expect(chart).to_be_visible()
    rows = db_rows(
        "select citation, condition, value, n from meta_extract where comparable_mvc = 1 and preferred = 1"
        " and value is not null and muscle_id in (select muscle_id from muscle_term where term = 'hamstrings')"
    )
    assert rows
    # One bar per value, each labelled with its study, n and condition; the legend names the summary.
    expect(chart.locator("g.mark-rect path")).to_have_count(len(rows))
    labels = chart.locator("g.role-axis-label text").all_text_contents()
    for row in rows:
        short = row["citation"][: row["citation"].index(")") + 1]
        start = f"{short} n={row['n'] if row['n'] is not None else '?'}: {row['condition']}"
        assert any(label.startswith(start[:40]) for label in labels), (row, labels)
    expect(chart.locator("g.role-legend")).to_contain_text("summary")
    screenshot(page, "05-chart")
