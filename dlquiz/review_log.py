"""One device's review log: an append-only JSON-lines file, fsynced on every append.

Reading it never trusts it: only a regular file is read, damaged lines are counted
(the store reports them), a half-written last line left by a crash is moved aside
before the next append, and ``records_since`` reads backwards so that today's
records cost what today's records cost. ``scan_file`` reads any device's log in
blocks, so the bytes held at once are a block and a line whatever the file holds;
a log larger than ``MAX_LOG_BYTES`` is not read at all.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import msgspec

from dlquiz import records
from dlquiz.records import UNKNOWN, Record
from dlquiz.safe_io import atomic_write, fsync_dir
from dlquiz.store_errors import StoreError

# How many records older than "today" records_since reads past before it stops: the
# clock may have been set back, so one older record does not end today.
OLDER_RUN_TO_STOP = 256


def stamp() -> str:
    """A UTC time for the names of files kept aside."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


# The largest log any device reads (``dlquiz.merge.read_log``; this device's own log is
# refused at open beyond it, so that every device leaves out the same logs). A review
# takes ~260 bytes: ~4M reviews, 55 years of 200 a day, and forty times the benchmarks'
# 100k (~26 MB); their records would take ~4 GB of memory. A larger file is damage (a
# sparse file, a device's contents) or not a log of ours.
MAX_LOG_BYTES = 1 << 30
# The limit as the messages about it say it.
LOG_LIMIT_TEXT = f"{MAX_LOG_BYTES >> 20} MB, about {MAX_LOG_BYTES // 260 // 10**6} million reviews"
# How much of a log ``scan_file`` reads at once.
READ_BLOCK_BYTES = 1 << 20
# A carriage return that is not a CRLF's: a line break changed by an editor or a sync
# tool. Never within a record (its strings escape every control character, and
# records.encode puts no whitespace between tokens), so it is a line break there too.
_LONE_CR = re.compile(rb"\r(?!\n)")
_KEPT_BEFORE_END = 64  # raw bytes kept from just before a scan's end (its fingerprint)
_JOIN_OVERLAP = 64  # bytes a block's search for joined records takes from the one before


@dataclass
class LogScan:
    records: list[Record] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # 1-based line number of each record
    bad_lines: list[int] = field(default_factory=list)  # 1-based line numbers
    end: int = 0  # byte offset after the last complete line
    # ``scan_file`` only:
    joined: list[int] = field(default_factory=list)  # bad lines holding records joined
    lone_crs: int = 0  # carriage returns read as line breaks
    rest: bytes = b""  # the incomplete last line (empty if longer than a record)
    rest_joined: bool = False  # it holds several records joined (line breaks removed)
    before_end: bytes = b""  # the raw bytes just before ``end`` (read from ``start`` on)


# A clean stretch of the log is decoded as one JSON array, in C (a Python loop over
# 100k lines cost twice the decoding). A stretch is shorter than the longest line a
# record may take, so no line in it needs its length checked; it is ~200 records, well
# under a millisecond of decoding, so a reader in a thread lets the UI thread run.
_STRETCH_BYTES = records.MAX_LINE_BYTES
# One record's end and the next one's start (its first key: "type", or "v" in older
# logs) with no newline between: a carriage return, or nothing. Never within one record:
# its strings escape every quote, and after a string or an object comes "," "}" or "]".
_JOINED = re.compile(rb'\}\s*\{"(?:type|v)":')
_many = msgspec.json.Decoder(list[records.Record])


def _decode_stretch(stretch: bytes) -> list[Record] | None:
    """The records of the lines of ``stretch`` if every line is one valid record of
    ours (what ``records.decode`` says line by line), else None (then decode line by
    line)."""
    if len(stretch) > records.MAX_LINE_BYTES and (
        max(map(len, stretch.split(b"\n"))) > records.MAX_LINE_BYTES
    ):
        return None
    try:
        # Not split and joined again: ~70 ms of the ~300 a 100k-record log took.
        found = _many.decode(b"[" + stretch.replace(b"\n", b",") + b"]")
    except (msgspec.DecodeError, RecursionError):
        return None  # a damaged or blank line, or a newer record type, somewhere
    # Each line gave at least one element (an empty one is a syntax error): as many
    # elements as lines means one record per line (a line "{..},{..}" is damaged).
    return found if len(found) == stretch.count(b"\n") + 1 else None


def scan_lines(data: bytes) -> LogScan:
    """Complete lines of ``data`` (an incomplete last line is left to the caller)."""
    scan = LogScan()
    scan.end = _scan_complete(data, scan, 1)[0]
    return scan


