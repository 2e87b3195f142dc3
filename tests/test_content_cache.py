"""The content cache (``dlquiz.content_cache``) never runs, nor trusts, a planted file.

The cache is a pickle in the data folder, and a data folder may be synced from other
machines. A cache is read only if this machine sealed it (with a secret kept in the
user's config folder, which the tests point at a temporary folder): a file made or
altered elsewhere, even with a seal copied from a real cache, costs a fresh load and
nothing more. Behind the seal, the unpickler may name only the classes a cache holds.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from dlquiz import content_cache
from dlquiz.content_cache import cached, fingerprint, secret_path


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


def _parts(cache: Path) -> tuple[bytes, bytes]:
    """(the header line with its seal, the pickle) of a cache file."""
    header, _, body = cache.read_bytes().partition(b"\n")
    return header + b"\n", body


def test_a_sealed_cache_is_read_back(tmp_path: Path, roots: list[Path]) -> None:
    cache = tmp_path / "cache" / "c.pickle"
    assert cached(cache, roots, lambda: {"built": 1}) == {"built": 1}
    assert secret_path().is_file()
    assert secret_path().stat().st_mode & 0o777 == 0o600
    assert cached(cache, roots, lambda: {"built": 2}) == {"built": 1}
    (roots[0] / "a.toml").write_text("x = 22\n")  # the content changed: built again
    assert cached(cache, roots, lambda: {"built": 3}) == {"built": 3}


def test_a_body_swapped_under_a_copied_seal_runs_nothing(tmp_path: Path, roots: list[Path]) -> None:
    cache = tmp_path / "c.pickle"
    cached(cache, roots, lambda: "real")
    header, _ = _parts(cache)
    marker = tmp_path / "ran"
    payload = pickle.dumps(_Touch(marker), protocol=pickle.HIGHEST_PROTOCOL)
    pickle.loads(payload)  # the payload is live: plain unpickling runs it
    assert marker.exists()
    marker.unlink()

    # Whoever can write the synced folder can read the real cache's seal, and copy it.
    for body in (payload, pickle.dumps(7), pickle.dumps(("not", "content"))):
        cache.write_bytes(header + body)
        assert cached(cache, roots, lambda: "rebuilt") == "rebuilt"
        assert not marker.exists()
        assert _parts(cache)[1] == pickle.dumps("rebuilt", protocol=pickle.HIGHEST_PROTOCOL)


def test_a_cache_sealed_with_another_machines_secret_is_a_miss(
    tmp_path: Path, roots: list[Path]
) -> None:
    cache = tmp_path / "c.pickle"
    cached(cache, roots, lambda: "mine")
    body = pickle.dumps("theirs", protocol=pickle.HIGHEST_PROTOCOL)
    other = content_cache._seal(os.urandom(32), fingerprint(roots), body)
    cache.write_bytes(b"dlquiz-cache 3 " + other + b"\n" + body)
    assert cached(cache, roots, lambda: "rebuilt") == "rebuilt"


def test_even_a_sealed_cache_may_not_name_other_classes(tmp_path: Path, roots: list[Path]) -> None:
    """Behind the seal (a defence in depth): a method of an allowed class, written as the
    dotted name pickle uses for it, is refused."""
    marker = tmp_path / "ran"
    # STACK_GLOBAL pathlib / PosixPath.touch, then called with (marker,): by hand, since
    # pickle itself writes the method's owner as pathlib.Path.
    body = (
        b"\x80\x04"
        + pickle.dumps("pathlib", protocol=4)[2:-1]
        + pickle.dumps("PosixPath.touch", protocol=4)[2:-1]
        + b"\x93"
        + pickle.dumps((str(marker),), protocol=4)[2:-1]
        + b"R."
    )
    with pytest.raises(pickle.UnpicklingError, match=r"PosixPath\.touch"):
        content_cache._Restricted(__import__("io").BytesIO(body)).load()
    pickle.loads(body)  # the bytes are a live call when unpickled plainly
    assert marker.exists()
    marker.unlink()

    cache = tmp_path / "c.pickle"
    cached(cache, roots, lambda: 1)
    secret = content_cache._secret(create=False)
    assert secret is not None
    seal = content_cache._seal(secret, fingerprint(roots), body)
    cache.write_bytes(b"dlquiz-cache 3 " + seal + b"\n" + body)
    assert cached(cache, roots, lambda: 2) == 2
    assert not marker.exists()


def test_a_cache_of_the_first_release_runs_nothing_and_is_rebuilt(
    tmp_path: Path, roots: list[Path]
) -> None:
    # The first release's layout: one pickle of (key, value), unpickled whole to read
    # its key. Planted with a live payload, it ran that payload at the next start.
    marker = tmp_path / "ran"
    cache = tmp_path / "c.pickle"
    cache.write_bytes(pickle.dumps((fingerprint(roots), _Touch(marker))))
    assert cached(cache, roots, lambda: "new") == "new"
    assert not marker.exists()
    assert cached(cache, roots, lambda: "newer") == "new"


def test_a_damaged_secret_is_replaced_and_old_caches_miss(
    tmp_path: Path, roots: list[Path]
) -> None:
    cache = tmp_path / "c.pickle"
    cached(cache, roots, lambda: "first")
    secret_path().write_text("not a secret\n")
    assert cached(cache, roots, lambda: "second") == "second"  # unreadable seal: a miss
    assert len(secret_path().read_text().strip()) == 64  # a new secret was made
    assert cached(cache, roots, lambda: "third") == "second"


def test_read_only_use_never_makes_a_secret(tmp_path: Path, roots: list[Path]) -> None:
    secret_path().unlink(missing_ok=True)
    cache = tmp_path / "c.pickle"
    assert cached(cache, roots, lambda: "a", write=False) == "a"
    assert not secret_path().exists() and not cache.exists()


def test_no_config_folder_to_write_means_no_cache_not_an_error(
    tmp_path: Path, roots: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the config folder would be\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocked))
    cache = tmp_path / "c.pickle"
    assert cached(cache, roots, lambda: "a") == "a"
    assert not cache.exists()
    assert cached(cache, roots, lambda: "b") == "b"
