"""Strict YAML reading: one function that turns every way a file can be wrong into a DataError.

PyYAML alone lets through duplicate keys (the last one silently wins), alias bombs and tags that
build odd values; each is refused here with the file, field and line named.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError


class DataError(Exception):
    """The data folder has problems; ``problems`` lists each as ``file: field: message``."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


#: Most nodes a file may hold once its aliases are expanded. Anchors are fine (the data uses them
#: for repeated notes); an alias bomb ("billion laughs") would otherwise hang validation.
MAX_EXPANDED_NODES = 1_000_000


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, field: str, line: int):
        self.field, self.line = field, line
        super().__init__(f"{field}: duplicate key at line {line}")


class TooLargeError(yaml.YAMLError):
    pass


def _check_nodes(root: yaml.Node) -> None:
    """Reject duplicate keys and alias bombs, walking the node tree without recursion."""
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    visited = 0
    while stack:
        node, where = stack.pop()
        visited += 1
        if visited > MAX_EXPANDED_NODES:
            raise TooLargeError(f"more than {MAX_EXPANDED_NODES} values once aliases are expanded")
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                path = f"{where}.{name}" if where else name
                if isinstance(key, yaml.ScalarNode) and name != "<<":
                    if name in seen:
                        raise DuplicateKeyError(path, key.start_mark.line + 1)
                    seen.add(name)
                stack.append((value, path))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(node.value))


class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that refuses duplicate keys: plain PyYAML silently keeps the last one."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_nodes(node)
        try:
            return self.construct_document(node)
        except yaml.YAMLError:
            raise
        except Exception as e:
            # A tag that cannot build its value ("!!int sixty", "!!timestamp soon") raises a plain
            # ValueError, IndexError or AttributeError inside PyYAML; it is still bad input.
            raise yaml.constructor.ConstructorError(problem=f"bad tagged value ({e})") from e


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, turning every way it can fail into a DataError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError([f"{path}: (file): cannot read ({e.strerror})"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        byte = raw[e.start]
        raise DataError([f"{path}: (file): not UTF-8 text: byte 0x{byte:02x} at line {line}"]) from None
    try:
        data = yaml.load(text, Loader=StrictLoader)
    except DuplicateKeyError as e:
        kept = "YAML would silently keep only the last value"
        raise DataError([f"{path}: {e.field}: duplicate key at line {e.line} ({kept})"]) from None
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


def parse_list(path: Path, model: type[BaseModel]) -> list[Any]:
    data = read_yaml(path)
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
