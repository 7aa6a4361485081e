"""Docs kept honest (as sqlite-utils does): every command has help and is in the README."""

import pytest

from emg_evidence.cli import cli
from emg_evidence.paths import ROOT

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_with_an_example(name):
    command = cli.commands[name]
    assert command.help, f"{name} is missing its help"
    assert "Example:" in command.help, f"{name} has no Example: block"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_is_in_the_readme(name):
    assert f"evidence {name}" in README


def test_readme_starts_with_the_two_commands():
    head = README[:1500]
    assert "scripts/serve" in head and "scripts/test" in head
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()
