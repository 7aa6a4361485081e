"""Where the project's files are: the checkout this package was installed from (editable).

The data, the committed database and metadata.yml are files of the checkout, not of the
package; every command takes ``--data`` / ``--db`` to point elsewhere.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DB_PATH = ROOT / "evidence.db"
METADATA = ROOT / "metadata.yml"
MIGRATIONS_DIR = ROOT / "migrations"
SERVING_DIR = ROOT / "serving"
PLUGINS_DIR = SERVING_DIR / "plugins"
TEMPLATES_DIR = SERVING_DIR / "templates"
