
import os
import subprocess
import sys
import time

import pytest
from conftest import REPO

from handouts.content.sources import MAX_SOURCE_BYTES, discover, read_source
from handouts.problems import ContentError


def test_discover_reads_english_and_translations(tmp_path):
    (tmp_path / "klonopin-overview.md").write_text("---\ntitle: A\n---\n")
    (tmp_path / "klonopin-overview.es.md").write_text("---\ntitle: B\n---\n")
    (tmp_path / "_notes.md").write_text("skipped")
    found = discover(tmp_path)
    assert [(s.slug, s.lang) for s in found.sources] == [
        ("klonopin-overview", "en"), ("klonopin-overview", "es")]
    assert found.problems == ()


def test_discover_lists_the_languages_once_for_the_whole_folder(tmp_path, monkeypatch):
    """The languages are the locale folder's listing: one look for a library of
    thousands of sources, not one a source. A language not among them is still refused."""
    from handouts.content import sources

    listed = []
    real = sources.languages
    monkeypatch.setattr(sources, "languages", lambda: listed.append(1) or real())
    for name in ("a.md", "a.es.md", "b.md", "b.xx.md"):
        (tmp_path / name).write_text("---\ntitle: A\n---\n")
    found = discover(tmp_path)
    assert len(listed) == 1
    assert [(s.slug, s.lang) for s in found.sources] == [("a", "en"), ("a", "es"), ("b", "en")]
    [problem] = found.problems
    assert problem.path.name == "b.xx.md"
    assert problem.message.startswith("'xx' is not a language this project prints (known: en, ")


