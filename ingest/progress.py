"""Progress bars for long builds (files parsed, rows inserted), on stderr and only on a terminal.

A build whose stderr is a file or a pipe (CI, tests, `evidence build 2> log`) draws nothing: no
bar, no label, no carriage returns in the log. click draws the bar (already a dependency).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

#: A build with fewer files than this is over before a bar would say anything useful.
LONG_BUILD_FILES = 200

#: update(done, total, what): ``what``, if given, is shown after the bar (rows inserted so far).
Update = Callable[..., None]


def enabled(setting: bool | None = None) -> bool:
    """Whether to draw bars: ``setting`` if given, else whether stderr is a terminal."""
    if setting is not None:
        return setting
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def _nothing(done: int, total: int, what: str | None = None) -> None:
    return None


@contextlib.contextmanager
def bar(label: str, on: bool) -> Iterator[Update]:
    """A bar labelled ``label``; yields ``update(done, total, what=None)``. Draws nothing
    unless ``on``."""
    if not on:
        yield _nothing
        return
    import click

    state: dict[str, Any] = {}
    shown = 0

    def update(done: int, total: int, what: str | None = None) -> None:
        nonlocal shown
        if total <= 0:
            return
        if "bar" not in state:
            state["bar"] = click.progressbar(
                length=total, label=label, file=sys.stderr, width=30, item_show_func=lambda item: item
            )
            state["bar"].__enter__()
        state["bar"].update(done - shown, what)
        shown = done

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)
