"""The project as a user installs it: a fresh virtualenv that also holds PyPI's `schema` package
(the name the import root emg_evidence keeps clear of), `pip install -e` of the checkout, and the
installed `evidence build` run from a folder outside the checkout, so nothing is imported from the
working directory. It must build what this session built.

Slow (a virtualenv and every dependency, from pip's cache after the first run) and it needs the
package index: set SKIP_PACKAGING=1 to skip it on purpose; it is never skipped otherwise.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from emg_evidence.paths import ROOT

pytestmark = pytest.mark.skipif(
    os.environ.get("SKIP_PACKAGING") == "1", reason="SKIP_PACKAGING=1: packaging test skipped on request"
)


def run(command: list, cwd: Path, env: dict, timeout: float) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


def test_installed_evidence_builds_the_same_database(fresh_build, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert not outside.resolve().is_relative_to(ROOT.resolve())
    venv = tmp_path / "venv"
    bin_dir = venv / "bin"
    # Nothing of this session's environment leaks in: no PYTHONPATH, no active virtualenv.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"

    run([sys.executable, "-m", "venv", venv], outside, env, timeout=120)
    python = bin_dir / "python"
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check"]  # pip's cache stays on
    run(pip + ["schema"], outside, env, timeout=600)
    run(pip + ["-e", ROOT], outside, env, timeout=1200)

    # `import schema` is PyPI's package; the project's schema/ is emg_evidence.schema.
    where = run(
        [python, "-c", "import schema, emg_evidence.schema as s; print(schema.__file__); print(s.__file__)"],
        outside, env, timeout=60,
    ).stdout.split()  # fmt: skip
    assert Path(where[0]).resolve().is_relative_to(venv.resolve()), where
    assert Path(where[1]).resolve() == (ROOT / "schema" / "__init__.py").resolve(), where

    db = tmp_path / "x.db"
    result = run([bin_dir / "evidence", "build", "--db", db], outside, env, timeout=600)
    assert f"built {db}" in result.stdout, result.stdout
    digest = result.stdout.split("content hash ")[1].split()[0]
    assert digest == fresh_build.content_hash
