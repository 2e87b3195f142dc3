"""A cache of validated content, so start-up skips TOML parsing and validation.

Keyed by the path, size and modification time of every content file and by the
dlquiz and Python versions; any change means a fresh load. The cache is
disposable: if it cannot be read or written, content is simply loaded again.

The file is a pickle (the fastest way back to 100k frozen dataclasses), so it is
never trusted: it lives in the data folder, which may be synced from elsewhere, and
unpickling calls whatever a file names. A cache is read only if it is sealed with
this machine's secret (``cache-key`` in the user's config folder, never in the data
folder): a file made or altered anywhere else is a miss, never unpickled. Then the
unpickler may still name only the classes a cache holds.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from dlquiz import __version__

T = TypeVar("T")
MAX_CACHE_BYTES = 256 << 20
_MAGIC = b"dlquiz-cache 3 "  # then the seal (64 hex digits), a newline and the pickle
SECRET_NAME = "cache-key"

# Every class a cache may name (by module and exact name: "Path.touch" is refused).
ALLOWED_CLASSES = frozenset(
    {
        ("dlquiz.content", "Content"),
        ("dlquiz.content", "Term"),
        ("dlquiz.content", "Concept"),
        ("dlquiz.content", "Problem"),
        ("dlquiz.cards", "CardSpec"),
        ("dlquiz.cards", "Kind"),
        ("pathlib", "PosixPath"),
        ("pathlib", "WindowsPath"),
    }
)


class _Restricted(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_CLASSES:
            raise pickle.UnpicklingError(f"a cache may not name {module}.{name}")
        return super().find_class(module, name)


def secret_path() -> Path:
    from platformdirs import user_config_path  # late: as for the device id

    return user_config_path("dlquiz", appauthor=False) / SECRET_NAME


def _secret(create: bool) -> bytes | None:
    """This machine's cache secret; made on first use if ``create`` (else None)."""
    from dlquiz.safe_io import atomic_write, make_dirs, read_regular

    path = secret_path()
    try:
        text = read_regular(path, 1024).decode("ascii").strip()
        if len(text) == 64:
            return bytes.fromhex(text)
    except (OSError, ValueError):  # missing, damaged or not a file: made if we may
        pass
    if not create:
        return None
    try:
        make_dirs(path.parent)
        atomic_write(path, os.urandom(32).hex().encode() + b"\n")
        os.chmod(path, 0o600)  # the user's own, as a secret should be
        return _secret(create=False)  # as written (a racing process's, if it won)
    except OSError:
        return None  # no config folder to write: no cache, content is loaded each start


def _seal(secret: bytes, key: str, body: bytes) -> bytes:
    """Keyed with the secret, over the content's key and the pickle (sha256 first: the
    fastest pass over a 10 MB cache here)."""
    inner = hashlib.sha256(key.encode() + b"\n" + body).digest()
    return hashlib.blake2b(inner, key=secret, digest_size=32).hexdigest().encode()


def _unpickled(data: bytes, key: str) -> tuple[bool, Any]:
    """(True, the value) if ``data`` is a cache this machine sealed under ``key``, else
    (False, None): nothing is unpickled."""
    if not data.startswith(_MAGIC):
        return False, None
    seal, _, body = data[len(_MAGIC) :].partition(b"\n")
    secret = _secret(create=False)
    if secret is None or seal != _seal(secret, key, body):
        return False, None
    return True, _Restricted(io.BytesIO(body)).load()


def fingerprint(roots: list[Path], pattern: str = "*.toml") -> str:
    """The key of ``roots``: every file matching ``pattern`` (path, size, mtime), and the
    dlquiz and Python versions."""
    digest = hashlib.sha256(f"{__version__}|{sys.version}".encode())
    for root in roots:
        files = [root] if root.is_file() else sorted(root.rglob(pattern)) if root.is_dir() else []
        # Paths as the bytes the OS gave (os.fsencode): a folder name that is not
        # valid UTF-8 arrives with surrogate escapes, which str.encode() refuses.
        digest.update(b"root:" + os.fsencode(root))
        for path in files:
            try:
                st = path.stat()
            except OSError:
                continue
            digest.update(os.fsencode(path) + f"|{st.st_size}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def cached(
    cache_file: Path,
    roots: list[Path],
    build: Callable[[], T],
    write: bool = True,
    pattern: str = "*.toml",
) -> T:
    """``build()``'s result, from ``cache_file`` when ``roots`` (their files matching
    ``pattern``) have not changed.

    ``write=False`` never touches the disk (read-only commands).
    """
    from dlquiz.safe_io import read_regular

    key = fingerprint(roots, pattern)
    try:
        # Never a FIFO or device (it would block or never end), never a huge file.
        found, value = _unpickled(read_regular(cache_file, MAX_CACHE_BYTES), key)
        if found:
            return value  # type: ignore[no-any-return]  # pickle is untyped; keyed
    except Exception:  # any unreadable, stale, unsealed or refused cache is just a miss
        pass
    value = build()
    if not write:
        return value
    try:
        from dlquiz.safe_io import atomic_write, make_dirs

        secret = _secret(create=True)
        if secret is None:
            return value
        make_dirs(cache_file.parent)  # may create the data folder: durably
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write(cache_file, _MAGIC + _seal(secret, key, body) + b"\n" + body)
    except (OSError, pickle.PicklingError, ValueError):
        pass  # a read-only data folder still works, just slower to start
    return value
