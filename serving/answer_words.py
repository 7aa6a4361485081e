"""A word to what it names, for the question pages: muscles through the muscle_term view (a whole
muscle covers its regions, a group its muscles); exercises by family and variant (an exercise word
also covers every exercise whose name or word contains it as whole words: 'deadlift' the Romanian,
stiff-leg and hex-bar deadlifts). "Did you mean" offers names people write, never ids or the seed
article's mistranslations.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

#: Words for muscles the site suggests (a mistranslation is understood, never offered).
SUGGESTED_MUSCLE_KINDS = ("canonical", "abbreviation", "anatomical", "lay")
#: A suggestion is at least this close to the word (difflib's ratio), and within NEAR of the best.
CUTOFF, NEAR = 0.6, 0.1
#: Word stems one letter apart that name opposite muscles: a word with one never gets the other.
OPPOSITES = (("abduct", "adduct"), ("adduct", "abduct"))


def tokens(word: str) -> tuple[str, ...]:
    """'Hex-bar Deadlifts' -> ('hex', 'bar', 'deadlift'): case, hyphens and a plural s ignored."""
    out = []
    for t in re.findall(r"[a-z0-9]+", word.lower()):
        if len(t) > 3 and t.endswith("s") and not t.endswith("ss"):
            t = t[:-1]
        out.append(t)
    return tuple(out)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


@dataclass
class Named:
    """What a word names: ids (empty if nothing), their plain names, and the nearest real names."""

    word: str
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    near: list[str] = field(default_factory=list)


def _suggest(term: str, words: list[str]) -> list[str]:
    """The nearest names only (within NEAR of the closest), never the opposite muscle ('abductorz'
    gets 'abductors', not 'adductor'); else the words that contain the word."""
    scored = sorted(((difflib.SequenceMatcher(None, term, w).ratio(), w) for w in words), reverse=True)
    best = scored[0][0] if scored else 0
    near = [w for r, w in scored if r >= max(CUTOFF, best - NEAR)]
    for mine, other in OPPOSITES:
        if mine in term:
            near = [w for w in near if other not in w]
    if not near and len(term) >= 3:
        near = [w for w in words if term in w]
    return near[:6]


async def muscle_words(db: Any) -> list[str]:
    """The muscle words the pages offer: names and lay words, no ids, no mistranslations."""
    kinds = ", ".join(f"'{k}'" for k in SUGGESTED_MUSCLE_KINDS)
    rows = await db.execute(
        f"""select lower(name) from muscle where region is null
            union select lower(term) from muscle_synonym where kind in ({kinds}) order by 1"""
    )
    return [r[0] for r in rows]


async def exercise_words(db: Any) -> list[str]:
    """The exercise words the pages offer: names and the words people use, no ids."""
    rows = await db.execute("select lower(name) from exercise union select lower(term) from exercise_synonym")
    return sorted(r[0] for r in rows)


async def name_muscle(db: Any, word: str) -> Named:
    """The muscles ``word`` covers, by the one scope rule of the muscle_term view."""
    term = " ".join(word.lower().split())
    rows = list(await db.execute("select distinct muscle_id from muscle_term where term = ?", [term]))
    if not rows and term:
        # 'abductor' for 'abductors', 'quad' for 'quads': the plural or singular the view knows.
        for other in (term + "s", term[:-1] if term.endswith("s") else term):
            rows = list(
                await db.execute("select distinct muscle_id from muscle_term where term = ?", [other])
            )
            if rows:
                break
    ids = sorted(r[0] for r in rows)
    if not ids:
        return Named(word, near=_suggest(term, await muscle_words(db)))
    names = await muscle_names(db, ids)
    return Named(word, ids, names)


async def muscle_names(db: Any, ids: list[str]) -> list[str]:
    rows = await db.execute(
        "select id, name, region from muscle where id in (select value from json_each(?))", [json.dumps(ids)]
    )
    by_id = {r["id"]: muscle_label(r["name"], r["region"]) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def muscle_label(name: str, region: str | None) -> str:
    """'gluteus maximus' and 'upper' -> 'gluteus maximus (upper part)'."""
    return (
        f"{name} ({region} part)"
        if region and not region.endswith("head")
        else (f"{name} ({region})" if region else name)
    )


async def name_exercise(db: Any, word: str) -> Named:
    """The exercises ``word`` covers: what it names and its family (every exercise with the word
    in its name or words)."""
    wanted = tokens(word)
    rows = [dict(r) for r in await db.execute(
        "select t.term, t.exercise_id, e.name from exercise_term t join exercise e on e.id = t.exercise_id"
    )]  # fmt: skip
    names = {r["exercise_id"]: r["name"] for r in rows}
    exact = {r["exercise_id"] for r in rows if tokens(r["term"]) == wanted}
    family = {r["exercise_id"] for r in rows if _contains(tokens(r["term"]), wanted)}
    ids = sorted(exact | family, key=lambda i: (i not in exact, names[i].lower()))
    if not ids:
        return Named(word, near=_suggest(" ".join(word.lower().split()), await exercise_words(db)))
    return Named(word, ids, [names[i] for i in ids])
