"""Strict YAML reading: one function that turns every way a file can be wrong into a DataError.

PyYAML alone lets through duplicate keys (the last one silently wins), alias bombs, tags that
build odd values (``!!set``, ``!!binary``, ``!!python/...``, and ``! 5``, which libyaml reads as
the integer 5), and YAML 1.1 readings that differ from what was typed (``012345`` is octal 5349,
``1:30`` is 90, ``on`` is true). Each is refused here with the file, field and line named.

The file is read in one pass over libyaml's event stream (``_build``): each scalar is resolved,
checked and built as its event arrives, with no node tree and no second walk (PyYAML's composer
asks a Python resolver about every scalar, and its constructor is Python too: this is ~3x less
work for the same values). The problem reported, and the line it names, are those a walk over
the whole node tree would report first; the file itself is read by ``files.read_file`` (kind,
place, size). The same bytes always give the same values: nothing depends on the machine or the
moment.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .files import FileProblem, read_file
from .text import FORBIDDEN_CHARACTERS, describe, forbidden_character, one_line


class DataError(Exception):
    """The data folder has problems; ``problems`` lists each as ``file: field: message``.

    Each problem is one printable line (a key or file name with a line break in it is escaped).
    ``warnings``, in the same form, are what was found suspicious but possible on the way.
    """

    def __init__(self, problems: list[str], warnings: list[str] | None = None):
        self.problems = [one_line(p) for p in problems]
        self.warnings = [one_line(w) for w in warnings or []]
        super().__init__("\n".join(self.problems))


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


#: Most nodes a file may hold once its aliases are expanded. Anchors are fine (the data uses them
#: for repeated notes and record templates); an alias bomb ("billion laughs") would otherwise hang
#: validation.
MAX_EXPANDED_NODES = 1_000_000

#: Longest string a value (or key) may be, in characters. The longest real one (a note) has
#: ~1,700; 20,000 is a long paragraph many times over. A longer one is a pasted document.
MAX_STRING_CHARS = 20_000

#: SQLite stores integers in 64 bits; a larger one raises OverflowError at the insert.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

#: Characters YAML 1.1 reads as line breaks (folding them away or splitting a line) that editors
#: show as one odd character or nothing: a file holding one means something else than it shows.
_ODD_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")

_STD = "tag:yaml.org,2002:"
_forbidden = FORBIDDEN_CHARACTERS.search

_CParser: Any
try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # PyYAML without libyaml: its Python parser gives the same events
    _CParser = None

#: The YAML 1.1 kinds of plain scalar this reader resolves. Left out: timestamps (``2020-05-01``
#: stays the text typed, as YAML 1.2's core schema reads it) and ``=`` (the 1.1 "value" key).
_RESOLVED = ("bool", "int", "float", "null", "merge")

#: The forms of a plain scalar that mean the same in YAML 1.1 (PyYAML) and YAML 1.2 (core
#: schema). YAML 1.1 also reads 0b101, 012 (octal), 0x1A, 1_000, 1:30 (sexagesimal: 90) as
#: numbers and yes/no/on/off as booleans; those are refused, asking to quote or rewrite them.
_BOOLEANS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")


def _implicit_resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    """PyYAML's resolvers of plain scalars, by first character, for the kinds in _RESOLVED."""
    out: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items():
        kept = [(t.removeprefix(_STD), r) for t, r in resolvers if t.removeprefix(_STD) in _RESOLVED]
        if kept:
            out[first] = kept
    return out


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, field: str, line: int):
        self.field, self.line = field, line
        super().__init__(f"{field}: duplicate key at line {line}")


class TooLargeError(yaml.YAMLError):
    pass


