"""Strict YAML reading: every way a data file can mean something else than it shows is refused,
with the file, line and field named (``<file>:<line>: <field>: <message>``).

PyYAML's safe loader alone lets through duplicate keys (the last one silently wins), tags that
build odd values (``!!set``, ``!!binary``, ``!!python/...``, and ``! 5``, which libyaml reads as
the integer 5), YAML 1.1 readings that differ from what was typed (``012345`` is octal 5349,
``1:30`` is 90, ``on`` is true), and aliases that repeat a whole record or multiply a small file
into gigabytes ("billion laughs"). ``_Loader`` is PyYAML's safe loader (libyaml's parser where
present) whose composer checks each node as PyYAML composes it, knowing its field path and line;
PyYAML's SafeConstructor then builds the values of a file that passed.
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
    (``file:line: field: message`` where the line is known), each on one printable line.
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
#: with its characters, and at least one): as much as a data file may hold at all. An alias that
#: repeats a long text 12,000 times, or a template merged into thousands of records, would
#: otherwise make a 67 kB file a MemoryError or a 1.2 GB database.
MAX_EXPANDED_CHARS = MAX_FILE_BYTES
#: Deepest nesting of lists and mappings. The data files nest four deep; a deeper file is a
#: mistake or an attack on the reader's recursion.
MAX_DEPTH = 50
#: SQLite stores integers in 64 bits; a larger one raises OverflowError at the insert.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

#: Characters YAML 1.1 reads as line breaks that editors show as one odd character or nothing.
_ODD_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")

_STD = "tag:yaml.org,2002:"
_STR, _BOOL, _INT, _FLOAT, _MERGE = (_STD + t for t in ("str", "bool", "int", "float", "merge"))
#: The forms of a plain scalar that mean the same in YAML 1.1 (PyYAML) and YAML 1.2 (core
#: schema). YAML 1.1 also reads 0b101, 012 (octal), 0x1A, 1_000, 1:30 (sexagesimal: 90) as
#: numbers and yes/no/on/off as booleans; those are refused, asking to quote or rewrite them.
_BOOLEANS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")


def _path(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


class _Loader(yaml.composer.Composer, _Parser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):  # type: ignore[misc]
    """PyYAML's safe loader whose ``compose_node`` checks each node, knowing its field path and
    line: problems are collected as ``file:line: field: message``; ``lines`` maps each field path
    to its line. A problem after which reading on makes no sense (too large, too deep) is raised."""

    # Timestamps (2020-05-01) and '=' (YAML 1.1's "value" key) stay text, as typed, as in YAML 1.2.
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_STD + "timestamp", _STD + "value")]
        for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }

    def __init__(self, text: str, path: Path) -> None:
        _Parser.__init__(self, text)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.path = path
        self.problems: list[tuple[int, str]] = []
        self.lines: dict[str, int] = {}
        self.where = [""]  # the field path of each node being composed
        self.sizes: dict[str, int] = {}  # anchor -> its size, aliases expanded, once composed
        self.size = 0  # characters so far, aliases expanded
        self.depth = 0

    def refuse(self, line: int, field: str, message: str) -> None:
        self.problems.append((line, f"{self.path}:{line}: {field or '(top level)'}: {message}"))

    def stop(self, line: int, field: str, message: str) -> DataError:
        return DataError([f"{self.path}:{line}: {field or '(top level)'}: {message}"])

    def grow(self, size: int, line: int) -> None:
        self.size += size
        if self.size > MAX_EXPANDED_CHARS:
            raise self.stop(line, "(file)", (
                f"too large: with its aliases expanded up to line {line}, the file holds more"
                f" than the {MAX_EXPANDED_CHARS:,} characters a data file may hold"
            ))  # fmt: skip

    def compose_node(self, parent: Node | None, index: Any) -> Any:
        """``index``: a sequence item's position, a mapping value's key node, None for a key
        (or for the root, whose ``parent`` is None)."""
        event: Any = self.peek_event()
        line = event.start_mark.line + 1
        key = parent is not None and index is None
        where = self.where[-1]
        if isinstance(index, int):
            where = f"{where}[{index}]"
        elif isinstance(index, ScalarNode):
            where = _path(where, index.value)
        if not key:  # a mapping's field is on its key's line
            self.lines.setdefault(where, index.start_mark.line + 1 if isinstance(index, Node) else line)
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self.anchors:  # else PyYAML's composer raises 'undefined alias'
                merge = isinstance(index, ScalarNode) and index.tag == _MERGE
                self._alias(self.anchors[event.anchor], event.anchor, where, line, merge or key)
            return super().compose_node(parent, index)
        if event.tag is not None:  # '!' included: libyaml would resolve '! 5' as the integer 5
            plainly = "write the value plainly (quote it if it is text)"
            if not isinstance(event, yaml.ScalarEvent):
                plainly = "write a plain list or mapping"
            short = "!!" + event.tag.removeprefix(_STD) if event.tag.startswith(_STD) else event.tag
            field = _path(where, event.value) if key and isinstance(event, yaml.ScalarEvent) else where
            self.refuse(line, field, f"explicit tag {short} at line {line}: tags are refused; {plainly}")
        start = self.size
        scalar = isinstance(event, yaml.ScalarEvent)
        if not scalar:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.stop(line, where, f"nested more than {MAX_DEPTH} lists and mappings deep")
            self.grow(1, line)
        self.where.append(where)
        node: Any = super().compose_node(parent, index)
        self.where.pop()
        if scalar:
            text = node.value
            tag = node.tag if event.tag is None else _STR
            # Most scalars are short plain text: checked here in one step, the rest in full.
            if tag != _STR or len(text) > MAX_STRING_CHARS or FORBIDDEN_CHARACTERS.search(text):
                problem = self._scalar_problem(tag, text, line, key)
                if problem is not None:
                    self.refuse(line, _path(where, text) if key else where, problem)
            self.grow(len(text) + 1, line)
        else:
            self.depth -= 1
        if event.anchor is not None:
            self.sizes[event.anchor] = self.size - start
        return node

    def compose_mapping_node(self, anchor: Any) -> Any:
        node: Any = super().compose_mapping_node(anchor)
        where = self.where[-1]
        names: set[str] = set()
        for key, value in node.value:
            line = key.start_mark.line + 1
            if not isinstance(key, ScalarNode):
                self.refuse(
                    line, where, f"the key at line {line} is a list or mapping: a key must be a plain word"
                )
                continue
            field = _path(where, key.value)
            if key.value in names:
                self.refuse(
                    line,
                    field,
                    f"duplicate key at line {line} (YAML would silently keep only the last value)",
                )
            names.add(key.value)
            if key.tag == _MERGE and not isinstance(value, MappingNode):
                what = "list" if isinstance(value, SequenceNode) else "single value"
                self.refuse(line, field, (
                    f"the merge key at line {line} takes one mapping (a template such as *m), not a {what}"
                ))  # fmt: skip
        return node

    def _alias(self, node: Node, anchor: Any, where: str, line: int, may_repeat: bool) -> None:
        """Checks an alias of ``node``; ``may_repeat``: it may be a list or mapping here (a merge
        key's template; a key, refused as a key)."""
        anchored = node.start_mark.line + 1
        what = "list" if isinstance(node, SequenceNode) else "mapping"
        if anchor not in self.sizes:
            self.refuse(line, where, f"the alias at line {line} is inside the {what} it repeats (anchored at"
                                     f" line {anchored}): it would never end")  # fmt: skip
            return
        if not isinstance(node, ScalarNode) and not may_repeat:
            self.refuse(line, where, (
                f"an alias repeats the whole {what} anchored at line {anchored}: an alias may repeat a"
                " single value, or a template after '<<:'; write the record out"
            ))  # fmt: skip
        self.grow(self.sizes[anchor], line)

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
    loader = _Loader(text, path)
    try:
        node = loader.get_single_node()
        if loader.problems:  # in document order (a mapping's own problems come after its values')
            raise DataError([problem for _, problem in sorted(loader.problems, key=lambda p: p[0])])
        data = loader.construct_document(node) if node is not None else None
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
