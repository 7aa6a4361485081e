"""Table counts and file hashes from Datasette's inspect data, computed once per release.

Datasette counts an immutable database's tables on the first page that needs them, each
``count(*)`` cut off after 10 ms: on a large evidence.db the counts of the big tables came back
unknown (and stayed so), and the first visitors waited on the counting. ``datasette inspect``
computes them once, exactly, and ``datasette serve --inspect-file`` reads them; this plugin does
the same for every immutable database it serves, from a file kept beside the database per
release (serving/inspect_data.py), so `evidence serve`, the tests and the benchmarks, which all
start Datasette from the same plugins, get it alike. Inspect data given on the command line
wins.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datasette import hookimpl

from emg_evidence.serving.inspect_data import inspect_file


@hookimpl
def startup(datasette: Any) -> None:
    known = datasette.inspect_data or {}
    found: dict[str, Any] = {}
    for name, db in datasette.databases.items():
        if name in known or db.is_mutable or db.is_memory or not db.path:
            continue
        path = inspect_file(Path(db.path))
        if path is None:
            continue
        data = json.loads(path.read_text())
        # The file names the database by its file name, as Datasette does by default.
        entry = data.get(name) or next(iter(data.values()), None)
        if entry is not None:
            found[name] = entry
    if found:
        datasette.inspect_data = {**known, **found}
