"""pytest-alembic's built-in checks against the real backend (SQLite)."""

import pytest
from pytest_alembic.tests import (  # noqa: F401
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)

from emg_evidence.ingest.build import alembic_config as project_alembic_config


@pytest.fixture
def alembic_config():
    return project_alembic_config()
