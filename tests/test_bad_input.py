"""Malformed data, each case built in process on the small test data folder (tests/data/small/).

Every file in tests/data/bad/ breaks the valid template tests/data/good/fuzzbase.extraction.yaml
in one way; tests/data/bad/expected.yaml gives the `<field>: <message>` the build must report
after the file's name (and its line, where one is known). Each build must fail with a DataError
(never another exception: a traceback in the CLI) and leave the previous database byte for byte
as it was. The other files of a data folder (sources.yaml, the claims, the vocabularies) are
broken here by editing a copy of the small folder, the expected message made from what it holds.
"""

import copy
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from emg_evidence.cli import cli
from emg_evidence.ingest.build import build
from emg_evidence.ingest.dataset import load_dataset
from emg_evidence.ingest.yaml_reader import DataError

HERE = Path(__file__).parent / "data"
BAD = HERE / "bad"
GOOD = HERE / "good" / "fuzzbase.extraction.yaml"
SMALL = HERE / "small"
EXPECTED: dict[str, str] = yaml.safe_load((BAD / "expected.yaml").read_text())


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """The small folder's database: every failed build must leave these bytes as they are."""
    path = tmp_path_factory.mktemp("previous") / "evidence.db"
    build(path, SMALL)
    return path


@pytest.fixture
def small(tmp_path) -> Path:
    """A copy of the small data folder that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(SMALL, target)
    return target


def refused(data: Path, target: Path) -> list[str]:
    """The problems of a build of ``data`` that must fail, having left ``target`` as it was."""
    before = target.read_bytes()
    with pytest.raises(DataError) as e:
        build(target, data)
    assert e.value.problems
    assert target.read_bytes() == before
    assert not list(target.parent.glob(".evidence-*"))
    return e.value.problems


def reported(problems: list[str], path: Path, expected: str) -> str | None:
    """The problem that names ``path`` (with or without a line) and starts with ``expected``."""
    pattern = re.compile(rf"{re.escape(str(path))}(:\d+)?: {re.escape(expected)}")
    return next((p for p in problems if pattern.match(p)), None)


def test_every_bad_file_has_an_expectation():
    files = {p.name for p in BAD.glob("*.extraction.yaml")}
    assert files == set(EXPECTED)
    assert len(files) >= 100


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_refused_naming_file_and_field(name, small, previous):
    added = small / "extractions" / name
    shutil.copyfile(BAD / name, added)
    problems = refused(small, previous)
    assert reported(problems, added, EXPECTED[name]), problems


#: The reader's refusals: each names the line too (`<file>:<line>: <field>: <message>`).
READER_CASES = [name for name, message in EXPECTED.items()
                if re.search(r"\(syntax\)|too large: with|explicit tag|YAML 1\.1|duplicate key at|alias|merge"
                             r"|not UTF-8|characters, more than|beyond the|U\+", message)]  # fmt: skip


@pytest.mark.parametrize("name", READER_CASES)
def test_the_readers_refusals_name_the_line(name, small, previous):
    added = small / "extractions" / name
    shutil.copyfile(BAD / name, added)
    problem = reported(refused(small, previous), added, EXPECTED[name])
    assert problem is not None and re.match(rf"{re.escape(str(added))}:\d+: ", problem), problem


def test_the_cli_prints_each_problem_on_one_line_and_leaves_the_database(small, previous):
    added = small / "extractions" / "dangling_source.extraction.yaml"
    shutil.copyfile(BAD / added.name, added)
    before = previous.read_bytes()
    result = CliRunner().invoke(cli, ["build", "--db", str(previous), "--data", str(small)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert re.search(
        rf"^error: {re.escape(str(added))}:\d+: {re.escape(EXPECTED[added.name])}", result.output, re.M
    )
    assert f"{previous} was left unchanged" in result.output
    assert previous.read_bytes() == before


# --- the other files of the folder: ids given twice are the checks' problem, not the database's ---


def test_a_shared_source_id_given_twice_is_refused(small, previous):
    path = small / "sources.yaml"
    sources = yaml.safe_load(path.read_text())
    path.write_text(path.read_text() + yaml.safe_dump([sources[0]]))
    problems = refused(small, previous)
    assert reported(problems, path, f"[{len(sources)}].id: duplicate id {sources[0]['id']!r}"), problems


def test_a_recommendation_id_given_twice_is_refused(small, previous):
    path = small / "claims.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["recommendations"].append(copy.deepcopy(doc["recommendations"][0]))
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    problems = refused(small, previous)
    where = f"recommendations[{len(doc['recommendations']) - 1}].id"
    rid = doc["recommendations"][0]["id"]
    assert reported(problems, path, f"{where}: duplicate recommendation id {rid!r}"), problems


def test_a_claim_id_given_twice_is_refused(small, previous):
    path = small / "claims.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["claims"].append(copy.deepcopy(doc["claims"][0]))
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    problems = refused(small, previous)
    where = f"claims[{len(doc['claims']) - 1}].id"
    assert reported(problems, path, f"{where}: duplicate claim id {doc['claims'][0]['id']!r}"), problems


@pytest.mark.parametrize("name", ["muscles.yaml", "exercises.yaml"])
def test_a_vocabulary_id_given_twice_is_refused(name, small, previous):
    path = small / "vocab" / name
    records = yaml.safe_load(path.read_text())
    path.write_text(path.read_text() + "- " + yaml.safe_dump(records[-1], default_flow_style=True))
    problems = refused(small, previous)
    assert reported(problems, path, f"[{len(records)}].id: duplicate id {records[-1]['id']!r}"), problems


def test_a_synonym_given_twice_is_refused(small, previous):
    path = small / "vocab" / "synonyms.yaml"
    synonyms = yaml.safe_load(path.read_text())
    path.write_text(path.read_text() + "- " + yaml.safe_dump(synonyms[0], default_flow_style=True))
    problems = refused(small, previous)
    first = synonyms[0]
    expected = f"[{len(synonyms)}].term: duplicate {first['term']!r} for {first['muscle']!r}"
    assert reported(problems, path, expected), problems


# --- what is accepted ----------------------------------------------------------------------------


def test_template_itself_is_valid(small):
    shutil.copyfile(GOOD, small / "extractions" / GOOD.name)
    dataset = load_dataset(small)
    assert "fuzzbase" in {e.data.study.id for e in dataset.extractions}


def test_utf8_byte_order_mark_is_accepted(small):
    # Some Windows editors start UTF-8 files with a BOM; it carries no data, so it is no error.
    (small / "extractions" / GOOD.name).write_bytes(b"\xef\xbb\xbf" + GOOD.read_bytes())
    assert "fuzzbase" in {e.data.study.id for e in load_dataset(small).extractions}


def test_anchors_and_aliases_still_work(small):
    # The real data uses anchors for repeated notes; refusing alias bombs must not refuse those.
    text = GOOD.read_text().replace("load: 10RM", "load: &rm 10RM")
    text = text.replace("knee_angle_deg: 90", "load: *rm")
    (small / "extractions" / GOOD.name).write_text(text)
    dataset = load_dataset(small)
    (ex,) = [e for e in dataset.extractions if e.data.study.id == "fuzzbase"]
    assert [c.load for c in ex.data.conditions] == ["10RM", "10RM"]
