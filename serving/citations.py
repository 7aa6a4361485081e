r"""Citation export: the studies behind any table view, row or query, as BibTeX (.bib) and RIS (.ris).

A page offers the two formats when its rows name studies: they carry a ``study_id`` column
(meta_extract, condition, finding, source, most canned queries), a ``measurement_id`` (study_numbers)
or a ``condition_id`` (measurement), or they are study rows (the study
table, one study's row page, or a query whose ``id`` values are all study ids). The export holds
each study once, in the order the rows first name it, and covers every row of the page's query,
not only the page: a table's filters with no page size or row cap (``_next`` is ignored: page two
cites what page one does), a canned or arbitrary query's every row. At most ``MAX_STUDIES``
studies: a query naming more is refused (400) with a word to narrow it.

The files are written by maintained libraries (pybtex for BibTeX, rispy for RIS) rather than by
string formatting, so quoting, braces and RIS line syntax follow those formats. Stored text is
plain text, so it is written as text, never as markup:

- in BibTeX, TeX's special characters are written as the characters (``\\`` as
  ``{\textbackslash}``, braces as ``{\textbraceleft}``/``{\textbraceright}``, ``^`` as
  ``{\textasciicircum}``, ``$`` as ``\$``; pybtex escapes ``%`` ``&`` ``#`` ``_`` ``~``): a stored ``\input`` or
  ``\immediate\write18`` (or ``^^5cinput``, TeX's spelling of a backslash) would otherwise run
  when the bibliography is typeset, an unbalanced brace made pybtex refuse the file or closed the
  field, and ``%`` commented out the rest of a line. The DOI and PMID keep their characters but
  for the four that can start a command or a group (``\\ { } ^``): biblatex reads them verbatim;
- in RIS every run of line breaks and other control characters becomes one space (a newline in a
  title would start a new tag line, ``ER  -`` a new record), and the links are built from the
  DOI (percent-encoded) and a PMID of digits only, so no ``javascript:`` or other scheme gets in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import rispy
from datasette.utils.asgi import Response
from pybtex.database import BibliographyData, Entry, Person

STUDY_TABLE = "study"
STUDY_FIELDS = "id, authors, year, title, journal, volume, issue, pages, doi, pmid"

# Authors are stored as 'Surname Initials' (Vancouver/NLM style): the last word is the initials.
INITIALS = re.compile(r"^[A-Z]{1,4}$")

#: TeX's special characters as LaTeX writes them as text, each group balanced by itself; pybtex's
#: writer escapes the others (% _ & # ~) itself.
BIBTEX_TEXT = {
    "\\": "{\\textbackslash}",
    "{": "{\\textbraceleft}",
    "}": "{\\textbraceright}",
    "^": "{\\textasciicircum}",
    "$": "\\$",
}
BIBTEX_SPECIAL = re.compile("[" + re.escape("".join(BIBTEX_TEXT)) + "]")
#: The characters that can start a command or a group: all a verbatim field (DOI) needs escaped.
BIBTEX_COMMAND = re.compile(r"[\\{}^]")
#: Fields biblatex reads verbatim.
VERBATIM_FIELDS = ("doi", "pmid")
#: Line breaks and other control characters (C0, DEL, C1, Unicode line and paragraph separators).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def bibtex_text(value: str, verbatim: bool = False) -> str:
    """Plain text as a BibTeX field value: TeX's special characters as characters, never as
    commands, groups or comments (``verbatim``: only those that start a command or a group)."""
    return (BIBTEX_COMMAND if verbatim else BIBTEX_SPECIAL).sub(lambda m: BIBTEX_TEXT[m.group()], value)


def ris_text(value: str) -> str:
    """Plain text as one RIS line: line breaks and control characters become a space."""
    return CONTROL.sub(" ", value)


def split_author(name: str) -> tuple[str, str]:
    """Split 'Rockland Hellebø LR' into ('Rockland Hellebø', 'L. R.'); no initials gives ('Name', '')."""
    words = name.split()
    if len(words) > 1 and INITIALS.match(words[-1]):
        return " ".join(words[:-1]), " ".join(f"{letter}." for letter in words[-1])
    return name.strip(), ""


def authors_of(study: dict[str, Any]) -> list[tuple[str, str]]:
    return [split_author(a) for a in (study.get("authors") or "").split(";") if a.strip()]


def page_range(pages: str | None) -> tuple[str | None, str | None]:
    """'587-593' gives ('587', '593'); an article number such as '3846123' gives ('3846123', None)."""
    if not pages:
        return None, None
    first, _, last = pages.partition("-")
    return first.strip() or None, last.strip() or None


#: Fields a citation needs; where the readable copies did not show one, the entry says so.
NEEDED = (
    ("authors", "authors"),
    ("year", "year"),
    ("title", "title"),
    ("journal", "journal"),
    ("pages", "pages"),
)


def missing_note(study: dict[str, Any]) -> str | None:
    """'Not found in a readable copy: authors, year.' for a study whose copies lacked them: an
    honest entry instead of a silently incomplete one."""
    missing = [name for name, column in NEEDED if not study.get(column)]
    return f"Not found in a readable copy: {', '.join(missing)}." if missing else None


def to_bibtex(studies: Iterable[dict[str, Any]]) -> str:
    """One @article per study, keyed by the study id."""
    entries = {}
    for study in studies:
        first_page, last_page = page_range(study.get("pages"))
        fields = {
            "title": study.get("title"),
            "journal": study.get("journal"),
            "year": study.get("year"),
            "volume": study.get("volume"),
            "number": study.get("issue"),
            # BibTeX writes a page range with an en dash, '--'.
            "pages": f"{first_page}--{last_page}" if last_page else first_page,
            "doi": study.get("doi"),
            "pmid": study.get("pmid"),
            "note": missing_note(study),
        }
        persons = {
            "author": [
                Person(last=bibtex_text(last), first=bibtex_text(first)) for last, first in authors_of(study)
            ]
        }
        entries[study["id"]] = Entry(
            "article",
            fields=[
                (k, bibtex_text(str(v), verbatim=k in VERBATIM_FIELDS))
                for k, v in fields.items()
                if v not in (None, "")
            ],
            persons={k: v for k, v in persons.items() if v},
        )
    if not entries:
        return ""
    return BibliographyData(entries=entries).to_string("bibtex")


class PlainRisWriter(rispy.RisWriter):
    """rispy's writer without its numbered '1.' line before each record, which RIS does not define."""

    def set_header(self, count: int) -> str:
        return ""


