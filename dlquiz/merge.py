"""The logs of every device, merged into one history and one set of card states.

Order. Records are merged by their time (microseconds, UTC), ties broken by the
log's name and then by the position in that log, so every device computes the
same order from the same logs, and one device's records keep the order it wrote
them in. A record found in two logs (a sync tool's conflict copy absorbed by two
devices) counts once, where it comes first.

State. Every record sets some fields of one card to absolute values (a review
its ``after``, an undo its ``restore``, a mark its flag), so a card's state is
decided by its records alone, in merged order. The state file remembers, for
each card, the time of the latest record applied to it and, for each log, the
size it reflects plus the bytes just before that size (proof that the log only
grew). Opening reads only what the logs gained: a new record later than
everything applied to its card is applied at once; one that is not (a review
made offline on another device and arriving late, or a duplicate) marks its card
for replay, and the marked cards are then rebuilt exactly from all their records
in merged order. A log changed in place (not a longer version of what was
merged) means a full rebuild. The result is the same as replaying every log
from scratch (unless a log lost records the state had: see below).

Across devices the clocks decide: when two devices reviewed a card while apart,
the later review sets the card's state (as that device computed it), and both
reviews stay in the history; an undo brings back the state before its review,
even if another device's review of that card falls between the two. Every
device computes the same, which is what keeps them in step.

A log shorter than the state says (emptied, cut, an older copy put back) keeps
the state, as a single device does (the store keeps a copy and tells the user).

Nothing here writes a log; the store calls in here and owns every write.
"""

from __future__ import annotations

import gc
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Final

import msgspec
from msgspec import Meta, Struct

from dlquiz import devices, records
from dlquiz.history import apply_record
from dlquiz.records import CardId, Marks, Record
from dlquiz.scheduler import RELEARNING, CardState, check_schedulable

STATE_VERSION: Final = 2
TAIL_BYTES: Final = 32
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO: Final = timedelta(microseconds=1)


class Reflected(Struct, frozen=True, array_like=True):
    """How much of one log a state reflects, and the bytes just before that point."""

    size: Annotated[int, Meta(ge=0, le=2**62)]
    tail: Annotated[str, Meta(max_length=2 * TAIL_BYTES)]  # hex


class DeviceState(Struct, kw_only=True, forbid_unknown_fields=False):
    """``state/<device>.json``: derived from every log, written by this device only."""

    schema_version: Annotated[int, Meta(ge=STATE_VERSION)]  # 1 never lived here: damaged
    device: str = ""
    sources: dict[str, Reflected]
    cards: dict[CardId, CardState]
    marks: dict[CardId, Marks] = {}
    last: dict[CardId, int] = {}  # time (µs) of the latest record applied to each card
    dirty: list[CardId] = []  # cards to replay at the next open
    saved_at: str = ""
    card_fields: list[str] = []
    mark_fields: list[str] = []

    def __post_init__(self) -> None:
        # A card FSRS could not review (a Review card without stability, say: the bounds
        # of each number are checked by CardState) would crash the app at that card: the
        # file is damaged instead, and rebuilt from the logs.
        suspects = [  # a quick pass first (~5 ms per 50k cards, at every start)
            state
            for state in self.cards.values()
            if state[2] is None or state[3] is None or (state[1] is None and state[0] == RELEARNING)
        ]
        for state in suspects:
            check_schedulable(state)


state_decoder: Final = msgspec.json.Decoder(DeviceState)
_encoder = msgspec.json.Encoder()


def encode_state(device: str, merged: Merged) -> bytes:
    return _encoder.encode(
        DeviceState(
            schema_version=STATE_VERSION,
            device=device,
            saved_at=datetime.now(UTC).isoformat(timespec="seconds"),
            sources=merged.sources,
            card_fields=list(CardState._fields),
            cards=merged.cards,
            mark_fields=list(Marks.__struct_fields__),
            marks=merged.marks,
            last=merged.last,
            dirty=sorted(merged.dirty),
        )
    )


def time_us(record: Record) -> int:
    return (record.time - _EPOCH) // _MICRO


