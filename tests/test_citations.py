"""Citation export (serving/citations.py): .bib and .ris of the studies behind a page, parsed back with
bibtexparser and rispy and compared field by field with the study table."""

import re

import bibtexparser
import httpx
import pytest
import rispy


@pytest.fixture(scope="module")
def studies(db_rows) -> dict[str, dict]:
    """The study table, by id."""
    return {row["id"]: dict(row) for row in db_rows("select * from study")}


def expected_authors(study: dict) -> list[tuple[str, str]]:
    """(surname, initials) from 'Surname INITIALS; ...' as stored."""
    out = []
    for name in (study["authors"] or "").split(";"):
        words = name.split()
        if not words:
            continue
        if len(words) > 1 and re.fullmatch(r"[A-Z]{1,4}", words[-1]):
            out.append((" ".join(words[:-1]), words[-1]))
        else:
            out.append((" ".join(words), ""))
    return out


def parse_bibtex(text: str) -> dict[str, dict[str, str]]:
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return {
        entry.key: {"ENTRYTYPE": entry.entry_type, **{f.key: f.value for f in entry.fields}}
        for entry in library.entries
    }


def bib_authors(field: str) -> list[tuple[str, str]]:
    out = []
    for person in field.split(" and "):
        last, _, first = person.partition(", ")
        out.append((last, first.replace(".", "").replace(" ", "")))
    return out


def assert_bibtex_matches(entry: dict[str, str], study: dict) -> None:
    assert entry["ENTRYTYPE"] == "article"
    assert entry.get("title") == study["title"]
    # A field the study lacks (no journal or year was readable, say) is left out.
    assert entry.get("year") == (None if study["year"] is None else str(study["year"])), study["id"]
    for field, column in [("journal", "journal"), ("volume", "volume"), ("number", "issue"), ("doi", "doi"),
                          ("pmid", "pmid")]:  # fmt: skip
        assert entry.get(field) == (study[column] or None), (study["id"], field)
    assert (entry.get("pages") or "").replace("--", "-") == (study["pages"] or "")
    assert bib_authors(entry["author"]) if study["authors"] else "author" not in entry
    if study["authors"]:
        assert bib_authors(entry["author"]) == expected_authors(study)


def assert_ris_matches(record: dict, study: dict) -> None:
    assert record["type_of_reference"] == "JOUR"
    assert record["id"] == study["id"]
    assert record.get("title") == study["title"]
    assert record.get("secondary_title") == (study["journal"] or None)
    assert record.get("year") == (None if study["year"] is None else str(study["year"]))
    assert record.get("volume") == (study["volume"] or None)
    assert record.get("number") == (study["issue"] or None)
    assert record.get("doi") == (study["doi"] or None)
    assert record.get("accession_number") == (study["pmid"] or None)
    pages = "-".join(p for p in (record.get("start_page"), record.get("end_page")) if p)
    assert pages == (study["pages"] or "")
    authors = [
        (last, first.replace(".", "").replace(" ", ""))
        for last, _, first in (a.partition(", ") for a in record.get("authors", []))
    ]
    assert authors == expected_authors(study)


async def test_every_study_round_trips_through_bibtex(ds, studies, extractions):
    response = await ds.client.get("/evidence/study.bib?_size=max")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-bibtex")
    assert 'filename="study.bib"' in response.headers["content-disposition"]
    entries = parse_bibtex(response.text)
    assert sorted(entries) == sorted(studies) == sorted(extractions)
    for key, entry in entries.items():
        assert_bibtex_matches(entry, studies[key])


async def test_every_study_round_trips_through_ris(ds, studies):
    response = await ds.client.get("/evidence/study.ris?_size=max")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-research-info-systems")
    records = rispy.loads(response.text)
    assert sorted(r["id"] for r in records) == sorted(studies)
    for record in records:
        assert_ris_matches(record, studies[record["id"]])
    # Plain RIS: every record starts with TY, no numbering lines between records.
    assert all(
        line.startswith(("TY", "ER")) or line[2:6] == "  - " or not line
        for line in response.text.splitlines()
    )


@pytest.mark.parametrize(
    "path, sql, params",
    [
        # a filtered table view whose rows carry study_id
        (
            "/evidence/meta_extract.bib?muscle_id=hamstrings&_size=max",
            "select distinct study_id from meta_extract where muscle_id = ?",
            ("hamstrings",),
        ),
        # measurement rows name their study through condition_id
        (
            "/evidence/measurement.bib?muscle_id=gluteus_maximus_upper&_size=max",
            "select distinct c.study_id from measurement m join condition c on c.id = m.condition_id"
            " where m.muscle_id = ?",
            ("gluteus_maximus_upper",),
        ),
        # one study's row page
        ("/evidence/study/contreras2015.bib", "select id from study where id = ?", ("contreras2015",)),
        # a canned query with a parameter
        (
            "/evidence/study_numbers.bib?study_id=mccurdy2018",
            "select distinct study_id from meta_extract where study_id = ?",
            ("mccurdy2018",),
        ),
        # arbitrary SQL returning study rows
        (
            "/evidence.bib?sql=select+id,+title+from+study+where+year+>=+2016",
            "select id from study where year >= ?",
            (2016,),
        ),
        # findings carry study_id: 233 rows, more than the row cap (200), all cited
        (
            "/evidence/finding.bib?direction=a_greater&_size=max",
            "select distinct study_id from finding where direction = ?",
            ("a_greater",),
        ),
        # README's example
        (
            "/evidence/meta_extract.bib?muscle_id=hamstrings&_size=max",
            "select distinct study_id from meta_extract where muscle_id = ?",
            ("hamstrings",),
        ),
    ],
)
async def test_export_holds_the_studies_behind_the_rows(ds, db_rows, studies, path, sql, params):
    expected = [row[0] for row in db_rows(sql, *params)]
    assert expected, "the case must cite at least one study"
    response = await ds.client.get(path)
    assert response.status_code == 200, response.text
    entries = parse_bibtex(response.text)
    assert sorted(entries) == sorted(expected)
    for key, entry in entries.items():
        assert_bibtex_matches(entry, studies[key])
    ris = await ds.client.get(path.replace(".bib", ".ris", 1))
    assert sorted(r["id"] for r in rispy.loads(ris.text)) == sorted(expected)


