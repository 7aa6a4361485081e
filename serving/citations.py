r"""Citation export: the studies behind any table view, row or query, as BibTeX (.bib) and RIS (.ris).

A page offers them when its rows name studies: through a ``study_id``, ``measurement_id`` or
``condition_id`` column, or as study rows (the study table, a query whose ids are all study ids).
The export holds each study once, in the order the rows first name it, and covers every row of
the page's query, not only the page (a table's filters without page size or ``_next``; a query's
every row), up to ``MAX_STUDIES`` (more is a 400 asking to narrow it).

pybtex and rispy write the files; stored text is written as text, never as markup. In BibTeX,
TeX's special characters become the characters (``\`` as ``{\textbackslash}``...; pybtex escapes
``%`` ``&`` ``#`` ``_`` ``~``): a stored ``\input`` or ``\immediate\write18`` (or ``^^5cinput``)
would run when typeset, an unbalanced brace broke the file. The DOI and PMID, read verbatim by
biblatex, are escaped only where a character can start a command or a group. In RIS, line breaks
and other control characters become a space (a newline would start a new tag line), and links are
built from the DOI (percent-encoded) and a PMID of digits only, so no ``javascript:`` gets in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import rispy
from datasette.utils.asgi import Response
from pybtex.database import BibliographyData, Entry, Person

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
NEEDED = ("authors", "year", "title", "journal", "pages")


def missing_note(study: dict[str, Any]) -> str | None:
    """'Not found in a readable copy: authors, year.' rather than a silently incomplete entry."""
    missing = [name for name in NEEDED if not study.get(name)]
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
        authors = [
            Person(last=bibtex_text(last), first=bibtex_text(first)) for last, first in authors_of(study)
        ]
        entries[study["id"]] = Entry(
            "article",
            fields=[
                (k, bibtex_text(str(v), verbatim=k in VERBATIM_FIELDS))
                for k, v in fields.items()
                if v not in (None, "")
            ],
            persons={"author": authors} if authors else {},
        )
    return BibliographyData(entries=entries).to_string("bibtex") if entries else ""


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
        urls, pmid = [], str(study.get("pmid") or "")
        if study.get("doi"):
            urls.append("https://doi.org/" + quote(str(study["doi"]), safe="/:;()._-<>"))
        if pmid.isascii() and pmid.isdigit():
            urls.append(f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")
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
        records.append({
            k: [ris_text(str(x)) for x in v] if isinstance(v, list) else ris_text(str(v))
            for k, v in record.items()
            if v not in (None, "", [])
        })  # fmt: skip
    return rispy.dumps(records, implementation=PlainRisWriter) if records else ""


def _column_values(rows: Sequence[Any], column: str) -> list[str]:
    # With _labels=on, foreign-key cells arrive as {"value": ..., "label": ...}.
    values = (row[column].get("value") if isinstance(row[column], dict) else row[column] for row in rows)
    return list(dict.fromkeys(str(v) for v in values if v not in (None, "")))


async def _study_rows(datasette, database: str, ids: list[str]) -> list[dict[str, Any]]:
    db = datasette.get_database(database)
    sql = f"select {STUDY_FIELDS} from study where id in (select value from json_each(?))"
    by_id = {row["id"]: dict(row) for row in (await db.execute(sql, [json.dumps(ids)])).rows}
    return [by_id[i] for i in ids if i in by_id]


#: The most studies one export cites (a synthetic base of 10,000 would be a 5 MB file).
MAX_STUDIES = 5000

#: The page's own limit (and a view's offset) at the end of a table page's SQL.
PAGE_LIMIT = re.compile(r"\s+limit\s+\d+(?:\s+offset\s+\d+)?\s*$", re.IGNORECASE)

#: Columns through which rows (``q``) name studies: the join from them and the study id.
STUDY_LINKS = {
    "study_id": ("", "q.[study_id]"),
    "measurement_id": (
        "join measurement m on m.id = q.[measurement_id] join condition c on c.id = m.condition_id",
        "c.study_id",
    ),
    "condition_id": ("join condition c on c.id = q.[condition_id]", "c.study_id"),
    "id": ("", "q.[id]"),
}


def _study_column(columns, table: str | None) -> str | None:
    """The column through which rows name studies; ``id`` only for study rows (the study table,
    or a query that may be over it); None if none."""
    column = next((c for c in ("study_id", "measurement_id", "condition_id") if c in columns), None)
    return column or ("id" if "id" in columns and table in ("study", None) else None)


async def _studies_named(datasette, database, column, rows_sql, params, time_limit=None) -> list[str]:
    """The study ids the rows of ``rows_sql`` (numbered by ``[__row]``) name, in order of first mention."""
    join, study = STUDY_LINKS[column]
    cite = (
        f"select sid from (select {study} as sid, min(q.[__row]) as first from ({rows_sql}) q {join}"
        f" where {study} is not null and {study} != '' group by sid) order by first limit {MAX_STUDIES + 1}"
    )
    result = await datasette.get_database(database).execute(cite, params, custom_time_limit=time_limit)
    return [str(row[0]) for row in result.rows]


async def cited_study_ids(datasette, database: str, table: str | None, columns, rows) -> list[str] | None:
    """The ids of the studies the page's rows name, in order of first mention; None if they name none."""
    column = _study_column(columns, table)
    if column is None:
        return None
    values = _column_values(rows, column)
    if column == "id" and table is None:  # a query: only if every id it returns is a study's
        try:
            if not values or len(await _study_rows(datasette, database, values)) != len(values):
                return None
        except Exception:  # a database without a study table
            return None
    if column in ("study_id", "id"):
        return values
    rows_sql = f"select value as [{column}], key as [__row] from json_each(:values)"
    return await _studies_named(datasette, database, column, rows_sql, {"values": json.dumps(values)})