def _scan_complete(
    data: bytes, scan: LogScan, line_no: int, pos: int = 0, size: int | None = None
) -> tuple[int, int]:
    """Add the complete lines of ``data[pos:size]`` to ``scan``, numbered from
    ``line_no``; returns the offset after the last one, and the number of the line
    after it."""
    size = len(data) if size is None else size
    while pos < size:
        cut = data.rfind(b"\n", pos, min(pos + _STRETCH_BYTES, size))
        if cut < 0:  # a line longer than a stretch (damaged), or the incomplete last one
            cut = data.find(b"\n", pos + _STRETCH_BYTES, size)
            if cut < 0:
                break
        stretch = data[pos:cut]
        found = _decode_stretch(stretch)
        if found is not None:
            scan.records.extend(found)
            scan.lines.extend(range(line_no, line_no + len(found)))
            line_no += len(found)
        else:
            lines = stretch.split(b"\n")
            _scan_each(lines, line_no, scan)
            line_no += len(lines)
        pos = cut + 1
    return pos, line_no


def scan_file(handle: BinaryIO, start: int = 0, stop: int | None = None) -> LogScan:
    """Complete lines of the open log ``handle`` from ``start`` to ``stop`` (or its end),
    as ``scan_lines`` finds them, read a block at a time: what is held at once is a block
    and the line it ends in, whatever the file holds. A line longer than a record is
    passed over (counted damaged) without being kept; a lone carriage return is a line
    break (counted: the file's line breaks were changed). The incomplete last line is
    left to the caller in ``rest``. Line numbers count from ``start``."""
    scan = LogScan(end=start)
    handle.seek(start)
    left = -1 if stop is None else max(0, stop - start)
    offset = start  # of the next byte to read
    pending = b""  # a line begun and not ended yet
    skipping = False  # in a line too long to be a record: read on to its end
    skipped_joined = False  # that line holds records joined
    held = b""  # a CR ending a block: whether a newline follows is in the next one
    before = b""  # the raw bytes just before the block
    line_no = 1
    while True:
        want = READ_BLOCK_BYTES if left < 0 else min(READ_BLOCK_BYTES, left)
        fresh = handle.read(want) if want else b""
        if left > 0:
            left -= len(fresh)
        last = not fresh
        block_at = offset - len(held)
        offset += len(fresh)
        block, held = held + fresh, b""
        if not last and block.endswith(b"\r"):
            block, held = block[:-1], b"\r"
        text = block
        if b"\r" in block:
            text, count = _LONE_CR.subn(b"\n", block)
            scan.lone_crs += count
        scanned = 0  # where in ``text`` the lines not scanned yet begin
        if skipping:
            cut = text.find(b"\n")
            if cut >= 0:  # the long line ends: damaged
                scan.bad_lines.append(line_no)
                if skipped_joined:
                    scan.joined.append(line_no)
                line_no += 1
                skipping = False
                scanned = cut + 1
                scan.end = block_at + scanned
                kept = block[max(0, scanned - _KEPT_BEFORE_END) : scanned]
                scan.before_end = (before + kept)[-_KEPT_BEFORE_END:]
        if not skipping:
            cut = text.rfind(b"\n", scanned)
            if cut < 0:
                pending += text[scanned:]
            else:
                # The line begun is joined to its end only, not to the whole block (a copy
                # of every block).
                if pending:  # the line it ends
                    ends = text.find(b"\n", scanned)
                    line_no = _scan_complete(pending + text[scanned : ends + 1], scan, line_no)[1]
                    scanned = ends + 1
                line_no = _scan_complete(text, scan, line_no, scanned, cut + 1)[1]
                scan.end = block_at + cut + 1
                kept = block[max(0, cut + 1 - _KEPT_BEFORE_END) : cut + 1]
                scan.before_end = (before + kept)[-_KEPT_BEFORE_END:]
                pending = text[cut + 1 :]
            if len(pending) > records.MAX_LINE_BYTES:
                skipping, skipped_joined, pending = True, bool(_JOINED.search(pending)), b""
        before = (before + block[-_KEPT_BEFORE_END:])[-_KEPT_BEFORE_END:]
        if last:
            break
    if skipping:
        scan.rest_joined = skipped_joined
    else:
        scan.rest = pending
        scan.rest_joined = _JOINED.search(pending) is not None
    return scan


def _scan_each(lines: list[bytes], line_no: int, scan: LogScan) -> None:
    """Line by line: blank lines skipped, damaged ones counted, newer types left out."""
    for raw in lines:
        if raw.strip():
            record = records.decode(raw)
            if record is None:
                scan.bad_lines.append(line_no)
                if _JOINED.search(raw):
                    scan.joined.append(line_no)
            elif record is not UNKNOWN:
                assert not isinstance(record, records.Unknown)
                scan.records.append(record)
                scan.lines.append(line_no)
        line_no += 1