async def test_pages_offer_bib_and_ris_only_where_rows_name_studies(ds):
    page = await ds.client.get("/evidence/meta_extract")
    assert 'href="/evidence/meta_extract.bib"' in page.text
    assert 'href="/evidence/meta_extract.ris"' in page.text
    study = await ds.client.get("/evidence/study/contreras2015")
    assert "/evidence/study/contreras2015.bib" in study.text
    muscles = await ds.client.get("/evidence/muscle")
    assert "muscle.bib" not in muscles.text
    refused = await ds.client.get("/evidence/muscle.bib")
    assert refused.status_code == 400
    assert "study_id" in refused.text


async def test_empty_result_gives_empty_bibliography(ds):
    response = await ds.client.get("/evidence/meta_extract.bib?muscle_id=no_such_muscle")
    assert response.status_code == 200
    assert parse_bibtex(response.text) == {}


def first_mentions(db_rows, sql: str, *params) -> list[str]:
    return list(dict.fromkeys(row[0] for row in db_rows(sql, *params)))


@pytest.mark.parametrize("size", ["10", "max", None])
def test_a_table_export_cites_every_page_of_its_query(server, db_rows, size):
    """A filtered table of more than one page (233 findings, a page of 10, 100 or 200 rows):
    .bib and .ris of any of its pages cite every study of the whole filtered query, in the order
    the rows first name them, against a real server."""
    expected = first_mentions(
        db_rows, "select study_id from finding where direction = ? order by id", "a_greater"
    )
    rows = db_rows("select count(*), count(distinct study_id) from finding where direction = ?", "a_greater")[
        0
    ]
    page = 100 if size is None else 200 if size == "max" else int(size)
    assert rows[0] > page and rows[1] == len(expected)  # more rows than a page, and studies past it
    on_first_page = first_mentions(
        db_rows, "select study_id from finding where direction = ? order by id limit ?", "a_greater", page
    )
    assert len(on_first_page) < len(expected), "the case must name studies past the first page"
    query = "direction=a_greater" + (f"&_size={size}" if size else "")
    with httpx.Client(base_url=server, timeout=60) as client:
        first = client.get(f"/evidence/finding.json?{query}&_shape=objects").json()
        assert first["next"], "more than one page"
        for path in (
            f"/evidence/finding.bib?{query}",
            f"/evidence/finding.bib?{query}&_next={first['next']}",
        ):
            bib = client.get(path)
            assert bib.status_code == 200, bib.text[:300]
            assert list(parse_bibtex(bib.text)) == expected, path
            ris = client.get(path.replace(".bib", ".ris", 1))
            assert [r["id"] for r in rispy.loads(ris.text)] == expected, path


def test_a_measurement_export_cites_every_page_through_conditions(server, db_rows):
    expected = first_mentions(
        db_rows,
        "select c.study_id from measurement m join condition c on c.id = m.condition_id"
        " where m.muscle_id = ? order by m.id",
        "gluteus_maximus",
    )
    assert len(expected) > 1
    with httpx.Client(base_url=server, timeout=60) as client:
        bib = client.get("/evidence/measurement.bib?muscle_id=gluteus_maximus&_size=5")
    assert bib.status_code == 200, bib.text[:300]
    assert list(parse_bibtex(bib.text)) == expected


async def test_an_incomplete_study_says_what_was_not_found(ds, db_rows):
    # A study whose readable copies lacked authors, year or title, whichever it is in the data.
    rows = db_rows(
        "select id, authors, year, title from study where authors is null or year is null or title is null"
        " order by id limit 1"
    )
    if not rows:
        pytest.skip("every study has authors, year and title")
    (study_id, authors, year, title) = rows[0]
    bib = (await ds.client.get(f"/evidence/study/{study_id}.bib")).text
    ris = (await ds.client.get(f"/evidence/study/{study_id}.ris")).text
    for name, value in (("authors", authors), ("year", year), ("title", title)):
        if not value:
            assert name in bib.split("note")[1] and name in ris.split("N1  -")[1]
    assert "Not found in a readable copy" in bib and "N1  - Not found in a readable copy" in ris
