"""The statistics' tally of the review logs, saved in the data folder: the next run
carries it on.

Without it, the first statistics of every run read and tallied the whole history
(about a second at 100k reviews); with it, a run reads only what was appended since
the last tally. The file (``cache/stats-<device>.json``) holds the figures per study
day and what carrying them on needs: every review id met, the reviews undone, and the
cards looked at and first studied on the last study day (records appended later fall
on that day or after: ``Tally.carry_on`` starts again otherwise).

It is keyed by the logs' names and paths, the bytes tallied of each and the last of
them, the time zone and the day-start hour; anything else (a log added or rewritten,
another zone, a zone without a stable name) is a miss. Like every file in the data
folder it is untrusted: read only if it is a regular file no larger than the logs it
sums up and its checksum matches (a damaged id would still decode, and a copied
review would count twice), decoded typed and validated, and checked for consistency.
A miss or a damaged file only means a tally from scratch; a failed save (a full disk,
a read-only folder) only means the same next time. One file per device, so devices
syncing a folder never write the same one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, timezone, tzinfo
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta, Struct

from dlquiz.records import Id, UtcTime
from dlquiz.stats_log import Kept, LogEnd, Tally

VERSION = 1
Count = Annotated[int, Meta(ge=0, le=10**12)]
CardId = Annotated[str, Meta(min_length=1, max_length=300)]
Name = Annotated[str, Meta(max_length=300)]
SLACK_BYTES = 1 << 20  # beyond the log's own size: the per-day figures of a tiny log


class _Log(Struct, forbid_unknown_fields=True):
    name: Name
    path: str
    end: Count
    tail: Annotated[str, Meta(max_length=1024)]


class _Saved(Struct, forbid_unknown_fields=True):
    v: Annotated[int, Meta(ge=1, le=1000)]
    logs: list[_Log]
    last: UtcTime | None
    zone: Name
    hour: Annotated[int, Meta(ge=0, le=23)]
    reviews: Count
    per_day: dict[date, Count]
    new_per_day: dict[date, Count]
    looks: dict[date, tuple[Count, Count]]  # passed, total
    mistakes: list[tuple[Name, Name, Count]]
    seen: list[Id]
    undone: list[Id]
    looked: list[CardId]  # on the last study day
    new: list[CardId]  # first studied on the last study day


_decoder = msgspec.json.Decoder(_Saved)
_encoder = msgspec.json.Encoder()


def zone_name(tz: tzinfo) -> str | None:
    """A name that means the same zone in another run, or None."""
    if isinstance(tz, ZoneInfo):
        return f"zone:{tz.key}"
    if isinstance(tz, timezone):  # what ``local_tz`` gives: today's offset
        offset = tz.utcoffset(None)
        return f"offset:{int(offset.total_seconds())}"
    return None


def saved_path(home: Path, device: str) -> Path:
    return home / "cache" / f"stats-{device}.json"


def save(kept: Kept, device: str) -> None:
    """Save ``kept`` for ``device``'s next run (nothing if its zone has no stable name);
    failures are ignored."""
    from dlquiz.safe_io import atomic_write, make_dirs

    tally = kept.tally
    tz, hour = tally.key
    zone = zone_name(tz)
    if zone is None:
        return
    last_day = tally.last_day
    saved = _Saved(
        v=VERSION,
        logs=[_Log(name, str(end.path), end.end, end.tail) for name, end in kept.logs.items()],
        last=kept.last,
        zone=zone,
        hour=hour,
        reviews=tally.reviews,
        per_day=dict(tally.per_day),
        new_per_day=dict(tally.new_per_day),
        looks={day: (row[0], row[1]) for day, row in tally.looks.items()},
        mistakes=[(family, name, n) for (family, name), n in tally.mistakes.items()],
        seen=list(tally.seen),
        undone=list(tally.undone),
        looked=list(tally.looked.get(last_day, ())) if last_day is not None else [],
        new=list(tally.new.get(last_day, ())) if last_day is not None else [],
    )
    path = saved_path(kept.home, device)
    try:
        make_dirs(path.parent)
        body = _encoder.encode(saved)
        atomic_write(path, hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    except (OSError, ValueError):
        pass  # the next run tallies from scratch, as it did before this file existed


def load(home: Path, device: str, tz: tzinfo, hour: int) -> Kept | None:
    """The tally ``device`` saved in zone ``tz`` with days starting at ``hour``, or None
    (missing, damaged, inconsistent, or saved for anything else). Whether its logs are
    the folder's logs, grown only, is for the caller to check (``stats_log``)."""
    from dlquiz import devices
    from dlquiz.safe_io import read_regular

    zone = zone_name(tz)
    if zone is None:
        return None
    try:
        limit = SLACK_BYTES + sum(p.stat().st_size for p in devices.log_sources(home).values())
        digest, _, body = read_regular(saved_path(home, device), limit).partition(b"\n")
        if hashlib.sha256(body).hexdigest().encode() != digest:
            return None
        saved = _decoder.decode(body)
    except (OSError, msgspec.DecodeError):
        return None
    if (saved.v, saved.zone, saved.hour) != (VERSION, zone, hour):
        return None
    seen = set(saved.seen)
    if not _consistent(saved, seen):
        return None
    logs = {log.name: LogEnd(Path(log.path), log.end, log.tail) for log in saved.logs}
    return Kept(home, logs, saved.last, _tally(saved, seen, tz, hour))


def _consistent(saved: _Saved, seen: set[str]) -> bool:
    """What a tally's figures always satisfy (a hand-edited file may not)."""
    return (
        len({log.name for log in saved.logs}) == len(saved.logs)
        and sum(saved.per_day.values()) == saved.reviews
        and len(seen) == len(saved.seen)
        and saved.reviews <= len(seen)
        and all(passed <= total for passed, total in saved.looks.values())
        and set(saved.new_per_day) <= set(saved.per_day)
        and set(saved.looks) <= set(saved.per_day)
        and ((not saved.looked and not saved.new) or bool(saved.per_day))
    )


def _tally(saved: _Saved, seen: set[str], tz: tzinfo, hour: int) -> Tally:
    tally = Tally(tz, hour)
    tally.seen = seen
    tally.undone = set(saved.undone)
    tally.reviews = saved.reviews
    tally.per_day = defaultdict(int, saved.per_day)
    tally.new_per_day = defaultdict(int, saved.new_per_day)
    tally.looks = {day: [passed, total] for day, (passed, total) in saved.looks.items()}
    mistakes: defaultdict[tuple[str, str], int] = defaultdict(int)
    for family, name, n in saved.mistakes:
        mistakes[(family, name)] += n
    tally.mistakes = mistakes
    last_day = tally.last_day
    if last_day is not None:
        tally.looked = {last_day: set(saved.looked)}
        tally.new = {last_day: set(saved.new)}
    return tally
