"""Time the synthesis (network models, pools, grades) and the whole export with its sensitivity
analyses, on the real data and on the real data plus generated studies (tests/synthetic_network.py).

Example:

    python bench/synthesis.py --studies 30 100
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from synthetic_network import write_studies  # noqa: E402

from emg_evidence.analysis import sensitivity  # noqa: E402
from emg_evidence.analysis.export import export  # noqa: E402
from emg_evidence.analysis.synthesis import Options, synthesise  # noqa: E402
from emg_evidence.ingest.build import build  # noqa: E402
from emg_evidence.paths import DATA_DIR  # noqa: E402


def measure(db: Path, label: str) -> None:
    started = time.perf_counter()
    s = synthesise(db, Options(unlabelled_as_sd=True))
    fitted = time.perf_counter() - started
    started = time.perf_counter()
    reruns = sensitivity.rows(s)
    rerun = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        export(db, Path(out), unlabelled_as_sd=True)
        whole = time.perf_counter() - started
    arms = max((len(n.rows) for n in s.networks), default=0)
    print(f"{label}: {len(s.networks)} networks (largest {arms} arms), {len(s.pools)} pools; "
          f"synthesis {fitted:.2f} s, sensitivity {rerun:.2f} s ({len(reruns)} re-runs), "
          f"export {whole:.2f} s")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, nargs="*", default=[30, 100], help="generated studies to add")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        measure(build(root / "real.db", DATA_DIR).path, "real data")
        for n in args.studies:
            shutil.rmtree(root / "data", ignore_errors=True)
            shutil.copytree(DATA_DIR, root / "data")
            write_studies(root / "data" / "extractions", studies=n)
            measure(build(root / f"gen{n}.db", root / "data").path, f"real + {n} generated studies")


if __name__ == "__main__":
    main()
