"""Benchmark: the build end to end, and each of its stages, against raw sqlite3 in the same run.

On a data folder made by bench/generate.py, in one run:

- **raw**: ``sqlite3`` ``executemany`` of the build's own rows, as ready-made tuples, into a
  freshly migrated database (same schema, indexes and constraints, foreign keys on, one
  transaction, default pragmas): the reference every ratio divides by;
- **stages**, in this process: ``load_dataset`` (YAML parsing, in parallel for many files, and
  validation), ``to_rows``, and the insert five ways, each into a fresh migrated file, to show
  what each bulk-loading choice is worth: row-by-row ``insert_rows`` (the build before; foreign
  keys checked per row, indexes kept up per row), then the build's ``bulk_insert`` with its
  pragmas but the indexes kept, then with the CHECK constraints checked row by row, then as the
  build runs it (indexes created after the rows, CHECKs verified once over every row), then the
  same with no rollback journal at all;
- **end to end**: ``build()`` itself (parse, validate, rows, insert, derived tables, full-text
  index, content hash, VACUUM), each run in a fresh interpreter so its peak RSS is its own:
  cold without the cache, cold writing the cache, again with nothing changed, and after changing
  one file (a measurement's value in the middle file of a copy of the folder). The content hash
  of the rebuild is checked against a clean build of the changed folder.

Ratios are raw time / path time (1.0: as fast as raw; the target for the build is >= 0.4), the
rebuild is a share of the cold full build. ``--db`` keeps the built database, with full-text
indexes, for bench/queries.py and bench/csv_export.py.

Example:

    python bench/ingest.py --studies 1000 --measurements 100000 --db /tmp/large.db
    python bench/ingest.py --data /tmp/synthetic --db /tmp/large.db
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import DEFAULT_SEED, generate  # noqa: E402
from emg_evidence import schema  # noqa: E402
from emg_evidence.ingest import build as build_module  # noqa: E402
from emg_evidence.ingest.build import ingest_engine, migrate  # noqa: E402
from emg_evidence.ingest.dataset import load_dataset  # noqa: E402
from emg_evidence.ingest.records import EXTRACTION_SUFFIX  # noqa: E402
from emg_evidence.ingest.rows import Rows, insert_rows, to_rows  # noqa: E402

#: The build of this checkout, or of an older one (the before figures): what it offers.
HAS_BULK = hasattr(build_module, "bulk_insert")
HAS_CHECKS_ONCE = HAS_BULK and "defer_checks" in inspect.signature(build_module.bulk_insert).parameters
BUILD_TAKES_CACHE = "cache" in inspect.signature(build_module.build).parameters

#: Run in a fresh interpreter: one build, timed inside (no interpreter start-up), with the time
#: at which each step reported itself done.
CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from emg_evidence.ingest.build import build
def cpu():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
marks = []
cpu0 = cpu()
start = time.perf_counter()
kwargs = {kwargs}
result = build(Path({db!r}), Path({data!r}),
               progress=lambda line: marks.append((line.split()[0], time.perf_counter() - start)),
               **kwargs)
total = time.perf_counter() - start
# VmHWM: this process's own peak (ru_maxrss would start from the benchmark's, which forked it).
status = open("/proc/self/status").read() if sys.platform == "linux" else ""
peak = [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"total": total, "cpu": cpu() - cpu0, "marks": marks, "hash": result.content_hash,
                  "rss_mb": peak[0] if peak else own.ru_maxrss / 1024,
                  "worker_rss_mb": workers.ru_maxrss / 1024}}))
"""


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Clock:
    """Wall time of each stage, and its CPU time (this process and the workers it waited for):
    on a machine shared with other work the CPU time is the steadier measure of the work done."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def __call__(self, name: str):
        clock = self

        class _Timer:
            def __enter__(self) -> None:
                print(f"{name}...", file=sys.stderr, flush=True)
                self.start, self.cpu = time.perf_counter(), cpu_seconds()

            def __exit__(self, *exc: Any) -> None:
                clock.times[name] = time.perf_counter() - self.start
                clock.cpu[name] = cpu_seconds() - self.cpu
                print(f"{name}: {clock.times[name]:.2f} s", file=sys.stderr, flush=True)

        return _Timer()


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
            out.append((sql, [tuple(r.get(c) for c in columns) for r in batch]))
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


def bulk(
    path: Path, rows: Rows, defer_indexes: bool, journal: str = "MEMORY", checks_once: bool = True
) -> None:
    """The build's bulk_insert into a fresh file, with its pragmas (journal_mode as given)."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in build_module.BULK_PRAGMAS:
        connection.execute(pragma)
    connection.execute(f"PRAGMA journal_mode = {journal}")
    if HAS_CHECKS_ONCE:
        build_module.bulk_insert(connection, rows, defer_indexes=defer_indexes, defer_checks=checks_once)
    else:
        build_module.bulk_insert(connection, rows, defer_indexes=defer_indexes)
    connection.close()


