"""The state on disk: an append-only review log, a derived state file, a lock.

Files in the data folder:

``reviews.jsonl``  one JSON record per line, appended and fsynced before the UI
                   moves on. The source of truth; never rewritten.
``state.json``     schema version, the log size it reflects, and every card's
                   state. Derived from the log, written atomically off the UI
                   thread. If it lags behind the log (a crash between the two
                   writes) the missing tail is replayed; if it is missing or
                   damaged it is rebuilt from the whole log and the damaged file
                   is kept aside.
``settings.json``  the user's settings, kept apart from the derived state so a
                   damaged state file can never lose them.
``dlquiz.lock``    held while an instance runs, so a second one cannot write.

Nothing read here is trusted: the lock is never opened through a link or on a
pipe or device, state.json and settings.json are read only as regular files of
bounded size, and a damaged file is kept aside, never deleted. If the log is
shorter than state.json says (emptied, cut, an older copy put back), the state
knows more: it is kept and used, a copy is kept beside it, and the user is told.
New names (the log, the data folder) are fsynced into their folders before an
answer is acknowledged.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dlquiz import records
from dlquiz.history import apply_record
from dlquiz.records import SCHEMA_VERSION, UNKNOWN, Marks, Record
from dlquiz.safe_io import (
    atomic_write,
    fsync_dir,
    make_dirs,
    own_temp_pid,
    read_regular,
)
from dlquiz.scheduler import CardState
from dlquiz.settings import Settings
from dlquiz.settings import from_json as settings_from_json

LOG_NAME = "reviews.jsonl"
STATE_NAME = "state.json"
SETTINGS_NAME = "settings.json"
LOCK_NAME = "dlquiz.lock"

# Files larger than these are refused unread (a link to an endless device, a mistake).
MAX_STATE_BYTES = 512 << 20  # ~5M cards
MAX_SETTINGS_BYTES = 1 << 20
# How many records older than "today" records_since reads past before it stops: the
# clock may have been set back, so one older record does not end today.
OLDER_RUN_TO_STOP = 256
# Temp files of the atomic writes of dlquiz before 0.2 (tempfile.mkstemp's pattern).
_LEGACY_TEMP = re.compile(r"\.(state|settings)\.json\.[A-Za-z0-9_]{1,16}\.tmp")


class StoreError(Exception):
    """A problem with the data folder that the user must hear about."""


class AlreadyRunning(StoreError):
    pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but not ours to signal
    return True


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def keep_aside(path: Path, why: str) -> Path:
    """Rename a damaged file out of the way (never delete a user's data)."""
    target = path.with_name(f"{path.name}.{why}-{_stamp()}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.{why}-{_stamp()}-{n}")
        n += 1
    os.replace(path, target)
    fsync_dir(path.parent)
    return target


@dataclass
class LogScan:
    records: list[Record] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # 1-based line number of each record
    bad_lines: list[int] = field(default_factory=list)  # 1-based line numbers
    end: int = 0  # byte offset after the last complete line


def _scan(data: bytes) -> LogScan:
    scan = LogScan()
    pos = 0
    line_no = 1
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            break  # incomplete last line: handled by the caller
        raw = data[pos:nl]
        pos = nl + 1
        if raw.strip():
            record = records.decode(raw)
            if record is None:
                scan.bad_lines.append(line_no)
            elif record is not UNKNOWN:
                assert not isinstance(record, records.Unknown)
                scan.records.append(record)
                scan.lines.append(line_no)
        line_no += 1
    scan.end = pos
    return scan


class ReviewLog:
    """Append-only JSON-lines log with fsync on every append."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def complete_size(self) -> int:
        """The size, counting the newline a complete last record may lack (the writer
        adds it on open; a read-only reader only counts it)."""
        size = self.size()
        if size == 0:
            return 0
        try:
            fd = self._open_read()
        except FileNotFoundError:
            return 0
        with os.fdopen(fd, "rb") as handle:
            handle.seek(max(0, size - records.MAX_LINE_BYTES - 1))
            block = handle.read()
        if block.endswith(b"\n"):
            return size
        tail = block[block.rfind(b"\n") + 1 :]
        record = records.decode(tail)
        return size + 1 if record is not None else size

    def _open_read(self) -> int:
        """A read descriptor of the log, refused (StoreError) unless a regular file:
        a FIFO or a device in its place would block or never end."""
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StoreError(
                f"{self.path} is not a regular file (a pipe, device or folder); move it away "
                "and start again."
            )
        return fd

    def read_from(self, offset: int = 0) -> LogScan:
        """Records from byte ``offset`` to the end: complete lines, and a complete last
        record whose newline is missing (the writer adds it; readers must see it too)."""
        try:
            fd = self._open_read()
        except FileNotFoundError:
            return LogScan(end=offset)
        with os.fdopen(fd, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
        scan = _scan(data)
        tail = data[scan.end :]
        if tail.strip():
            record = records.decode(tail)
            if record is not None and not isinstance(record, records.Unknown):
                scan.records.append(record)
                scan.lines.append(data.count(b"\n", 0, scan.end) + 1)
                scan.end = len(data)
        scan.end += offset
        return scan

    def salvage_partial_tail(self) -> Path | None:
        """Move a half-written last line (a crash mid-append) aside and cut it off.

        Without this, the next append would be glued onto the broken line and
        damage a good record too.
        """
        size = self.size()
        if size == 0:
            return None
        with self.path.open("rb+") as handle:
            # Find the last newline by reading backwards in chunks.
            pos = size
            chunk = 1 << 16
            last_nl = -1
            while pos > 0 and last_nl < 0:
                start = max(0, pos - chunk)
                handle.seek(start)
                block = handle.read(pos - start)
                idx = block.rfind(b"\n")
                if idx >= 0:
                    last_nl = start + idx
                pos = start
            cut = last_nl + 1
            if cut == size:
                return None
            handle.seek(cut)
            tail = handle.read()
            if records.decode(tail) is not None:
                # complete, only its newline is missing: finish the line
                handle.seek(size)
                handle.write(b"\n")
                handle.flush()
                os.fsync(handle.fileno())
                return None
            aside = self.path.with_name(f"{self.path.name}.partial-{_stamp()}")
            atomic_write(aside, tail)  # durable before the log is cut
            handle.truncate(cut)
            handle.flush()
            os.fsync(handle.fileno())
        return aside

    def append(self, record: Record) -> int:
        """Write one record durably; returns the log size after it.

        Unbuffered, and all or nothing: if the write or the fsync fails, the file
        is cut back to where it was, so a failed answer can never reach the log
        later on (a buffered file would write it with the next append).
        """
        line = records.encode(record)
        if self._fd is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
            try:
                self._fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                self._fd = os.open(self.path, flags)
            else:
                # A new name survives power loss only once its folder is fsynced.
                fsync_dir(self.path.parent)
            if not stat.S_ISREG(os.fstat(self._fd).st_mode):
                self.close()
                raise OSError(errno.EINVAL, "not a regular file", str(self.path))
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view) :]
            os.fsync(self._fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            self.close()
            raise
        return start + len(line)

    def records_since(self, moment: datetime) -> list[Record]:
        """Records whose time is at or after ``moment``, reading backwards from the end.

        Costs what today's records cost, not the whole history.
        """
        size = self.size()
        if size == 0:
            return []
        cutoff = moment.astimezone(UTC)
        found: list[Record] = []
        older_run = 0
        try:
            fd = self._open_read()
        except FileNotFoundError:
            return []
        with os.fdopen(fd, "rb") as handle:
            pos = size
            carry = b""
            while pos > 0:
                start = max(0, pos - (1 << 16))
                handle.seek(start)
                block = handle.read(pos - start) + carry
                pos = start
                lines = block.split(b"\n")
                carry = lines.pop(0) if start > 0 else b""
                for raw in reversed(lines):
                    if not raw.strip():
                        continue
                    record = records.decode(raw)
                    if record is None or isinstance(record, records.Unknown):
                        continue  # damaged (the store reports those) or from a newer dlquiz
                    if record.time < cutoff:
                        # Older than today, but the clock may have been set back: stop
                        # only after a long run of older records.
                        older_run += 1
                        if older_run >= OLDER_RUN_TO_STOP:
                            found.reverse()
                            return found
                        continue
                    older_run = 0
                    found.append(record)
        found.reverse()
        return found

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


class _StateWriter:
    """One background thread that writes the state file when it is out of date.

    The UI thread only marks the state dirty (microseconds); this thread takes
    the snapshot and serialises it. Writes are spaced at least ``min_interval``
    apart: serialising 10k cards holds the GIL ~12 ms, and the log already has
    every answer (a stale state file is caught up from it on the next start).
    """

    def __init__(self, save: Any, min_interval: float = 2.0) -> None:
        self._save = save
        self._min_interval = min_interval
        self._cond = threading.Condition()
        self._dirty = False
        self._busy = False
        self._urgent = False
        self._closed = False
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dlquiz-state-writer", daemon=True)
        self._thread.start()

    def mark_dirty(self) -> None:
        with self._cond:
            self._dirty = True
            self._cond.notify_all()

    def flush(self, timeout: float = 30.0) -> None:
        """Write now if anything is pending, and wait until it is on disk."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._urgent = True
            self._cond.notify_all()
            while self._dirty or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)

    def close(self) -> None:
        self.flush()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _wait_for_work(self, last_write: float) -> bool:
        """Block until a write is due; False when closed with nothing left to write."""
        with self._cond:
            while True:
                if not self._dirty:
                    if self._closed:
                        return False
                    self._cond.wait()
                    continue
                wait = last_write + self._min_interval - time.monotonic()
                if wait <= 0 or self._urgent or self._closed:
                    break
                self._cond.wait(wait)
            self._dirty = False
            self._busy = True
            self._urgent = False
            return True

    def _run(self) -> None:
        last_write = -float("inf")
        while self._wait_for_work(last_write):
            try:
                self._save()
                self.error = None
            except BaseException as exc:  # reported to the UI; the log still has everything
                self.error = exc
            finally:
                last_write = time.monotonic()
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


