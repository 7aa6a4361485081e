"""Stored XSS: text a contributor typed must never run as script in a visitor's browser.

A database is built from a copy of data/ with HTML payloads in a study title, a condition label
and a finding summary, served by a real `evidence serve`, and every kind of page is opened in
Debian's chromium (as tests/test_browser.py does): home, database, tables, a study's row page, a
claim's, a condition's and a finding's, each canned query, the activation dashboard. Each payload
would set a flag on ``window`` and open a dialog; the test asserts that neither happens and that
the payload's text did reach the page (so the test shows it to the browser at all).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import sync_playwright

from emg_evidence.ingest.build import build
from emg_evidence.paths import DATA_DIR
from serving import evidence_serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TIMEOUT_MS = 20_000

STUDY = "mccurdy2018"
CONDITION = "bs"  # its bilateral squat
CLAIM = "mccurdy2018_exercise_ranking"  # rests on the study's first finding


def payload(tag: str) -> str:
    """Visible marker text, then three ways HTML could run script: each records ``tag``."""
    run = f"window.__xss.push('{tag}');alert('{tag}')"
    return f'XSS-PROBE-{tag} <img src=x onerror="{run}"><script>{run}</script>"\'><svg onload="{run}"></svg>'


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    """evidence.db built from data/ with payloads in a title, a condition label and a finding summary."""
    root = tmp_path_factory.mktemp("xss")
    data = root / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "extractions" / f"{STUDY}.extraction.yaml"
    extraction = yaml.safe_load(path.read_text(encoding="utf-8"))
    extraction["study"]["title"] = payload("title")
    (condition,) = [c for c in extraction["conditions"] if c["id"] == CONDITION]
    condition["label"] = payload("condition")
    extraction["findings"][0]["summary"] = payload("summary")
    path.write_text(yaml.safe_dump(extraction, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return build(root / "evidence.db", data).path


@pytest.fixture(scope="module")
def ids(hostile_db) -> dict[str, str]:
    with sqlite3.connect(hostile_db) as connection:
        condition = connection.execute(
            "select id from condition where study_id = ? and label like 'XSS-PROBE-condition%'", (STUDY,)
        ).fetchone()[0]
        finding = connection.execute(
            "select id from finding where summary like 'XSS-PROBE-summary%'"
        ).fetchone()[0]
        claimed = connection.execute(
            "select count(*) from claim_evidence where claim_id = ? and finding_id = ?", (CLAIM, finding)
        ).fetchone()[0]
    assert claimed, f"{CLAIM} no longer rests on the finding with the payload: pick another claim"
    return {"condition": str(condition), "finding": str(finding)}


@pytest.fixture(scope="module")
def server(hostile_db):
    with evidence_serve(hostile_db) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/setup --test (Debian package chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def visit(browser, base: str, path: str, wait_for: str | None = None) -> tuple[list, list, str]:
    """Open ``path``; return the payload tags that ran, the dialogs that opened, the page's text."""
    context = browser.new_context(base_url=base)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script("window.__xss = [];")
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        page.wait_for_load_state("networkidle")
        if wait_for:
            page.wait_for_selector(wait_for)
        page.wait_for_timeout(300)  # an onerror fires after the image fails to load
        ran = page.evaluate("window.__xss")
        text = page.inner_text("body")
    finally:
        context.close()
    return ran, dialogs, text


# (page, path, payload tags its text must show); {condition} and {finding} are row ids.
PAGES = [
    ("home", "/", []),
    ("database", "/evidence", []),
    ("study table", "/evidence/study?_search=XSS", ["title"]),
    ("condition table", f"/evidence/condition?study_id={STUDY}", ["condition"]),
    ("finding table", f"/evidence/finding?study_id={STUDY}", ["summary"]),
    ("measurement table", "/evidence/measurement?condition_id={condition}", []),
    ("meta_extract table", f"/evidence/meta_extract?study_id={STUDY}", ["condition"]),
    ("study row", f"/evidence/study/{STUDY}", ["title", "condition", "summary"]),
    ("claim row", f"/evidence/claim/{CLAIM}", ["summary"]),
    ("condition row", "/evidence/condition/{condition}", ["condition"]),
    ("finding row", "/evidence/finding/{finding}", ["summary"]),
    ("study_numbers", f"/evidence/study_numbers?study_id={STUDY}", ["condition"]),
    ("muscle_activation", "/evidence/muscle_activation?muscle=hamstrings", ["condition"]),
    ("muscle_meta_extract", "/evidence/muscle_meta_extract?muscle=hamstrings", ["condition"]),
    ("exercises_compared", "/evidence/exercises_compared?exercise_a=back_squat&exercise_b=stiff_leg_deadlift&muscle=", []),
    ("claims_and_their_evidence", "/evidence/claims_and_their_evidence", []),
    ("meta_contrasts", "/evidence/meta_contrasts", []),
    ("meta_single", "/evidence/meta_single", []),
]  # fmt: skip


@pytest.mark.parametrize("name,path,shown", PAGES, ids=[p[0] for p in PAGES])
def test_no_payload_runs(browser, server, ids, name, path, shown):
    ran, dialogs, text = visit(browser, server, path.format(**ids))
    assert ran == [] and dialogs == [], f"{name}: payload ran: {ran} {dialogs}"
    for tag in shown:
        assert f"XSS-PROBE-{tag}" in text, f"{name}: the {tag} payload is not on the page"


def test_no_payload_runs_on_the_activation_dashboard(browser, server):
    """The charts draw the rows (SVG text, tooltips), with the payload's condition among them."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script("window.__xss = [];")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto("/-/dashboards/activation?muscle=hamstrings&mvc_only=no")
        page.wait_for_load_state("networkidle")
        page.wait_for_selector('[id^="chart-"] svg')
        text = " ".join(page.locator('[id^="chart-"] svg').all_text_contents())
        marks = page.locator('[id^="chart-"] svg g.mark-rect path')
        for i in range(marks.count()):  # each bar's tooltip
            marks.nth(i).hover(force=True)
        page.wait_for_timeout(300)
        ran = page.evaluate("window.__xss")
    finally:
        context.close()
    assert "XSS-PROBE-condition" in text, "the payload's condition is not in the chart"
    assert ran == [] and dialogs == [], f"payload ran: {ran} {dialogs}"


def test_the_probe_sees_a_payload_that_runs(browser):
    # The check itself: the same payload, put in a page as HTML, is caught by both signals.
    context = browser.new_context()
    context.add_init_script("window.__xss = [];")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.set_content(f"<div>{payload('probe')}</div>")
        page.wait_for_timeout(300)
        ran = page.evaluate("window.__xss")
    finally:
        context.close()
    assert "probe" in ran and "probe" in dialogs
