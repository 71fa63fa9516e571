import io

import pytest

from handouts.cli import main, make_parser

from conftest import REPO

COMMANDS = ["build", "check", "list"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    assert "usage: make_docs.py " + command in capsys.readouterr().out


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    for command in COMMANDS:
        assert f"make_docs.py {command}" in readme


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().err


def test_build_summary_on_stdout(workspace):
    from conftest import GOOD_SOURCE
    workspace.write("a.md", GOOD_SOURCE)
    run = workspace.run("build", "--format", "handout")
    assert run.out.startswith("Built 1 PDF in")
