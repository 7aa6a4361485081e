"""Answers with a bottom line (issue 25): asked from the home page with words and clicks only, in
Debian's chromium at 1400 and 390 px, against a real `evidence serve`; screenshots in
artefacts/answers/. Expected values come from the database through the same functions the
pages use (serving/answer_*.py) over a plain sqlite3 connection, never from literals.

Also: the words (a table of words and the muscles or exercises they must and must not reach),
and a crawl of every link from the home page to depth 2 at 390 px: no page wider than a phone.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import expect, sync_playwright

from emg_evidence.paths import ROOT
from emg_evidence.serving import answer_evidence as evidence
from emg_evidence.serving import answer_lines as lines
from emg_evidence.serving.answer_words import muscle_words, name_exercise, name_muscle

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
SHOTS = ROOT / "artefacts" / "answers"
WIDTHS = (1400, 390)


class Db:
    """The pages' database calls (``await db.execute``) over a plain sqlite3 connection."""

    def __init__(self, path: Path):
        self.connection = sqlite3.connect(path, check_same_thread=False)
        self.connection.row_factory = sqlite3.Row

    async def execute(self, sql, params=None):
        return self.connection.execute(sql, params or []).fetchall()


def run(coroutine):
    # Playwright's sync API keeps an event loop running in this thread: run ours in another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def db(db_path):
    return Db(db_path)


# --- words ---------------------------------------------------------------------------------------

#: (word, muscles it must cover, muscle groups it must never reach)
MUSCLE_WORDS = [
    ("glutes", {"gluteus_maximus", "gluteus_medius"}, {"adductors", "hamstrings"}),
    ("glute", {"gluteus_maximus", "gluteus_medius"}, {"adductors"}),
    ("butt", {"gluteus_maximus"}, {"adductors"}),
    ("booty", {"gluteus_maximus"}, {"adductors"}),
    ("hamstring", {"biceps_femoris", "semitendinosus"}, {"gluteals"}),
    ("hamstrings", {"biceps_femoris", "semitendinosus"}, {"gluteals"}),
    ("groin", {"adductor_magnus", "adductor_longus"}, {"gluteals"}),
    ("inner thigh", {"adductor_magnus"}, {"gluteals", "hip_abductors"}),
    ("outer thigh", {"gluteus_medius", "tensor_fasciae_latae"}, {"adductors"}),
    ("side of the hip", {"gluteus_medius"}, {"adductors"}),
    ("abductors", {"gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae"}, {"adductors"}),
    ("hip abductors", {"gluteus_medius", "tensor_fasciae_latae"}, {"adductors"}),
    ("outer hip", {"gluteus_medius"}, {"adductors"}),
    ("hocks", {"biceps_femoris"}, {"adductors"}),
]
#: (word, exercises it must cover)
EXERCISE_WORDS = [
    (
        "deadlift",
        {
            "barbell_deadlift",
            "romanian_deadlift",
            "stiff_leg_deadlift",
            "hex_bar_deadlift",
            "single_leg_deadlift",
        },
    ),
    ("deadlifts", {"barbell_deadlift", "romanian_deadlift"}),
    ("RDL", {"romanian_deadlift"}),
    ("hip thrust", {"barbell_hip_thrust", "american_hip_thrust", "band_hip_thrust"}),
    ("squat", {"back_squat", "front_squat", "split_squat"}),
    ("leg curl", {"knee_flexion"}),
    ("kickback", {"hip_extension"}),
    ("glute kickback", {"hip_extension"}),
    ("adduction machine", {"hip_adductor_machine"}),
    ("nordic", {"nordic_hamstring_exercise"}),
]


