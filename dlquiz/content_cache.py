"""A cache of validated content, so start-up skips TOML parsing and validation.

Keyed by the path, size and modification time of every content file and by the
dlquiz and Python versions; any change means a fresh load. The cache is
disposable: if it cannot be read or written, content is simply loaded again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from dlquiz import __version__

T = TypeVar("T")
MAX_CACHE_BYTES = 256 << 20


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
        stored_key, value = pickle.loads(read_regular(cache_file, MAX_CACHE_BYTES))
        if stored_key == key:
            return value  # type: ignore[no-any-return]  # pickle is untyped; keyed
    except Exception:  # any unreadable or stale cache is just a miss
        pass
    value = build()
    if not write:
        return value
    try:
        from dlquiz.safe_io import atomic_write, make_dirs

        make_dirs(cache_file.parent)  # may create the data folder: durably
        atomic_write(cache_file, pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, pickle.PicklingError, ValueError):
        pass  # a read-only data folder still works, just slower to start
    return value