def _unterminated(handle: BinaryIO, size: int) -> tuple[int, bytes]:
    """Where the last line without a newline starts, and its bytes (empty if none): its
    first ``MAX_LINE_BYTES`` + 1 only, as no record is longer (a damaged tail may be a
    gigabyte of NUL bytes)."""
    pos, chunk, cut = size, 1 << 16, 0
    while pos > 0:  # the last newline, read backwards in blocks
        start = max(0, pos - chunk)
        handle.seek(start)
        found = handle.read(pos - start).rfind(b"\n")
        if found >= 0:
            cut = start + found + 1
            break
        pos = start
    handle.seek(cut)
    return cut, handle.read(min(size - cut, records.MAX_LINE_BYTES + 1)) if cut < size else b""


def _blocks(handle: BinaryIO, start: int, stop: int) -> Iterator[bytes]:
    """The bytes from ``start`` to ``stop``, a block at a time."""
    handle.seek(start)
    left = stop - start
    while left > 0:
        block = handle.read(min(READ_BLOCK_BYTES, left))
        if not block:
            return
        left -= len(block)
        yield block


def _joins(blocks: Iterable[bytes]) -> int:
    """How many records follow another on the same line, counted block by block (a
    match across two blocks counted once: it ends in the later one)."""
    count, carry = 0, b""
    for block in blocks:
        data = carry + block
        count += sum(1 for match in _JOINED.finditer(data) if match.end() > len(carry))
        carry = data[-_JOIN_OVERLAP:]
    return count


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
        scan = scan_lines(data)
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
            cut, tail = _unterminated(handle, size)
            if not tail:
                return None
            if len(tail) <= records.MAX_LINE_BYTES and records.decode(tail) is not None:
                # complete, only its newline is missing: finish the line
                handle.seek(size)
                handle.write(b"\n")
                handle.flush()
                os.fsync(handle.fileno())
                return None
            self._refuse_joined(_joins(_blocks(handle, cut, size)))
            aside = self.path.with_name(f"{self.path.name}.partial-{stamp()}")
            atomic_write(aside, _blocks(handle, cut, size))  # durable before the log is cut
            handle.truncate(cut)
            handle.flush()
            os.fsync(handle.fileno())
        return aside

    def check_line_breaks(self) -> None:
        """What ``salvage_partial_tail`` refuses, without writing: for a read-only open."""
        size = self.size()
        if size:
            with os.fdopen(self._open_read(), "rb") as handle:
                cut = _unterminated(handle, size)[0]
                self._refuse_joined(_joins(_blocks(handle, cut, size)))

    def _refuse_joined(self, joins: int) -> None:
        """An append is one record: more than one after the last newline (``joins`` >
        0) is not a crash mid-append but line breaks changed (to carriage returns by an
        editor or a sync tool, or lines joined). Cut off, they would be history out of
        sight."""
        if joins:
            raise StoreError(
                f"{self.path} has {joins + 1} records after its last line break: its line "
                "breaks were changed (e.g. to carriage returns by an editor or a sync "
                "tool). dlquiz left the file as it is. Turn its line endings back into "
                "newlines (LF), then start dlquiz again."
            )

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

        Costs what today's records cost, not the whole history. A log larger than
        ``MAX_LOG_BYTES`` is not read (``merge.read_log`` says so).
        """
        size = self.size()
        if size == 0 or size > MAX_LOG_BYTES:
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
            carry = b""  # the start of a line is in the block before
            skipping = False  # in a line too long to be a record: read on to its start
            while pos > 0:
                start = max(0, pos - (1 << 16))
                handle.seek(start)
                block = handle.read(pos - start)
                if b"\r" in block:
                    # Carriage returns for line breaks (another device's log, changed
                    # by a tool): each one a break. A CRLF's CR only adds an empty line.
                    block = block.replace(b"\r", b"\n")
                pos = start
                if skipping:
                    newline = block.rfind(b"\n")
                    if newline < 0:
                        continue
                    block, skipping = block[:newline], False
                else:
                    block += carry
                lines = block.split(b"\n")
                carry = lines.pop(0) if start > 0 else b""
                if len(carry) > records.MAX_LINE_BYTES:
                    # Damaged (no record is that long; the store reports it). Carried
                    # on block after block, it was copied and split again each time:
                    # a 50 MB line took half a minute.
                    carry, skipping = b"", True
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
