"""Benchmark: rows/s through the validating ingest path, against raw sqlite3 in the same run.

Stages, each timed on the same data folder (made by bench/generate.py):

- parse: YAML text -> Python objects (``emg_evidence.ingest.yaml_reader.read_yaml``), reported on its own;
- validate: the pydantic models and the cross-checks (``emg_evidence.ingest.records``, ``.dataset``);
- rows: ``emg_evidence.ingest.rows.to_rows``;
- insert: ``emg_evidence.ingest.rows.insert_rows`` into a freshly migrated database, foreign keys on;
- raw: ``sqlite3`` ``executemany`` of the very same rows, as ready-made tuples, into another
  freshly migrated database with foreign keys on: the floor any ingest path can reach;
- core (unless --no-core): SQLAlchemy Core ``executemany`` of the dicts, the portable path.

It prints rows/s for each and the ratios raw / insert and raw / (validate + rows + insert).
The database it ingested is kept (``--db``), with full-text indexes, for bench/queries.py and
bench/csv_export.py.

Example:

    python bench/ingest.py --studies 10000 --measurements 1000000 --db /tmp/large.db
    python bench/ingest.py --data /tmp/synthetic --db /tmp/large.db
"""

from __future__ import annotations

import argparse
import operator
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import DEFAULT_SEED, generate  # noqa: E402
from emg_evidence import schema  # noqa: E402
from emg_evidence.ingest.build import finish, ingest_engine, migrate  # noqa: E402
from emg_evidence.ingest.dataset import Dataset, Extraction, cross_check  # noqa: E402
from emg_evidence.ingest.records import (  # noqa: E402
    EXTRACTION_SUFFIX,
    ExerciseIn,
    ExtractionIn,
    MuscleIn,
    SourceIn,
    SynonymIn,
)
from emg_evidence.ingest.rows import Rows, insert_rows, to_rows  # noqa: E402
from emg_evidence.ingest.yaml_reader import DataError, parse, parse_list, read_yaml  # noqa: E402


class Clock:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    def __call__(self, name: str):
        clock = self

        class _Timer:
            def __enter__(self) -> None:
                print(f"{name}...", file=sys.stderr, flush=True)
                self.start = time.perf_counter()

            def __exit__(self, *exc: Any) -> None:
                clock.times[name] = time.perf_counter() - self.start
                print(f"{name}: {clock.times[name]:.2f} s", file=sys.stderr, flush=True)

        return _Timer()


def read_all(data_dir: Path) -> list[tuple[Path, Any]]:
    """Parse every extraction file, with progress (a million numbers take minutes of YAML)."""
    paths = sorted((data_dir / "extractions").glob("*" + EXTRACTION_SUFFIX))
    out = []
    step = max(len(paths) // 10, 1)
    for i, path in enumerate(paths, start=1):
        out.append((path, read_yaml(path)))
        if i % step == 0:
            print(f"  parsed {i:,}/{len(paths):,} files", file=sys.stderr, flush=True)
    return out


def validate(data_dir: Path, parsed: list[tuple[Path, Any]]) -> Dataset:
    """What ``load_dataset`` does after parsing: the models, then the cross-checks."""
    dataset = Dataset(
        parse_list(data_dir / "vocab" / "muscles.yaml", MuscleIn),
        parse_list(data_dir / "vocab" / "synonyms.yaml", SynonymIn),
        parse_list(data_dir / "vocab" / "exercises.yaml", ExerciseIn),
        parse_list(data_dir / "sources.yaml", SourceIn),
    )
    dataset.extractions = [Extraction(path, parse(path, ExtractionIn, data)) for path, data in parsed]
    problems = cross_check(dataset)
    if problems:
        raise DataError(problems)
    return dataset


def fresh(path: Path) -> str:
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate(url)
    return url


def raw_tuples(rows: Rows) -> list[tuple[str, list[tuple[Any, ...]]]]:
    out = []
    for table in schema.Base.metadata.sorted_tables:
        batch = rows.get(table.name) or []
        if batch:
            columns = [c.name for c in table.columns]
            sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
                table.name, ", ".join(f'"{c}"' for c in columns), ", ".join("?" * len(columns))
            )
            out.append((sql, list(map(operator.itemgetter(*columns), batch))))
    return out


