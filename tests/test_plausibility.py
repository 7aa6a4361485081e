"""Property tests of the plausibility rules (ingest/plausibility.py), the YAML reader's refusals
of what YAML 1.1 reads otherwise than typed (ingest/yaml_reader.py) and the rules for text and
words (ingest/text.py).

Each rule is tested on values drawn at random, away from its threshold by a margin so that
floating-point rounding cannot decide the outcome, against what its documentation says.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from emg_evidence.ingest import plausibility as pl
from emg_evidence.ingest.records import FindingIn, MeasurementIn
from emg_evidence.ingest.text import FORBIDDEN_CHARACTERS, one_line, word_key, word_problem
from emg_evidence.ingest.yaml_reader import INT64_MAX, INT64_MIN, MAX_STRING_CHARS, DataError, read_yaml
from emg_evidence.schema.comparability import EMG_METRICS

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

MEASUREMENT = {
    "condition": "hip_thrust",
    "muscle": "gluteus_maximus_upper",
    "metric": "emg_amplitude",
    "unit": "%MVIC",
    "normalisation_category": "mvc_standardised_isometric",
    "electrode": "surface",
    "statistic": "mean",
    "central_tendency": "mean",
    "phase": "whole",
    "value": 50.0,
    "source": "s_pubmed",
    "locator": "abstract",
}
FINDING = {
    "a": "hip_thrust",
    "b": "back_squat",
    "muscle": "gluteus_maximus_upper",
    "metric": "emg_amplitude",
    "statistic": "mean",
    "phase": "whole",
    "direction": "a_greater",
    "summary": "A was greater than B",
    "source": "s_pubmed",
    "locator": "abstract",
}


def measurement(**changes) -> MeasurementIn:
    if changes.get("metric", "emg_amplitude") not in EMG_METRICS:
        changes.setdefault("normalisation_category", "not_applicable")
    if changes.get("metric") == "emg_ratio":
        changes.setdefault("muscle_b", "tensor_fasciae_latae")
    return MeasurementIn.model_validate({**MEASUREMENT, **changes})


def finding(**changes) -> FindingIn:
    return FindingIn.model_validate({**FINDING, **changes})


class Said:
    """Collects what a rule reports: ``said.errors``, ``said.warnings`` as (field, message)."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str]] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append((where, message))

    def warn(self, where: str, message: str) -> None:
        self.warnings.append((where, message))


def dispersion(m: MeasurementIn, n: int | None) -> Said:
    said = Said()
    pl.check_dispersion(m, n, "measurements[0].dispersion", said.error, said.warn)
    return said


means = st.floats(min_value=0.01, max_value=400, allow_nan=False)
sizes_n = st.none() | st.integers(min_value=1, max_value=400)
#: Powers of two: scaling by them is exact in floating point.
scales = st.sampled_from([0.25, 0.5, 2.0, 4.0, 8.0])


# --- participants ------------------------------------------------------------------------------


@SETTINGS
@given(n=st.integers(1, 10_000), study_n=st.none() | st.integers(1, 10_000))
def test_n_is_refused_exactly_when_above_the_studys_participants(n, study_n):
    said = Said()
    pl.check_n(measurement(n=n), study_n, "measurements[0].n", said.error)
    assert bool(said.errors) == (study_n is not None and n > study_n)


# --- SD and SE against the mean ----------------------------------------------------------------


@SETTINGS
@given(mean=means, n=sizes_n, data=st.data())
def test_an_sd_up_to_the_warning_ratio_passes(mean, n, data):
    # Up to 1.5 times the mean, or sqrt(n) where that is less (n = 1, 2).
    k = data.draw(st.floats(0, min(pl.SD_WARN_RATIO, pl.sd_limit(n)) - 0.01))
    said = dispersion(measurement(value=mean, dispersion=mean * k, dispersion_type="sd"), n)
    assert not said.errors and not said.warnings


