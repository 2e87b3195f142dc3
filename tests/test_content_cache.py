"""The content cache (``dlquiz.content_cache``) never runs what a planted file names.

The cache is a pickle in the data folder, and a data folder may be synced from other
machines: a file made to run code when unpickled must be refused, and cost no more
than a fresh load.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from dlquiz.content_cache import cached, fingerprint


class _Touch:
    """Unpickled, calls ``Path.touch(marker)``: a stand-in for any code a file could run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


@pytest.fixture
def roots(tmp_path: Path) -> list[Path]:
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.toml").write_text("x = 1\n")
    return [content]


def _with_header(key: str, body: bytes) -> bytes:
    return b"dlquiz-cache 2 " + key.encode() + b"\n" + body


@pytest.mark.parametrize("layout", ["header", "first release"])
def test_a_planted_cache_with_the_right_key_runs_nothing(
    tmp_path: Path, roots: list[Path], layout: str
) -> None:
    marker = tmp_path / "ran"
    payload = pickle.dumps(_Touch(marker), protocol=pickle.HIGHEST_PROTOCOL)
    pickle.loads(payload)  # the payload is live: plain unpickling runs it
    assert marker.exists()
    marker.unlink()

    cache = tmp_path / "cache" / "c.pickle"
    cache.parent.mkdir()
    key = fingerprint(roots)
    if layout == "header":
        cache.write_bytes(_with_header(key, payload))
    else:  # the first release's layout, which unpickled the whole file to read its key
        cache.write_bytes(pickle.dumps((key, _Touch(marker)), protocol=pickle.HIGHEST_PROTOCOL))
    assert cached(cache, roots, lambda: {"built": True}) == {"built": True}
    assert not marker.exists()
    # Replaced by a cache of what was built, read back as such.
    assert cached(cache, roots, lambda: {"built": "again"}) == {"built": True}


def test_a_cache_naming_a_method_of_an_allowed_class_is_refused(
    tmp_path: Path, roots: list[Path]
) -> None:
    marker = tmp_path / "ran"

    class _Method:
        def __reduce__(self) -> tuple[Any, ...]:
            # pathlib.PosixPath is allowed; "PosixPath.touch" (a dotted name) is not.
            return (type(marker).touch, (marker,))

    cache = tmp_path / "c.pickle"
    cache.write_bytes(_with_header(fingerprint(roots), pickle.dumps(_Method(), protocol=4)))
    assert cached(cache, roots, lambda: 7) == 7
    assert not marker.exists()


def test_a_cache_of_the_first_release_is_rebuilt(tmp_path: Path, roots: list[Path]) -> None:
    # The earlier format: one pickle of (key, value), no header.
    cache = tmp_path / "c.pickle"
    cache.write_bytes(pickle.dumps((fingerprint(roots), "old"), protocol=pickle.HIGHEST_PROTOCOL))
    assert cached(cache, roots, lambda: "new") == "new"
    assert cached(cache, roots, lambda: "newer") == "new"


def test_a_cache_made_under_another_key_is_never_unpickled(
    tmp_path: Path, roots: list[Path]
) -> None:
    marker = tmp_path / "ran"
    cache = tmp_path / "c.pickle"
    # Only the key header is compared: the body (here, a live payload) is never read.
    cache.write_bytes(_with_header("0" * 64, pickle.dumps(_Touch(marker))))
    assert cached(cache, roots, lambda: 1) == 1
    assert not marker.exists()
