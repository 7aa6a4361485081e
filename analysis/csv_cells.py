"""The one rule for a text cell written to a CSV file: a spreadsheet must never run it as a formula.

A spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return hiding one) as a formula (OWASP, "CSV Injection"), and a title or a locator is
text a contributor typed: such a cell gets a single quote in front (``'=1+2``). Left as they
are: non-text values, text that is a plain number (``-0.5``: an extract keeps its signs), and a
single character (finding.p_relation's lone ``=``). So the rule gives the same answer on a CSV's
text as on typed values, and the served CSVs and ``evidence export`` agree cell for cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = frozenset("=+-@\t\r")

#: Text that is a plain number, as Python's csv module writes an int or a float.
PLAIN_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|nan)")


#: The start of a cell of written CSV (excel dialect, as bytes) that safe_cell may change: quoted
#: or not, starting with a formula character, but not a plain number such as -0.28 (which, unquoted,
#: ends at a comma or at the record's end).
_FORMULA_START = rb'(?:"[=+\-@\t\r]|[=+@\t]|-(?!(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[,\r\n]))'
_FIRST_CELL = re.compile(_FORMULA_START)
#: Every other cell starts after a comma or a newline: a literal first byte, which re scans fast.
_LATER_CELLS = (re.compile(b"," + _FORMULA_START), re.compile(b"\n" + _FORMULA_START))


def may_hold_a_formula(data: bytes) -> bool:
    """Whether a cell of ``data`` (whole CSV records, UTF-8) may be one safe_cell changes: a
    filter in front of the rule (the served CSVs rewrite only the records it lets through)."""
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
