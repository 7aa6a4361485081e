"""The forest plot with its pooled diamonds, as a page.

/-/forest?muscle=glutes&impute_sd=0.3&method=REML shows the plot that `evidence plot` draws
(analysis/plot.py), for any muscle word the muscle_term view knows; /-/forest.svg is the image.

Drawing takes about 0.4 s of Python, so a client must not be able to make the server draw at
will (issue 26: `impute_sd` spelt 0.3, 0.30, 0.300... redrew the plot each time, and four such
clients held a normal page at 3 s). So:

- the parameters are read into what they mean (``0.30`` is ``0.3``, ``reml`` is ``REML``, a muscle
  word must be one the site knows) and the plot is kept by that meaning: the database is
  immutable while served, so one drawing serves every later request for it;
- drawing happens in a thread, off the event loop, ``LIMITS.forest_at_once`` at a time; a
  request that waits longer than ``LIMITS.forest_wait_s`` for its turn gets 429;
- at most ``KEPT_PLOTS`` plots are kept, least recently used out (their keys are short, bounded
  by ``MAX_WORD``).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from pathlib import Path
from typing import Any

from datasette.utils.asgi import Response

from emg_evidence.analysis.export import ExportError
from emg_evidence.analysis.imputation import RuleError, parse_rule
from emg_evidence.analysis.plot import forest_svg
from emg_evidence.analysis.pooling import METHODS
from emg_evidence.serving.harden import acquire, per_loop
from emg_evidence.serving.settings import LIMITS

MAX_WORD = 80
#: Plots kept: an SVG is 100-300 kB, so at most about 20 MB.
KEPT_PLOTS = 64

#: (muscle word, impute rule, method): a plot's meaning.
Key = tuple[str, str | None, str]


def _params(request: Any) -> Key:
    """(muscle, impute_sd, method) as they mean, from the query string; ValueError with a
    message if bad. ``impute_sd`` becomes its canonical spelling: ``0.30`` -> ``0.3``."""
    muscle = " ".join((request.args.get("muscle") or "gluteus_maximus").split()).lower()
    impute = (request.args.get("impute_sd") or "").strip() or None
    method = (request.args.get("method") or "REML").strip().upper()
    if len(muscle) > MAX_WORD:
        raise ValueError(f"muscle: at most {MAX_WORD} characters")
    if method not in METHODS:
        raise ValueError(f"method: one of {', '.join(METHODS)}")
    if impute is not None:
        try:
            rule = parse_rule(impute)
        except RuleError as e:
            raise ValueError(str(e)) from None
        impute = "median-cv" if rule.cv is None else repr(rule.cv)
    return muscle, impute, method


class Plots:
    """The plots drawn so far, by meaning, least recently used out past KEPT_PLOTS."""

    def __init__(self) -> None:
        self.kept: OrderedDict[Key, str] = OrderedDict()

    async def draw(self, key: Key, db_path: str) -> str | None:
        """The plot of ``key``, drawn now (in a thread) if need be; None if no turn came in time."""
        turns = per_loop("forest", lambda: asyncio.Semaphore(LIMITS.forest_at_once))
        if key not in self.kept:
            if not await acquire(turns, LIMITS.forest_wait_s):
                return None
            try:
                if key not in self.kept:  # else drawn by the request it waited behind
                    muscle, impute, method = key
                    self.kept[key] = await asyncio.to_thread(
                        forest_svg, muscle, Path(db_path), impute, method
                    )
                    if len(self.kept) > KEPT_PLOTS:
                        self.kept.popitem(last=False)
            finally:
                turns.release()
        self.kept.move_to_end(key)
        return self.kept[key]


#: One per server process.
PLOTS = Plots()


async def muscle_words(db: Any) -> list[str]:
    """Every word the muscle_term view knows (one scope rule: schema/views.py)."""
    return [r["term"] for r in await db.execute("select distinct term from muscle_term order by term")]


async def forest_svg_route(request: Any, datasette: Any) -> Response:
    db = datasette.get_database("evidence")
    try:
        key = _params(request)
        if key[0] not in await muscle_words(db):
            raise ValueError(f"muscle: no muscle is called {key[0]!r} here (see /-/forest for the words)")
        svg = await PLOTS.draw(key, db.path)
    except (ValueError, ExportError) as e:
        return Response.text(str(e), status=400)
    if svg is None:
        return Response.text("the plot is being drawn for others; retry shortly", status=429,
                             headers={"retry-after": "5"})  # fmt: skip
    return Response(svg, content_type="image/svg+xml; charset=utf-8")


async def forest_page(request: Any, datasette: Any) -> Response:
    error = None
    try:
        muscle, impute, method = _params(request)
    except ValueError as e:
        muscle, impute, method, error = "gluteus_maximus", None, "REML", str(e)
    words = await muscle_words(datasette.get_database("evidence"))
    html = await datasette.render_template(
        "forest.html",
        {"muscle": muscle, "impute_sd": impute or "", "method": method, "methods": METHODS,
         "words": words, "error": error},
        request=request,
    )  # fmt: skip
    return Response.html(html)


#: The plot's routes (serving/plugin.py registers them).
ROUTES: list[tuple[str, Any]] = [(r"^/-/forest\.svg$", forest_svg_route), (r"^/-/forest$", forest_page)]
