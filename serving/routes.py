"""Routes that replace or keep Datasette's: the home page, /-/databases without the file's path,
and the old /-/csv/ addresses leading to Datasette's own CSV."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette.utils.asgi import Response
from datasette.version import __version__
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


async def home_page(request: Any, datasette: Any) -> Any:
    """The home page (index.html: the questions and the site's figures). Datasette's own index
    view would first list every table of every database, checking each one's permissions, which
    the page never shows: with 50 tables that was most of its time, and under 16 clients its p95
    was 3.4 s (bench/load.py, fresh pages) where other pages took under 1.5 s."""
    json_url = datasette.absolute_url(request, datasette.urls.path("/.json"))
    context = {
        "alternate_url_json": json_url,
        "datasette_version": __version__,
        "select_templates": ["*index.html"],
    }
    html = await datasette.render_template("index.html", context, request=request, view_name="index")
    link = f'{json_url}; rel="alternate"; type="application/json+datasette"'
    return Response.html(html, headers={"Link": link})


def routes(datasette: Any) -> list[tuple[str, Any]]:
    view = JsonDataView.as_view(datasette, "databases.json", lambda: _databases(datasette))
    return [
        # Plugin routes come before Datasette's own: these replace Datasette's home page (its
        # JSON, /.json, stays Datasette's) and /-/databases.
        (r"^/$", home_page),
        (r"^/-/databases(\.(?P<format>json))?$", view),
        (r"^/-/csv/(?P<database>[^/]+)/(?P<name>[^/]+)\.csv$", csv_redirect),
    ]