class Store:
    """The data folder of one dlquiz user. Open it, use it, close it."""

    def __init__(self, home: Path, read_only: bool = False) -> None:
        """``read_only`` opens without the lock and never writes: for commands such as
        ``dlquiz stats`` that may run while the app is open in another terminal."""
        self.home = home
        self.read_only = read_only
        self.log = ReviewLog(home / LOG_NAME)
        self.state_path = home / STATE_NAME
        self.settings_path = home / SETTINGS_NAME
        # What was loaded, until the owner takes it (``take_state``): from then on
        # the owner (``dlquiz.study.Study``) holds the only live copy.
        self._cards: dict[str, CardState] = {}
        self._marks: dict[str, Marks] = {}
        self._snapshot: Callable[[], tuple[dict[str, CardState], dict[str, Marks]]] | None = None
        self.settings = Settings()
        self.notices: list[str] = []  # what the user must be told about this start
        self._lock_handle: int | None = None
        self._writer: _StateWriter | None = None
        self._log_size = 0
        self._mutex = threading.Lock()  # append + apply vs the writer's snapshot

    # ----- opening -----------------------------------------------------------------

    def open(self) -> Store:
        if self.read_only:
            self._load()
            return self
        try:
            make_dirs(self.home)  # each new folder fsynced into its parent
            # Also when something else made it just before (the content cache): the
            # first answer must not vanish with a folder name that never reached disk.
            fsync_dir(self.home.parent)
        except OSError as exc:
            raise StoreError(f"cannot create the data folder {self.home}: {exc.strerror}") from exc
        self._acquire_lock()
        try:
            self._remove_stray_temp_files()
            self._load()
        except BaseException:
            self._release_lock()
            raise
        return self

    def take_state(
        self, snapshot: Callable[[], tuple[dict[str, CardState], dict[str, Marks]]]
    ) -> tuple[dict[str, CardState], dict[str, Marks]]:
        """Hand the loaded state to its owner, who from now on holds the only copy.

        ``snapshot`` returns copies of the owner's cards and marks; the background
        writer calls it (under the append lock) whenever the state file is due.
        """
        cards, marks = self._cards, self._marks
        self._cards, self._marks = {}, {}
        self._snapshot = snapshot
        if not self.read_only and self._writer is None:
            self._writer = _StateWriter(self._save_snapshot)
        return cards, marks

    def _load(self) -> None:
        try:
            self._load_settings()
            self._load_state()
        except OSError as exc:  # e.g. a folder where a file should be, or a full disk
            where = exc.filename or self.home
            raise StoreError(f"cannot use {where}: {exc.strerror or exc}") from exc

    def _remove_stray_temp_files(self) -> None:
        """Temp files of atomic writes cut short by a crash: only names of dlquiz's own
        pattern, and only those whose writer is gone (never the user's ``*.tmp``)."""
        for stray in self.home.iterdir():
            pid = own_temp_pid(stray.name)
            if pid is None and not _LEGACY_TEMP.fullmatch(stray.name):
                continue
            if pid is not None and _alive(pid):
                continue  # e.g. an export into this folder, still being written
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(stray).st_mode):
                    stray.unlink()

    def _acquire_lock(self) -> None:
        """Take the lock file: never through a link, never on a pipe or device, and
        never truncating a file that does not look like dlquiz's own."""
        path = self.home / LOCK_NAME
        flags = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        created = False
        try:
            try:
                fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o666)
                created = True
            except FileExistsError:
                fd = os.open(path, flags)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StoreError(
                    f"{path} is a symbolic link; dlquiz will not write through it. "
                    "Remove it and start again."
                ) from None
            raise StoreError(f"cannot open {path}: {exc.strerror}") from exc
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise StoreError(
                    f"{path} is not a regular file (a pipe or device); remove it and start again."
                )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                raise AlreadyRunning(
                    f"dlquiz is already running with this data folder ({self.home}, pid "
                    f"{holder if holder.isdigit() else 'unknown'}). "
                    "Close it first: only one instance may write the review log."
                ) from None
            if created:
                fsync_dir(self.home)
            # The pid is for the message above. Written only into a file that looks
            # like ours: small, one link, holding a pid or nothing.
            old = os.pread(fd, 33, 0).strip()
            if st.st_nlink == 1 and len(old) <= 32 and (old.isdigit() or not old):
                try:
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, str(os.getpid()).encode(), 0)
                except OSError as exc:
                    raise StoreError(
                        f"cannot write in the data folder {self.home}: {exc.strerror}. "
                        "Free some space or fix its permissions."
                    ) from None
        except BaseException:
            os.close(fd)
            raise
        self._lock_handle = fd

    def _release_lock(self) -> None:
        if self._lock_handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
            with contextlib.suppress(OSError):
                os.close(self._lock_handle)
            self._lock_handle = None

    def _load_settings(self) -> None:
        if not os.path.lexists(self.settings_path):
            return
        try:
            raw = read_regular(self.settings_path, MAX_SETTINGS_BYTES)
            self.settings = settings_from_json(raw)
        except (ValueError, OSError) as exc:  # pydantic's ValidationError is a ValueError
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if self.read_only:
                self.notices.append(f"settings.json could not be read ({first}); defaults used.")
                return
            aside = keep_aside(self.settings_path, "damaged")
            self.notices.append(
                f"settings.json could not be read ({first}); defaults are in use. "
                f"The old file is kept as {aside.name}."
            )

    def _load_state(self) -> None:
        aside = None if self.read_only else self.log.salvage_partial_tail()
        if aside is not None:
            self.notices.append(
                "The last line of the review log was half-written (dlquiz was stopped while "
                "saving an answer). That answer was not recorded; its bytes are kept in "
                f"{aside.name}."
            )
        payload = self._read_state_file()
        # Measured after reading state.json: a read-only reader may run beside the
        # app, whose log only grows; the other order could see the state ahead.
        log_size = self.log.complete_size()
        if payload is not None:
            cards, marks, reflected = payload
            if reflected <= log_size:
                tail = self.log.read_from(reflected)
                for record in tail.records:
                    apply_record(cards, marks, record)
                if not tail.bad_lines:
                    self._cards, self._marks = cards, marks
                    self._log_size = tail.end
                    if tail.records and not self.read_only:
                        self._write_state(cards, marks, tail.end)
                    return
                # A damaged line after what state.json covers: rebuild, which says
                # which lines were skipped; state.json itself was fine.
            else:
                self._keep_state_over_short_log(cards, marks, reflected, log_size)
                return
        self.rebuild()

    def _keep_state_over_short_log(
        self, cards: dict[str, CardState], marks: dict[str, Marks], reflected: int, size: int
    ) -> None:
        """The log is shorter than the state says (emptied, cut, or an older copy put back).

        The log is the source of truth, but one that lost its content must not throw
        away schedules the state still knows: the state is kept and used, a copy of
        it is kept beside it, and the user is told. The review history that was in
        the lost part of the log is gone from statistics; nothing else is.
        """
        note = (
            f"reviews.jsonl is shorter than state.json expects ({size} bytes, not {reflected}): "
            "part of your review history is missing from the log. Your cards' schedules "
            "were kept from state.json"
        )
        if self.read_only:
            self.notices.append(note + ".")
        else:
            copy = self.state_path.with_name(f"{STATE_NAME}.before-short-log-{_stamp()}")
            atomic_write(copy, read_regular(self.state_path, MAX_STATE_BYTES))
            self.notices.append(
                f"{note}; a copy of it is kept as {copy.name}. If you have a fuller copy of "
                "reviews.jsonl, close dlquiz and put it back."
            )
        tail = self.log.read_from(0)  # the short log's records are older than the state
        self._cards, self._marks = cards, marks
        self._log_size = tail.end
        if not self.read_only:
            self._write_state(cards, marks, tail.end)

    def _read_state_file(
        self,
    ) -> tuple[dict[str, CardState], dict[str, Marks], int] | None:
        """The state file's cards, marks and log size, or None if missing or damaged."""
        if not os.path.lexists(self.state_path):
            if self.log.size() > 0:
                self.notices.append("state.json was missing; it was rebuilt from the review log.")
            return None
        try:
            # Type and size checked before a byte is read: a FIFO would block, a
            # link to an endless device would never end.
            raw = read_regular(self.state_path, MAX_STATE_BYTES)
            try:
                version = records.state_head_decoder.decode(raw).schema_version
            except RecursionError as exc:
                raise ValueError("nested too deeply") from exc
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.state_path} was written by a newer dlquiz (schema {version}, "
                    f"this one knows {SCHEMA_VERSION}). Upgrade dlquiz to use this data folder."
                )
            # Freezing the collector during a bulk load avoids repeated full scans of
            # the objects being created (several times faster at 100k cards).
            gc.disable()
            try:
                data = records.state_decoder.decode(raw)
            except RecursionError as exc:
                raise ValueError("nested too deeply") from exc
            finally:
                gc.enable()
            cards, marks, log_size = data.cards, data.marks, data.log_size
        except StoreError:
            raise
        except (records.DecodeError, ValueError, OSError) as exc:
            if self.read_only:
                self.notices.append(f"state.json is damaged ({exc}); read from the log instead.")
                return None
            aside = keep_aside(self.state_path, "damaged")
            self.notices.append(
                f"state.json was damaged ({type(exc).__name__}: {exc}); it was rebuilt from the "
                f"review log, with no review lost. The damaged file is kept as {aside.name}."
            )
            return None
        return cards, marks, log_size

    def rebuild(self) -> None:
        """Derive every card's state from the whole log, then save it."""
        scan = self.log.read_from(0)
        cards: dict[str, CardState] = {}
        marks: dict[str, Marks] = {}
        bad = list(scan.bad_lines)
        for record in scan.records:
            apply_record(cards, marks, record)
        bad.sort()
        if bad:
            shown = ", ".join(map(str, bad[:10])) + (" …" if len(bad) > 10 else "")
            self.notices.append(
                f"{len(bad)} damaged line(s) in reviews.jsonl were skipped (lines {shown}). "
                "The file itself was left untouched."
            )
        self._cards, self._marks = cards, marks
        self._log_size = scan.end
        if not self.read_only:
            self._write_state(cards, marks, scan.end)

    # ----- writing -----------------------------------------------------------------

    def append(self, record: Record, apply: Callable[[], object] | None = None) -> None:
        """Append one record durably (fsync), then run ``apply`` (the in-memory update).

        Both happen under the lock the state writer takes for its snapshot, so a
        snapshot never claims a log size whose last record it does not contain.
        If the append fails, ``apply`` does not run: memory never runs ahead of disk.
        """
        if self.read_only:
            raise StoreError("this data folder was opened read-only")
        with self._mutex:
            size = self.log.append(record)
            if apply is not None:
                apply()
            self._log_size = size

    def save_state_async(self) -> None:
        """Queue a snapshot of the card states for the background writer."""
        if self._writer is None:
            raise StoreError("store is not open")
        self._writer.mark_dirty()

    def _save_snapshot(self) -> None:
        """Runs on the writer thread, while the UI thread may be recording answers.

        The copies and the log size are taken together under the append lock (a
        few tens of microseconds at 10k cards); serialising runs outside it.
        """
        assert self._snapshot is not None
        with self._mutex:
            cards, marks = self._snapshot()
            log_size = self._log_size
        self._write_state(cards, marks, log_size)

    def save_settings(self, settings: Settings) -> None:
        if self.read_only:
            raise StoreError("this data folder was opened read-only")
        self.settings = settings
        atomic_write(self.settings_path, settings.to_json())

    @property
    def writer_error(self) -> BaseException | None:
        return self._writer.error if self._writer else None

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def _write_state(
        self, cards: dict[str, CardState], marks: dict[str, Marks], log_size: int
    ) -> None:
        atomic_write(self.state_path, records.encode_state(cards, marks, log_size))

    def close(self) -> None:
        """Write the final state, release the lock. Safe to call twice."""
        if self._writer is not None:
            self._writer.mark_dirty()
            self._writer.close()
            self._writer = None
        self.log.close()
        self._release_lock()

    def __enter__(self) -> Store:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def records_since(self, moment: datetime) -> list[Record]:
        return self.log.records_since(moment)

    def iter_log(self) -> Iterator[Record]:
        yield from self.log.read_from(0).records

    @property
    def log_path(self) -> Path:
        return self.log.path