def record_id(record: Record) -> str:
    """The record's id; an old mark without one is named by its content (same everywhere)."""
    rid = getattr(record, "id", None)
    if rid:
        return str(rid)
    return "h:" + hashlib.sha1(records.encode(record)).hexdigest()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _complete_size(path: Path) -> int:
    """The size, counting the newline a complete last record may lack (its writer adds
    it at its next start); -1 if it cannot be read."""
    from dlquiz.review_log import ReviewLog
    from dlquiz.store_errors import StoreError

    try:
        return ReviewLog(path).complete_size()
    except (OSError, StoreError):
        return -1


def _same_prefix(path: Path, seen: Reflected) -> bool:
    """Whether the log still begins with what the state reflects (it only grew)."""
    size = _size(path)
    if size >= seen.size:
        return tail_of(path, seen.size) == seen.tail
    # One byte short: a complete last record whose newline is missing.
    end = bytes.fromhex(tail_of(path, size)) + b"\n"
    return end[-TAIL_BYTES:] == bytes.fromhex(seen.tail)


def tail_of(path: Path, size: int) -> str:
    """The hex of the bytes just before ``size`` ('' at 0 or if unreadable)."""
    if size <= 0:
        return ""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, size - TAIL_BYTES))
            return handle.read(min(size, TAIL_BYTES)).hex()
    except OSError:
        return ""


def next_tail(previous: str, line: bytes) -> str:
    """The tail after appending ``line`` to a log whose tail was ``previous``."""
    return (bytes.fromhex(previous) + line)[-TAIL_BYTES:].hex()


@dataclass
class Scan:
    records: list[Record]
    bad_lines: list[int]  # 1-based, counted from where the read started
    end: int  # offset after the last complete line
    tail: str = ""  # hex of the bytes just before ``end``
    joined: list[int] = field(default_factory=list)  # bad lines holding records joined
    lone_crs: int = 0  # carriage returns read as line breaks (the file's were changed)
    tail_joined: bool = False  # records joined after the last line break: not read
    too_big: int = 0  # the log's size, if larger than MAX_LOG_BYTES (then not read)


def read_log(path: Path, start: int = 0, stop: int | None = None) -> Scan:
    """Complete lines of a log between two byte offsets (a half-synced tail is left out).

    Read a block at a time (``review_log.scan_file``), and not at all if the file is
    larger than ``review_log.MAX_LOG_BYTES``: another device's log may hold anything.
    A lone carriage return is read as a line break (the file's line breaks were
    changed; a record never holds one), and counted so that the user is told."""
    from dlquiz.review_log import (  # the store's parser: one set of limits for every log
        MAX_LOG_BYTES,
        scan_file,
    )

    try:
        # Never blocks on a pipe or reads a device put in a log's place: regular files only.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return Scan([], [], start, tail_of(path, start))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return Scan([], [], start, "")
        if info.st_size > MAX_LOG_BYTES:
            return Scan([], [], start, tail_of(path, start), too_big=info.st_size)
        scan = scan_file(handle, start, stop)
    end, before, rest = scan.end, scan.before_end, scan.rest
    last = records.decode(rest) if rest.strip() else None
    if last is not None and not isinstance(last, records.Unknown):
        # A complete last record whose newline is missing counts (its writer adds the
        # newline at its next start; when it arrives it is an empty line, skipped).
        scan.records.append(last)
        end, before = end + len(rest), before + rest  # rest holds no CR made a newline
    # The fingerprint from the very bytes parsed (the file may be replaced meanwhile).
    tail = before[-TAIL_BYTES:]
    tail_hex = tail_of(path, end) if len(tail) < TAIL_BYTES and start > 0 else tail.hex()
    return Scan(
        scan.records,
        scan.bad_lines,
        end,
        tail_hex,
        joined=scan.joined,
        lone_crs=scan.lone_crs,
        tail_joined=scan.rest_joined and last is None,
    )


