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

import re
from collections.abc import Iterable
from typing import Any

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = frozenset("=+-@\t\r")

#: Text that is a plain number, as Python's csv module writes an int or a float.
PLAIN_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|nan)")


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
