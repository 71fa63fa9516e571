"""The renderer may read only the project's own files: never the network,
never a file outside the allowed folders, whatever the path says. Tested
through the very fetcher WeasyPrint is given."""

import pytest

from handouts.render.fetcher import FetchRefused, FileAccess
from handouts.render.pdf import locked_fetcher


@pytest.fixture
def layout(tmp_path):
    allowed = tmp_path / "project" / "sources"
    (allowed / "images").mkdir(parents=True)
    (allowed / "images" / "box.svg").write_text("<svg/>")
    secret = tmp_path / "secret.txt"
    secret.write_text("patient list")
    (allowed / "images" / "escape.svg").symlink_to(secret)
    logo = tmp_path / "project" / "logo.svg"
    logo.write_text("<svg/>")
    fetcher = locked_fetcher(FileAccess(folders=(allowed,), files=(logo,)))
    return fetcher, allowed, secret, logo


def test_serves_files_inside_allowed_folders(layout):
    fetcher, allowed, _, logo = layout
    response = fetcher.fetch((allowed / "images" / "box.svg").as_uri())
    assert response.read() == b"<svg/>"
    assert response.content_type == "image/svg+xml"
    assert fetcher.fetch(logo.as_uri()).read() == b"<svg/>"
    assert fetcher.access.refused == []


def test_serves_data_urls(layout):
    fetcher = layout[0]
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x.png",
    "https://example.org/logo.png",
    "ftp://example.org/x",
])
def test_refuses_the_network(layout, url):
    fetcher = layout[0]
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    assert fetcher.access.refused == [url]


def test_refuses_files_elsewhere(layout):
    fetcher, _, secret, _ = layout
    with pytest.raises(FetchRefused):
        fetcher.fetch(secret.as_uri())
    with pytest.raises(FetchRefused):
        fetcher.fetch("file:///etc/passwd")


def test_refuses_traversal(layout):
    fetcher, allowed, _, _ = layout
    with pytest.raises(FetchRefused):
        fetcher.fetch(allowed.as_uri() + "/images/../../../secret.txt")
    with pytest.raises(FetchRefused):
        fetcher.fetch(allowed.as_uri() + "/images/%2e%2e/%2e%2e/%2e%2e/secret.txt")


def test_refuses_symlink_escapes(layout):
    fetcher, allowed, _, _ = layout
    with pytest.raises(FetchRefused):
        fetcher.fetch((allowed / "images" / "escape.svg").as_uri())


def test_refuses_files_on_other_hosts(layout):
    fetcher, allowed, _, _ = layout
    with pytest.raises(FetchRefused):
        fetcher.fetch("file://fileserver" + str(allowed / "images" / "box.svg"))