@pytest.mark.parametrize(("word", "covers", "never"), MUSCLE_WORDS, ids=[w for w, *_ in MUSCLE_WORDS])
def test_a_muscle_word_reaches_its_muscles_and_no_others(db, word, covers, never):
    named = run(name_muscle(db, word))
    assert covers <= set(named.ids), (word, named.ids)
    groups = {r[0] for r in db.connection.execute(
        "select muscle_group from muscle where id in (select value from json_each(?))", [repr(named.ids).replace("'", '"')])}  # fmt: skip
    assert not groups & never, (word, groups)


@pytest.mark.parametrize(("word", "covers"), EXERCISE_WORDS, ids=[w for w, _ in EXERCISE_WORDS])
def test_an_exercise_word_reaches_its_family_and_variants(db, word, covers):
    named = run(name_exercise(db, word))
    assert covers <= set(named.ids), (word, named.ids)


@pytest.mark.parametrize("word", ["glutez", "ball", "adductr", "hip abductor muscle", "hamstrung"])
def test_did_you_mean_offers_real_names_only(db, word):
    named = run(name_muscle(db, word))
    offered = set(run(muscle_words(db)))
    mistranslations = {
        r[0].lower()
        for r in db.connection.execute("select term from muscle_synonym where kind = 'mistranslation'")
    }
    assert named.ids or named.near, word
    for near in named.near:
        assert near in offered and near not in mistranslations and "_" not in near, (word, near)


def test_the_abductor_words_never_suggest_the_adductors(db):
    for word in ("abductor", "hip abductor", "abductorz"):
        named = run(name_muscle(db, word))
        assert not [n for n in named.near if "adductor" in n], (word, named.near)


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(server):
    """One browser for the module, one page per width, reused by every test."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/setup --test (Debian package chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        out = {}
        for width in WIDTHS:
            context = browser.new_context(base_url=server, viewport={"width": width, "height": 900})
            context.set_default_timeout(20_000)
            out[width] = context.new_page()
        yield out
        browser.close()


def shot(page, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}_{width}.png"), full_page=width == 390)


def fits(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"{page.url} is {scroll} px wide at {width} px"


A11Y = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('no lang');
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = el.closest('label') || el.getAttribute('aria-label') ||
      (el.id && document.querySelector(`label[for="${el.id}"]`));
    if (!labelled) problems.push('unlabelled ' + el.outerHTML.slice(0, 80));
  }
  let last = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = +h.tagName[1];
    if (level > last + 1) problems.push(`heading ${h.tagName} after h${last}: ${h.textContent.trim().slice(0, 40)}`);
    last = level;
  }
  for (const img of document.querySelectorAll('img')) if (!img.alt) problems.push('image without alt');
  return problems;
}"""


def accessible(page) -> None:
    assert page.evaluate(A11Y) == [], page.url


def answer_page(page, width: int, name: str) -> None:
    """Every answer page: its bottom line first, downloads, accessible, no wider than the screen."""
    bottom = page.locator("section.bottom-line")
    expect(bottom).to_be_visible()
    fits(page, width)
    accessible(page)
    shot(page, name, width)


def ask(page, button: str, **fields: str) -> None:
    page.goto("/")
    section = page.locator("section.question", has=page.get_by_role("button", name=button))
    for label, value in fields.items():
        section.get_by_label(label.replace("_", " "), exact=False).first.fill(value)
    section.get_by_role("button", name=button).click()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_best_glute_exercise(pages, db, width):
    page = pages[width]
    ask(page, "Rank exercises", Muscle="glutes")
    named = run(name_muscle(db, "glutes"))
    rankings = run(evidence.ranking_evidence(db, named.ids, "healthy"))
    first = lines.ranking_line(rankings[0])
    bottom = page.locator("section.bottom-line")
    expect(bottom).to_contain_text(rankings[0]["main"]["exercises"][0]["exercise"])
    expect(bottom).to_contain_text(f"How sure: {first['grade']}")
    expect(bottom).to_contain_text("No pooled answer exists yet")
    # One ranking per muscle: upper and lower gluteus maximus are never one.
    headings = page.locator("h2").all_inner_texts()
    assert len(headings) == len(set(headings))
    expect(page.get_by_role("link", name="these rows (CSV)")).to_be_visible()
    expect(page.get_by_role("link", name="BibTeX")).to_be_visible()
    answer_page(page, width, "best_glute_exercise")


