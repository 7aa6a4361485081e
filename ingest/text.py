"""Rules for the characters of text and the letters of words, in one place.

- Any text (ids, titles, labels, notes, keys): no control characters and no bidirectional
  formatting characters. Both are invisible or reorder what a reader sees ("Trojan Source",
  CVE-2021-42574): a title could display as something other than what is stored, and a control
  character breaks the one-line `error: <file>: <field>: <message>` output.
- Words that are looked up (synonyms, muscle and exercise names, a claim's terms): compared
  NFKC-casefolded, so 'Glutes', 'GLUTES' and a full-width 'ｇｌｕｔｅｓ' are one word; no
  invisible formatting character (a zero-width space would make two words look alike); and no
  word mixing scripts (a Cyrillic 'а' in 'glutes' looks the same and matches nothing).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

#: Refused in every string a data file holds. Tab and line feed are allowed (block scalars, notes);
#: YAML itself already refuses most raw control characters, but a double-quoted "\x07", "\e" or
#: "\u202e" escape makes them.
#: - C0 controls except tab and line feed, DEL, C1 controls (U+0080-U+009F, NEL included);
#: - U+2028, U+2029: line and paragraph separators (some viewers break the line there);
#: - bidi controls: U+202A-U+202E (embeddings, overrides), U+2066-U+2069 (isolates), and the
#:   marks U+200E, U+200F, U+061C.
#: - invisible characters that make a field look filled or two words look alike: the soft hyphen
#:   U+00AD, U+034F, U+115F/U+1160/U+3164/U+FFA0 (Hangul fillers), U+180E, U+200B-U+200D (zero
#:   widths), U+2060-U+2064 (word joiner, invisible operators), U+FEFF (BOM), and the tag
#:   characters U+E0000-U+E007F.
FORBIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
    "\u00ad\u034f\u115f\u1160\u3164\uffa0\u180e\u200b-\u200d\u2060-\u2064\ufeff\U000e0000-\U000e007f]"
)


_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def describe(ch: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE'; 'U+0007' for a control character (they have no name)."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def forbidden_character(text: str) -> str | None:
    """A message for the first forbidden character of ``text``, or None."""
    match = FORBIDDEN_CHARACTERS.search(text)
    if match is None:
        return None
    ch = match.group()
    kind = (
        "a bidirectional formatting character" if unicodedata.category(ch) == "Cf" else "a control character"
    )
    if ch in "\u2028\u2029":
        kind = "a line or paragraph separator"
    elif unicodedata.category(ch) != "Cc" and not _BIDI.match(ch):
        kind = "an invisible character"
    return (
        f"{describe(ch)} at character {match.start() + 1} is {kind}, refused in data text"
        " (invisible, or it changes how the text displays)"
    )


#: What one_line escapes: every forbidden character, and tab and line feed too.
_ESCAPE = re.compile("[\t\n]|" + FORBIDDEN_CHARACTERS.pattern)


def one_line(text: str) -> str:
    """``text`` with line breaks, control and bidi characters escaped: one printable line."""
    return _ESCAPE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def word_key(word: str) -> str:
    """The form two words are compared in: NFKC, casefolded, NFKC again (Unicode's
    compatibility caseless matching), so case and width variants of a word are one word."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", word).casefold())


def _script(ch: str) -> str | None:
    """A letter's script, from its Unicode name ('LATIN SMALL LETTER A' -> 'LATIN'); None for
    anything but a letter. The standard library has no Script property; names start with it
    for the scripts that matter here (Latin, Greek, Cyrillic, Armenian, ...)."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else None


def word_problem(text: str) -> str | None:
    """Why ``text`` is no good as a looked-up word, or None."""
    for i, ch in enumerate(text, start=1):
        if unicodedata.category(ch) == "Cf":
            return f"{describe(ch)} at character {i} is an invisible formatting character"
    # Compare in NFKC form: a full-width or mathematical 'a' is Latin there.
    for token in unicodedata.normalize("NFKC", text).split():
        scripts: dict[str, str] = {}
        for ch in token:
            script = _script(ch)
            if script is not None:
                scripts.setdefault(script, ch)
        if len(scripts) > 1:
            letters = ", ".join(f"{s.title()} ({describe(ch)})" for s, ch in scripts.items())
            return f"the word {token!r} mixes scripts: {letters}; a look-alike letter?"
    return None


def _check_word(value: str) -> str:
    problem = word_problem(value)
    if problem:
        raise ValueError(problem)
    return value


#: A word the build looks up (a synonym, a muscle's or exercise's name, a claim's term).
Word = Annotated[str, Field(min_length=1), AfterValidator(_check_word)]
