"""Strict YAML reading: one function that turns every way a file can be wrong into a DataError.

PyYAML alone lets through duplicate keys (the last one silently wins), alias bombs, tags that
build odd values (``!!set``, ``!!binary``, ``!!python/...``), and YAML 1.1 readings that differ
from what was typed (``012345`` is octal 5349, ``1:30`` is 90, ``on`` is true). Each is refused
here with the file, field and line named, before any value is built (``_check_nodes``, one walk
over libyaml's node tree); the file itself is read by ``files.read_file`` (kind, place, size).
The same bytes always give the same values: nothing depends on the machine or the moment.
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
#: The tags this reader's resolver gives untagged nodes. Every other tag was written in the file:
#: ``!!int``, ``!!set``, ``!!binary``, ``!!omap``, ``!!timestamp``, ``!!python/...``, ``!foo``.
_IMPLICIT = "tag:emg-evidence,2026:implicit:"

_IMPLICIT_STR, _STD_MERGE = _IMPLICIT + "str", _STD + "merge"
_forbidden = FORBIDDEN_CHARACTERS.search

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
    out: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items():
        kept = [
            (_IMPLICIT + t.removeprefix(_STD), r) for t, r in resolvers if t.removeprefix(_STD) in _RESOLVED
        ]
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


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


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


def _check_scalar(node: yaml.ScalarNode, where: str, key: bool = False) -> None:
    """Refuse a scalar whose meaning is not what was typed; give it its standard tag."""
    tag, text = node.tag, node.value
    if not tag.startswith(_IMPLICIT):
        raise ValueProblem(
            where,
            f"explicit tag {_short(tag)} at line {_line(node)}: tags are refused; write the value"
            " plainly (quote it if it is text)",
        )
    kind = tag.removeprefix(_IMPLICIT)
    if len(text) > MAX_STRING_CHARS:
        raise ValueProblem(
            where, f"{len(text):,} characters, more than the {MAX_STRING_CHARS:,} a value may have"
        )
    bad = forbidden_character(text)
    if bad:
        raise ValueProblem(where, bad)
    quote = f'quote it ("{text}") if it is text'
    if kind == "bool" and text not in _BOOLEANS:
        meaning = yaml.constructor.SafeConstructor.bool_values[text.lower()]
        raise ValueProblem(
            where,
            f"{text} at line {_line(node)} is read by YAML 1.1 as the boolean {str(meaning).lower()}:"
            f" write true or false, or {quote}",
        )
    if kind == "int" and not _DECIMAL_INT.fullmatch(text):
        raise ValueProblem(
            where,
            f"{text} at line {_line(node)} is read by YAML 1.1 as {_yaml11_number(text)} (not decimal):"
            f" {quote}, or write the number in decimal",
        )
    if kind == "int" and (len(text.lstrip("+-")) > 19 or not INT64_MIN <= int(text) <= INT64_MAX):
        raise ValueProblem(
            where,
            f"{text[:40]}{'...' if len(text) > 40 else ''} is beyond the 64-bit integer range"
            f" {INT64_MIN}..{INT64_MAX} the database stores",
        )
    if kind == "float" and not (_DECIMAL_FLOAT.fullmatch(text) or _SPECIAL_FLOAT.fullmatch(text)):
        raise ValueProblem(
            where,
            f"{text} at line {_line(node)} is read by YAML 1.1 as {_yaml11_number(text)}"
            f" (sexagesimal or with underscores): {quote}, or write the number plainly",
        )
    if kind == "float" and _DECIMAL_FLOAT.fullmatch(text) and math.isinf(float(text)):
        raise ValueProblem(where, f"{text[:40]} is beyond the range of a floating-point number (infinity)")
    if kind == "merge":
        if not key:
            raise ValueProblem(where, f"'<<' at line {_line(node)} is YAML's merge key: {quote}")
        node.tag = _STD_MERGE  # the tag PyYAML's constructor merges on


def _check_nodes(root: yaml.Node) -> None:
    """Walk the node tree once, in document order and without recursion, refusing what PyYAML
    would let through: duplicate keys, explicit tags, YAML 1.1 readings that differ from what was
    typed, merge keys anywhere but a mapping's key, an alias repeating a whole list or mapping
    (a record listed twice: only '<<: *template' may reuse one), alias bombs, over-long strings,
    integers beyond 64 bits, control and bidi characters.

    Untagged nodes keep the resolver's _IMPLICIT tags (StrictLoader builds them as the standard
    ones), so a scalar needs no bookkeeping: checking one twice (an alias) is harmless. Merge keys
    get the standard merge tag, which PyYAML's constructor acts on.
    """
    stack: list[tuple[yaml.Node, str, bool]] = [(root, "", False)]
    seen: set[int] = set()  # lists and mappings visited: a second visit is an alias
    visited = 0
    aliased: tuple[str, yaml.Node] | None = None
    scalar, mapping = yaml.ScalarNode, yaml.MappingNode
    while stack:
        node, where, merged = stack.pop()
        visited += 1
        if visited > MAX_EXPANDED_NODES:
            raise TooLargeError(f"more than {MAX_EXPANDED_NODES} values once aliases are expanded")
        if node.__class__ is scalar:
            _check_scalar(node, where)
            continue
        if id(node) in seen:
            # An alias of a list or mapping: a record template merged with '<<:' is fine; any
            # other is a record listed twice (reported after the walk, unless it is a bomb).
            if not merged and aliased is None:
                aliased = (where, node)
            continue
        seen.add(id(node))
        if not node.tag.startswith(_IMPLICIT):
            raise ValueProblem(
                where,
                f"explicit tag {_short(node.tag)} at line {_line(node)}: tags are refused;"
                " write a plain list or mapping",
            )
        children: list[tuple[yaml.Node, str, bool]] = []
        if node.__class__ is mapping:
            names: set[str] = set()
            for key, value in node.value:
                if key.__class__ is not scalar:
                    raise ValueProblem(
                        where,
                        f"the key at line {_line(key)} is a list or mapping: a key must be a plain word",
                    )
                name = key.value
                path = f"{where}.{name}" if where else name
                # The common cases inline (short plain text): the walk stays cheap.
                if not (key.tag == _IMPLICIT_STR and len(name) <= MAX_STRING_CHARS and not _forbidden(name)):
                    _check_scalar(key, path, key=True)
                if name in names:
                    raise DuplicateKeyError(path, _line(key))
                names.add(name)
                if key.tag == _STD_MERGE:
                    if value.__class__ is not mapping:
                        kind = "list" if isinstance(value, yaml.SequenceNode) else "single value"
                        raise ValueProblem(
                            path,
                            f"the merge key at line {_line(key)} takes one mapping (a template such"
                            f" as *m), not a {kind}",
                        )
                    children.append((value, path, True))
                elif value.__class__ is scalar:
                    visited += 1
                    text = value.value
                    if not (
                        value.tag == _IMPLICIT_STR and len(text) <= MAX_STRING_CHARS and not _forbidden(text)
                    ):
                        _check_scalar(value, path)
                else:
                    children.append((value, path, False))
        else:
            children = [(item, f"{where}[{i}]", False) for i, item in enumerate(node.value)]
        stack.extend(reversed(children))
    if aliased is not None:
        if _expanded_size(root) > MAX_EXPANDED_NODES:
            raise TooLargeError(f"more than {MAX_EXPANDED_NODES} values once aliases are expanded")
        where, node = aliased
        kind = "mapping" if isinstance(node, yaml.MappingNode) else "list"
        raise ValueProblem(
            where,
            f"an alias repeats the whole {kind} anchored at line {_line(node)}: an alias may repeat a"
            " single value, or a template after '<<:'; write the record out",
        )


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the tree has with every alias expanded, each distinct node sized once
    (capped just above the limit); a recursive alias (an anchor used inside itself) is unbounded."""
    limit = MAX_EXPANDED_NODES + 1
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = (
            [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
        )
        if children_done:
            sizes[id(node)] = min(limit, 1 + sum(sizes[id(c)] for c in children))
            open_nodes.discard(id(node))
            continue
        if id(node) in open_nodes:
            return limit  # reached again inside its own subtree: a cycle
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (libyaml's when present) with the checks of _check_nodes before anything is
    built. Its resolver marks untagged nodes (see _IMPLICIT), so a written tag is recognisable."""

    yaml_implicit_resolvers = _implicit_resolvers()
    DEFAULT_SCALAR_TAG = _IMPLICIT + "str"
    DEFAULT_SEQUENCE_TAG = _IMPLICIT + "seq"
    DEFAULT_MAPPING_TAG = _IMPLICIT + "map"
    #: Untagged nodes are built as YAML's standard kinds; no other tag reaches a constructor.
    yaml_constructors = {
        _IMPLICIT + kind: yaml.constructor.SafeConstructor.yaml_constructors[_STD + kind]
        for kind in ("str", "seq", "map", "bool", "int", "float", "null")
    }

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_nodes(node)
        try:
            return self.construct_document(node)
        except yaml.YAMLError:
            raise
        except RecursionError:
            raise
        except Exception as e:
            # Defensive: every tag is refused above and only standard forms reach the
            # constructors, but a value PyYAML cannot build is still bad input, not a traceback.
            raise yaml.constructor.ConstructorError(problem=f"bad value ({e})") from e


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
        data = yaml.load(text, Loader=StrictLoader)
    except DuplicateKeyError as e:
        kept = "YAML would silently keep only the last value"
        raise DataError([f"{path}: {e.field}: duplicate key at line {e.line} ({kept})"]) from None
    except ValueProblem as e:
        raise DataError([f"{path}: {e.field}: {e.message}"]) from None
    except TooLargeError as e:
        raise DataError([f"{path}: (file): too large: {e}"]) from None
    except RecursionError:
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
