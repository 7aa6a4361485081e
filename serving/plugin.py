"""The site's one Datasette plugin: every hook it implements, in one place, calling plain
functions of the modules beside it. `evidence serve`, the tests and the benchmarks register this
module (``register``); nothing is loaded from a folder, so the order of what runs is fixed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.plugins import pm

from emg_evidence.analysis.effect_sizes import register_sql_functions
from emg_evidence.analysis.queries import names, query_sql
from emg_evidence.analysis.synthesis import cached
from emg_evidence.serving import (
    citations,
    forest,
    harden,
    questions,
    response_cache,
    routes,
    row_pages,
    sqlite_limits,
)


def register() -> None:
    plugin = sys.modules[__name__]
    if not pm.is_registered(plugin):
        pm.register(plugin, name="emg_evidence")


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    # harden outermost: a refused request never reaches the cache, and cached answers still go
    # out through its stall check.
    return lambda app: harden.wrap(datasette, response_cache.wrap(datasette, app))


@hookimpl
def startup(datasette: Any) -> Any:
    # The answer pages read the synthesis (about a second of work): computed before the first
    # request, in a thread, so no visitor's page waits on it and no request blocks the others.
    async def warm() -> None:
        if "evidence" not in datasette.databases:
            return
        path = datasette.get_database("evidence").path
        try:
            await asyncio.to_thread(cached, Path(path))
        except Exception as e:  # the pages still serve; the first answer page will say why
            print(f"warning: the synthesis could not be computed at startup: {e}", file=sys.stderr)

    return warm


@hookimpl
def prepare_connection(conn: Any) -> None:
    sqlite_limits.limit_connection(conn)
    register_sql_functions(conn)


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [*routes.routes(datasette), *questions.ROUTES, *forest.ROUTES]


@hookimpl
def canned_queries(datasette: Any, database: str) -> dict[str, dict[str, Any]] | None:
    """Each query's SQL from analysis/sql/; what it is for from metadata.yml."""
    if database != "evidence":
        return None
    described = datasette.metadata("queries", database=database, fallback=False) or {}
    return {name: {**(described.get(name) or {}), "sql": query_sql(name)} for name in names()}


def site_footer(datasette: Any) -> dict[str, Any]:
    """Every page's footer (templates/_footer.html): the site's licence and source, and the release."""
    footer = {key: datasette.metadata(key) for key in ("license", "license_url", "source", "source_url")}
    db = datasette.databases.get("evidence")
    digest = response_cache.release_of(db.path) if db is not None else None
    footer["release"] = f"Release {digest[:12]} (content hash {digest})" if digest else None
    return footer


@hookimpl
def extra_template_vars(template: str, view_name: str, database: str | None, table: str | None,
                        datasette: Any) -> Any:  # fmt: skip
    async def extra() -> dict[str, Any]:
        out: dict[str, Any] = {"site_footer": site_footer(datasette)}
        if template == "index.html":
            out["home"] = await questions.home(datasette)
        if view_name == "row" and database is not None and table is not None:
            out.update(row_pages.row_vars(datasette, database, table))
        return out

    return extra


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str) -> Any:
    return questions.render_cell(value, column, table, database)


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    questions.prepare_jinja2_environment(env)


@hookimpl
def register_output_renderer(datasette: Any) -> list[dict[str, Any]]:
    return citations.renderers()
