
import pytest
from conftest import REPO, source_text

from handouts.cli import main

COMMANDS = ["build", "check", "list", "watch", "packet", "email", "serve", "preview", "worker"]


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
    assert run.summary.startswith("Built 1 PDF in")


def test_progress_bar_on_a_terminal(workspace):
    """On a terminal the build shows a rich progress bar, then the same summary line."""
    import os
    import pty
    import subprocess
    import sys

    from conftest import GOOD_SOURCE

    workspace.write("a.md", GOOD_SOURCE)
    main_fd, child_fd = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "make_docs.py"), "build", "--sources", str(workspace.sources),
         "--out", str(workspace.out), "--brand", str(workspace.brand), "--jobs", "1"],
        stdout=child_fd, stderr=child_fd, env={**os.environ, "COLUMNS": "100"})
    os.close(child_fd)
    output = b""
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=60) == 0
    text = output.decode("utf-8", "replace")
    assert "Building" in text  # the bar
    assert "[1/2]" not in text  # not the plain lines
    assert "Built 3 PDFs in" in text


def test_a_title_cannot_send_a_terminal_escape(workspace, capsys):
    """`list` and every problem line print what a source says, never what a terminal
    would act on: ESC [ 2 J clears a screen, a carriage return overwrites a line."""
    workspace.write("a.md", source_text('title: "Fine\\e[2J\\rgone \\u202e"\nsummary: S'))
    workspace.write("b.md", source_text('title: T\nsummary: S', "[@no-such\\u001b[31mkey]\n"))
    run = workspace.run("list")
    assert "\x1b" not in run.out and "\r" not in run.out and "\u202e" not in run.out
    assert "Fine\\x1b[2J" in run.out
    assert "\x1b" not in run.err


def test_problems_print_like_a_compilers_with_the_line_a_caret_and_a_hint(workspace):
    workspace.write("doc.md", source_text("title: T\nsummary: S",
                                          "Benzos slow your breathing [@nida-benzo-opioids].\n"))
    run = workspace.run("build", "--format", "handout")
    path = workspace.sources / "doc.md"
    assert run.error_lines == [f"{path}:6:30: error: unknown citation key 'nida-benzo-opioids' "
                               "(not in resources.yaml)"]
    assert run.excerpts == [
        "  6 | Benzos slow your breathing [@nida-benzo-opioids].",
        "    |                              ^^^^^^^^^^^^^^^^^^",
        "    = hint: did you mean 'nida-benzodiazepines-opioids'?",
    ]


def test_check_points_at_the_words_it_is_about(workspace):
    workspace.write("doc.md", source_text("title: T\nsummary: S",
                                          "## What to do next\n\n1. An addict can call 1-800-662-4357.\n"))
    run = workspace.run("check", "--brand", str(workspace.brand))
    path = workspace.sources / "doc.md"
    words = [line for line in run.error_lines if "[words]" in line]
    assert words == [f"{path}:8:7: error[words]: 'addict': say 'person with a substance use "
                     "disorder; person in recovery'"]
    phone = [line for line in run.error_lines if "[safety-lines]" in line]
    assert phone and phone[0].startswith(f"{path}:8:23: error[safety-lines]:")
    assert "    |       ^^^^^^" in run.excerpts  # under 'addict'
    assert "    |                       ^^^^^^^^^^^^^^" in run.excerpts  # under the number


def test_a_long_line_is_shown_around_its_place(workspace):
    workspace.write("doc.md", source_text(f"title: T\nsummary: S\nversion: {'9' * 5000}"))
    run = workspace.run("build", "--format", "handout")
    [problem] = run.error_lines
    assert problem.startswith(f"{workspace.sources / 'doc.md'}:4:10: error: ")
    line, caret = run.excerpts
    assert line.startswith("  4 | version: 999") and line.endswith("…") and len(line) < 120
    assert caret == "    |          " + "^" * 91  # to the end of what is shown
