"""Strict YAML reading: every way a data file can mean something else than it shows is refused,
with the file, line and field named (``<file>:<line>: <field>: <message>``).

PyYAML's safe loader alone lets through duplicate keys (the last one silently wins), tags that
build odd values (``!!set``, ``!!binary``, ``!!python/...``, and ``! 5``, which libyaml reads as
the integer 5), YAML 1.1 readings that differ from what was typed (``012345`` is octal 5349,
``1:30`` is 90, ``on`` is true), and aliases that repeat a whole record or multiply a small file
into gigabytes ("billion laughs"). ``_Loader`` is PyYAML's safe loader (libyaml's parser where
present) with its own composer: the composer knows each node's field path and line, so it
refuses each of these where it meets it; PyYAML's SafeConstructor then builds the values of a
file that passed. Nothing depends on the machine or the moment: the same bytes give the same
values or the same problems.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .files import MAX_FILE_BYTES, FileProblem, read_file
from .text import FORBIDDEN_CHARACTERS, describe, forbidden_character, one_line

try:
    from yaml._yaml import CParser as _Parser  # libyaml: the same events as PyYAML's parser, faster
except ImportError:  # PyYAML built without libyaml

    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


class DataError(Exception):
    """The data folder has problems; ``problems`` lists each as ``file: field: message``
    (``file:line: field: message`` where the line is known).

    Each problem is one printable line (a key or file name with a line break in it is escaped).
    ``warnings``, in the same form, are what was found suspicious but possible on the way.
    """

    def __init__(self, problems: list[str], warnings: list[str] | None = None):
        self.problems = [one_line(p) for p in problems]
        self.warnings = [one_line(w) for w in warnings or []]
        super().__init__("\n".join(self.problems))


#: Longest string a value (or key) may be, in characters. The longest real one (a note) has
#: ~1,700; 20,000 is a long paragraph many times over. A longer one is a pasted document.
MAX_STRING_CHARS = 20_000

#: Most characters a file may hold once its aliases are expanded (each value and key counted
#: with its characters, and at least one): as much as a data file may hold at all. Anchors are
#: fine (the data uses them for repeated notes and templates); an alias that repeats a long text
#: 12,000 times, or a template merged into thousands of records, would otherwise make a 67 kB
#: file a MemoryError or a 1.2 GB database.
MAX_EXPANDED_CHARS = MAX_FILE_BYTES

#: Deepest nesting of lists and mappings. The data files nest four deep; a deeper file is a
#: mistake or an attack on the reader's recursion.
MAX_DEPTH = 50

#: SQLite stores integers in 64 bits; a larger one raises OverflowError at the insert.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

#: Characters YAML 1.1 reads as line breaks (folding them away or splitting a line) that editors
#: show as one odd character or nothing: a file holding one means something else than it shows.
_ODD_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")

_STD = "tag:yaml.org,2002:"
_STR = _STD + "str"
_BOOL, _INT, _FLOAT, _MERGE = _STD + "bool", _STD + "int", _STD + "float", _STD + "merge"
#: Plain scalars YAML 1.1 resolves that YAML 1.2's core schema reads as the text typed:
#: timestamps (``2020-05-01``) and ``=`` (the 1.1 "value" key). Kept as text, as typed.
_AS_TEXT = {_STD + "timestamp", _STD + "value"}

#: The forms of a plain scalar that mean the same in YAML 1.1 (PyYAML) and YAML 1.2 (core
#: schema). YAML 1.1 also reads 0b101, 012 (octal), 0x1A, 1_000, 1:30 (sexagesimal: 90) as
#: numbers and yes/no/on/off as booleans; those are refused, asking to quote or rewrite them.
_BOOLEANS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_forbidden = FORBIDDEN_CHARACTERS.search


class _Stop(Exception):
    """A problem after which the rest of the file is not read (too large, too deep)."""

    def __init__(self, line: int, field: str, message: str):
        self.line, self.field, self.message = line, field, message


def _path(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


class _Loader(yaml.composer.Composer, _Parser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):  # type: ignore[misc]
    """PyYAML's safe loader whose composer (``compose_node``, before libyaml's) checks each node
    as it composes it, knowing its field path and line: its problems are collected as (line,
    field, message) in ``problems``; ``lines`` maps each field path to its line."""

    def __init__(self, text: str) -> None:
        _Parser.__init__(self, text)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.problems: list[tuple[int, str, str]] = []
        self.lines: dict[str, int] = {}
        #: anchor -> (its node, its size once aliases are expanded; None while it is being read)
        self.anchors: dict[str, tuple[Node, int | None]] = {}  # type: ignore[assignment]
        self.size = 0  # characters so far, aliases expanded
        self.depth = 0

    def refuse(self, line: int, field: str, message: str) -> None:
        self.problems.append((line, field or "(top level)", message))

    def grow(self, size: int, line: int) -> None:
        self.size += size
        if self.size > MAX_EXPANDED_CHARS:
            raise _Stop(line, "(file)", (
                f"too large: with its aliases expanded up to line {line}, the file holds more"
                f" than the {MAX_EXPANDED_CHARS:,} characters a data file may hold"
            ))  # fmt: skip

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        return self._compose("")  # the root: PyYAML's get_single_node and compose_document call it

    def _compose(self, where: str, key: bool = False, merge: bool = False) -> Node:
        """The next node, read into the tree at ``where``; ``key``: it is a mapping's key;
        ``merge``: it follows a merge key (an alias may repeat a mapping only there)."""
        event: Any = self.get_event()
        # Typed loosely: libyaml's marks are a class of their own, PyYAML's nodes take either.
        start_mark: Any = event.start_mark
        line = start_mark.line + 1
        if not key:
            self.lines.setdefault(where, line)
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event, where, line, merge or key)
        if event.tag is not None:  # '!' included: libyaml would resolve '! 5' as the integer 5
            plainly = "write the value plainly (quote it if it is text)"
            if not isinstance(event, yaml.ScalarEvent):
                plainly = "write a plain list or mapping"
            tag = event.tag
            short = "!!" + tag.removeprefix(_STD) if tag.startswith(_STD) else tag
            field = _path(where, event.value) if key and isinstance(event, yaml.ScalarEvent) else where
            self.refuse(line, field, f"explicit tag {short} at line {line}: tags are refused; {plainly}")
        if isinstance(event, yaml.ScalarEvent):
            text = event.value
            tag = self.resolve(ScalarNode, text, event.implicit) if event.tag is None else _STR
            end_mark: Any = event.end_mark
            node: Node = ScalarNode(_STR if tag in _AS_TEXT else tag, text, start_mark, end_mark, event.style)
            # Most scalars are short plain text: checked here in one step, the rest in full.
            if node.tag != _STR or len(text) > MAX_STRING_CHARS or _forbidden(text):
                problem = self._scalar_problem(node.tag, text, line, key)
                if problem is not None:
                    self.refuse(line, _path(where, text) if key else where, problem)
            self.grow(len(text) + 1, line)
            if event.anchor is not None:
                self._anchor(event, node, len(text) + 1)
            return node
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Stop(line, where or "(top level)", f"nested more than {MAX_DEPTH} lists and mappings deep")
        start = self.size
        if isinstance(event, yaml.SequenceStartEvent):
            node = SequenceNode(_STD + "seq", [], start_mark, None, event.flow_style)
        else:
            node = MappingNode(_STD + "map", [], start_mark, None, event.flow_style)
        if event.anchor is not None:
            self._anchor(event, node, None)
        self.grow(1, line)
        if isinstance(node, SequenceNode):
            self._sequence(node, where)
        else:
            self._mapping(node, where)
        end: Any = self.get_event()
        node.end_mark = end.end_mark
        if event.anchor is not None:
            self.anchors[event.anchor] = (node, self.size - start)
        self.depth -= 1
        return node

    def _sequence(self, node: SequenceNode, where: str) -> None:
        while not self.check_event(yaml.SequenceEndEvent):
            node.value.append(self._compose(f"{where}[{len(node.value)}]"))

    def _mapping(self, node: MappingNode, where: str) -> None:
        names: set[str] = set()
        while not self.check_event(yaml.MappingEndEvent):
            key = self._compose(where, key=True)
            line = key.start_mark.line + 1
            field = where
            if isinstance(key, ScalarNode):
                field = _path(where, key.value)
                if key.value in names:
                    kept = "YAML would silently keep only the last value"
                    self.refuse(line, field, f"duplicate key at line {line} ({kept})")
                names.add(key.value)
                self.lines.setdefault(field, line)
            else:
                self.refuse(
                    line, where, f"the key at line {line} is a list or mapping: a key must be a plain word"
                )
            merge = isinstance(key, ScalarNode) and key.tag == _MERGE
            value = self._compose(field, merge=merge)
            if merge and not isinstance(value, MappingNode):
                what = "list" if isinstance(value, SequenceNode) else "single value"
                self.refuse(line, field, (
                    f"the merge key at line {line} takes one mapping (a template such as *m), not a {what}"
                ))  # fmt: skip
            node.value.append((key, value))

    def _alias(self, event: Any, where: str, line: int, may_repeat: bool) -> Node:
        """The anchored node an alias names; ``may_repeat``: it may be a list or mapping here
        (a merge key's template; a key, refused as a key)."""
        if event.anchor not in self.anchors:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        node, size = self.anchors[event.anchor]
        anchored = node.start_mark.line + 1
        what = "list" if isinstance(node, SequenceNode) else "mapping"
        if size is None:
            self.refuse(line, where, f"the alias at line {line} is inside the {what} it repeats (anchored at"
                                     f" line {anchored}): it would never end")  # fmt: skip
            return type(node)(node.tag, [], event.start_mark, event.end_mark)  # a stand-in
        if not isinstance(node, ScalarNode) and not may_repeat:
            self.refuse(line, where, (
                f"an alias repeats the whole {what} anchored at line {anchored}: an alias may repeat a"
                " single value, or a template after '<<:'; write the record out"
            ))  # fmt: skip
        self.grow(size, line)
        return node

    def _anchor(self, event: Any, node: Node, size: int | None) -> None:
        first = self.anchors.get(event.anchor)
        if first is not None:
            raise yaml.composer.ComposerError(
                "found duplicate anchor; first occurrence", first[0].start_mark,
                "second occurrence", event.start_mark,
            )  # fmt: skip
        self.anchors[event.anchor] = (node, size)

    def _scalar_problem(self, tag: str, text: str, line: int, key: bool) -> str | None:
        """Why a scalar of this resolved ``tag`` is refused: a string too long or with a forbidden
        character, a plain scalar YAML 1.1 reads otherwise than typed (see _BOOLEANS), a number
        beyond what the database stores, or '<<' anywhere but as a key."""
        if len(text) > MAX_STRING_CHARS:
            return f"{len(text):,} characters, more than the {MAX_STRING_CHARS:,} a value may have"
        bad = forbidden_character(text)
        if bad:
            return bad
        quote = f'quote it ("{text}") if it is text'
        if tag == _BOOL and text not in _BOOLEANS:
            meaning = str(self.bool_values[text.lower()]).lower()
            return f"{text} at line {line} is read by YAML 1.1 as the boolean {meaning}: write true or false, or {quote}"
        if tag == _INT:
            if not _DECIMAL_INT.fullmatch(text):
                number = self.construct_yaml_int(ScalarNode(tag, text))
                return (
                    f"{text} at line {line} is read by YAML 1.1 as the integer {number} (not decimal):"
                    f" {quote}, or write the number in decimal"
                )
            if len(text.lstrip("+-")) > 19 or not INT64_MIN <= int(text) <= INT64_MAX:
                shown = text[:40] + ("..." if len(text) > 40 else "")
                return (
                    f"{shown} is beyond the 64-bit integer range {INT64_MIN}..{INT64_MAX} the database stores"
                )
        if tag == _FLOAT and not _SPECIAL_FLOAT.fullmatch(text):
            if not _DECIMAL_FLOAT.fullmatch(text):
                return (
                    f"{text} at line {line} is read by YAML 1.1 as the number"
                    f" {self.construct_yaml_float(ScalarNode(tag, text))}"
                    f" (sexagesimal or with underscores): {quote}, or write the number plainly"
                )
            if math.isinf(float(text)):
                return f"{text[:40]} is beyond the range of a floating-point number (infinity)"
        if tag == _MERGE and not key:
            return f"'<<' at line {line} is YAML's merge key: {quote}"
        return None


def read_yaml(path: Path, root: Path | None = None, lines: dict[str, int] | None = None) -> Any:
    """Parse one YAML file, turning every way it can fail into a DataError naming the file.

    :param root: the data folder; a file whose real path is outside it is refused
    :param lines: filled with the line of each field path ('measurements[0].value'), for the
        messages of later checks (``located``)
    """
    try:
        raw = read_file(path, root)
    except FileProblem as e:
        raise DataError([str(e)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(
            [f"{path}:{line}: (file): not UTF-8 text: byte 0x{raw[e.start]:02x} at line {line}"]
        ) from None
    odd_break = _ODD_LINE_BREAKS.search(text)
    if odd_break:
        line = text.count("\n", 0, odd_break.start()) + 1
        raise DataError(
            [f"{path}:{line}: (file): {describe(odd_break.group())} at line {line} is a line break to"
             " YAML 1.1 but not to an editor: remove it"]
        )  # fmt: skip
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if loader.problems:
            raise DataError(
                [f"{path}:{line}: {field}: {message}" for line, field, message in loader.problems]
            )
        data = loader.construct_document(node) if node is not None else None
    except _Stop as e:
        raise DataError([f"{path}:{e.line}: {e.field}: {e.message}"]) from None
    except RecursionError:  # a chain of templates, each merging the one before
        raise DataError([f"{path}: (file): templates merged into each other too deeply"]) from None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow (e.g. NUL)
        line = text.count("\n", 0, e.position) + 1
        what = f"unacceptable character #x{e.character:04x}: {e.reason}"
        raise DataError([f"{path}:{line}: (syntax): YAML error: {what} at line {line}"]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        problem = " ".join(problem.replace('in "<unicode string>",', "at").split())
        text_lines = text.splitlines()
        if mark and mark.line < len(text_lines) and "\t" in text_lines[mark.line]:
            problem += " (the line has a tab: indent with spaces)"
        at = f":{mark.line + 1}" if mark else ""
        raise DataError([f"{path}{at}: (syntax): YAML error{where}: {problem}"]) from None
    finally:
        loader.dispose()
    if data is None:
        raise DataError([f"{path}: (file): empty file"])
    if lines is not None:
        lines.update(loader.lines)
    return data


#: The last part of a field path: '.name', 'name' (a top-level field) or '[3]'.
_LAST_PART = re.compile(r"(?:^|\.)[^.\[\]]*$|\[\d+\]$")


def located(path: Path, field: str, lines: dict[str, int] | None) -> str:
    """``file:line`` of ``field`` (or of the nearest field around it whose line is known: a
    missing field's mapping), or ``file`` where no line is known."""
    while lines is not None:
        if field in lines:
            return f"{path}:{lines[field]}"
        shorter = _LAST_PART.sub("", field, count=1)
        if shorter == field:
            break
        field = shorter
    return str(path)


def with_lines(problems: list[str], path: Path, lines: dict[str, int]) -> list[str]:
    """``problems`` about ``path`` in the form ``file: field: message``, with each field's line
    added (``file:line: field: message``): the checks after the reader name fields only."""
    head = f"{path}: "
    return [
        f"{located(path, p[len(head) :].split(': ', 1)[0], lines)}: {p[len(head) :]}"
        if p.startswith(head)
        else p
        for p in problems
    ]


def _loc(loc: tuple[Any, ...]) -> str:
    """pydantic's location ('measurements', 0, 'value') as a field path: 'measurements[0].value'."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).removeprefix(".")


_FIELD_FIRST = re.compile(r"^([a-z_]+): ")


def parse(
    path: Path, model: type[BaseModel], data: Any, prefix: str = "", lines: dict[str, int] | None = None
) -> Any:
    """Validate ``data`` against ``model``; errors name the file, the line and the field path.

    :param prefix: the field path of ``data`` in its file ('[3].' for a list's fourth record)
    """
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
                loc = f"{loc}.{named[1]}" if loc else named[1]
                msg = msg[named.end() :]
            field = f"{prefix}{loc}".removesuffix(".")
            problems.append(f"{located(path, field, lines)}: {field or '(top level)'}: {msg}")
        raise DataError(problems) from None


def parse_list(path: Path, model: type[BaseModel], root: Path | None = None) -> list[Any]:
    """A file holding a list of records, each validated against ``model``."""
    lines: dict[str, int] = {}
    data = read_yaml(path, root, lines)
    if not isinstance(data, list):
        raise DataError([f"{path}: (top level): expected a list of records"])
    problems: list[str] = []
    out = []
    for i, item in enumerate(data):
        try:
            out.append(parse(path, model, item, prefix=f"[{i}].", lines=lines))
        except DataError as e:
            problems.extend(e.problems)
    if problems:
        raise DataError(problems)
    return out
