"""The words the site knows for muscles and exercises: one query, shared by the question pages
and the forest plot's form, over the views that hold the one scope rule (schema/views.py)."""

from __future__ import annotations

from typing import Any

#: The views a word is looked up in.
TERM_VIEWS = ("muscle_term", "exercise_term")


async def term_words(db: Any, view: str) -> list[str]:
    """Every word ``view`` knows, sorted: the list the pages offer and suggest from."""
    if view not in TERM_VIEWS:
        raise ValueError(f"not a term view: {view}")
    return [r["term"] for r in await db.execute(f"select distinct term from {view} order by term")]
