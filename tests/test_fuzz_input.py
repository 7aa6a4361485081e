"""Property-based fuzzing of one extraction file: whatever is in it, the build either succeeds or
fails with a DataError naming that file, never with another exception (a traceback in the CLI),
and a failed build never changes the target database.

Mutations start from the valid template tests/data/good/fuzzbase.extraction.yaml: edits of the
text (YAML punctuation, tabs, quotes, anchors, non-UTF-8 bytes) and edits of the parsed structure
(drop a key, rename it, give it another value of another type). Each example is built whole, in
this process, with the small test data folder (tests/data/small/). Set FUZZ_EXAMPLES for a
longer run.
"""

import os
import re
import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from emg_evidence.ingest.build import build
from emg_evidence.ingest.yaml_reader import DataError

SMALL = Path(__file__).parent / "data" / "small"
GOOD = Path(__file__).parent / "data" / "good" / "fuzzbase.extraction.yaml"
TEXT = GOOD.read_text()
DOC = yaml.safe_load(TEXT)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))

#: Pieces of YAML that change meaning when dropped into the middle of a file.
SNIPPETS = [
    ": ", ":", "- ", "\n- ", "\n", "\t", " ", '"', "'", "[", "]", "{", "}", ",", "#", "&a ", "*a",
    "*b", "!!str ", "!!int ", "!!python/name:os.system ", "? ", "|", ">", "%YAML 1.1\n", "---\n",
    "...\n", "<<: ", "~", "null", "-1", "1e309", ".nan", "0x1F", "2020-01-01", "\ufeff", "\x00",
    "\u2028", "é", "\n  extra: 1", "\nstudy: {}",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["hip_thrust", "back_squat", "gluteus_maximus_upper", "fuzzbase_pubmed",
                      "article", "ht_ugm", "emg_amplitude", "sd", "primary", "verified"])
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def text_mutations(draw) -> bytes:
    text = TEXT
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = min(len(text), start + draw(st.integers(0, 12)))
        insert = draw(st.sampled_from(SNIPPETS) | st.text(max_size=6))
        text = text[:start] + insert + text[end:]
    raw = text.encode("utf-8")
    if draw(st.booleans()) and draw(st.booleans()):  # now and then, bytes that are not UTF-8
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=3)) + raw[at:]
    return raw


def _paths(node, prefix=()):
    """Every path into the document: ('measurements', 0, 'value') and so on."""
    yield prefix
    if isinstance(node, dict):
        items = list(node.items())
    else:
        items = list(enumerate(node)) if isinstance(node, list) else []
    for key, child in items:
        yield from _paths(child, prefix + (key,))


@st.composite
def structure_mutations(draw) -> bytes:
    doc = yaml.safe_load(TEXT)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["drop", "replace", "rename", "duplicate"]))
        if action == "drop":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(values)
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = parent.pop(key)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(parent[key])
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(content=text_mutations() | structure_mutations())
def test_mutated_file_builds_or_fails_naming_the_file(content, tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz")
    data, target = work / "data", work / "evidence.db"
    shutil.copytree(SMALL, data)
    target.write_bytes(b"the previous build")  # any bytes: a failed build must not touch them
    path = data / "extractions" / GOOD.name
    path.write_bytes(content)
    try:
        build(target, data)
    except DataError as e:
        assert e.problems
        for problem in e.problems:
            # `<file>[:<line>]: <field>: <message>`, and the file is the mutated one
            rest = re.sub(r"^:\d+", "", problem.removeprefix(str(path)))
            assert problem.startswith(str(path)) and rest.startswith(": "), problem
            assert ": " in rest.removeprefix(": "), problem
        assert target.read_bytes() == b"the previous build"
        event(
            "refused: "
            + re.sub(r"^:\d+", "", e.problems[0].removeprefix(str(path)))[2:].split(":")[0].split("[")[0]
        )
    else:
        event("built")
        assert target.read_bytes() != b"the previous build"
    assert not list(work.glob(".evidence-*"))
    shutil.rmtree(work)