def to_ris(studies: Iterable[dict[str, Any]]) -> str:
    """One JOUR record per study; the PMID goes in AN with DB = PubMed, as MEDLINE exports do."""
    records = []
    for study in studies:
        first_page, last_page = page_range(study.get("pages"))
        note = missing_note(study)
        urls = []
        if study.get("doi"):
            urls.append("https://doi.org/" + quote(str(study["doi"]), safe="/:;()._-<>"))
        if str(study.get("pmid") or "").isascii() and str(study.get("pmid") or "").isdigit():
            urls.append(f"https://pubmed.ncbi.nlm.nih.gov/{study['pmid']}/")
        record = {
            "type_of_reference": "JOUR",
            "id": study["id"],
            "authors": [f"{last}, {first}" if first else last for last, first in authors_of(study)],
            "title": study.get("title"),
            # We store the NLM abbreviation: T2 is what reference managers read as the journal,
            # J2 marks it as the abbreviated form.
            "secondary_title": study.get("journal"),
            "alternate_title1": study.get("journal"),
            "year": str(study["year"]) if study.get("year") else None,
            "volume": study.get("volume"),
            "number": study.get("issue"),
            "start_page": first_page,
            "end_page": last_page,
            "doi": study.get("doi"),
            "accession_number": study.get("pmid"),
            "name_of_database": "PubMed" if study.get("pmid") else None,
            "urls": urls,
            "notes": [note] if note else None,
        }
        records.append({k: _ris_value(v) for k, v in record.items() if v not in (None, "", [])})
    if not records:
        return ""
    return rispy.dumps(records, implementation=PlainRisWriter)