@pytest.mark.parametrize("width", WIDTHS)
def test_hip_thrust_versus_squat(pages, db, width):
    page = pages[width]
    ask(page, "Compare")  # the form opens on hip thrust, squat, glutes
    a, b = run(name_exercise(db, "hip thrust")), run(name_exercise(db, "squat"))
    studies = run(evidence.compare_evidence(db, a.ids, b.ids, run(name_muscle(db, "glutes")).ids))
    bottom = page.locator("section.bottom-line")
    expect(bottom).to_contain_text(
        f"{len(studies)} studies ({sum(s['n'] or 0 for s in studies)} people) did both"
    )
    for line in lines.compare_lines("hip thrust", "squat", studies):
        expect(bottom).to_contain_text(line["text"])
        expect(bottom).to_contain_text(f"How sure: {line['grade']}")
    for st in studies:  # "same participants" only where the design says so
        card = page.locator("h3", has_text=lines.human_citation(st["citation"])).locator(
            "xpath=following-sibling::p[1]"
        )
        said = {True: "The same participants did both", False: "Separate groups"}.get(
            st["same_participants"], "does not say"
        )
        expect(card).to_contain_text(said)
    answer_page(page, width, "hip_thrust_vs_squat")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_best_gluteus_medius_exercise(pages, db, width):
    page = pages[width]
    ask(page, "Rank exercises", Muscle="gluteus medius")
    rankings = run(evidence.ranking_evidence(db, run(name_muscle(db, "gluteus medius")).ids, "healthy"))
    bottom = page.locator("section.bottom-line")
    expect(bottom).to_contain_text(lines.ranking_line(rankings[0])["text"])
    answer_page(page, width, "best_gluteus_medius_exercise")


@pytest.mark.parametrize("width", WIDTHS)
def test_rdl_versus_leg_curl_for_the_hamstrings(pages, db, width):
    page = pages[width]
    ask(page, "Compare", Exercise="RDL", versus="leg curl", Muscle="hamstrings")
    citation = db.connection.execute("select citation from study where id = 'mcallister2014'").fetchone()[0]
    expect(page.get_by_role("heading", name=lines.human_citation(citation))).to_be_visible()
    expect(page.locator("section.bottom-line")).not_to_contain_text("No study here did both")
    answer_page(page, width, "rdl_vs_leg_curl")


@pytest.mark.parametrize("width", WIDTHS)
def test_does_a_deeper_squat_matter(pages, db, width):
    page = pages[width]
    page.goto("/")
    section = page.locator("section.question", has=page.get_by_role("button", name="Show the studies"))
    section.get_by_label("What changes").select_option(label=evidence.FACTORS["depth"])
    section.get_by_label("Exercise (optional)").fill("squat")
    section.get_by_role("button", name="Show the studies").click()
    rows = run(evidence.technique_evidence(db, "depth", None, run(name_exercise(db, "squat")).ids))
    table = page.locator("table.technique")
    for study in ("marchetti2016", "bryanton2012"):
        citation = db.connection.execute("select citation from study where id = ?", [study]).fetchone()[0]
        expect(table).to_contain_text(lines.short_citation(citation))
        expect(page.locator("section.bottom-line")).to_contain_text(lines.short_citation(citation))
    line = lines.technique_line(evidence.FACTORS["depth"], rows)
    expect(page.locator("section.bottom-line")).to_contain_text(
        line["text"].split(":")[1].split(".")[0].strip()
    )
    answer_page(page, width, "deeper_squat")