@dataclass
class Merged:
    """The merged state, and what opening had to say about the logs."""

    cards: dict[str, CardState] = field(default_factory=dict)
    marks: dict[str, Marks] = field(default_factory=dict)
    last: dict[str, int] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    sources: dict[str, Reflected] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    changed: bool = False  # differs from the state file it started from
    replayed: int = 0  # cards rebuilt from all their records (for tests and figures)
    short: list[tuple[str, int, int]] = field(default_factory=list)  # (log, size, expected)
    rebuilt: bool = False  # a full rebuild happened

    def apply_new(self, when: int, record: Record) -> None:
        """A record newer than what the state reflects (merged order, one at a time)."""
        card = record.card
        if card in self.dirty:
            return
        if when > self.last.get(card, -1):
            apply_record(self.cards, self.marks, record)
            self.last[card] = when
        else:  # older than what is applied, or a duplicate: the card's order is redone
            self.dirty.add(card)
        self.changed = True


def _ordered(batches: Iterable[tuple[str, list[Record]]]) -> list[tuple[int, str, Record]]:
    """Merged order: time, then log name, then position (the sort is stable)."""
    rows = [(time_us(r), name, r) for name, recs in batches for r in recs]
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def _unique(rows: Iterable[tuple[int, str, Record]]) -> Iterator[tuple[int, str, Record]]:
    seen: set[str] = set()
    for row in rows:
        rid = record_id(row[2])
        if rid not in seen:
            seen.add(rid)
            yield row


def _first_lines(lines: list[int]) -> str:
    """Line numbers as a notice shows them: the first ten, then "…"."""
    return ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")


def _damaged_notice(bad: dict[str, list[int]], joined: dict[str, list[int]]) -> list[str]:
    notes = []
    for name, lines in bad.items():
        if lines:
            note = (
                f"{len(lines)} damaged line(s) in {name} were skipped (lines "
                f"{_first_lines(lines)}). The file itself was left untouched."
            )
            together = joined.get(name)
            if together:
                note += (
                    f" Line(s) {_first_lines(together)} hold several records joined on one "
                    "line (line breaks removed, e.g. by an editor or a sync tool): on the "
                    "device that writes it, put each record back on a line of its own."
                )
            notes.append(note)
    return notes


def log_notices(name: str, scan: Scan) -> list[str]:
    """What the user is told about a log read whole or in part (but for damaged lines:
    ``_damaged_notice``, at a rebuild, which can say which lines)."""
    from dlquiz.review_log import LOG_LIMIT_TEXT

    notes = []
    if scan.too_big:
        notes.append(
            f"{name} is {scan.too_big / 2**20:.0f} MB, larger than any review log dlquiz "
            f"reads ({LOG_LIMIT_TEXT}): it was not read, so "
            "its reviews are missing from your history. The file itself was left untouched."
        )
    if scan.lone_crs:
        notes.append(
            f"{name} has carriage returns for line breaks ({scan.lone_crs} of them; changed "
            "by an editor or a sync tool). Its records were read all the same, and the file "
            "was left untouched. Turn its line endings back into newlines (LF) on the device "
            "that writes it: dlquiz there will not start until then."
        )
    if scan.tail_joined:
        notes.append(
            f"{name} holds several records after its last line break (its line breaks were "
            "removed or changed, e.g. by an editor or a sync tool): they were not read, so "
            "those reviews are missing from your history. The file itself was left "
            "untouched. On the device that writes it, put each record back on a line of "
            "its own (LF)."
        )
    return notes


def rebuild(home: Path, sources: dict[str, Path] | None = None) -> Merged:
    """Every card from every log, from scratch."""
    gc.disable()  # many small objects at once: the collector's scans only slow it down
    try:
        return _rebuild(devices.log_sources(home) if sources is None else sources)
    finally:
        gc.enable()


def _rebuild(sources: dict[str, Path]) -> Merged:
    merged = Merged(changed=True, rebuilt=True)
    batches: list[tuple[str, list[Record]]] = []
    bad: dict[str, list[int]] = {}
    joined: dict[str, list[int]] = {}
    for name, path in sources.items():
        scan = read_log(path)
        batches.append((name, scan.records))
        bad[name], joined[name] = scan.bad_lines, scan.joined
        merged.sources[name] = Reflected(scan.end, scan.tail)
        merged.notices += log_notices(name, scan)
        if (
            name == devices.LEGACY_LOG
            and not (scan.too_big or scan.tail_joined)
            and _size(path) > scan.end
        ):
            # Another device's log may end mid-line while it syncs; this one never grows
            # again here, so its half line is an answer cut short by a crash.
            merged.notices.append(
                f"{name} has a half-written last line (dlquiz was stopped while saving an "
                "answer). That answer was not recorded; the line is left as it is."
            )
    for when, _, record in _unique(_ordered(batches)):
        apply_record(merged.cards, merged.marks, record)
        merged.last[record.card] = max(merged.last.get(record.card, -1), when)
    merged.replayed = len(merged.last)
    merged.notices += _damaged_notice(bad, joined)
    return merged


