"""Datasette plugin: the forest plot with its pooled diamonds, as a page.

/-/forest?muscle=glutes&impute_sd=0.3&method=REML shows the plot that `evidence plot` draws
(analysis/plot.py), for any muscle word the muscle_term view knows; /-/forest.svg is the image.
The database is immutable while served, so each SVG is drawn once per parameter set.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from emg_evidence.analysis.export import ExportError
from emg_evidence.analysis.imputation import RuleError, parse_rule
from emg_evidence.analysis.plot import forest_svg
from emg_evidence.analysis.pooling import METHODS
from emg_evidence.serving.terms import term_words

MAX_WORD = 80


def _params(request: Any) -> tuple[str, str | None, str]:
    """(muscle, impute_sd, method) from the query string; ValueError with a message if bad."""
    muscle = (request.args.get("muscle") or "gluteus_maximus").strip()
    impute = (request.args.get("impute_sd") or "").strip() or None
    method = (request.args.get("method") or "REML").strip().upper()
    if len(muscle) > MAX_WORD:
        raise ValueError(f"muscle: at most {MAX_WORD} characters")
    if method not in METHODS:
        raise ValueError(f"method: one of {', '.join(METHODS)}")
    if impute is not None:
        try:
            parse_rule(impute)
        except RuleError as e:
            raise ValueError(str(e)) from None
    return muscle, impute, method


@lru_cache(maxsize=64)
def _svg(db_path: str, mtime: float, muscle: str, impute: str | None, method: str) -> str:
    return forest_svg(muscle, Path(db_path), impute, method)


def _db_path(datasette: Any) -> str:
    return datasette.get_database("evidence").path


async def forest_svg_route(request: Any, datasette: Any) -> Response:
    try:
        muscle, impute, method = _params(request)
        path = _db_path(datasette)
        svg = _svg(path, Path(path).stat().st_mtime, muscle, impute, method)
    except (ValueError, ExportError) as e:
        return Response.text(str(e), status=400)
    return Response(svg, content_type="image/svg+xml; charset=utf-8")


async def forest_page(request: Any, datasette: Any) -> Response:
    error = None
    try:
        muscle, impute, method = _params(request)
    except ValueError as e:
        muscle, impute, method, error = "gluteus_maximus", None, "REML", str(e)
    words = await term_words(datasette.get_database("evidence"), "muscle_term")
    html = await datasette.render_template(
        "forest.html",
        {"muscle": muscle, "impute_sd": impute or "", "method": method, "methods": METHODS,
         "words": words, "error": error},
        request=request,
    )  # fmt: skip
    return Response.html(html)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/forest\.svg$", forest_svg_route), (r"^/-/forest$", forest_page)]