def _ris_value(value: Any) -> Any:
    if isinstance(value, list):
        return [ris_text(str(v)) for v in value]
    return ris_text(str(value))


def _plain(value: Any) -> Any:
    # With _labels=on, foreign-key cells arrive as {"value": ..., "label": ...}.
    return value.get("value") if isinstance(value, dict) else value


def _column_values(rows: Sequence[Any], column: str) -> list[str]:
    values = []
    for row in rows:
        value = _plain(row[column])
        if value not in (None, "") and str(value) not in values:
            values.append(str(value))
    return values


async def _study_rows(datasette, database: str, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    db = datasette.get_database(database)
    placeholders = ", ".join("?" for _ in ids)
    result = await db.execute(f"select {STUDY_FIELDS} from {STUDY_TABLE} where id in ({placeholders})", ids)
    by_id = {row["id"]: dict(row) for row in result.rows}
    return [by_id[i] for i in ids if i in by_id]


# Columns through which rows name a study, with the SQL that maps their values to study ids.
STUDY_LINKS = {
    "measurement_id": "select m.id, c.study_id from measurement m"
    " join condition c on c.id = m.condition_id where m.id in ({})",
    "condition_id": "select id, study_id from condition where id in ({})",
}


async def _linked_study_ids(datasette, database: str, column: str, rows) -> list[str]:
    keys = _column_values(rows, column)
    if not keys:
        return []
    db = datasette.get_database(database)
    sql = STUDY_LINKS[column].format(", ".join("?" for _ in keys))
    study_of = {str(row[0]): row[1] for row in (await db.execute(sql, keys)).rows}
    return list(dict.fromkeys(study_of[k] for k in keys if k in study_of))


def _study_column(columns, table: str | None) -> str | None:
    """The column through which rows name studies: study_id, else a link (STUDY_LINKS), else
    the id of study rows (the study table, or a query that may be over it); None if none."""
    column = next((c for c in ("study_id", *STUDY_LINKS) if c in columns), None)
    if column is None and "id" in columns and table in (STUDY_TABLE, None):
        column = "id"
    return column


async def cited_study_ids(datasette, database: str, table: str | None, columns, rows) -> list[str] | None:
    """The ids of the studies the rows name, in order of first mention; None if they name none."""
    column = _study_column(columns, table)
    if column == "study_id":
        return _column_values(rows, "study_id")
    if column in STUDY_LINKS:
        return await _linked_study_ids(datasette, database, column, rows)
    if column is None:
        return None
    if table == STUDY_TABLE:
        return _column_values(rows, "id")
    if table is None and rows:
        # A query over the study table: every id it returns is a study id.
        ids = _column_values(rows, "id")
        try:
            found = await _study_rows(datasette, database, ids)
        except Exception:  # a database without a study table
            return None
        if ids and len(found) == len(ids):
            return ids
    return None


#: The most studies one export cites (the study table holds 49; a synthetic base of 10,000
#: would be a 5 MB file): past it the export is refused, never cut short in silence.
MAX_STUDIES = 5000

#: The page's own limit (and a view's offset) at the end of a table page's SQL.
PAGE_LIMIT = re.compile(r"\s+limit\s+\d+(?:\s+offset\s+\d+)?\s*$", re.IGNORECASE)

#: For a column through which rows name studies: the join from the rows (``q``) and the
#: expression that gives the study id.
WHOLE_QUERY_LINKS = {
    "study_id": ("", "q.[study_id]"),
    "measurement_id": (
        "join measurement m on m.id = q.[measurement_id] join condition c on c.id = m.condition_id",
        "c.study_id",
    ),
    "condition_id": ("join condition c on c.id = q.[condition_id]", "c.study_id"),
    "id": ("", "q.[id]"),
}


class TooManyStudies(Exception):
    pass


async def _page_query(datasette, request, database: str, table: str | None, data) -> tuple[str, Any] | None:
    """The SQL and parameters of every row the page is a page of; None where it is not known."""
    query = (data or {}).get("query") or {}
    sql, params = query.get("sql"), query.get("params") or {}
    if not sql:
        return None
    if table is None:
        return sql, params  # a canned or arbitrary query, as written: Datasette cut it at the row cap
    if request is not None and request.args.get("_next"):
        # The SQL of page two on starts after the last row of the page before: ask for that of
        # page one (the same filters and order), which has none of it.
        kept = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k != "_next"]
        path = datasette.urls.table(database, table, format="json")
        first = await datasette.client.get(
            path + "?" + urlencode([*kept, ("_nocount", "1"), ("_nofacet", "1")])
        )
        if first.status_code != 200:
            return None
        query = first.json().get("query") or {}
        sql, params = query.get("sql"), query.get("params") or {}
        if not sql:
            return None
    return PAGE_LIMIT.sub("", sql), params


