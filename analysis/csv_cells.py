"""The one rule for a text cell written to a CSV file: a spreadsheet must never run it as a formula.

A spreadsheet (Excel, LibreOffice, Google Sheets) opening a CSV evaluates a cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage return can hide such a
start (OWASP, "CSV Injection"). A study title or a locator is text a contributor typed, so a
downloaded extract could carry ``=HYPERLINK(...)`` or worse to the reader's machine. As OWASP
advises, such a cell gets a single quote in front (``'=1+2``): spreadsheets show it as text.

Left as they are, because no spreadsheet can take them for a formula:

- numbers (``int``, ``float``) and anything else that is not text;
- text that is a plain decimal number (``-0.5``, ``+3``, ``-1.2e-3``, ``-inf``), as a text
  column of a view may hold, so a meta-analysis extract keeps its signs;
- a single character (finding.p_relation stores a lone ``=``; a lone ``-`` often means none).

Because numbers written as text pass unchanged too, the rule gives the same answer on a CSV's
text (every cell a string) as on typed values: the served CSVs (``/-/csv/`` in
serving/plugins/fast_csv.py, Datasette's ``.csv`` through serving/plugins/harden.py) and
``evidence export`` agree cell for cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = frozenset("=+-@\t\r")

#: Text that is a plain number, as Python's csv module writes an int or a float.
PLAIN_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|nan)")


#: The start of a cell of written CSV (the csv module's excel dialect, as bytes) that safe_cell
#: may change: quoted and starting with a formula character, or unquoted and starting with one,
#: but not a plain decimal number such as -0.28 (an unquoted cell holds no line break, so such a
#: number ends at a comma or at the record's end).
_FORMULA_START = rb'(?:"[=+\-@\t\r]|[=+@\t]|-(?!(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[,\r\n]))'
_FIRST_CELL = re.compile(_FORMULA_START)
#: Every other cell starts after a comma or a newline: patterns with a literal first byte, which
#: re scans fast, so CSV with nothing to change costs little more than writing it.
_LATER_CELLS = (re.compile(b"," + _FORMULA_START), re.compile(b"\n" + _FORMULA_START))


def may_hold_a_formula(data: bytes) -> bool:
    """Whether a cell of ``data`` (whole CSV records, UTF-8) may be one safe_cell changes.

    A filter in front of the rule, never instead of it: the served CSVs parse and rewrite only
    records it lets through, and pass the rest on byte for byte (UTF-8 never has an ASCII byte
    inside a character, so the bytes can be scanned as they are)."""
    return bool(_FIRST_CELL.match(data) or any(p.search(data) for p in _LATER_CELLS))


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet runs: text that starts a formula gets a ``'``."""
    if not isinstance(value, str) or value[:1] not in FORMULA_STARTS:
        return value
    if len(value) == 1 or PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Each cell of ``row`` through :func:`safe_cell` (the common case, nothing to change, is quick)."""
    return [
        safe_cell(value) if isinstance(value, str) and value[:1] in FORMULA_STARTS else value for value in row
    ]


def written_cell(text: str) -> str:
    """``text`` through :func:`safe_cell`, as the csv module writes it as one cell among several.

    The csv module's own quoting (its excel dialect, QUOTE_MINIMAL), not a copy of it: the cell
    is written in a record with a second, empty cell, which is then cut off (a record of one
    empty cell alone would be written ``""``)."""
    out = io.StringIO()
    csv.writer(out).writerow((safe_cell(text), ""))
    return out.getvalue()[: -len(",\r\n")]
