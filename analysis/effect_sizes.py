"""Effect sizes as R's metafor (``escalc``, version 3.8) computes them, registered as SQL
functions on every connection that runs the canned queries meta_contrasts and meta_single (the
export's and Datasette's), so one formula serves the CSV files, the pages and the tests.

MC ``yi = m1i - m2i``, ``vi = (sd1i² + sd2i² - 2·ri·sd1i·sd2i) / ni``; SMCC (Gibbons et al. 1993)
``yi = c(ni - 1)·(m1i - m2i) / sqrt(that numerator)``, ``vi = 1/ni + yi²/(2·ni)`` (vtype "LS");
MN ``yi = mi``, ``vi = sdi² / ni``. SMCC, not SMCR: two exercises have no natural "pre", and
SMCC is symmetric (swapping the conditions flips the sign of yi only).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from typing import Any

Number = float | None

#: The correlation between a participant's values in two conditions. No study here reports it,
#: so it is imputed; 0.5 is a common default (and `evidence export --ri` changes it).
DEFAULT_RI = 0.5


def cmi(m: float) -> Number:
    """metafor's ``.cmicalc``: the exact small-sample correction, None for ``m <= 1``."""
    if m <= 1:
        return None
    return math.exp(math.lgamma(m / 2) - math.log(math.sqrt(m / 2)) - math.lgamma((m - 1) / 2))


def _sd_difference_sq(sd1: float, sd2: float, ri: float) -> float:
    return sd1**2 + sd2**2 - 2 * ri * sd1 * sd2


def mc_yi(m1: Number, m2: Number) -> Number:
    if m1 is None or m2 is None:
        return None
    return m1 - m2


def mc_vi(sd1: Number, sd2: Number, ri: Number, n: Number) -> Number:
    if sd1 is None or sd2 is None or ri is None or not n:
        return None
    return _sd_difference_sq(sd1, sd2, ri) / n


def smcc_yi(m1: Number, m2: Number, sd1: Number, sd2: Number, ri: Number, n: Number) -> Number:
    if m1 is None or m2 is None or sd1 is None or sd2 is None or ri is None or n is None:
        return None
    correction = cmi(n - 1)
    sdd_sq = _sd_difference_sq(sd1, sd2, ri)
    if correction is None or sdd_sq <= 0:
        return None
    return correction * (m1 - m2) / math.sqrt(sdd_sq)


def smcc_vi(yi: Number, n: Number) -> Number:
    if yi is None or not n:
        return None
    return 1 / n + yi**2 / (2 * n)


def mn_vi(sd: Number, n: Number) -> Number:
    if sd is None or not n:
        return None
    return sd**2 / n


def ri_param(value: object) -> Number:
    """The ``:ri`` query parameter: '' (Datasette's for one left out) or None means the
    default; anything but a number in [-1, 1] gives None (the query says why in ``reason``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_RI
    try:
        ri = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(ri) or not -1 <= ri <= 1:
        return None
    return ri


#: SQL name -> (function, number of arguments).
SQL_FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = {
    "mc_yi": (mc_yi, 2),
    "mc_vi": (mc_vi, 4),
    "smcc_yi": (smcc_yi, 6),
    "smcc_vi": (smcc_vi, 2),
    "mn_vi": (mn_vi, 2),
    "ri_param": (ri_param, 1),
}


def register_sql_functions(connection: sqlite3.Connection) -> None:
    for name, (fn, nargs) in SQL_FUNCTIONS.items():
        connection.create_function(name, nargs, fn, deterministic=True)
