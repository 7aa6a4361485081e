"""Benchmark: wall time of `evidence --help` against `sqlite-utils --help`, interleaved.

Each round runs one command, then the other (the order alternating from round to round), so a
machine that gets busier or quieter during the run slows both alike. Prints the median and mean
of each and the ratio of the medians (target: evidence <= 1.5 x sqlite-utils). Exit status 1 if
the ratio is over ``--target``.

Example:

    python bench/startup.py --runs 30
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def command(name: str) -> list[str]:
    """The console script ``name`` of this environment (or of PATH), with --help."""
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found next to {sys.executable} or on PATH")
    return [found, "--help"]


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each command")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs of each first")
    parser.add_argument("--target", type=float, default=1.5, help="largest ratio evidence / sqlite-utils")
    args = parser.parse_args(argv)
    commands = {"evidence": command("evidence"), "sqlite-utils": command("sqlite-utils")}
    env_note = os.environ.get("PYTHONDONTWRITEBYTECODE")
    for _ in range(args.warmup):
        for c in commands.values():
            timed(c)
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for i in range(args.runs):
        for name in names if i % 2 == 0 else reversed(names):
            times[name].append(timed(commands[name]))
    for name, values in times.items():
        ms = [v * 1000 for v in values]
        print(f"{name + ' --help':<22} median {statistics.median(ms):7.1f} ms  mean {statistics.fmean(ms):7.1f} ms"
              f"  min {min(ms):7.1f} ms  ({len(ms)} runs)")  # fmt: skip
    ratio = statistics.median(times["evidence"]) / statistics.median(times["sqlite-utils"])
    print(f"ratio evidence / sqlite-utils (medians): {ratio:.2f} (target <= {args.target})")
    if env_note:
        print(f"(PYTHONDONTWRITEBYTECODE={env_note}: both start without writing bytecode)")
    if ratio > args.target:
        sys.exit(1)


if __name__ == "__main__":
    main()