async def whole_query_study_ids(
    datasette, request, database: str, table: str | None, columns, data
) -> list[str] | None:
    """The studies every row of the page's query names, in order of first mention, or None if
    that query is not known. Raises TooManyStudies past MAX_STUDIES."""
    found = await _page_query(datasette, request, database, table, data)
    if found is None:
        return None
    sql, params = found
    column = _study_column(columns, table)
    if column is None:
        return None
    join, study = WHOLE_QUERY_LINKS[column]
    # row_number() over () numbers the rows in the order the query gives them.
    cite = (
        f"select sid from (select {study} as sid, min(q.[__row]) as first"
        f" from (select *, row_number() over () as [__row] from ({sql})) q {join}"
        f" where {study} is not null and {study} != '' group by sid)"
        f" order by first limit {MAX_STUDIES + 1}"
    )
    limit = request.args.get("_timelimit") if request is not None else None
    db = datasette.get_database(database)
    result = await db.execute(
        cite, params, custom_time_limit=int(limit) if limit and limit.isdigit() else None
    )
    ids = [str(row[0]) for row in result.rows]
    if len(ids) > MAX_STUDIES:
        raise TooManyStudies(
            f"this query names more than {MAX_STUDIES:,} studies: narrow its filters to cite them"
        )
    return ids


def _renderer(extension: str, content_type: str, write):
    async def render(datasette, database, table, query_name, columns, rows, request, data, view_name):
        ids = await cited_study_ids(datasette, database, table, columns, rows)
        if ids is not None:
            try:
                whole = None
                if view_name != "row":  # a row page cites its one row
                    whole = await whole_query_study_ids(datasette, request, database, table, columns, data)
            except TooManyStudies as e:
                return Response.text(str(e), status=400)
            except Exception as e:  # noqa: BLE001 - SQL Datasette ran once, wrapped: say what failed
                if not (data or {}).get("truncated") and not (data or {}).get("next"):
                    whole = None  # the page holds every row: cite them
                else:
                    return Response.text(f"could not cite every row of this query: {e}", status=400)
            if whole is not None:
                ids = whole
        if ids is None:
            return Response.text(
                "No studies here: citation export needs rows with a study_id, measurement_id or condition_id"
                " column, or study rows.",
                status=400,
            )
        studies = await _study_rows(datasette, database, ids)
        filename = f"{table or query_name or database}.{extension}"
        return Response(
            write(studies),
            content_type=f"{content_type}; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )

    async def can_render(datasette, database, table, columns, rows):
        ids = await cited_study_ids(datasette, database, table, columns, rows)
        return ids is not None

    return {"extension": extension, "render": render, "can_render": can_render}


def renderers() -> list[dict[str, Any]]:
    """The .bib and .ris output renderers (serving/plugin.py registers them)."""
    return [
        _renderer("bib", "application/x-bibtex", to_bibtex),
        _renderer("ris", "application/x-research-info-systems", to_ris),
    ]