@SETTINGS
@given(mean=means, n=sizes_n, data=st.data())
def test_an_sd_between_the_ratios_warns_and_above_the_limit_is_an_error(mean, n, data):
    limit = pl.sd_limit(n)
    assume(limit > pl.SD_WARN_RATIO + 0.02)
    k = data.draw(st.floats(pl.SD_WARN_RATIO + 0.01, limit - 0.01))
    said = dispersion(measurement(value=mean, dispersion=mean * k, dispersion_type="sd"), n)
    assert not said.errors and len(said.warnings) == 1
    k = data.draw(st.floats(limit + 0.01, 1000))
    said = dispersion(measurement(value=mean, dispersion=mean * k, dispersion_type="sd"), n)
    assert len(said.errors) == 1 and not said.warnings
    assert said.errors[0][0] == "measurements[0].dispersion"


@SETTINGS
@given(n=st.integers(1, 400))
def test_the_sd_limit_is_sqrt_n_and_never_above_ten(n):
    # All values but one 0: the largest SD / mean non-negative values from n participants have.
    values = [1.0] + [0.0] * (n - 1)
    if n > 1:
        mean = sum(values) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        assert sd / mean == pytest.approx(math.sqrt(n))
    assert pl.sd_limit(n) == min(math.sqrt(n), pl.SD_ABSURD_RATIO)
    assert pl.sd_limit(None) == pl.SD_ABSURD_RATIO


@SETTINGS
@given(mean=means, k=st.floats(0, 1000), n=sizes_n, scale=scales, kind=st.sampled_from(["sd", "se"]))
def test_the_verdict_on_a_spread_does_not_depend_on_the_unit(mean, k, n, scale, kind):
    assume(mean * scale <= 500)  # the plausible range of emg_amplitude
    one = dispersion(measurement(value=mean, dispersion=mean * k, dispersion_type=kind), n)
    other = dispersion(measurement(value=mean * scale, dispersion=mean * k * scale, dispersion_type=kind), n)
    assert (bool(one.errors), bool(one.warnings)) == (bool(other.errors), bool(other.warnings))


@SETTINGS
@given(mean=means, k=st.floats(0, 0.99), big=st.floats(1.01, 1000))
def test_an_se_is_an_error_exactly_above_the_mean(mean, k, big):
    assert not dispersion(measurement(value=mean, dispersion=mean * k, dispersion_type="se"), None).errors
    assert dispersion(measurement(value=mean, dispersion=mean * big, dispersion_type="se"), None).errors


@SETTINGS
@given(
    mean=means,
    k=st.floats(0, 1000),
    kind=st.sampled_from(["sd", "se", "iqr", "range", "ci95"]),
    metric=st.sampled_from(["joint_moment", "joint_work", "other"]),
)
def test_spreads_of_signed_metrics_and_of_medians_are_not_judged_against_the_mean(mean, k, kind, metric):
    # A positive spread: mean * k can underflow to 0.0 (a zero-width CI, which is refused).
    assume(k > 0 and mean * k > 0)
    signed = measurement(value=mean, dispersion=mean * k, dispersion_type=kind, metric=metric)
    median = measurement(value=mean, dispersion=mean * k, dispersion_type=kind, central_tendency="median")
    for m in (signed, median):
        said = dispersion(m, 10)
        assert not said.errors and not said.warnings


@SETTINGS
@given(
    value=st.floats(-1000, 1000),
    spread=st.floats(0, 1000),
    kind=st.sampled_from(["sd", "se", "iqr", "range", "ci95"]),
    metric=st.sampled_from(["joint_moment", "other", "emg_amplitude"]),
)
def test_a_ci_is_an_error_exactly_when_zero_wide(value, spread, kind, metric):
    assume(metric != "emg_amplitude" or 0 <= value <= 500)
    m = measurement(value=value, dispersion=spread, dispersion_type=kind, metric=metric)
    zero_ci = [e for e in dispersion(m, None).errors if "zero width" in e[1]]
    assert bool(zero_ci) == (kind == "ci95" and spread == 0)


# --- peak and mean; shares of a sum ------------------------------------------------------------


