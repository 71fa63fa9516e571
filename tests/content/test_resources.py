import pytest

from handouts.content.resources import load_library


def test_loads_entries_with_lines(tmp_path):
    path = tmp_path / "resources.yaml"
    path.write_text("a-key:\n  title: T\n  url: https://www.example.org/a/\n  accessed: 2026-01-02\n")
    loaded = load_library(path)
    assert loaded.problems == ()
    entry = loaded.library.entries["a-key"]
    assert entry.line == 1
    assert entry.short_url == "example.org/a"


def test_entry_without_url_is_reported_and_blocked(tmp_path):
    path = tmp_path / "resources.yaml"
    path.write_text("good:\n  title: T\n  url: https://example.org\nbad:\n  title: No address\n")
    loaded = load_library(path)
    assert [(p.line, p.message) for p in loaded.problems] == [(4, "resource 'bad' has no url")]
    assert "good" in loaded.library.entries
    assert loaded.library.blocked("bad")
    assert not loaded.library.blocked("good")


def test_address_must_be_a_full_web_address(tmp_path):
    path = tmp_path / "resources.yaml"
    path.write_text("x:\n  title: T\n  url: nida.nih.gov\n")
    [problem] = load_library(path).problems
    assert problem.line == 3
    assert "not a full web address" in problem.message


@pytest.mark.parametrize("url", [
    "https://[::1/",  # urlsplit raised ValueError: a traceback, and no document built
    "https://x.org:port/",
    "https://x.org/\u202e/evil",  # a right-to-left override: the printed address reversed
    "https://x.org/\u200bpage",  # a zero-width space: the link is not what it says
    "https://x.org/\x1b[31m",  # a terminal escape
    "https://user@x.org/\npage",
])
def test_an_address_a_reader_cannot_see_or_follow_is_an_error_at_its_line(tmp_path, url):
    import json

    path = tmp_path / "resources.yaml"
    path.write_text("ok:\n  title: T\n  url: https://x.org/\nbad:\n  title: T\n"
                    f"  url: {json.dumps(url)}\n")
    loaded = load_library(path)
    [problem] = loaded.problems
    assert problem.line == 6 and "is not a full web address" in problem.message
    assert "ok" in loaded.library.entries and loaded.library.blocked("bad")


def test_malformed_file_blocks_every_key(tmp_path):
    path = tmp_path / "resources.yaml"
    path.write_text("x:\n  title: T\n url: broken indentation\n")
    loaded = load_library(path)
    [problem] = loaded.problems
    assert problem.line == 3 and problem.message.startswith("invalid YAML")
    assert not loaded.library.readable
    assert loaded.library.blocked("x")


def test_a_resource_says_its_language(tmp_path):
    from handouts.content.resources import load_library

    path = tmp_path / "resources.yaml"
    path.write_text("en-page:\n  title: T\n  url: https://example.org/a\n"
                    "es-page:\n  title: T\n  url: https://example.org/b\n  lang: es\n"
                    "bad:\n  title: T\n  url: https://example.org/c\n  lang: Spanish\n")
    loaded = load_library(path)
    assert loaded.library.entries["en-page"].lang == "en"
    assert loaded.library.entries["es-page"].lang == "es"
    [problem] = loaded.problems
    assert problem.line == 11 and "two-letter language code" in problem.message


@pytest.mark.parametrize("field, value", [("title", "[A, B]"), ("title", "{a: b}"),
                                          ("publisher", "[NIDA]"), ("url", "[x]"),
                                          ("title", "yes")])
def test_a_field_of_the_wrong_type_is_an_error_at_its_line(tmp_path, field, value):
    from handouts.content.resources import load_library

    entry = {"title": "T", "publisher": "P", "url": "https://example.org/", field: value}
    path = tmp_path / "resources.yaml"
    path.write_text("key:\n" + "".join(f"  {k}: {v}\n" for k, v in entry.items()))
    loaded = load_library(path)
    [problem] = loaded.problems
    line = 1 + 1 + list(entry).index(field)
    assert problem.line == line and problem.message == (
        f"resource 'key': '{field}' must be plain text, on one line")
    assert "key" not in loaded.library.entries
