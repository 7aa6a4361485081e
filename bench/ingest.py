"""Benchmark: `evidence build` at a realistic size and on the real data, with its peak memory.

Each build is the `evidence build` command in a fresh interpreter, timed from the outside (start
to exit, interpreter start-up included, as a user waits for it) and reporting its own CPU time
and peak RSS. Two builds, against issue 22's targets:

- a data folder from bench/generate.py (``--data``, or generated here with ``--studies`` and
  ``--measurements``: by default 1,000 studies and 20,000 measurements, the size planned):
  <= 10 s and <= 400 MB;
- the real data (data/): <= 3 s.

``--checkout`` runs the build of another checkout of the project (``git archive`` of an older
commit unpacked in a folder, say) on its own data/, with this one's interpreter and libraries:
the "before" of a change, in the same run conditions as the "after". ``--db`` keeps the synthetic base's database, for
bench/queries.py and bench/csv_export.py.

Example:

    python bench/ingest.py --db /tmp/large.db
    python bench/ingest.py --data /tmp/synthetic --db /tmp/large.db --checkout /tmp/before
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import DEFAULT_SEED, generate  # noqa: E402

#: Run in a fresh interpreter: `evidence build` of ``checkout`` (None: the installed one); its
#: CPU time and peak RSS (its worker processes' included, if it has any) and the build module
#: it ran go to stderr as the last line, as JSON.
CHILD = """
import json, resource, sys
checkout, args = sys.argv[1], sys.argv[2:]
if checkout:
    import emg_evidence  # its subpackages are the checkout's folders, as pyproject.toml maps them
    emg_evidence.__path__[:] = [checkout + "/emg_evidence", checkout]
from emg_evidence.cli import cli
try:
    cli.main(args=args, standalone_mode=False)
finally:
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime
    rss = max(own.ru_maxrss, workers.ru_maxrss) / 1024  # the largest process's, in MB
    print(json.dumps({"cpu": cpu, "rss_mb": rss, "code": sys.modules["emg_evidence.ingest.build"].__file__}),
          file=sys.stderr)
"""

TARGETS = {"synthetic": (10.0, 400.0), "real data": (3.0, None)}


def timed_build(data: Path, db: Path, checkout: Path | None) -> dict:
    """One `evidence build --db db --data data`: wall seconds, CPU seconds, peak RSS (MB), the
    content hash and the measurements inserted."""
    args = [sys.executable, "-c", CHILD, str(checkout or ""), "build", "--db", str(db), "--data", str(data)]
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"the build of {data} failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stderr.strip().splitlines()[-1])
    digest = result.stdout.split("content hash ")[1].split()[0]
    inserted = re.search(r"(\d+) measurement\b", result.stderr)
    return {"wall": wall, **figures, "hash": digest, "measurements": int(inserted[1]) if inserted else 0}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a data folder from bench/generate.py")
    parser.add_argument("--studies", type=int, default=1_000)
    parser.add_argument("--measurements", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--db", type=Path, help="where to keep the synthetic base's database")
    parser.add_argument("--checkout", type=Path, help="build with this checkout's code instead")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
        data = args.data
        if data is None:
            data = Path(work) / "synthetic"
            generate(data, args.studies, args.measurements, args.seed, quiet=True)
        runs = {
            "synthetic": timed_build(data, args.db or Path(work) / "synthetic.db", args.checkout),
            "real data": timed_build((args.checkout or ROOT) / "data", Path(work) / "real.db", args.checkout),
        }
    code = Path(runs["synthetic"]["code"]).parent.parent
    print(f"evidence build of {code}; synthetic base: {runs['synthetic']['measurements']:,} measurements")
    for name, run in runs.items():
        wall_target, rss_target = TARGETS[name]
        verdict = (
            "met"
            if run["wall"] <= wall_target and (rss_target is None or run["rss_mb"] <= rss_target)
            else "NOT MET"
        )
        target = f"<= {wall_target:g} s" + (f", <= {rss_target:g} MB" if rss_target else "")
        print(
            f"{name:10} build: {run['wall']:6.2f} s wall, {run['cpu']:6.2f} s CPU, peak RSS {run['rss_mb']:4.0f} MB"
            f"  (target {target}: {verdict}); content hash {run['hash'][:12]}"
        )


if __name__ == "__main__":
    main()
