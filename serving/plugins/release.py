"""Show which build is being served: the content hash that `evidence build` printed.

metadata.yml is static, so the release identifier comes from the database's build_info table.
Local metadata takes precedence over plugin metadata in Datasette 0.65, so metadata.yml must not
set ``about`` itself.
"""

import sqlite3
from functools import lru_cache

from datasette import hookimpl


@lru_cache(maxsize=8)
def _release(path: str) -> str | None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT value FROM build_info WHERE key = 'content_hash'").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


@hookimpl
def get_metadata(datasette, key, database, table):
    db = datasette.databases.get("evidence")
    if db is None or db.path is None:
        return {}
    digest = _release(db.path)
    if digest is None:
        return {}
    return {"about": f"Release {digest[:12]} (content hash {digest})"}