def test_digest_is_of_the_bytes_on_disk(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes(b"---\r\ntitle: A\r\n---\r\n")
    source = read_source(path)
    assert len(source.digest) == 64
    assert source.text == "---\ntitle: A\n---\n"  # Windows line ends normalised


def test_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes("\ufeff---\ntitle: A\n---\n".encode())
    assert read_source(path).text.startswith("---")


def test_invalid_utf8_names_line_and_column(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes(b"---\ntitle: ok\n---\n\nCaf\xe9 con leche\n")
    with pytest.raises(ContentError) as caught:
        read_source(path)
    [problem] = caught.value.problems
    assert problem.line == 5
    assert "not valid UTF-8 (byte 0xE9 at column 4)" in problem.message


@pytest.mark.parametrize("name", ["Klonopin.md", "my handout.md", "a.spanish.md", "a_b.md"])
def test_badly_named_sources_are_reported(tmp_path, name):
    (tmp_path / name).write_text("---\ntitle: A\n---\n")
    found = discover(tmp_path)
    assert found.sources == ()
    [problem] = found.problems
    assert problem.path == tmp_path / name
    assert "lowercase words joined by dashes" in problem.message


# -- what is read stays bounded and in the folder ------------------------------------

def test_a_link_to_a_file_outside_the_sources_is_refused(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Not for families\n---\n\nThe server's own notes.\n")
    (sources / "notes.md").symlink_to(secret)
    (sources / "other.md").write_text("---\ntitle: A\n---\n")
    found = discover(sources)
    assert [s.path.name for s in found.sources] == ["other.md"]
    [problem] = found.problems
    assert problem.path == sources / "notes.md"
    assert problem.message.startswith("is a link to a file outside the sources folder")
    assert all("server's own notes" not in s.text for s in found.sources)


def test_a_link_that_leaves_through_a_linked_folder_is_refused(tmp_path):
    sources, outside = tmp_path / "sources", tmp_path / "outside"
    sources.mkdir()
    outside.mkdir()
    (outside / "secret.md").write_text("---\ntitle: Not for families\n---\n")
    (sources / "drafts").symlink_to(outside)  # a folder link inside, pointing out
    (sources / "notes.md").symlink_to(sources / "drafts" / "secret.md")
    [problem] = discover(sources).problems
    assert "outside the sources folder" in problem.message


def test_a_link_to_another_source_in_the_folder_is_read(tmp_path):
    # The writer's own alias for a renamed handout: it never leaves the folder.
    (tmp_path / "naloxone.md").write_text("---\ntitle: Naloxone\n---\n")
    (tmp_path / "narcan.md").symlink_to("naloxone.md")
    found = discover(tmp_path)
    assert found.problems == ()
    assert [s.slug for s in found.sources] == ["naloxone", "narcan"]


def test_a_sources_folder_reached_through_a_link_is_read(tmp_path):
    """Only a source that is itself a link is resolved: a folder that is one is read as it
    always was, and a link inside it to a source beside it too."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "naloxone.md").write_text("---\ntitle: Naloxone\n---\n")
    (real / "narcan.md").symlink_to("naloxone.md")
    (tmp_path / "sources").symlink_to(real)
    found = discover(tmp_path / "sources")
    assert found.problems == ()
    assert [(s.slug, s.text) for s in found.sources] == [("naloxone", "---\ntitle: Naloxone\n---\n"),
                                                         ("narcan", "---\ntitle: Naloxone\n---\n")]


def test_a_source_larger_than_a_handout_is_refused_at_the_line_past_the_limit(tmp_path):
    path = tmp_path / "huge.md"
    line = "Benzos slow your breathing; talk with your care team first.\n"  # 60 bytes
    path.write_text("---\ntitle: A\n---\n" + line * 85_000)  # 5.1 MB: minutes to render
    started = time.perf_counter()
    found = discover(tmp_path)
    assert time.perf_counter() - started < 2
    [problem] = found.problems
    header = len("---\ntitle: A\n---\n")  # three lines
    assert problem.line == 3 + (MAX_SOURCE_BYTES - header) // 60 + 1  # the one that passes it
    assert problem.message == ("the source is 5.1 MB, more than the 100 KB a source may be "
                               "(some 40 pages; it passes that on this line): split it into "
                               "shorter handouts")


def test_a_source_just_under_the_limit_is_read(tmp_path):
    path = tmp_path / "long.md"
    path.write_text("---\ntitle: A\n---\n" + "x" * (MAX_SOURCE_BYTES - 18) + "\n")
    assert path.stat().st_size == MAX_SOURCE_BYTES
    assert len(read_source(path).text) == MAX_SOURCE_BYTES


def test_a_pipe_named_like_a_source_is_refused_without_waiting(tmp_path):
    # Reading a pipe waits for a writer for ever: today's build never ended. A child
    # process bounds this test, whatever the code does.
    os.mkfifo(tmp_path / "stuck.md")
    (tmp_path / "other.md").write_text("---\ntitle: A\n---\n")
    script = ("import sys; from pathlib import Path; from handouts.content.sources import discover; "
              "found = discover(Path(sys.argv[1])); "
              "print([s.slug for s in found.sources], [p.format() for p in found.problems])")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=REPO,
                         capture_output=True, text=True, timeout=30)
    assert run.stdout.strip() == (f"['other'] ['{tmp_path / 'stuck.md'}: error: cannot be read: "
                                  "not a regular file']")


def test_a_source_in_a_language_the_templates_lack_is_refused_naming_those_known(tmp_path):
    # `zz` is no language; `fr` is one, but nothing of the frame (headings, dates, the
    # crisis lines) would print in it and `check` knows no French reading level.
    (tmp_path / "naloxone.zz.md").write_text("---\ntitle: A\n---\n")
    (tmp_path / "naloxone.fr.md").write_text("---\ntitle: A\n---\n")
    (tmp_path / "naloxone.es.md").write_text("---\ntitle: A\n---\n")
    found = discover(tmp_path)
    assert [s.lang for s in found.sources] == ["es"]
    assert [(p.path.name, p.message) for p in found.problems] == [
        (f"naloxone.{lang}.md", f"'{lang}' is not a language this project prints (known: en, "
                                f"ar, es, ru, vi, zh); a translation is <slug>.<lang>.md in one of them, and a "
                                f"new language starts with handouts/locale/{lang}/LC_MESSAGES/"
                                "messages.po") for lang in ("fr", "zz")]
