"""The state on disk: append-only review logs, a derived state file, a lock.

Files in the data folder (``dlquiz.devices`` says where each device's are, so a
folder kept in step by a sync tool is never written by two devices):

``logs/<device>.jsonl``  this device's review log: one JSON record per line,
                   appended and fsynced before the UI moves on. With the other
                   devices' logs (and a pre-device ``reviews.jsonl``) it is the
                   source of truth; never rewritten.
``state/<device>.json``  every card's state, merged from all the logs, and how
                   much of each log it reflects (``dlquiz.merge``). Written
                   atomically off the UI thread. If it lags behind the logs the
                   new records are applied; if it is missing or damaged it is
                   rebuilt from the logs and the damaged file is kept aside.
``settings/<device>.json``  the user's settings, kept apart from the derived
                   state so a damaged state file can never lose them.
``locks/<device>.lock``  held while an instance runs here, so a second one on
                   this device cannot write (other devices' locks are ignored).
``state.json``     a layout marker that an older dlquiz reads and refuses.

Nothing read here is trusted: the lock is never opened through a link or on a
pipe or device, state and settings files are read only as regular files of
bounded size, and a damaged file is kept aside, never deleted. If a log is
shorter than the state says (emptied, cut, an older copy put back), the state
knows more: it is kept and used, a copy is kept beside it, and the user is told.
New names (the logs, the folders) are fsynced into their folders before an
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
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from dlquiz import devices, merge, records
from dlquiz.merge import STATE_VERSION, DeviceState, Merged, Reflected, state_decoder
from dlquiz.records import Marks, Record
from dlquiz.review_log import LOG_LIMIT_TEXT, MAX_LOG_BYTES, ReviewLog
from dlquiz.review_log import stamp as _stamp
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
from dlquiz.state_writer import StateWriter

# Re-exported: callers catch these as dlquiz.store.StoreError / AlreadyRunning.
from dlquiz.store_errors import AlreadyRunning as AlreadyRunning
from dlquiz.store_errors import StoreError as StoreError

LOG_NAME = devices.LEGACY_LOG  # the pre-device log, still read (see dlquiz.devices)
STATE_NAME = devices.MARKER  # now the layout marker; each device's state is in state/
SETTINGS_NAME = devices.LEGACY_SETTINGS
LOCK_NAME = "dlquiz.lock"  # the pre-device lock; each device now locks locks/<device>.lock

# Files larger than these are refused unread (a link to an endless device, a mistake).
MAX_STATE_BYTES = 512 << 20  # ~5M cards
MAX_SETTINGS_BYTES = 1 << 20
# Temp files of the atomic writes of dlquiz before 0.2 (tempfile.mkstemp's pattern).
_LEGACY_TEMP = re.compile(r"\.(state|settings)\.json\.[A-Za-z0-9_]{1,16}\.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but not ours to signal
    return True


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


class Store:
    """The data folder of one dlquiz user. Open it, use it, close it."""

    def __init__(
        self,
        home: Path,
        read_only: bool = False,
        device: str | None = None,
        *,
        keep_settings: bool = False,
    ) -> None:
        """``read_only`` opens without the lock and never writes: for commands such as
        ``dlquiz stats`` that may run while the app is open in another terminal.
        ``device``: this device's id (default: ``dlquiz.devices.device_id()``).
        ``keep_settings``: an unreadable settings file of this device raises StoreError
        instead of being moved aside for the defaults (for a command that saves settings
        and must not save the defaults over the user's own)."""
        self.home = home
        self.read_only = read_only
        self.keep_settings = keep_settings
        try:
            self.device = device or devices.device_id()
        except devices.DeviceError as exc:
            raise StoreError(str(exc)) from exc
        self.layout = devices.Layout(home, self.device)
        self.log = ReviewLog(self.layout.own_log)
        self.state_path = self.layout.state
        self.settings_path = self.layout.settings
        # What was loaded, until the owner takes it (``take_state``): from then on
        # the owner (``dlquiz.study.Study``) holds the only live copy.
        self._cards: dict[str, CardState] = {}
        self._marks: dict[str, Marks] = {}
        self._snapshot: Callable[[], tuple[dict[str, CardState], dict[str, Marks]]] | None = None
        self.settings = Settings()
        self.notices: list[str] = []  # what the user must be told about this start
        self._lock_handle: int | None = None
        self._writer: StateWriter | None = None
        self._mutex = threading.Lock()  # append + apply vs the writer's snapshot
        # Merge bookkeeping beside the owner's cards and marks (see dlquiz.merge).
        self._last: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._sources: dict[str, Reflected] = {}
        self.replayed = 0  # cards the last open rebuilt from their records (figures, tests)

    # ----- opening -----------------------------------------------------------------

    def open(self) -> Store:
        if self.read_only:
            self._check_layout()
            self._load()
            return self
        try:
            make_dirs(self.home)  # each new folder fsynced into its parent
            # Also when something else made it just before (the content cache): the
            # first answer must not vanish with a folder name that never reached disk.
            fsync_dir(self.home.parent)
        except OSError as exc:
            raise StoreError(f"cannot create the data folder {self.home}: {exc.strerror}") from exc
        self._check_layout()
        self._make_device_folders()
        self._acquire_lock()
        try:
            self._remove_stray_temp_files()
            self._remove_own_temp_files()
            self._write_layout_marker()
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
            self._writer = StateWriter(self._save_snapshot)
        return cards, marks

    def _load(self) -> None:
        try:
            # A log that is not a regular file, or too large, is refused before any of
            # it is read or moved.
            self._check_own_log()
            if not self.read_only:
                self._salvage_own_log()
                self._absorb_conflict_copies()
            else:
                self.log.check_line_breaks()
            self._load_settings()
            self._load_merged()
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
        path = self.layout.lock
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
                fsync_dir(path.parent)
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
        # This device's file, else the pre-device settings.json, else the newest
        # other device's: a new device starts from the settings already in use.
        for path in devices.settings_candidates(self.layout):
            if os.path.lexists(path) and self._load_settings_from(path):
                return

    def _load_settings_from(self, path: Path) -> bool:
        name = path.relative_to(self.home).as_posix()
        try:
            raw = read_regular(path, MAX_SETTINGS_BYTES)
            self.settings = settings_from_json(raw)
            return True
        except (ValueError, OSError) as exc:  # pydantic's ValidationError is a ValueError
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            others = path.parent.name == devices.SETTINGS and path != self.settings_path
            if self.keep_settings and not others:
                raise StoreError(
                    f"{name} could not be read ({first}). Nothing was changed: correct it, "
                    "or open dlquiz, which keeps it aside and starts from the defaults."
                ) from None
            if self.read_only or others:
                # never renamed: another device's file is that device's to keep
                self.notices.append(f"{name} could not be read ({first}); defaults used.")
                return False
            aside = keep_aside(path, "damaged")
            self.notices.append(
                f"{name} could not be read ({first}); defaults are in use. "
                f"The old file is kept as {aside.name}."
            )
            return False

    def _read_state_file(self) -> DeviceState | None:
        """This device's state file, or None if missing or damaged."""
        name = self.state_path.relative_to(self.home).as_posix()
        if not os.path.lexists(self.state_path):
            if self.log.size() > 0:
                self.notices.append(f"{name} was missing; it was rebuilt from the review logs.")
            return None
        try:
            # Type and size checked before a byte is read: a FIFO would block, a
            # link to an endless device would never end.
            raw = read_regular(self.state_path, MAX_STATE_BYTES)
            try:
                version = records.state_head_decoder.decode(raw).schema_version
            except RecursionError as exc:
                raise ValueError("nested too deeply") from exc
            if version > STATE_VERSION:
                raise StoreError(
                    f"{self.state_path} was written by a newer dlquiz (schema {version}, "
                    f"this one knows {STATE_VERSION}). Upgrade dlquiz to use this data folder."
                )
            # Freezing the collector during a bulk load avoids repeated full scans of
            # the objects being created (several times faster at 100k cards).
            gc.disable()
            try:
                data = state_decoder.decode(raw)
            except RecursionError as exc:
                raise ValueError("nested too deeply") from exc
            finally:
                gc.enable()
        except StoreError:
            raise
        except (records.DecodeError, ValueError, OSError) as exc:
            if self.read_only:
                self.notices.append(f"{name} is damaged ({exc}); read from the logs instead.")
                return None
            aside = keep_aside(self.state_path, "damaged")
            self.notices.append(
                f"{name} was damaged ({type(exc).__name__}: {exc}); it was rebuilt from the "
                f"review logs, with no review lost. The damaged file is kept as {aside.name}."
            )
            return None
        return data

    def rebuild(self) -> None:
        """Derive every card's state from all the logs, then save it."""
        self._take_merged(merge.rebuild(self.home))

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
            self._note_own_append(record, size)

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
            merged = Merged(cards, marks, dict(self._last), set(self._dirty), dict(self._sources))
        self._write_merged(merged)

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

    def _write_merged(self, merged: Merged) -> None:
        atomic_write(self.state_path, merge.encode_state(self.device, merged))

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
        """Records at or after ``moment`` from every device's log, merged."""
        return merge.history_since(self.home, moment)

    def iter_log(self) -> Iterator[Record]:
        """Every device's records in merged order, each once."""
        yield from merge.history(self.home)

    @property
    def log_path(self) -> Path:
        """This device's log (the only one it writes)."""
        return self.log.path

    # ----- several devices (dlquiz.devices, dlquiz.merge) ----------------------------

    def _check_layout(self) -> None:
        """Refuse a folder laid out by a newer dlquiz before anything is written."""
        version = _marker_version(self.layout.marker)
        if version is not None and version > devices.LAYOUT_VERSION:
            raise StoreError(
                f"{self.home} is laid out by a newer dlquiz (layout {version}; this one knows "
                f"{devices.LAYOUT_VERSION}). Upgrade dlquiz to use this data folder."
            )

    def _make_device_folders(self) -> None:
        try:
            for folder in self.layout.folders():
                make_dirs(folder)  # fsynced into the data folder: the log's name survives
        except OSError as exc:
            raise StoreError(f"cannot use {exc.filename or self.home}: {exc.strerror}") from exc

    def _write_layout_marker(self) -> None:
        """``state.json`` becomes the marker an older dlquiz refuses (its old content is
        derived: every review is in the logs). Same bytes on every device, so two
        devices writing it at once agree."""
        if _marker_version(self.layout.marker) != devices.LAYOUT_VERSION:
            try:
                atomic_write(self.layout.marker, MARKER_BYTES)
            except OSError as exc:
                raise StoreError(f"cannot write {self.layout.marker}: {exc.strerror}") from exc

    def _remove_own_temp_files(self) -> None:
        """Temp files of this device's atomic writes cut short (never another device's:
        its temp files may be synced here while it writes)."""
        for own in (self.state_path, self.settings_path):
            for stray in own.parent.glob(f".dlq-{own.name}.*.tmp"):
                pid = own_temp_pid(stray.name)
                if pid is None or _alive(pid):
                    continue
                with contextlib.suppress(OSError):
                    if stat.S_ISREG(os.lstat(stray).st_mode):
                        stray.unlink()

    def _check_own_log(self) -> None:
        """This device's log, if there, must be a regular file (StoreError otherwise):
        a pipe or device in its place would block or never end. Other devices' logs
        that are not regular files are simply not read (``devices.log_sources``).
        Nor is a log larger than ``MAX_LOG_BYTES`` (``merge.read_log``): this device's
        is refused, as every other device leaves it out, rather than appended to out of
        sight."""
        try:
            fd = self.log._open_read()
        except FileNotFoundError:
            return
        try:
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if size > MAX_LOG_BYTES:
            raise StoreError(
                f"{self.log.path} is {size / 2**20:.0f} MB, larger than any review log dlquiz "
                f"reads ({LOG_LIMIT_TEXT}). dlquiz left it as "
                "it is. If it grew by damage (e.g. a run of NUL bytes), keep a copy, cut "
                "the damage out, then start dlquiz again."
            )

    def _salvage_own_log(self) -> None:
        aside = self.log.salvage_partial_tail()
        if aside is not None:
            self.notices.append(
                "The last line of the review log was half-written (dlquiz was stopped while "
                "saving an answer). That answer was not recorded; its bytes are kept in "
                f"{aside.name}."
            )

    def _absorb_conflict_copies(self) -> None:
        """A sync tool's conflict copy of a log may hold records no log has: they are
        appended to this device's log (ids keep them single), then the copy is moved
        into ``conflicts/``. Copies of other files are only moved."""
        copies = devices.conflict_copies(self.home)
        if not copies:
            return
        known = merge.known_ids(self.home)
        added = 0
        for copy in copies:
            if devices.is_log_copy(copy):
                for record in merge.read_log(copy).records:
                    rid = merge.record_id(record)
                    if rid not in known:
                        self.log.append(record)
                        known.add(rid)
                        added += 1
            devices.set_aside(self.home, copy)
        self.notices.append(
            f"{len(copies)} conflict cop{'y' if len(copies) == 1 else 'ies'} made by a sync tool "
            f"{'was' if len(copies) == 1 else 'were'} merged ({added} record(s) only they held "
            f"were added to {self.log.path.name}) and moved into {devices.CONFLICTS}/."
        )

    def _load_merged(self) -> None:
        saved = self._read_state_file()
        merged = merge.catch_up(self.home, saved)
        if merged.short:
            self._keep_state_over_short_logs(merged)
        self._take_merged(merged)

    def _keep_state_over_short_logs(self, merged: Merged) -> None:
        """A log is shorter than the state says (emptied, cut, an older copy put back).

        The logs are the source of truth, but one that lost its content must not
        throw away schedules the state still knows: the state is kept and used, a
        copy of it is kept beside it, and the user is told. The review history in
        the lost part is gone from statistics; nothing else is.
        """
        state = self.state_path.relative_to(self.home).as_posix()
        for name, size, expected in merged.short:
            note = (
                f"{name} is shorter than {state} expects ({size} bytes, not {expected}): part "
                "of your review history is missing from that log. Your cards' schedules "
                f"were kept from {state}"
            )
            if self.read_only:
                self.notices.append(note + ".")
                continue
            copy = self.state_path.with_name(f"{self.state_path.name}.before-short-log-{_stamp()}")
            atomic_write(copy, read_regular(self.state_path, MAX_STATE_BYTES))
            self.notices.append(
                f"{note}; a copy of it is kept as {copy.name}. If you have a fuller copy of "
                f"{name}, close dlquiz and put it back."
            )

    def _take_merged(self, merged: Merged) -> None:
        self.notices += merged.notices
        self.replayed = merged.replayed
        self._cards, self._marks = merged.cards, merged.marks
        self._last, self._dirty, self._sources = merged.last, merged.dirty, merged.sources
        if merged.changed and not self.read_only:
            self._write_merged(merged)

    @property
    def _own_source(self) -> str:
        return f"{devices.LOGS}/{self.log.path.name}"

    def _note_own_append(self, record: Record, size: int) -> None:
        """Keep the merge bookkeeping in step with a live append (under the mutex)."""
        when, card = merge.time_us(record), record.card
        if card in self._dirty or when <= self._last.get(card, -1):
            # Not after what is applied to this card (another device's clock ran
            # ahead, or the same instant): replayed exactly at the next open.
            self._dirty.add(card)
        self._last[card] = max(self._last.get(card, -1), when)
        line = records.encode(record)
        ref = self._sources.get(self._own_source, Reflected(0, ""))
        if ref.size == size - len(line):
            self._sources[self._own_source] = Reflected(size, merge.next_tail(ref.tail, line))


MARKER_BYTES = (
    b'{"schema_version": 2, "layout": "one review log per device in logs/; '
    b'see dlquiz.devices", "cards": {}}\n'
)


def _marker_version(path: Path) -> int | None:
    """The ``schema_version`` in ``state.json``, or None if missing or unreadable."""
    try:
        # Never a FIFO (it would block the start); a pre-device state.json is a state.
        raw = read_regular(path, MAX_STATE_BYTES)
        return records.state_head_decoder.decode(raw).schema_version
    except (OSError, records.DecodeError, RecursionError):
        return None
