"""Benchmark: latency of every canned query in metadata.yml, and whether each uses an index.

The canned queries are read from metadata.yml when this runs (others add queries all the
time). Each runs ``--runs`` times through Datasette itself (in-process, with the plugins and the
serving settings of `evidence serve`), with parameter values drawn from the database: a
parameter named like a column (``study_id``) takes values of that column, one named ``<table>_id``
or after a table takes that table's ids (``exercise_a`` too), any other gets ''; ``--param
name=value`` fixes one.

It prints p50/p95/max per query and whether the query's bytecode walks the measurement table or
one of its indexes from one end (directly or through a view): such a query is marked FULL SCAN.
Exit status 1 if any query failed, scanned measurement, or had p95 over ``--target-ms``.

Example:

    python bench/queries.py --db /tmp/large.db
    python bench/queries.py --db evidence.db --runs 5 --param study_id=contreras2015
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from emg_evidence.analysis.queries import names as query_names  # noqa: E402
from emg_evidence.analysis.queries import query_sql  # noqa: E402
from emg_evidence.serving.run import make_datasette  # noqa: E402
from emg_evidence.serving.settings import METADATA  # noqa: E402

SEED = 7
NAMED_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def canned_queries(metadata: Path, database: str) -> dict[str, dict[str, Any]]:
    """Every canned query as Datasette serves it: metadata.yml's entry plus analysis/sql/'s SQL."""
    meta = yaml.safe_load(metadata.read_text())
    described = meta.get("databases", {}).get(database, {}).get("queries", {}) or {}
    out = {}
    for name in query_names():
        q = {**(described.get(name) or {}), "sql": query_sql(name)}
        q.setdefault("params", sorted(set(NAMED_PARAM.findall(q["sql"]))))
        out[name] = q
    return out


def candidate_values(connection: sqlite3.Connection, param: str, k: int = 200) -> list[Any]:
    """Values for ``param`` from the database: a column of that name, or a table's ids."""
    tables = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%_fts%'"
        " AND name NOT LIKE 'sqlite_%'")]  # fmt: skip
    lookups = []
    base = re.sub(r"_(a|b|\d)$", "", param).removesuffix("_id")
    if base in tables:
        lookups.append((base, "id"))
    for table in sorted(tables, key=lambda t: t != base):
        columns = [r[1] for r in connection.execute(f"PRAGMA table_info([{table}])")]
        if param in columns:
            lookups.append((table, param))
    for table, column in lookups:
        # Sampling reads the table once; it is set-up, not part of the timings.
        values = [r[0] for r in connection.execute(
            f"SELECT DISTINCT [{column}] FROM [{table}] WHERE [{column}] IS NOT NULL"
            f" ORDER BY random() LIMIT {k}")]  # fmt: skip
        if values:
            return values
    return []


def full_scans(program: list[Any], roots: dict[int, str]) -> list[str]:
    """The b-trees of measurement (the table or an index) that ``program`` reads from one end.

    ``program`` is the query's ``EXPLAIN`` bytecode. EXPLAIN QUERY PLAN names tables by alias
    (``SCAN m`` may be measurement or a muscle alias), so the bytecode is read instead: a cursor
    opened on one of ``roots`` (root page -> name) and then moved by Rewind or Last walks that
    b-tree from its start (Count walks all of it); a search moves it by a Seek opcode instead.
    """
    cursors = {}
    for row in program:
        if row["opcode"] in ("OpenRead", "ReopenIdx") and row["p2"] in roots:
            cursors[row["p1"]] = roots[row["p2"]]
    return sorted({cursors[row["p1"]] for row in program
                   if row["opcode"] in ("Rewind", "Last", "Count") and row["p1"] in cursors})  # fmt: skip


async def run(db_path: Path, runs: int, fixed: dict[str, str], target_ms: float) -> bool:
    database = "evidence"
    if db_path.stem != database:
        # The file's stem names the database; serve it as `evidence`, as metadata.yml expects.
        link = Path(tempfile.mkdtemp(prefix="bench-queries-")) / f"{database}.db"
        link.symlink_to(db_path)
        db_path = link
    ds = make_datasette(db_path)
    db = ds.databases[database]
    raw = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    roots = dict(raw.execute(
        "SELECT rootpage, name FROM sqlite_master WHERE tbl_name = 'measurement' AND rootpage > 0"))  # fmt: skip
    rng = random.Random(SEED)
    ok = True
    print(f"{'query':28} {'runs':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  plan")
    for name, q in canned_queries(METADATA, database).items():
        pools = {}
        for p in q["params"]:
            pools[p] = [fixed[p]] if p in fixed else candidate_values(raw, p)
        for p, pool in pools.items():
            if not pool:
                # Canned queries here read '' as "any" (:text = '' or ...); --param fixes one.
                print(f"  {name}: no values for :{p} in the database, using ''", file=sys.stderr)
                pool.append("")
        args = [{p: rng.choice(pool) for p, pool in pools.items()} for _ in range(runs)]
        program = await db.execute("EXPLAIN " + q["sql"], args[0])
        scans = full_scans(program.rows, roots)
        times, errors = [], 0
        for a in args:
            started = time.perf_counter()
            # no-cache: each run computes its answer (serving/response_cache.py would
            # answer a repeated URL from memory).
            response = await ds.client.get(
                f"/{database}/{name}.json?_shape=array&" + urlencode(a), headers={"cache-control": "no-cache"}
            )
            times.append((time.perf_counter() - started) * 1000)
            errors += response.status_code != 200
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        verdict = "FULL SCAN of " + ", ".join(scans) if scans else "index"
        if errors:
            verdict += f"; {errors} ERRORS"
        print(f"{name:28} {runs:>4} {statistics.median(times):>8.1f} {p95:>8.1f} "
              f"{times[-1]:>8.1f}  {verdict}")  # fmt: skip
        ok = ok and not scans and not errors and p95 < target_ms
    raw.close()
    return ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--target-ms", type=float, default=50.0)
    parser.add_argument("--param", action="append", default=[], help="name=value, fixed")
    args = parser.parse_args(argv)
    fixed = dict(p.split("=", 1) for p in args.param)
    ok = asyncio.run(run(args.db.resolve(), args.runs, fixed, args.target_ms))
    print(
        "all canned queries use an index and meet the target"
        if ok
        else f"some canned query scans measurement, failed or has p95 >= {args.target_ms:g} ms"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