@SETTINGS
@given(
    mean=st.floats(0, 500),
    peak=st.floats(0, 500),
    change=st.sampled_from([{}, {"source": "other_pubmed"}, {"phase": "concentric"}, {"muscle": "gluteus_medius"},
                            {"normalisation": "another reference"}, {"central_tendency": "median"}]),
    metric=st.sampled_from(["emg_amplitude", "relative_muscular_effort", "emg_ratio", "emg_share_of_sum"]),
)  # fmt: skip
def test_a_peak_is_an_error_exactly_below_the_mean_of_the_same_signal(mean, peak, change, metric):
    assume(metric != "emg_share_of_sum" or max(mean, peak) <= 100)
    values = [measurement(value=mean, metric=metric),
              measurement(value=peak, statistic="peak", metric=metric, **change)]  # fmt: skip
    said = Said()
    pl.check_peaks(values, said.error)
    same_signal = not change and metric in pl.PEAK_ABOVE_MEAN_METRICS
    assert bool(said.errors) == (same_signal and peak < mean)
    if said.errors:
        assert said.errors[0][0] == "measurements[1].value"


@SETTINGS
@given(
    shares=st.lists(st.floats(0, 100), min_size=1, max_size=8),
    other_source=st.booleans(),
    median=st.booleans(),
)
def test_shares_are_an_error_exactly_when_adding_up_to_more_than_100(shares, other_source, median):
    values = [
        measurement(metric="emg_share_of_sum", value=v, central_tendency="median" if median else "mean",
                    source="other_pubmed" if other_source and i % 2 else "s_pubmed")
        for i, v in enumerate(shares)
    ]  # fmt: skip
    said = Said()
    pl.check_shares(values, said.error)
    totals: dict[str, float] = {}
    for m in values:
        totals[m.source] = totals.get(m.source, 0.0) + m.value
    over = any(t > pl.SHARE_TOTAL + pl.SHARE_ROUNDING_TOLERANCE for t in totals.values())
    # Rounding of the sum itself cannot decide: stay clear of the threshold.
    assume(all(abs(t - pl.SHARE_TOTAL - pl.SHARE_ROUNDING_TOLERANCE) > 1e-6 for t in totals.values()))
    assert bool(said.errors) == (over and not median)


# --- findings ----------------------------------------------------------------------------------


@SETTINGS
@given(p=st.floats(0, 1), relation=st.sampled_from(["=", "<", ">"]))
def test_p_is_an_error_exactly_when_0_or_above_1(p, relation):
    said = Said()
    pl.check_p_value(finding(p_value=p, p_relation=relation), "findings[0]", said.error)
    assert bool(said.errors) == (p == 0 or (p == 1 and relation == ">"))


def test_p_zero_message_says_how_to_write_p_below_a_bound():
    said = Said()
    pl.check_p_value(finding(p_value=0.0, p_relation="="), "findings[0]", said.error)
    assert said.errors == [
        ("findings[0].p_value", "p cannot be 0: 'p < 0.001' is p_value 0.001 with p_relation '<'")
    ]


@SETTINGS
@given(
    size=st.floats(-1000, 1000),
    size_type=st.sampled_from(["percent_difference", "mean_difference", "effect_size_d", "ratio", "other"]),
    direction=st.sampled_from(["a_greater", "b_greater", "no_difference", "different", "increases", "decreases", "mixed"]),
)  # fmt: skip
def test_a_size_is_an_error_exactly_when_its_sign_contradicts_the_direction(size, size_type, direction):
    f = finding(size=size, size_type=size_type, direction=direction,
                b=None if direction in ("increases", "decreases") else "back_squat")  # fmt: skip
    said = Said()
    pl.check_size(f, "findings[0].size", said.error)
    a_minus_b = size - 1 if size_type == "ratio" else size
    signed = size_type != "other"
    expected = signed and (
        (direction == "a_greater" and a_minus_b < 0) or (direction == "b_greater" and a_minus_b > 0)
    )
    assert bool(said.errors) == expected