async def whole_query_study_ids(datasette, request, database, table, column, data) -> list[str] | None:
    """The studies every row of the page's query names (MAX_STUDIES + 1 at most), in order of
    first mention; None where that query is not known."""
    query = (data or {}).get("query") or {}
    if table is not None and request.args.get("_next"):
        # The SQL of page two on starts after the last row of the page before: ask for that of
        # page one (the same filters and order), which has none of it.
        kept = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k != "_next"]
        path = datasette.urls.table(database, table, format="json")
        first = await datasette.client.get(
            path + "?" + urlencode([*kept, ("_nocount", "1"), ("_nofacet", "1")])
        )
        query = (first.json().get("query") or {}) if first.status_code == 200 else {}
    sql, params = query.get("sql"), query.get("params") or {}
    if not sql:
        return None
    if table is not None:  # a table page ends in its own limit; a query runs as written
        sql = PAGE_LIMIT.sub("", sql)
    limit = request.args.get("_timelimit") or ""
    # row_number() over () numbers the rows in the order the query gives them.
    rows_sql = f"select *, row_number() over () as [__row] from ({sql})"
    return await _studies_named(
        datasette, database, column, rows_sql, params, int(limit) if limit.isdigit() else None
    )


def _renderer(extension: str, content_type: str, write):
    async def render(datasette, database, table, query_name, columns, rows, request, data, view_name):
        ids = await cited_study_ids(datasette, database, table, columns, rows)
        if ids is None:
            return Response.text(
                "No studies here: citation export needs rows with a study_id, measurement_id or condition_id"
                " column, or study rows.",
                status=400,
            )
        if view_name != "row":  # a row page cites its one row
            column = _study_column(columns, table)
            try:
                ids = await whole_query_study_ids(datasette, request, database, table, column, data) or ids
            except Exception as e:  # noqa: BLE001 - SQL Datasette ran once, wrapped: say what failed
                if (data or {}).get("truncated") or (data or {}).get("next"):  # else the page holds every row
                    return Response.text(f"could not cite every row of this query: {e}", status=400)
        if len(ids) > MAX_STUDIES:
            return Response.text(
                f"this query names more than {MAX_STUDIES:,} studies: narrow its filters to cite them",
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
        return await cited_study_ids(datasette, database, table, columns, rows) is not None

    return {"extension": extension, "render": render, "can_render": can_render}


def renderers() -> list[dict[str, Any]]:
    return [
        _renderer("bib", "application/x-bibtex", to_bibtex),
        _renderer("ris", "application/x-research-info-systems", to_ris),
    ]
