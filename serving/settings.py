"""How the database is served: Datasette's settings and the command line `evidence serve` runs.

Tests and benchmarks start Datasette from these same values, so what they measure is what is
deployed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..paths import METADATA, PLUGINS_DIR, TEMPLATES_DIR

#: Serving limits: the database is public and read-only, so no query may run long or dump all.
#: 200 rows per response: Datasette spends about 45 us per row of a 30-column answer in Python
#: (text decoding, JSON), so a 1,000-row page took 60-100 ms however fast the SQL was, and held
#: the server that long under load (bench/queries.py, bench/load.py). Whole extracts stream from
#: /-/csv/ (serving/plugins/fast_csv.py) or `evidence export`; tables page on with _next.
SERVE_SETTINGS = {
    "sql_time_limit_ms": "1000",
    "max_returned_rows": "200",
    "allow_download": "off",
    "default_page_size": "100",
    # Facet suggestions run one timed query per column per table page: on a million rows each
    # ran to its 50 ms limit, 3 s per page (docs/performance.rst suggests turning them off).
    "suggest_facets": "off",
}


def datasette_settings() -> dict[str, int | bool | str]:
    """SERVE_SETTINGS as typed values, for a Datasette made in Python (tests, benchmarks)."""
    typed = {"on": True, "off": False}
    return {k: int(v) if v.isdigit() else typed.get(v, v) for k, v in SERVE_SETTINGS.items()}


def serve_args(db_path: Path, host: str, port: int) -> list[str]:
    """The datasette command line that ``evidence serve`` runs (and that tests start)."""
    args = [
        sys.executable, "-m", "datasette", "serve",
        "-i", str(db_path),
        "--metadata", str(METADATA),
        "--plugins-dir", str(PLUGINS_DIR),
        "--host", host,
        "--port", str(port),
    ]  # fmt: skip
    if TEMPLATES_DIR.exists():
        args += ["--template-dir", str(TEMPLATES_DIR)]
    for name, value in SERVE_SETTINGS.items():
        args += ["--setting", name, value]
    return args