@SETTINGS
@given(year=st.integers(-(10**6), 10**6), this_year=st.integers(2000, 2200))
def test_a_year_is_an_error_exactly_before_1950_or_after_next_year(year, this_year):
    said = Said()
    pl.check_year(year, this_year, said.error)
    assert bool(said.errors) == (year < pl.FIRST_YEAR or year > this_year + pl.YEARS_AHEAD)


# --- the YAML reader: what is typed is what is read ----------------------------------------------


@pytest.fixture
def yaml_file(tmp_path):
    def write(text: str) -> Path:
        path = tmp_path / "doc.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@SETTINGS
@given(n=st.integers(-(2**70), 2**70))
def test_a_decimal_integer_reads_as_itself_within_64_bits_and_is_refused_beyond(n, yaml_file):
    path = yaml_file(f"n: {n}\n")
    if INT64_MIN <= n <= INT64_MAX:
        assert read_yaml(path) == {"n": n}
    else:
        with pytest.raises(DataError, match=r"n: .* is beyond the 64-bit integer range"):
            read_yaml(path)


@SETTINGS
@given(
    n=st.integers(0, 10**12), form=st.sampled_from(["octal", "hex", "binary", "underscore", "sexagesimal"])
)
def test_numbers_yaml_1_1_reads_otherwise_than_typed_are_refused_and_quoted_are_text(n, form, yaml_file):
    text = {
        "octal": f"0{n:o}",
        "hex": f"0x{n:x}",
        "binary": f"0b{n:b}",
        "underscore": f"1_{n}",
        "sexagesimal": f"{n + 1}:{n % 60:02d}",
    }[form]
    with pytest.raises(DataError) as error:
        read_yaml(yaml_file(f"value: {text}\n"))
    (problem,) = error.value.problems
    assert f"value: {text} at line 1 is read by YAML 1.1 as" in problem and "quote it" in problem
    assert read_yaml(yaml_file(f'value: "{text}"\n')) == {"value": text}


@pytest.mark.parametrize(
    "word", ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"]
)
def test_yaml_1_1_booleans_are_refused_and_true_false_read(word, yaml_file):
    with pytest.raises(DataError, match=rf"flag: {word} at line 1 is read by YAML 1.1 as the boolean"):
        read_yaml(yaml_file(f"flag: {word}\n"))
    assert read_yaml(yaml_file(f"flag: '{word}'\n")) == {"flag": word}
    assert read_yaml(yaml_file("a: true\nb: False\n")) == {"a": True, "b": False}


@pytest.mark.parametrize(
    "value",
    ["!!int 5", "!!str x", "!!float 1", "!!bool true", "!!null ''", "!!binary aGk=", "!!timestamp 2020-01-01",
     "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1]", "!!seq [1]", "!!map {a: 1}", "!local x",
     "!<tag:example.com,2000:x> y", "!!python/name:os.system", "!!python/object/apply:os.system [echo]"],
)  # fmt: skip
def test_every_explicit_tag_is_refused(value, yaml_file):
    with pytest.raises(DataError, match=r"^.*: value: explicit tag .* at line 1: tags are refused"):
        read_yaml(yaml_file(f"value: {value}\n"))


def test_timestamps_are_read_as_the_text_typed(yaml_file):
    # YAML 1.2's core schema has no timestamps; PyYAML's 1.1 would make datetime objects.
    assert read_yaml(yaml_file("a: 2020-05-01\nb: 2001-12-14t21:59:43.10-05:00\n")) == {
        "a": "2020-05-01",
        "b": "2001-12-14t21:59:43.10-05:00",
    }


