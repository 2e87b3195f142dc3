"""A cache of validated content, so start-up skips TOML parsing and validation.

Keyed by the path, size and modification time of every content file and by the
dlquiz and Python versions; any change means a fresh load. The cache is
disposable: if it cannot be read or written, content is simply loaded again.

The file is a pickle (the fastest way back to 100k frozen dataclasses), so it is
never trusted: it lives in the data folder, which may be synced from elsewhere, and
unpickling calls whatever a file names. The key is a plain header compared before
anything is unpickled, and the unpickler may name only the classes a cache holds.
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
_MAGIC = b"dlquiz-cache 2 "  # then the key (64 hex digits), a newline and the pickle

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


def _unpickled(data: bytes, key: str) -> tuple[bool, Any]:
    """(True, the value) if ``data`` is a cache made under ``key``, else (False, None)."""
    header = _MAGIC + key.encode() + b"\n"
    if not data.startswith(header):
        return False, None
    stream = io.BytesIO(data)  # shares the bytes: no copy of a 10 MB cache
    stream.seek(len(header))
    return True, _Restricted(stream).load()


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
    except Exception:  # any unreadable, stale or refused cache is just a miss
        pass
    value = build()
    if not write:
        return value
    try:
        from dlquiz.safe_io import atomic_write, make_dirs

        make_dirs(cache_file.parent)  # may create the data folder: durably
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write(cache_file, _MAGIC + key.encode() + b"\n" + body)
    except (OSError, pickle.PicklingError, ValueError):
        pass  # a read-only data folder still works, just slower to start
    return value