def replay(home: Path, merged: Merged, sources: dict[str, Path]) -> None:
    """Rebuild the dirty cards exactly, from all their records up to what is reflected."""
    cards = merged.dirty
    batches = []
    for name, path in sources.items():
        stop = merged.sources[name].size if name in merged.sources else 0
        scan = read_log(path, 0, stop)
        batches.append((name, [r for r in scan.records if r.card in cards]))
    for card in cards:
        merged.cards.pop(card, None)
        merged.marks.pop(card, None)
        merged.last.pop(card, None)
    for when, _, record in _unique(_ordered(batches)):
        apply_record(merged.cards, merged.marks, record)
        merged.last[record.card] = max(merged.last.get(record.card, -1), when)
    merged.replayed += len(cards)
    merged.dirty = set()
    merged.changed = True


def catch_up(home: Path, saved: DeviceState | None) -> Merged:
    """The saved state brought up to every log on disk (see the module's docstring)."""
    sources = devices.log_sources(home)
    if saved is None:
        return rebuild(home, sources)
    short: list[tuple[str, int, int]] = []
    for name, seen in saved.sources.items():
        path = sources.get(name)
        size = -1 if path is None else _complete_size(path)
        if size < seen.size:
            # Emptied, cut or gone: the state knows more than the log, so it is kept
            # (the store keeps a copy and tells the user).
            short.append((name, max(size, 0), seen.size))
        elif path is not None and not _same_prefix(path, seen):
            merged = rebuild(home, sources)
            merged.notices.append(
                f"The review log {name} was replaced since the last start; the state was "
                "rebuilt from the logs on disk."
            )
            return merged
    merged = Merged(
        cards=dict(saved.cards),
        marks=dict(saved.marks),
        last=dict(saved.last),
        dirty=set(saved.dirty),
        sources=dict(saved.sources),
        changed=bool(saved.dirty or short),
        short=short,
    )
    for name, _, _ in short:
        # What is left of it is older than the state: reflected, not applied again.
        if name in sources:
            scan = read_log(sources[name])
            merged.sources[name] = Reflected(scan.end, scan.tail)
        else:
            del merged.sources[name]
    batches = []
    for name, path in sources.items():
        ref = merged.sources.get(name)
        start = ref.size if ref is not None else 0
        scan = read_log(path, start)
        if scan.bad_lines:  # rebuilt, so the notice can say which lines
            return rebuild(home, sources)
        merged.notices += log_notices(name, scan)
        if scan.end != start or ref is None:
            merged.sources[name] = Reflected(scan.end, scan.tail)
            merged.changed = True
        batches.append((name, scan.records))
    for when, _, record in _ordered(batches):
        merged.apply_new(when, record)
    if merged.dirty:
        replay(home, merged, sources)
    return merged


def history(home: Path) -> list[Record]:
    """Every device's records in merged order, each once (damaged lines skipped)."""
    gc.disable()  # 100k records at once: the collector's scans would cost a third more
    try:
        batches = [
            (name, read_log(path).records) for name, path in devices.log_sources(home).items()
        ]
        return merged(batches)
    finally:
        gc.enable()


def merged(batches: Iterable[tuple[str, list[Record]]]) -> list[Record]:
    """The records of several logs (by log name) in merged order, each once."""
    return [record for _, _, record in _unique(_ordered(batches))]


def history_since(home: Path, moment: datetime) -> list[Record]:
    """Records at or after ``moment`` from every log, merged; costs only the recent ones."""
    from dlquiz.review_log import ReviewLog

    batches = [
        (name, ReviewLog(path).records_since(moment))
        for name, path in devices.log_sources(home).items()
    ]
    return [record for _, _, record in _unique(_ordered(batches))]


def known_ids(home: Path) -> set[str]:
    return {record_id(r) for r in history(home)}
