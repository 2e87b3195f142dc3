"""Where dlquiz keeps things: small functions over platformdirs, with overrides.

Order of precedence for the data folder: ``--data-dir`` (passed in), then the
``DLQUIZ_HOME`` environment variable, then the platform's user data folder.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

ENV_HOME = "DLQUIZ_HOME"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the review log, the state and the user's decks."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path  # imported late: only needed without overrides

    return user_data_path("dlquiz", appauthor=False)


def decks_dir(home: Path) -> Path:
    """User decks: TOML files in the same format as the built-in content."""
    return home / "decks"


def builtin_content_dir() -> Path:
    """The content shipped with dlquiz.

    In a wheel it is packaged as ``dlquiz/_content``; in a source checkout
    (editable install, tests) it is the top-level ``content/`` folder.
    """
    here = Path(__file__).resolve().parent
    packaged = here / "_content"
    if packaged.is_dir():
        return packaged
    return here.parent / "content"


# What pathlib's exists(), is_file() and is_dir() take for "not there" rather than raise.
_NOT_THERE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def path_problem(path: Path) -> str | None:
    """Why a path the user gave cannot even be looked at (a name too long, a folder
    that may not be searched), or None: it is there, or plainly is not (which callers
    say in their own words). After None, exists(), is_file() and is_dir() do not raise."""
    try:
        path.stat()
    except OSError as exc:
        return None if exc.errno in _NOT_THERE else str(exc.strerror or exc)
    except ValueError:  # a NUL in the name: "not there" for pathlib too
        pass
    return None
