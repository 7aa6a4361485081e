"""The project as a user installs it: the wheel built from the checkout, installed into a fresh
virtualenv that also holds PyPI's `schema` package's name clear (the import root is
emg_evidence), and run from a folder outside the checkout, so nothing is imported from the
working directory:

- `evidence serve --db some.db` serves the home page, the question pages, the tables and the
  site's templates and metadata: the wheel carries the plugin, metadata.yml and templates.

The wheel is built once and installed without its dependencies, which the fresh virtualenv reads
from this one (a .pth line): installing every dependency from the package index took most of a
minute and tested pip more than the package.
"""

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from emg_evidence.paths import ROOT
from emg_evidence.serving.server import evidence_serve


def run(command: list, cwd: Path, env: dict, timeout: float) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict]:
    """(the fresh virtualenv's bin folder, a folder outside the checkout, the environment)."""
    base = tmp_path_factory.mktemp("packaging")
    outside = base / "elsewhere"
    outside.mkdir()
    assert not outside.resolve().is_relative_to(ROOT.resolve())
    # Nothing of this session's environment leaks in: no PYTHONPATH, no active virtualenv.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    # From a copy of the checkout's files (tracked or new, not ignored): setuptools keeps a build/
    # folder in the tree it builds, and a file left there from an earlier build would be shipped.
    source = base / "source"
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT, env, timeout=60
    )
    for name in filter(None, listed.stdout.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    wheels = base / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
         "--disable-pip-version-check", "-w", wheels, source], outside, env, timeout=300)  # fmt: skip
    (wheel,) = wheels.glob("emg_evidence-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("emg_evidence/serving/metadata.yml", "emg_evidence/serving/templates/index.html",
                   "emg_evidence/serving/templates/pages/glossary.html", "emg_evidence/serving/plugin.py",
                   "emg_evidence/analysis/sql/meta_contrasts.sql", "emg_evidence/analysis/columns.yml",
                   "emg_evidence/analysis/derived.sql", "emg_evidence/analysis/read_export.R.in"):  # fmt: skip
        assert needed in names, needed
    venv = base / "venv"
    run([sys.executable, "-m", "venv", venv], outside, env, timeout=120)
    bin_dir = venv / "bin"
    run([bin_dir / "python", "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--disable-pip-version-check", wheel], outside, env, timeout=300)  # fmt: skip
    # The dependencies, from this environment: a .pth line adds its site-packages after the
    # fresh one's, and this environment's own (editable) emg_evidence is not activated there.
    (fresh_site,) = (venv / "lib").glob("python3*/site-packages")
    (fresh_site / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    where = run([bin_dir / "python", "-c", "import emg_evidence; print(emg_evidence.__file__)"],
                outside, env, timeout=60).stdout.strip()  # fmt: skip
    assert Path(where).resolve().is_relative_to(venv.resolve()), where
    return bin_dir, outside, env


def test_installed_evidence_serves_the_site_from_anywhere(installed, db_path):
    bin_dir, outside, env = installed

    def command(port: int) -> list[str]:
        return [str(bin_dir / "evidence"), "serve", "--db", str(db_path), "--port", str(port)]

    pages = ["/", "/ranking?muscle=glutes", "/compare?a=hip+thrust&b=squat&muscle=glutes", "/article",
             "/technique?factor=depth", "/search?q=squat", "/glossary", "/-/forest?muscle=glutes",
             "/evidence", "/evidence/study", "/evidence/meta_extract", "/evidence/study/contreras2015",
             "/evidence/muscle_activation"]  # fmt: skip
    with evidence_serve(db_path, command=command, cwd=outside, env=env) as base:
        for path in pages:
            response = httpx.get(base + path, timeout=60)
            assert response.status_code == 200, (path, response.text[:300])
            assert "Data license" in response.text, path  # the site's footer (templates)
        home = httpx.get(base + "/", timeout=60).text
        assert "What do the studies actually show?" in home  # the site's own index.html
