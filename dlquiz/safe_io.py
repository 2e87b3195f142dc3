"""File writes and reads that never trust what is already on disk.

* ``atomic_write``: replace a file dlquiz owns (temp file, fsync, rename, fsync
  the folder). Its temp files carry dlquiz's own prefix and the writer's pid, so
  a later start deletes only temp files dlquiz made (``is_own_temp``).
* ``write_output``: a file the user named (an export). A regular or absent file
  is replaced atomically; a symlink is written through at its resolved target;
  a terminal, character device or FIFO is written into as it is; anything else
  is refused. Never ``os.replace`` over something that is not a regular file.
* ``read_regular``: read a file only if it is a regular file (not a symlink, a
  FIFO or a device) and not larger than a cap.
* ``fsync_dir`` / ``make_dirs``: make new names durable (a new file's name
  survives power loss only once its folder is fsynced).
* ``folder_lock``: one writer at a time in a folder (e.g. imports into decks/),
  with no lock file left beside the user's files.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

TEMP_PREFIX = ".dlq-"
TEMP_SUFFIX = ".tmp"
# .dlq-<target>.<pid>.<16 hex>.tmp : nothing else matches, so nothing else is deleted.
_OWN_TEMP = re.compile(r"\.dlq-(?P<target>.+)\.(?P<pid>[0-9]{1,10})\.[0-9a-f]{16}\.tmp")


class OutputRefused(Exception):
    """A target dlquiz will not write to; the message says why in one sentence."""


class NotRegularFile(OSError):
    """A file that should be a regular file is a symlink, FIFO, device, folder or too big."""


def _current_umask() -> int:
    # Read once at import: os.umask is process-wide, so toggling it from a
    # writer thread could race with files created elsewhere.
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def fsync_dir(folder: Path) -> None:
    """Make the names in ``folder`` durable (not possible on every platform)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_dirs(folder: Path) -> None:
    """``mkdir -p`` whose new folders survive power loss: each parent is fsynced."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path)
        except FileExistsError:
            if not path.is_dir():
                raise
            continue
        fsync_dir(path.parent)
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder))


def temp_name(target: str) -> str:
    # os.urandom, as secrets.token_hex, without importing secrets (hmac, OpenSSL) at start.
    return f"{TEMP_PREFIX}{target}.{os.getpid()}.{os.urandom(8).hex()}{TEMP_SUFFIX}"


def is_own_temp(name: str) -> bool:
    """Whether ``name`` is a temp file of ``atomic_write`` (and so safe to delete)."""
    return _OWN_TEMP.fullmatch(name) is not None


def own_temp_pid(name: str) -> int | None:
    """The pid of the process that made a temp file of ``atomic_write``, or None."""
    match = _OWN_TEMP.fullmatch(name)
    return int(match.group("pid")) if match else None


def atomic_write(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Replace ``path`` with ``data`` (bytes, or blocks of them: a large copy is never
    held whole) so that a crash leaves the old or the new file.

    An error names ``path`` (never the random temp name), so the same failure
    always reads the same.
    """
    tmp = path.with_name(temp_name(path.name))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666 & ~_UMASK)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        try:
            for block in [data] if isinstance(data, bytes) else data:
                _write_all(fd, block)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    fsync_dir(path.parent)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _is_stream(mode: int) -> bool:
    """A terminal, character device or FIFO: written into, never replaced."""
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _write_into(path: Path, data: bytes) -> None:
    """Write into an existing terminal, character device or FIFO, without replacing it."""
    try:
        # O_NONBLOCK: a FIFO with no reader fails at once (ENXIO) instead of hanging.
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OutputRefused(f"{path} is a pipe with no reader") from None
        raise
    try:
        st = os.fstat(fd)
        if not _is_stream(st.st_mode):
            raise OutputRefused(f"{path} changed while it was being opened; nothing written")
        os.set_blocking(fd, True)
        _write_all(fd, data)
    finally:
        os.close(fd)


def write_output(path: Path, data: bytes, stdout: BinaryIO | None = None) -> None:
    """Write an export to ``path`` (``-`` means standard output) without replacing
    anything that is not a regular file. ``OutputRefused`` says why a target is refused."""
    if str(path) == "-":
        out = stdout if stdout is not None else sys.stdout.buffer
        out.write(data)
        out.flush()
        return
    target = path
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        try:
            followed = os.stat(path)  # the kernel follows it (right for /proc/self/fd/N too)
        except FileNotFoundError:
            followed = None
        if followed is not None and _is_stream(followed.st_mode):
            _write_into(path, data)
            return
        # Written through: the link (e.g. into a synced folder) stays a link.
        target = Path(os.path.realpath(path))
        st = followed
        if st is None and not target.parent.is_dir():
            raise OutputRefused(f"{path} is a link to {target}, whose folder does not exist")
    if st is None or stat.S_ISREG(st.st_mode):
        atomic_write(target, data)
        return
    if _is_stream(st.st_mode):
        _write_into(target, data)
        return
    kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
    raise OutputRefused(f"{path} is {kind}; give the name of a file to write")


def read_regular(path: Path, max_bytes: int, follow_links: bool = False) -> bytes:
    """The bytes of ``path``, refused (``NotRegularFile``) unless it is a regular file
    (a symlink, FIFO, device or folder is refused without blocking) of at most
    ``max_bytes``. ``follow_links``: a symlink to a regular file is read (a user's own
    file linked in, such as a deck). ``FileNotFoundError`` when it is missing."""
    nofollow = 0 if follow_links else os.O_NOFOLLOW
    try:
        fd = os.open(path, os.O_RDONLY | nofollow | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(errno.ELOOP, "is a symbolic link", str(path)) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(errno.EINVAL, "is not a regular file", str(path))
        if st.st_size > max_bytes:
            raise NotRegularFile(
                errno.EFBIG, f"is larger than {max_bytes // (1 << 20)} MiB", str(path)
            )
        chunks: list[bytes] = []
        left = max_bytes + 1  # one byte more than allowed tells a growing file
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise NotRegularFile(
                errno.EFBIG, f"is larger than {max_bytes // (1 << 20)} MiB", str(path)
            )
        return data
    finally:
        os.close(fd)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` itself (made if missing), waiting for the
    holder to finish. On the folder, not on a file in it: nothing is left beside the
    user's files, nor carried by a sync tool to another machine."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