class ValueProblem(yaml.YAMLError):
    """A node the reader refuses: ``field`` is its path in the document."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field or "(top level)", message
        super().__init__(f"{self.field}: {message}")


class NestedTooDeeply(yaml.YAMLError):
    """A mapping that merges itself ('<<: *a' inside the mapping anchored '&a'): no end to it."""


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_STD) if tag.startswith(_STD) else tag


def _yaml11_number(text: str) -> str:
    """What YAML 1.1 makes of a non-decimal number, for the message ('the integer 26')."""
    loader = yaml.SafeLoader("")
    try:
        number = loader.construct_yaml_int(yaml.ScalarNode(_STD + "int", text))
        return f"the integer {number}"
    except Exception:
        try:
            return f"the number {loader.construct_yaml_float(yaml.ScalarNode(_STD + 'float', text))}"
        except Exception:
            return "a number"


_RESOLVERS = _implicit_resolvers()
_TOO_MANY = f"more than {MAX_EXPANDED_NODES} values once aliases are expanded"
_SPECIAL_FLOATS = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
#: What a merge key reads as, as opposed to any value: it is no key of the mapping.
_MERGE = object()


def _scalar(kind: str, text: str, line: int, key: bool = False) -> tuple[Any, str | None]:
    """The value of an untagged scalar of ``kind``, or the reason it is refused: a string too
    long or with a forbidden character, or a plain scalar YAML 1.1 reads otherwise than typed
    (see _BOOLEANS). A merge key ('<<') is _MERGE where ``key`` (it may only be a key)."""
    if len(text) > MAX_STRING_CHARS:
        return None, f"{len(text):,} characters, more than the {MAX_STRING_CHARS:,} a value may have"
    bad = forbidden_character(text)
    if bad:
        return None, bad
    quote = f'quote it ("{text}") if it is text'
    if kind == "str":
        return text, None
    if kind == "null":
        return None, None
    if kind == "bool":
        if text not in _BOOLEANS:
            meaning = yaml.constructor.SafeConstructor.bool_values[text.lower()]
            return None, (
                f"{text} at line {line} is read by YAML 1.1 as the boolean {str(meaning).lower()}:"
                f" write true or false, or {quote}"
            )
        return text.lower() == "true", None
    if kind == "int":
        if not _DECIMAL_INT.fullmatch(text):
            return None, (
                f"{text} at line {line} is read by YAML 1.1 as {_yaml11_number(text)} (not decimal):"
                f" {quote}, or write the number in decimal"
            )
        if len(text.lstrip("+-")) > 19 or not INT64_MIN <= int(text) <= INT64_MAX:
            return None, (
                f"{text[:40]}{'...' if len(text) > 40 else ''} is beyond the 64-bit integer range"
                f" {INT64_MIN}..{INT64_MAX} the database stores"
            )
        return int(text), None
    if kind == "float":
        if _DECIMAL_FLOAT.fullmatch(text):
            number = float(text)
            if math.isinf(number):
                return None, f"{text[:40]} is beyond the range of a floating-point number (infinity)"
            return number, None
        if _SPECIAL_FLOAT.fullmatch(text):
            return _SPECIAL_FLOATS[text.lower()], None
        return None, (
            f"{text} at line {line} is read by YAML 1.1 as {_yaml11_number(text)}"
            f" (sexagesimal or with underscores): {quote}, or write the number plainly"
        )
    # kind == "merge"
    if not key:
        return None, f"'<<' at line {line} is YAML's merge key: {quote}"
    return _MERGE, None


def _key_refused(line: int) -> str:
    return f"the key at line {line} is a list or mapping: a key must be a plain word"


def _merge_refused(mark: Any, what: str) -> str:
    return f"the merge key at line {mark.line + 1} takes one mapping (a template such as *m), not a {what}"


def _tag_refused(tag: str, line: int, collection: bool) -> str:
    plainly = (
        "write a plain list or mapping" if collection else "write the value plainly (quote it if it is text)"
    )
    return f"explicit tag {_short(tag)} at line {line}: tags are refused; {plainly}"


class _Anchor:
    """What an anchor (``&name``) names: a scalar's text and kind, or a list or mapping."""

    __slots__ = ("value", "kind", "text", "line", "mark", "size", "done", "refused")

    def __init__(self, value: Any, kind: str, text: str, mark: yaml.Mark, done: bool, refused: bool):
        self.value, self.kind, self.text, self.mark = value, kind, text, mark
        self.line = mark.line + 1
        self.size = 1  # nodes once aliases are expanded (set when a list or mapping ends)
        self.done, self.refused = done, refused


