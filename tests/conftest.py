import shutil
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from emg_evidence.ingest.build import build
from emg_evidence.paths import DATA_DIR, DB_PATH, METADATA
from emg_evidence.paths import PLUGINS_DIR as PLUGINS
from emg_evidence.paths import TEMPLATES_DIR as TEMPLATES
from emg_evidence.serving.settings import datasette_settings


@pytest.fixture(scope="session")
def fresh_build(tmp_path_factory):
    """A database built now from data/, to compare with the committed evidence.db."""
    path = tmp_path_factory.mktemp("build") / "evidence.db"
    return build(path, DATA_DIR)


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of the data folder, for tests that break it on purpose."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def make_datasette(db_path: Path = DB_PATH, settings: dict | None = None) -> Datasette:
    """Datasette over ``db_path`` as `evidence serve` configures it, ``settings`` overriding."""
    return Datasette(
        [],
        immutables=[str(db_path)],
        metadata=yaml.safe_load(METADATA.read_text()),
        plugins_dir=str(PLUGINS),
        # As `evidence serve` does: custom pages (a study's row page) live in templates/.
        template_dir=str(TEMPLATES) if TEMPLATES.exists() else None,
        settings={**datasette_settings(), **(settings or {})},
    )


@pytest.fixture
def ds() -> Datasette:
    """Datasette over the committed evidence.db, as `evidence serve` configures it."""
    return make_datasette()
