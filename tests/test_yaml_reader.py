"""The strict YAML reader (ingest/yaml_reader.py): values read as PyYAML's safe loader reads them,
every refusal with its file, line and field, and aliases bounded by what they expand to.

The refusals of YAML 1.1 numbers and booleans, of tags, of over-long strings and of forbidden
characters are property-tested in test_plausibility.py; the bad extraction files of
tests/data/bad/ go through the whole build in test_bad_input.py.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emg_evidence.ingest.text import FORBIDDEN_CHARACTERS
from emg_evidence.ingest.yaml_reader import (
    INT64_MAX,
    INT64_MIN,
    MAX_DEPTH,
    MAX_EXPANDED_CHARS,
    MAX_STRING_CHARS,
    DataError,
    located,
    read_yaml,
)

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


def read(tmp_path: Path, source: str, lines: dict | None = None):
    path = tmp_path / "x.extraction.yaml"
    path.write_text(source, encoding="utf-8")
    return read_yaml(path, lines=lines)


def refusals(tmp_path: Path, source: str) -> list[str]:
    """Each problem as `<line>: <field>: <message>` (the file's name taken off)."""
    with pytest.raises(DataError) as e:
        read(tmp_path, source)
    prefix = str(tmp_path / "x.extraction.yaml")
    assert all(p.startswith(prefix) for p in e.value.problems), e.value.problems
    return [p.removeprefix(prefix).removeprefix(":") for p in e.value.problems]


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


def test_every_problem_is_reported_in_document_order_with_its_line(tmp_path):
    problems = refusals(tmp_path, "a:\n  b: 0x1F\nc: yes\nd: 1\nd: 2\n")
    assert [p.split(" ", 2)[:2] for p in problems] == [["2:", "a.b:"], ["3:", "c:"], ["5:", "d:"]]
    assert problems[2] == "5: d: duplicate key at line 5 (YAML would silently keep only the last value)"


def test_a_syntax_error_anywhere_comes_alone(tmp_path):
    # A broken file is a broken file, whatever else is wrong in it.
    (problem,) = refusals(tmp_path, "a: !!int 1\nb: yes\nc: [1, 2\n")
    assert re.match(r"\d+: \(syntax\): YAML error at line \d+, column \d+: ", problem), problem


def test_an_aliased_value_is_refused_once_where_it_is_anchored(tmp_path):
    assert refusals(tmp_path, "a:\n  b: &x yes\nc: *x\n") == [
        '2: a.b: yes at line 2 is read by YAML 1.1 as the boolean true: write true or false, or quote it ("yes")'
        " if it is text"
    ]


def test_a_non_specific_tag_is_refused(tmp_path):
    # libyaml resolves '! 5' as if untagged (the integer 5); YAML says it is the string "5".
    assert refusals(tmp_path, "a: ! 5\n")[0].startswith("1: a: explicit tag ! at line 1: tags are refused")
    assert refusals(tmp_path, "a: ! [5]\n")[0].startswith("1: a: explicit tag ! at line 1: tags are refused")


def test_a_key_that_is_a_list_or_mapping_is_refused(tmp_path):
    expected = "1: (top level): the key at line 1 is a list or mapping: a key must be a plain word"
    assert refusals(tmp_path, "? [a]\n: 1\n") == [expected]
    assert refusals(tmp_path, "? {a: 1}\n: 1\n") == [expected]


def test_merge_key_as_a_value_is_refused(tmp_path):
    assert refusals(tmp_path, "a: 1\nb: <<\n") == [
        """2: b: '<<' at line 2 is YAML's merge key: quote it ("<<") if it is text"""
    ]


def test_a_mapping_that_merges_itself_is_refused(tmp_path):
    (problem,) = refusals(tmp_path, "&a {<<: *a}\n")
    assert (
        problem
        == "1: <<: the alias at line 1 is inside the mapping it repeats (anchored at line 1): it would never end"
    )


def test_anchors_are_named_once_and_aliases_name_one(tmp_path):
    (problem,) = refusals(tmp_path, "a: &x 1\nb: &x 2\n")
    assert problem.startswith("2: (syntax): YAML error at line 2, column 4: second occurrence")
    (problem,) = refusals(tmp_path, "a: *nowhere\n")
    assert problem == "1: (syntax): YAML error at line 1, column 4: found undefined alias 'nowhere'"


def test_one_document_only(tmp_path):
    (problem,) = refusals(tmp_path, "a: 1\n---\nb: 2\n")
    assert problem == "2: (syntax): YAML error at line 2, column 1: but found another document"


def test_a_tab_in_the_indentation_is_named(tmp_path):
    (problem,) = refusals(tmp_path, "a:\n\tb: 1\n")
    assert problem.endswith("(the line has a tab: indent with spaces)")


def test_nesting_is_bounded(tmp_path):
    assert read(tmp_path, "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    (problem,) = refusals(tmp_path, "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    assert problem.endswith(f"nested more than {MAX_DEPTH} lists and mappings deep")


# --- aliases: bounded by what they expand to -------------------------------------------------


def test_many_aliases_of_a_short_value_are_fine(tmp_path):
    # An alias count alone says nothing: 10,000 repeats of a word is a small file.
    got = read(tmp_path, "a: &w word\nb: [" + ", ".join(["*w"] * 10_000) + "]\n")
    assert got["b"] == ["word"] * 10_000


@pytest.mark.parametrize("repeats", [10, 100, 300])
def test_aliases_that_expand_past_the_limit_are_refused_naming_it(tmp_path, repeats):
    value = "x" * MAX_STRING_CHARS
    source = f"a: &long {value}\nb:\n" + "".join(["  - *long\n"] * repeats)
    # Each value counts with its characters and one more (aliases expanded).
    expanded = (len("a") + 1) + (len(value) + 1) + (len("b") + 1) + 1 + repeats * (len(value) + 1) + 2
    if expanded <= MAX_EXPANDED_CHARS:
        assert len(read(tmp_path, source)["b"]) == repeats
        return
    (problem,) = refusals(tmp_path, source)
    line = int(problem.split(":")[0])
    assert 3 <= line <= 2 + repeats
    assert f"the file holds more than the {MAX_EXPANDED_CHARS:,} characters a data file may hold" in problem
    assert problem.startswith(f"{line}: (file): too large: with its aliases expanded up to line {line}")


def test_a_template_merged_into_many_records_counts_each_time(tmp_path):
    note = "n" * MAX_STRING_CHARS
    records = "".join(
        f"  - {{<<: *t, value: {i}}}\n" for i in range(MAX_EXPANDED_CHARS // MAX_STRING_CHARS + 1)
    )
    (problem,) = refusals(tmp_path, f"t: &t {{notes: {note}}}\nm:\n{records}")
    assert "(file): too large" in problem and f"{MAX_EXPANDED_CHARS:,} characters" in problem


# --- lines, for the messages of the checks after the reader ---------------------------------


def test_each_field_has_its_line_and_a_missing_one_its_mappings(tmp_path):
    lines: dict[str, int] = {}
    read(tmp_path, "# a comment\nstudy:\n  id: x\nitems:\n  - a: 1\n    b: 2\n  - {a: 3}\n", lines)
    assert lines["study"] == 2 and lines["study.id"] == 3 and lines["items[1].a"] == 7
    assert lines["items[0].b"] == 6
    path = tmp_path / "x.extraction.yaml"
    assert located(path, "items[1].c", lines) == f"{path}:7"  # a field the file lacks
    assert located(path, "study.participants.n", lines) == f"{path}:2"
    assert located(path, "elsewhere", {}) == str(path)