class _Open:
    """A list or mapping being read: its value so far and where it is in the document."""

    __slots__ = ("value", "is_map", "where", "unit", "start", "extra", "anchor", "key", "name",
                 "keyline", "names", "merges", "index", "line")  # fmt: skip

    def __init__(self, value: Any, is_map: bool, where: str, unit: int, start: int, line: int):
        self.value, self.is_map, self.where, self.unit, self.start = value, is_map, where, unit, start
        self.line = line
        self.extra = 0  # nodes aliases add once expanded
        self.anchor: _Anchor | None = None
        self.key: Any = None  # the key whose value comes next (mappings); _NO_KEY: expecting a key
        self.name = ""  # that key as typed
        self.keyline: Any = None  # and where it is (a Mark)
        self.names: set[str] = set()  # keys as typed so far
        self.merges: list[dict[Any, Any]] = []  # mappings merged in with '<<'
        self.index = 0  # the next item's index (lists)


#: A mapping expecting a key; _BAD_KEY: the key was refused (its value is read and dropped).
_NO_KEY, _BAD_KEY = object(), object()
_ScalarEvent, _AliasEvent = yaml.ScalarEvent, yaml.AliasEvent
_MappingStart, _SequenceStart = yaml.MappingStartEvent, yaml.SequenceStartEvent
_CollectionEnd = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _path(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _build(get_event: Any) -> Any:
    """Read one document from libyaml's event stream into Python values, refusing what PyYAML
    would let through: duplicate keys, explicit tags (``!`` included), YAML 1.1 readings that
    differ from what was typed, merge keys anywhere but a mapping's key (and merging anything but
    one mapping), an alias repeating a whole list or mapping (a record listed twice: only
    '<<: *template' may reuse one), alias bombs, over-long strings, integers beyond 64 bits,
    control and bidi characters.

    One pass, no node tree: each scalar is resolved, checked and built as its event arrives. The
    problem reported is the one a walk over the finished tree would meet first (each mapping's own
    keys and values, then its lists and mappings in document order: ``unit`` numbers those steps)
    and only once the whole stream has parsed: a syntax error anywhere in the file is reported
    before it, as libyaml's composer reports it before any check.
    """
    anchors: dict[str, _Anchor] = {}
    stack: list[_Open] = []
    problem: yaml.YAMLError | None = None
    problem_unit = 1 << 62
    aliased: tuple[str, _Anchor] | None = None
    recursive_merge = False
    root: Any = None
    root_mark: yaml.Mark | None = None
    root_size = 0
    units = 0  # steps of the walk so far
    nodes = 0  # nodes so far, keys included (sizes once aliases are expanded)
    visited = 0  # values so far, keys left out, an alias counted once
    limit = MAX_EXPANDED_NODES + 1
    documents = 0
    resolvers, forbidden = _RESOLVERS, _forbidden

    def refuse(unit: int, error: yaml.YAMLError) -> None:
        nonlocal problem, problem_unit
        if unit < problem_unit:
            problem, problem_unit = error, unit

    top: _Open | None = None  # stack[-1]
    refused: str | None
    while True:
        event = get_event()
        cls = event.__class__
        if cls is _ScalarEvent and top is not None and event.tag is None and event.anchor is None:
            # The common case inline (an untagged scalar in a list or mapping, short plain text):
            # what the general case below does for it, with less bookkeeping.
            nodes += 1
            text, kind = event.value, "str"
            if event.implicit[0]:  # plain: resolved as PyYAML's resolver would
                for kind_, pattern in resolvers.get(text[:1], ()):
                    if pattern.match(text):
                        kind = kind_
                        break
            if top.is_map:
                key = top.key
                if key is _NO_KEY:
                    if kind == "str" and len(text) <= MAX_STRING_CHARS and not forbidden(text):
                        key = text
                    else:
                        key, refused = _scalar(kind, text, event.start_mark.line + 1, True)
                        if refused is not None:
                            refuse(top.unit, ValueProblem(_path(top.where, text), refused))
                            key = _BAD_KEY
                    names = top.names
                    if text in names:
                        refuse(top.unit, DuplicateKeyError(_path(top.where, text), event.start_mark.line + 1))
                    names.add(text)
                    top.key, top.name, top.keyline = key, text, event.start_mark
                    continue
                unit = top.unit
            else:
                units += 1
                unit = units
            visited += 1
            if visited > MAX_EXPANDED_NODES:
                refuse(-1, TooLargeError(_TOO_MANY))
            if kind == "str" and len(text) <= MAX_STRING_CHARS and not forbidden(text):
                value = text
            else:
                value, refused = _scalar(kind, text, event.start_mark.line + 1)
                if refused is not None:
                    where = _path(top.where, top.name) if top.is_map else f"{top.where}[{top.index}]"
                    refuse(unit, ValueProblem(where, refused))
            if not top.is_map:
                top.value.append(value)
                top.index += 1
                continue
            key = top.key
            top.key = _NO_KEY
            if key is _MERGE:
                refuse(
                    unit,
                    ValueProblem(_path(top.where, top.name), _merge_refused(top.keyline, "single value")),
                )
            elif key is not _BAD_KEY:
                top.value[key] = value
            continue
        if cls is _ScalarEvent or cls is _AliasEvent or cls is _MappingStart or cls is _SequenceStart:
            nodes += 1
            parent = stack[-1] if stack else None
            # Where this node is: a mapping's key, a mapping's value, a list's item, the document.
            if parent is None:
                is_key, unit = False, 0
                root_mark = event.start_mark
            elif parent.is_map:
                is_key, unit = parent.key is _NO_KEY, parent.unit
            else:
                is_key = False
                units += 1
                unit = units
            if not is_key:
                visited += 1
                if visited > MAX_EXPANDED_NODES:
                    refuse(-1, TooLargeError(_TOO_MANY))

            if cls is _ScalarEvent:
                text, tag, target = event.value, event.tag, None
                refused = None
                if tag is not None:
                    kind, value = "str", None
                    refused = _tag_refused(tag, event.start_mark.line + 1, False)
                else:
                    kind = "str"
                    if event.implicit[0]:  # plain: resolved as PyYAML's resolver would
                        for kind_, pattern in resolvers.get(text[:1], ()):
                            if pattern.match(text):
                                kind = kind_
                                break
                    if kind == "str" and len(text) <= MAX_STRING_CHARS and not forbidden(text):
                        value = text  # the common case, inline
                    else:
                        value, refused = _scalar(kind, text, event.start_mark.line + 1, is_key)
                if event.anchor is not None:
                    _add_anchor(
                        anchors, event, _Anchor(value, kind, text, event.start_mark, True, bool(refused))
                    )
            elif cls is _AliasEvent:
                target = anchors.get(event.anchor)
                if target is None:
                    raise yaml.composer.ComposerError(None, None, "found undefined alias", event.start_mark)
                value, kind, text, refused = target.value, target.kind, target.text, None
                if kind != "map" and kind != "seq":
                    if target.refused:  # checked again here, as a walk meets it here too
                        value, refused = _scalar(kind, text, target.line, is_key)
                elif parent is not None:
                    if target.done:
                        parent.extra += target.size - 1
                    else:  # inside itself: an alias bomb of its own
                        parent.extra += limit
            else:
                kind = "map" if cls is _MappingStart else "seq"
                line = event.start_mark.line + 1
                if parent is None:
                    where = ""
                elif parent.is_map:
                    where = _path(parent.where, parent.name)
                else:
                    where = f"{parent.where}[{parent.index}]"
                units += 1
                frame = _Open({} if kind == "map" else [], kind == "map", where, units, nodes, line)
                if kind == "map":
                    frame.key = _NO_KEY
                if event.tag is not None:
                    refuse(units, ValueProblem(where, _tag_refused(event.tag, line, True)))
                if is_key:
                    refuse(unit, ValueProblem(parent.where, _key_refused(line)))  # type: ignore[union-attr]
                if event.anchor is not None:
                    frame.anchor = _Anchor(frame.value, kind, "", event.start_mark, False, False)
                    _add_anchor(anchors, event, frame.anchor)
                stack.append(frame)
                top = frame
                continue
        elif cls in _CollectionEnd:
            frame = stack.pop()
            top = stack[-1] if stack else None
            value, kind = frame.value, "map" if frame.is_map else "seq"
            if frame.merges:
                # As PyYAML merges: the merged mappings' keys first, in order; the mapping's own
                # keys win. The same dict object (an alias may already point at it).
                merged: dict[Any, Any] = {}
                for other in frame.merges:
                    merged.update(other)
                merged.update(value)
                value.clear()
                value.update(merged)
            size = min(limit, nodes - frame.start + 1 + frame.extra)
            if frame.anchor is not None:
                frame.anchor.size, frame.anchor.done = size, True
            parent = stack[-1] if stack else None
            if parent is not None:
                parent.extra += frame.extra
                is_key = parent.is_map and parent.key is _NO_KEY
            else:
                root_size, is_key = size, False
            target, refused, text = None, None, ""
            unit = parent.unit if parent is not None else 0
        elif cls is yaml.DocumentEndEvent:
            documents += 1
            continue
        elif cls is yaml.StreamEndEvent:
            break
        elif cls is yaml.DocumentStartEvent and documents:
            raise yaml.composer.ComposerError(
                "expected a single document in the stream", root_mark,
                "but found another document", event.start_mark,
            )  # fmt: skip
        else:  # StreamStart, the DocumentStart
            continue

        # Hand the node's value to its parent. Here: value, kind, is_key, parent, refused (a
        # scalar's), target (an alias's anchor, else None), unit.
        if refused is not None:
            if parent is None:
                where = ""
            elif parent.is_map:
                where = _path(parent.where, text if is_key else parent.name)
            else:
                where = f"{parent.where}[{parent.index}]"
            refuse(unit, ValueProblem(where, refused))
        if parent is None:
            root = value
            continue
        if not parent.is_map:
            parent.value.append(value)
            parent.index += 1
            if target is not None and (target.kind == "map" or target.kind == "seq") and aliased is None:
                aliased = (f"{parent.where}[{parent.index - 1}]", target)
            continue
        if is_key:
            if cls is not _ScalarEvent and cls is not _AliasEvent:
                parent.key = _BAD_KEY  # refused where it began
                continue
            if target is not None and (target.kind == "map" or target.kind == "seq"):
                refuse(unit, ValueProblem(parent.where, _key_refused(target.line)))
                parent.key = _BAD_KEY
                continue
            name = text
            line = target.line if target is not None else event.start_mark.line + 1
            if name in parent.names:
                refuse(unit, DuplicateKeyError(_path(parent.where, name), line))
            parent.names.add(name)
            parent.key = _BAD_KEY if refused is not None else value
            parent.name, parent.keyline = name, target.mark if target is not None else event.start_mark
            continue
        key = parent.key
        parent.key = _NO_KEY
        if key is _MERGE:
            if kind == "map":
                if target is not None and not target.done:
                    recursive_merge = True
                else:
                    parent.merges.append(value)
                continue
            what = "list" if kind == "seq" else "single value"
            refuse(unit, ValueProblem(_path(parent.where, parent.name), _merge_refused(parent.keyline, what)))
            continue
        if target is not None and (target.kind == "map" or target.kind == "seq") and aliased is None:
            aliased = (_path(parent.where, parent.name), target)
        if key is not _BAD_KEY:
            parent.value[key] = value

    if problem is not None:
        raise problem
    if aliased is not None:
        if root_size > MAX_EXPANDED_NODES:
            raise TooLargeError(_TOO_MANY)
        where, target = aliased
        what = "mapping" if target.kind == "map" else "list"
        raise ValueProblem(
            where,
            f"an alias repeats the whole {what} anchored at line {target.line}: an alias may repeat a"
            " single value, or a template after '<<:'; write the record out",
        )
    if recursive_merge:
        raise NestedTooDeeply()
    return root


def _add_anchor(anchors: dict[str, _Anchor], event: Any, anchor: _Anchor) -> None:
    first = anchors.get(event.anchor)
    if first is not None:
        raise yaml.composer.ComposerError(
            "found duplicate anchor; first occurrence", first.mark, "second occurrence", event.start_mark
        )
    anchors[event.anchor] = anchor


def _parser(text: str) -> Any:
    """libyaml's parser (PyYAML's C binding) where present, else PyYAML's own: the same events."""
    if _CParser is not None:
        return _CParser(text)
    return yaml.SafeLoader(text)


def _load(text: str) -> Any:
    """The one document in ``text`` as Python values, checked as _build says; None if empty."""
    parser = _parser(text)
    try:
        return _build(parser.get_event)
    finally:
        parser.dispose()


def read_yaml(path: Path, root: Path | None = None) -> Any:
    """Parse one YAML file, turning every way it can fail into a DataError naming the file.

    :param root: the data folder; a file whose real path is outside it is refused
    """
    try:
        raw = read_file(path, root)
    except FileProblem as e:
        raise DataError([str(e)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        byte = raw[e.start]
        raise DataError([f"{path}: (file): not UTF-8 text: byte 0x{byte:02x} at line {line}"]) from None
    odd_break = _ODD_LINE_BREAKS.search(text)
    if odd_break:
        line = text.count("\n", 0, odd_break.start()) + 1
        raise DataError(
            [f"{path}: (file): {describe(odd_break.group())} at line {line} is a line break to YAML 1.1"
             " but not to an editor: remove it"]
        )  # fmt: skip
    try:
        data = _load(text)
    except DuplicateKeyError as e:
        kept = "YAML would silently keep only the last value"
        raise DataError([f"{path}: {e.field}: duplicate key at line {e.line} ({kept})"]) from None
    except ValueProblem as e:
        raise DataError([f"{path}: {e.field}: {e.message}"]) from None
    except TooLargeError as e:
        raise DataError([f"{path}: (file): too large: {e}"]) from None
    except (RecursionError, NestedTooDeeply):
        raise DataError([f"{path}: (syntax): nested too deeply"]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        problem = " ".join(problem.replace('in "<unicode string>",', "at").split())
        lines = text.splitlines()
        if mark and mark.line < len(lines) and "\t" in lines[mark.line]:
            problem += " (the line has a tab: indent with spaces)"
        raise DataError([f"{path}: (syntax): YAML error{where}: {problem}"]) from None
    if data is None:
        raise DataError([f"{path}: (file): empty file"])
    return data


_FIELD_FIRST = re.compile(r"^([a-z_]+): ")


def parse(path: Path, model: type[BaseModel], data: Any, prefix: str = "") -> Any:
    """Validate ``data`` against ``model``; errors name the file and the field path."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = _loc(tuple(err["loc"]))
            msg = err["msg"].removeprefix("Value error, ")
            # A cross-field check names its field first ("value: ..."): make it part of the path.
            named = _FIELD_FIRST.match(msg) if err["type"] == "value_error" else None
            if named:
                loc = f"{loc}.{named[1]}" if loc != "(top level)" else named[1]
                msg = msg[named.end() :]
            problems.append(f"{path}: {prefix}{loc}: {msg}")
        raise DataError(problems) from None


def parse_list(path: Path, model: type[BaseModel], root: Path | None = None) -> list[Any]:
    data = read_yaml(path, root)
    if not isinstance(data, list):
        raise DataError([f"{path}: (top level): expected a list of records"])
    problems: list[str] = []
    out = []
    for i, item in enumerate(data):
        try:
            out.append(parse(path, model, item, prefix=f"[{i}]."))
        except DataError as e:
            problems.extend(e.problems)
    if problems:
        raise DataError(problems)
    return out
