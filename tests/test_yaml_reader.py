"""The one-pass YAML reader (ingest/yaml_reader.py) against PyYAML itself, and the order of what it
reports: values read as PyYAML's safe loader reads them, and, of several problems, the one a walk
over the whole node tree meets first, after any syntax error in the file.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emg_evidence.ingest.text import FORBIDDEN_CHARACTERS
from emg_evidence.ingest.yaml_reader import INT64_MAX, INT64_MIN, DataError, read_yaml

#: Values a data file may hold (strings without refused characters, 64-bit integers, finite
#: floats), nested in lists and mappings.
text = st.text(max_size=12).filter(lambda s: not FORBIDDEN_CHARACTERS.search(s) and "\r" not in s)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=INT64_MIN, max_value=INT64_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
documents = st.dictionaries(
    text,
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=8,
    ),
    min_size=1,
    max_size=4,
)


def read(tmp_path: Path, source: str):
    path = tmp_path / "x.extraction.yaml"
    path.write_text(source, encoding="utf-8")
    return read_yaml(path)


def refused(tmp_path: Path, source: str) -> str:
    with pytest.raises(DataError) as e:
        read(tmp_path, source)
    (problem,) = e.value.problems
    return problem.split(": ", 1)[1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents, st.sampled_from([None, True, False]))
def test_values_are_read_as_pyyaml_reads_them(tmp_path, document, flow):
    source = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    expected = yaml.load(source, Loader=yaml.CSafeLoader)
    got = read(tmp_path, source)
    assert got == expected
    assert list(got) == list(expected)  # the same key order
    # The same types too (1 is not 1.0 is not True).
    assert repr(got) == repr(expected)


def test_merge_keys_as_pyyaml_merges_them(tmp_path):
    source = "t: &t {a: 1, b: 2}\nu: &u {<<: *t, c: 3}\nm:\n  b: 20\n  <<: *u\n  d: 4\n"
    got = read(tmp_path, source)
    assert got == yaml.safe_load(source)
    assert list(got["m"]) == ["a", "b", "c", "d"]
    assert got["m"] == {"a": 1, "b": 20, "c": 3, "d": 4}


def test_special_floats_are_read(tmp_path):
    got = read(tmp_path, "a: .inf\nb: -.Inf\nc: .NaN\nd: -0.0\ne: +1.5\nf: +.5\n")
    assert got["a"] == math.inf and got["b"] == -math.inf and math.isnan(got["c"])
    assert math.copysign(1, got["d"]) == -1 and got["e"] == 1.5
    assert got["f"] == "+.5"  # not a number to YAML 1.1 (PyYAML) either


def test_a_syntax_error_later_in_the_file_comes_first(tmp_path):
    # libyaml's composer read the whole file before any check: a broken file is a broken file,
    # whatever else is wrong in it.
    problem = refused(tmp_path, "a: !!int 1\nb: yes\nc: [1, 2\n")
    assert problem.startswith("(syntax): YAML error")


def test_a_mappings_own_values_come_before_its_nested_ones(tmp_path):
    # The walk checks a mapping's keys and scalar values, then its lists and mappings.
    assert refused(tmp_path, "a:\n  b: 0x1F\nc: yes\n").startswith("c: yes at line 3 is read by YAML 1.1")
    assert refused(tmp_path, "- {a: 0x1F}\n- yes\n").startswith("[0].a: 0x1F at line 1")


def test_an_aliased_value_is_refused_where_the_walk_meets_it(tmp_path):
    # The anchor is nested, the alias is the document's own value: the walk meets the alias first.
    assert refused(tmp_path, "a:\n  b: &x yes\nc: *x\n").startswith("c: yes at line 2")


def test_a_non_specific_tag_is_refused(tmp_path):
    # libyaml resolves '! 5' as if untagged (the integer 5); YAML says it is the string "5".
    assert refused(tmp_path, "a: ! 5\n").startswith("a: explicit tag ! at line 1: tags are refused")
    assert refused(tmp_path, "a: ! [5]\n").startswith("a: explicit tag ! at line 1: tags are refused")


def test_a_mapping_that_merges_itself_is_refused(tmp_path):
    assert refused(tmp_path, "&a {<<: *a}\n") == "(syntax): nested too deeply"


def test_one_document_only(tmp_path):
    problem = refused(tmp_path, "a: 1\n---\nb: 2\n")
    assert problem == "(syntax): YAML error at line 2, column 1: but found another document"