@pytest.mark.parametrize("width", WIDTHS)
def test_adduction_machine_versus_hip_extension_for_the_adductor_magnus(pages, db, width):
    page = pages[width]
    ask(page, "Compare", Exercise="adduction machine", versus="hip extension", Muscle="adductor magnus")
    muscle = run(name_muscle(db, "adductor magnus")).ids
    a, b = run(name_exercise(db, "adduction machine")).ids, run(name_exercise(db, "hip extension")).ids
    studies = run(evidence.compare_evidence(db, a, b, muscle))
    bottom = page.locator("section.bottom-line")
    if studies:
        expect(bottom).to_contain_text(f"{len(studies)} stud")
    else:
        expect(bottom).to_contain_text("No study here did both")
        expect(page.get_by_role("heading", name="Measured apart, in different studies")).to_be_visible()
        for row in run(evidence.measured_apart(db, a, muscle))[:1]:
            expect(page.locator("ul").filter(has_text=row["exercise"]).first).to_be_visible()
    answer_page(page, width, "adduction_machine_vs_hip_extension")


@pytest.mark.parametrize("width", WIDTHS)
def test_which_way_to_kick_back(pages, db, width):
    page = pages[width]
    page.goto("/")
    section = page.locator("section.question", has=page.get_by_role("button", name="Show the studies"))
    section.get_by_label("What changes").select_option(label=evidence.FACTORS["variant"])
    section.get_by_label("Exercise (optional)").fill("kickback")
    section.get_by_role("button", name="Show the studies").click()
    rows = run(evidence.technique_evidence(db, "variant", None, run(name_exercise(db, "kickback")).ids))
    line = lines.technique_line(evidence.FACTORS["variant"], rows)
    bottom = page.locator("section.bottom-line")
    expect(bottom).to_contain_text(line["text"])
    expect(bottom).to_contain_text(f"How sure: {line['grade']}")
    answer_page(page, width, "kickback_direction")


@pytest.mark.parametrize("width", WIDTHS)
def test_what_the_article_gets_wrong(pages, db, width):
    page = pages[width]
    page.goto("/")
    page.get_by_role("link", name="See the claims by verdict").click()
    count = db.connection.execute("select count(*) from claim").fetchone()[0]
    bottom = page.locator("section.bottom-line")
    expect(bottom).to_contain_text(f"The article makes {count} checked claims")
    expect(bottom).to_contain_text("What the article gets wrong".lower())
    # Human words: no code of the database shows on the page.
    text = page.locator("section.content").inner_text()
    assert not re.search(r"\b(partly_supported|metric_not_mvc|a_greater|b_greater|no_difference)\b", text)
    assert "[authors not shown]" not in text and "(n.d.)" not in text
    answer_page(page, width, "article")


#: Links to files, not pages: the crawl does not open them.
DOWNLOAD = re.compile(r"\.(csv|bib|ris|json|svg|png|db|txt)$|^/-/csv/")


def test_no_page_is_wider_than_a_phone(pages):
    """Every link from the home page to depth 2, at 390 px."""
    page = pages[390]
    page.goto("/")
    origin = urlparse(page.url)
    seen, frontier, wide = {"/"}, ["/"], []
    for _depth in range(2):
        following = []
        for path in frontier:
            page.goto(path)
            if page.evaluate("document.documentElement.scrollWidth") > 391:
                wide.append(f"{path}: {page.evaluate('document.documentElement.scrollWidth')} px")
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                url = urlparse(urljoin(page.url, href))
                if url.netloc != origin.netloc or DOWNLOAD.search(url.path) or "format=" in url.query:
                    continue
                link = url.path + (f"?{url.query}" if url.query else "")
                if link not in seen:
                    seen.add(link)
                    following.append(link)
        frontier = following
    for path in frontier:
        page.goto(path)
        if page.evaluate("document.documentElement.scrollWidth") > 391:
            wide.append(f"{path}: {page.evaluate('document.documentElement.scrollWidth')} px")
    print(f"{len(seen)} pages crawled at 390 px")
    assert len(seen) > 20
    assert not wide, "\n".join(wide)