def child_build(db: Path, data: Path, cache: bool) -> dict[str, Any]:
    """One build() in a fresh interpreter; its figures, with its peak RSS and its workers'."""
    kwargs: dict[str, Any] = {"cache": cache, "show_bars": False} if BUILD_TAKES_CACHE else {}
    code = CHILD.format(root=str(ROOT), db=str(db), data=str(data), kwargs=repr(kwargs))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stderr[-4000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    # The build's own process and its largest worker, measured inside the child: the children
    # of this process include pool workers forked from it while it held a whole dataset.
    figures["peak_rss_mb"] = figures.get("rss_mb", 0.0)
    return figures


def steps(marks: list[tuple[str, float]], total: float) -> dict[str, float]:
    """Durations of the build's steps from the times each reported itself done."""
    out, last = {}, 0.0
    names = {"validated": "parse+validate+rows", "migrated": "migrate", "inserted": "insert",
             "derived": "derive+fts"}  # fmt: skip
    if marks and marks[0][0] == "migrated":  # files parsed while their rows go in (streamed)
        names.update(validated="parse+validate+rows+insert", inserted="indexes+foreign keys")
    for word, at in marks:
        out[names.get(word, word)] = at - last
        last = at
    out["hash+vacuum"] = total - last
    return out


def change_one_file(data: Path) -> Path:
    """Change one measurement's value in the middle extraction file; return that file."""
    paths = sorted((data / "extractions").glob("*" + EXTRACTION_SUFFIX))
    target = paths[len(paths) // 2]
    text = target.read_text()
    changed, n = re.subn(
        r"(?m)^(  value: )(\d+\.\d)$", lambda m: f"{m[1]}{float(m[2]) + 0.1:.1f}", text, count=1
    )
    if n != 1:
        raise SystemExit(f"no value to change in {target}")
    target.write_text(changed)
    return target


def run(data_dir: Path, db_path: Path, core: bool = True, end_to_end: bool = True) -> dict[str, Any]:
    """Run every stage once; return the figures it prints."""
    clock = Clock()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=db_path.parent))
    figures: dict[str, Any] = {}
    try:
        if "load_extractions" in inspect.getsource(load_dataset) or "results(" in inspect.getsource(
            load_dataset
        ):
            from emg_evidence.ingest import parse_cache

            parse_options: Any = parse_cache.options(None)  # no cache: every file parsed
            workers = parse_cache.worker_count(len(list((data_dir / "extractions").iterdir())))
        else:  # an older checkout: one file after another
            parse_options, workers = nullcontext(), 1
        with clock("parse+validate"), parse_options:
            dataset = load_dataset(data_dir)
        with clock("rows"):
            rows = to_rows(dataset)
        del dataset
        n_rows = sum(len(b) for b in rows.values())
        statements = raw_tuples(rows)

        # Raw first, then the ingest paths: none gets a warmer page cache than another's first
        # run would (each writes a fresh file).
        raw_db = work / "raw.db"
        fresh(raw_db)
        with clock("raw"):
            raw_insert(raw_db, statements)
        del statements

        url = fresh(work / "insert_rows.db")
        engine = ingest_engine(url)
        with clock("insert_rows"):
            with engine.begin() as connection:
                insert_rows(connection, rows)
        engine.dispose()
        if HAS_BULK:
            variants = [
                ("bulk, indexes kept", False, "MEMORY", True),
                ("bulk_insert", True, "MEMORY", True),
                ("bulk, journal off", True, "OFF", True),
            ]
            if HAS_CHECKS_ONCE:
                variants.insert(1, ("bulk, checks row by row", True, "MEMORY", False))
            for name, defer, journal, checks_once in variants:
                path = work / f"{name.replace(' ', '_').replace(',', '')}.db"
                fresh(path)
                with clock(name):
                    bulk(path, rows, defer, journal, checks_once)
        if core:
            core_url = fresh(work / "core.db")
            with clock("core"):
                core_insert(core_url, rows)
        for leftover in work.glob("*.db"):
            leftover.unlink()

        t = clock.times
        raw = t["raw"]
        insert = t["bulk_insert"] if HAS_BULK else t["insert_rows"]
        figures.update(
            rows=n_rows,
            measurements=len(rows["measurement"]),
            workers=workers,
            stage_s=dict(t),
            stage_cpu_s=dict(clock.cpu),
            raw_rows_per_s=n_rows / raw,
            ratio_insert_rows=raw / t["insert_rows"],
            ratio_insert=raw / insert,
            ratio_stages=raw / (t["parse+validate"] + t["rows"] + insert),
        )
        if core:
            figures["ratio_core"] = raw / t["core"]
        del rows

        if end_to_end:
            print("end to end: cold build, no cache...", file=sys.stderr, flush=True)
            cold = child_build(db_path, data_dir, cache=False)
            figures.update(build_s=cold["total"], build_steps=steps(cold["marks"], cold["total"]),
                           build_rss_mb=cold["peak_rss_mb"], build_worker_rss_mb=cold.get("worker_rss_mb", 0.0), ratio_build=raw / cold["total"],
                           build_cpu_s=cold["cpu"], ratio_build_cpu=clock.cpu["raw"] / cold["cpu"])  # fmt: skip
            if BUILD_TAKES_CACHE:
                copy = work / "data"
                shutil.copytree(data_dir, copy)
                cached_db = work / "cached.db"
                print("end to end: cold build writing the cache, then again...", file=sys.stderr, flush=True)
                first = child_build(cached_db, copy, cache=True)
                again = child_build(cached_db, copy, cache=True)
                change_one_file(copy)
                print("end to end: rebuild after changing one file...", file=sys.stderr, flush=True)
                rebuild = child_build(cached_db, copy, cache=True)
                clean = child_build(work / "clean.db", copy, cache=False)
                figures.update(
                    cache_write_s=first["total"],
                    unchanged_s=again["total"],
                    unchanged_steps=steps(again["marks"], again["total"]),
                    rebuild_s=rebuild["total"],
                    rebuild_steps=steps(rebuild["marks"], rebuild["total"]),
                    rebuild_share=rebuild["total"] / cold["total"],
                    rebuild_cpu_share=rebuild["cpu"] / cold["cpu"],
                    rebuild_hash_ok=rebuild["hash"] == clean["hash"] and first["hash"] == cold["hash"],
                    ratio_unchanged=raw / again["total"],
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def report(f: dict[str, Any]) -> None:
    t = f["stage_s"]
    print(f"rows ingested (all tables):       {f['rows']:,} ({f['measurements']:,} measurements)")
    print(f"raw sqlite3 executemany:          {t['raw']:.2f} s, {f['raw_rows_per_s']:,.0f} rows/s"
          f" (CPU {f['stage_cpu_s']['raw']:.2f} s)")  # fmt: skip
    print(f"parse+validate (load_dataset):    {t['parse+validate']:.2f} s ({f['workers']} worker(s), no cache;"
          f" CPU {f['stage_cpu_s']['parse+validate']:.2f} s)")  # fmt: skip
    print(f"to_rows:                          {t['rows']:.2f} s")
    print(f"insert_rows (row by row):         {t['insert_rows']:.2f} s")
    for name in ("bulk, indexes kept", "bulk, checks row by row", "bulk_insert", "bulk, journal off"):
        if name in t:
            print(f"{name + ':':<34}{t[name]:.2f} s, ratio {t['raw'] / t[name]:.2f}")
    if "ratio_core" in f:
        print(f"SQLAlchemy Core executemany:      {t['core']:.2f} s, ratio {f['ratio_core']:.2f}")
    print(f"ratio insert_rows / raw:          {f['ratio_insert_rows']:.2f}")
    print(f"ratio insert / raw:               {f['ratio_insert']:.2f} (the build's insert)")
    print(f"ratio parse+validate+rows+insert / raw: {f['ratio_stages']:.2f}")
    if "build_s" in f:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in f["build_steps"].items())
        print(f"end-to-end build, cold, no cache: {f['build_s']:.2f} s ({parts})")
        print(f"build peak RSS:                   {f['build_rss_mb']:.0f} MB (largest worker"
              f" {f['build_worker_rss_mb']:.0f} MB)")  # fmt: skip
        print(f"ratio end-to-end build / raw:     {f['ratio_build']:.2f} (target >= 0.4)")
        print(
            f"  by CPU time:                    {f['ratio_build_cpu']:.2f} (build CPU {f['build_cpu_s']:.2f} s)"
        )
    if "rebuild_s" in f:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in f["unchanged_steps"].items())
        print(f"build writing the cache:          {f['cache_write_s']:.2f} s")
        print(
            f"rebuild, nothing changed:         {f['unchanged_s']:.2f} s ({parts}); ratio {f['ratio_unchanged']:.2f}"
        )
        parts = ", ".join(f"{k} {v:.2f}" for k, v in f["rebuild_steps"].items())
        print(f"rebuild after changing one file:  {f['rebuild_s']:.2f} s ({parts})")
        print(f"rebuild share of a full build:    {100 * f['rebuild_share']:.1f}% (target <= 10%;"
              f" by CPU time {100 * f['rebuild_cpu_share']:.1f}%)")  # fmt: skip
        print(f"rebuild content hash = clean build: {'yes' if f['rebuild_hash_ok'] else 'NO'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a data folder from bench/generate.py")
    parser.add_argument("--studies", type=int, default=10_000)
    parser.add_argument("--measurements", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--db", type=Path, required=True, help="where to keep the built database")
    parser.add_argument("--no-core", action="store_true", help="skip the SQLAlchemy Core run")
    parser.add_argument("--no-end-to-end", action="store_true", help="only the stages")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    data_dir = args.data
    if data_dir is None:
        data_dir = args.db.with_suffix(".data")
        print(f"generating {data_dir}...", file=sys.stderr, flush=True)
        generate(data_dir, args.studies, args.measurements, args.seed)
    figures = run(
        data_dir.resolve(), args.db.resolve(), core=not args.no_core, end_to_end=not args.no_end_to_end
    )
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    if figures.get("rebuild_hash_ok") is False:
        sys.exit(1)


if __name__ == "__main__":
    main()