def test_a_merge_template_is_read_and_other_merges_refused(yaml_file):
    text = "t: &t {a: 1, b: 2}\nu: {<<: *t, b: 3}\n"
    assert read_yaml(yaml_file(text)) == {"t": {"a": 1, "b": 2}, "u": {"a": 1, "b": 3}}
    for bad, message in [
        ("t: &t {a: 1}\nu: {<<: [*t]}\n", "u.<<: the merge key at line 2 takes one mapping"),
        ("t: &t {a: 1}\nu: {<<: *t, <<: *t}\n", "u.<<: duplicate key at line 2"),
        ("u: {<<: 5}\n", "u.<<: the merge key at line 1 takes one mapping"),
        ("t: &t {a: 1}\nu: [*t, *t]\n", "u[0]: an alias repeats the whole mapping anchored at line 1"),
        ("t: &t [1]\nu: *t\n", "u: an alias repeats the whole list anchored at line 1"),
    ]:
        with pytest.raises(DataError, match=re.escape(message)):
            read_yaml(yaml_file(bad))


@SETTINGS
@given(text=st.text(max_size=60))
def test_any_text_reads_back_as_written_or_is_refused_for_a_named_character(text, yaml_file):
    # safe_dump writes NEL (U+0085) and the line and paragraph separators raw; YAML 1.1 reads
    # them as line breaks, so the reader refuses them in a file's text, wherever they are.
    path = yaml_file(yaml.safe_dump({"title": text}, allow_unicode=True))
    bad = FORBIDDEN_CHARACTERS.search(text)
    if bad is None:
        assert read_yaml(path) == {"title": text}
    else:
        with pytest.raises(DataError) as error:
            read_yaml(path)
        (problem,) = error.value.problems
        assert f"U+{ord(bad.group()):04X}" in problem or "is a line break to YAML 1.1" in problem
        assert "\n" not in problem and "\r" not in problem


@SETTINGS
@given(extra=st.integers(1, 100))
def test_a_string_above_the_cap_is_refused(extra, yaml_file):
    assert read_yaml(yaml_file("a: " + "x" * MAX_STRING_CHARS + "\n")) == {"a": "x" * MAX_STRING_CHARS}
    with pytest.raises(DataError, match=f"a: {MAX_STRING_CHARS + extra:,} characters, more than"):
        read_yaml(yaml_file("a: " + "x" * (MAX_STRING_CHARS + extra) + "\n"))


@SETTINGS
@given(text=st.text())
def test_a_problem_is_always_one_printable_line(text):
    line = one_line(f"file: {text}: message")
    assert "\n" not in line and "\r" not in line and "\u2028" not in line and "\x85" not in line
    assert not FORBIDDEN_CHARACTERS.search(line)


# --- words: case, width and script --------------------------------------------------------------

LOOK_ALIKES = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445"}


@SETTINGS
@given(word=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20))
def test_a_word_is_one_word_whatever_its_case_or_width(word):
    width = "".join(chr(ord(c) - ord("a") + 0xFF41) for c in word)  # full-width Latin
    assert word_key(word) == word_key(word.upper()) == word_key(word.title()) == word_key(width)
    assert word_key(word_key(word)) == word_key(word)
    assert word_problem(word) is None and word_problem(width) is None


@SETTINGS
@given(word=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=20), data=st.data())
def test_a_word_with_a_look_alike_letter_from_another_script_is_refused(word, data):
    spots = [i for i, c in enumerate(word) if c in LOOK_ALIKES]
    assume(spots and len(set(word)) > 1)
    i = data.draw(st.sampled_from(spots))
    spoofed = word[:i] + LOOK_ALIKES[word[i]] + word[i + 1 :]
    assume(any(c not in LOOK_ALIKES for c in spoofed))  # some Latin letter is left
    problem = word_problem(spoofed)
    assert problem is not None and "mixes scripts" in problem and "Cyrillic" in problem
    assert word_key(spoofed) != word_key(word)


def test_whole_words_in_one_script_and_invisible_characters():
    assert word_problem("ягодичные мышцы") is None  # Cyrillic words, each in one script
    assert word_problem("gluteus maximus (upper)") is None
    assert "invisible" in (word_problem("glu\u200btes") or "")
    assert "mixes scripts" in (word_problem("gluteus m\u0430ximus") or "")
