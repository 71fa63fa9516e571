"""filecache: one way to tell a file changed, and a reader that rereads only then."""

import os

from handouts.content.filecache import file_digest, reread_when_changed, stamp, stamp_or_none


def test_the_stamp_moves_when_the_file_is_rewritten(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("one")
    first = stamp(path)
    path.write_text("three")
    assert stamp(path) != first
    assert stamp_or_none(tmp_path / "missing.txt") is None


def test_the_digest_is_the_contents_sha256(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    assert file_digest(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_a_file_is_read_again_only_once_it_changed(tmp_path):
    path = tmp_path / "brand.yml"
    path.write_text("one")
    reads = []

    def load(where):
        reads.append(where)
        return where.read_text()

    cached = reread_when_changed(load)
    assert cached(path) == "one" and cached(path) == "one"
    assert len(reads) == 1
    path.write_text("two!")
    os.utime(path, ns=(1, 10**18))  # a different time as well as size
    assert cached(path) == "two!"
    assert len(reads) == 2


def test_a_digest_is_kept_only_while_the_file_is_unchanged(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    first = file_digest(path)
    times = path.stat()
    path.write_bytes(b"abd")  # the same size, and its old modification time put back
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert file_digest(path) != first
    assert file_digest(path) == "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9"
