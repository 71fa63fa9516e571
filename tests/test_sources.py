
import pytest

from handouts.problems import ContentError
from handouts.sources import discover, read_source


def test_discover_reads_english_and_translations(tmp_path):
    (tmp_path / "klonopin-overview.md").write_text("---\ntitle: A\n---\n")
    (tmp_path / "klonopin-overview.es.md").write_text("---\ntitle: B\n---\n")
    (tmp_path / "_notes.md").write_text("skipped")
    found = discover(tmp_path)
    assert [(s.slug, s.lang) for s in found.sources] == [
        ("klonopin-overview", "en"), ("klonopin-overview", "es")]
    assert found.problems == ()


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
