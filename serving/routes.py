"""Routes that replace or keep Datasette's: /-/databases without the file's path, and the old
/-/csv/ addresses leading to Datasette's own CSV."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette.utils.asgi import Response
from datasette.views.special import JsonDataView


def _databases(datasette: Any) -> list[dict[str, Any]]:
    keys = ("name", "route", "is_mutable", "is_memory", "hash")
    return [
        {key: getattr(db, key) for key in keys}
        for name, db in datasette.databases.items()
        if name != "_internal"
    ]


async def csv_redirect(request: Any, datasette: Any) -> Any:
    """/-/csv/<database>/<name>.csv, the old hand-made CSV streamer's address, leads to Datasette's
    CSV: a table or view streamed whole (``_stream=on``), a canned query's rows; filters and a
    query's parameters carry over."""
    database, name = request.url_vars["database"], request.url_vars["name"]
    kept = [(k, v) for k, v in parse_qsl(request.query_string) if k != "_limit"]
    limit = next((v for k, v in parse_qsl(request.query_string) if k == "_limit"), None)
    db = datasette.databases.get(database)
    is_table = db is not None and (await db.table_exists(name) or name in await db.view_names())
    if is_table:
        kept += [("_size", limit)] if limit else [("_stream", "on")]
    path = datasette.urls.table(database, name, format="csv")
    return Response.redirect(path + ("?" + urlencode(kept) if kept else ""), status=301)


def routes(datasette: Any) -> list[tuple[str, Any]]:
    view = JsonDataView.as_view(datasette, "databases.json", lambda: _databases(datasette))
    return [
        # Plugin routes come before Datasette's own: this one replaces Datasette's /-/databases.
        (r"^/-/databases(\.(?P<format>json))?$", view),
        (r"^/-/csv/(?P<database>[^/]+)/(?P<name>[^/]+)\.csv$", csv_redirect),
    ]
