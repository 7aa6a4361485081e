"""Where the project's files are: the checkout this package was installed from (editable).

The data and the committed database are files of the checkout, not of the package; every
command takes ``--data`` / ``--db`` to point elsewhere. What serving needs (metadata.yml,
templates) is package data: serving/settings.py.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DB_PATH = ROOT / "evidence.db"
MIGRATIONS_DIR = ROOT / "migrations"