def raw_insert(path: Path, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys = ON")
    with connection:
        for sql, params in statements:
            connection.executemany(sql, params)
    connection.close()


def core_insert(url: str, rows: Rows) -> None:
    engine = ingest_engine(url)
    with engine.begin() as connection:
        for table in schema.Base.metadata.sorted_tables:
            batch = rows.get(table.name) or []
            if batch:
                connection.execute(table.insert(), batch)
    engine.dispose()


def run(data_dir: Path, db_path: Path, core: bool = True) -> dict[str, float]:
    """Run every stage once; return the figures it prints."""
    clock = Clock()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=db_path.parent))
    try:
        with clock("parse"):
            parsed = read_all(data_dir)
        with clock("validate"):
            dataset = validate(data_dir, parsed)
        del parsed
        with clock("rows"):
            rows = to_rows(dataset)
        n_rows = sum(len(b) for b in rows.values())
        statements = raw_tuples(rows)

        # Raw first, then the ingest path: neither gets a warmer page cache than the other's
        # first run would (both write fresh files).
        raw_db = work / "raw.db"
        fresh(raw_db)
        with clock("raw"):
            raw_insert(raw_db, statements)
        del statements
        raw_db.unlink()

        url = fresh(db_path)
        engine = ingest_engine(url)
        with clock("insert"):
            with engine.begin() as connection:
                insert_rows(connection, rows)
        engine.dispose()

        if core:
            core_db = work / "core.db"
            core_url = fresh(core_db)
            with clock("core"):
                core_insert(core_url, rows)
            core_db.unlink()

        # Finished as `evidence build` finishes it (no ANALYZE, as the build does none), so the
        # query plans bench/queries.py sees are the ones the served file would get.
        print("finishing the database (derived tables, full-text index, VACUUM)...",
              file=sys.stderr, flush=True)  # fmt: skip
        finish(db_path)
        connection = sqlite3.connect(db_path)
        connection.execute("VACUUM")
        connection.close()
    finally:
        for leftover in work.glob("*"):
            leftover.unlink()
        work.rmdir()

    t = clock.times
    figures = {
        "rows": n_rows,
        "measurements": len(rows["measurement"]),
        "parse_s": t["parse"],
        "validate_s": t["validate"],
        "rows_s": t["rows"],
        "insert_s": t["insert"],
        "raw_s": t["raw"],
        "raw_rows_per_s": n_rows / t["raw"],
        "insert_rows_per_s": n_rows / t["insert"],
        "ingest_rows_per_s": n_rows / (t["validate"] + t["rows"] + t["insert"]),
        "ratio_insert": t["raw"] / t["insert"],
        "ratio_ingest": t["raw"] / (t["validate"] + t["rows"] + t["insert"]),
    }
    if core:
        figures["core_rows_per_s"] = n_rows / t["core"]
        figures["ratio_core"] = t["raw"] / t["core"]
    return figures


def report(f: dict[str, float]) -> None:
    print(f"rows ingested (all tables):       {f['rows']:,} ({f['measurements']:,} measurements)")
    print(f"parse YAML (not in the ratios):   {f['parse_s']:.2f} s")
    print(f"validate (pydantic + checks):     {f['validate_s']:.2f} s")
    print(f"to_rows:                          {f['rows_s']:.2f} s")
    print(f"insert_rows (tuples via sqlite3): {f['insert_s']:.2f} s, {f['insert_rows_per_s']:,.0f} rows/s")
    print(f"raw sqlite3 executemany:          {f['raw_s']:.2f} s, {f['raw_rows_per_s']:,.0f} rows/s")
    if "core_rows_per_s" in f:
        print(f"SQLAlchemy Core executemany:      {f['core_rows_per_s']:,.0f} rows/s, "
              f"ratio {f['ratio_core']:.2f}")  # fmt: skip
    print(f"ratio insert_rows / raw:          {f['ratio_insert']:.2f}")
    print(f"ratio validate+rows+insert / raw: {f['ratio_ingest']:.2f} "
          f"({f['ingest_rows_per_s']:,.0f} rows/s; target >= 0.5)")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a data folder from bench/generate.py")
    parser.add_argument("--studies", type=int, default=10_000)
    parser.add_argument("--measurements", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--db", type=Path, required=True, help="where to keep the ingested database")
    parser.add_argument("--no-core", action="store_true", help="skip the SQLAlchemy Core run")
    args = parser.parse_args(argv)
    data_dir = args.data
    if data_dir is None:
        data_dir = args.db.with_suffix(".data")
        print(f"generating {data_dir}...", file=sys.stderr, flush=True)
        generate(data_dir, args.studies, args.measurements, args.seed)
    report(run(data_dir, args.db.resolve(), core=not args.no_core))


if __name__ == "__main__":
    main()
