"""One data folder, several devices: who this device is and which files are its own.

A data folder may live in a folder that Syncthing, Dropbox, Nextcloud or git keeps
in step between machines. No sync tool can merge two versions of one file safely,
so no file is ever written by two devices:

``logs/<device>.jsonl``   this device's review log (append-only, fsynced)
``reviews.jsonl``         a log from before devices (dlquiz < layout 2): read
                          forever as one more log, never written again
``state/<device>.json``   this device's derived state (rebuilt from all the logs)
``settings/<device>.json`` this device's settings (a new device starts from the
                          legacy ``settings.json`` or the newest other device's)
``locks/<device>.lock``   held while dlquiz runs here; other devices' locks are
                          never looked at
``state.json``            a layout marker (schema 2): an older dlquiz reads it,
                          sees a newer schema and refuses the folder
``conflicts/``            conflict copies made by sync tools, set aside

The device id is kept outside the synced folder (the platform's user config
folder), so a synced folder never carries it to another machine.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ENV_DEVICE_ID: Final = "DLQUIZ_DEVICE_ID"
LAYOUT_VERSION: Final = 2  # the ``schema_version`` of the marker an older dlquiz reads
LEGACY_LOG: Final = "reviews.jsonl"
LEGACY_SETTINGS: Final = "settings.json"
MARKER: Final = "state.json"
LOGS: Final = "logs"
STATES: Final = "state"
SETTINGS: Final = "settings"
LOCKS: Final = "locks"
CONFLICTS: Final = "conflicts"

_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class DeviceError(Exception):
    """The device id cannot be read or made; ``str`` is one sentence for the user."""


def valid_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:16].strip("-") or "device"


def new_device_id() -> str:
    """A readable, unique id: the host name and 8 random hex digits."""
    import socket  # late: only a first run names its device

    # os.urandom, as secrets.token_hex: without importing secrets (hmac, OpenSSL) at start.
    return f"{_slug(socket.gethostname())}-{os.urandom(4).hex()}"


def default_id_path() -> Path:
    from platformdirs import user_config_path  # late: only needed without an override

    return user_config_path("dlquiz", appauthor=False) / "device-id"


def device_id(path: Path | None = None) -> str:
    """This device's id: ``$DLQUIZ_DEVICE_ID``, else the id file (made on first use)."""
    env = os.environ.get(ENV_DEVICE_ID, "").strip()
    if env:
        if not valid_id(env):
            raise DeviceError(
                f"{ENV_DEVICE_ID}={env!r} is not a device id (lower-case letters, digits and "
                "dashes, at most 40)."
            )
        return env
    path = path or default_id_path()
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise DeviceError(f"cannot read the device id in {path}: {exc}") from exc
    if valid_id(text):
        return text
    if text:
        raise DeviceError(
            f"{path} does not hold a device id; delete it and dlquiz makes a new one."
        )
    new = new_device_id()
    tmp = path.with_name(f".{path.name}.{os.urandom(8).hex()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(new + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # A link appears whole or not at all, and never replaces: two dlquiz starting
        # at once on a new machine agree on the first id written.
        os.link(tmp, path)
    except FileExistsError:
        return device_id(path)
    except OSError as exc:
        raise DeviceError(f"cannot save the device id in {path}: {exc.strerror}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return new


@dataclass(frozen=True)
class Layout:
    """Where one device's files are in a data folder."""

    home: Path
    device: str

    @property
    def own_log(self) -> Path:
        return self.home / LOGS / f"{self.device}.jsonl"

    @property
    def state(self) -> Path:
        return self.home / STATES / f"{self.device}.json"

    @property
    def settings(self) -> Path:
        return self.home / SETTINGS / f"{self.device}.json"

    @property
    def lock(self) -> Path:
        return self.home / LOCKS / f"{self.device}.lock"

    @property
    def marker(self) -> Path:
        return self.home / MARKER

    @property
    def legacy_log(self) -> Path:
        return self.home / LEGACY_LOG

    def folders(self) -> list[Path]:
        return [self.home / name for name in (LOGS, STATES, SETTINGS, LOCKS)]


def is_dlquiz_file(home: Path, path: Path) -> bool:
    """A file dlquiz keeps in ``home`` (any device's), which nothing else may overwrite."""
    try:
        rel = path.resolve().relative_to(home.resolve())
    except (ValueError, OSError):
        return False
    top = rel.parts[0] if rel.parts else ""
    if len(rel.parts) == 1:
        return top in {LEGACY_LOG, MARKER, LEGACY_SETTINGS, "dlquiz.lock"}
    return top in {LOGS, STATES, SETTINGS, LOCKS, CONFLICTS}


def log_sources(home: Path) -> dict[str, Path]:
    """Every log to merge, by a name that is the same on every device."""
    found: dict[str, Path] = {}
    legacy = home / LEGACY_LOG
    if legacy.is_file():
        found[LEGACY_LOG] = legacy
    entries: list[os.DirEntry[str]] = []
    with contextlib.suppress(OSError):
        entries = sorted(os.scandir(home / LOGS), key=lambda e: e.name)
    for entry in entries:
        stem = entry.name.removesuffix(".jsonl")
        if entry.name.endswith(".jsonl") and valid_id(stem) and _is_file(entry):
            found[f"{LOGS}/{entry.name}"] = Path(entry.path)
    return dict(sorted(found.items()))


def _is_file(entry: os.DirEntry[str]) -> bool:
    """A regular file, through links; an entry that cannot be followed (a link to
    itself, a loop) is none. Asked in one try for the whole folder, it hid every log
    that sorts after it."""
    try:
        return entry.is_file()
    except OSError:
        return False


def device_of(source: str) -> str:
    """The device a log name belongs to (``legacy`` for the pre-device log)."""
    if source == LEGACY_LOG:
        return "legacy"
    return source.removeprefix(f"{LOGS}/").removesuffix(".jsonl")


def settings_candidates(layout: Layout) -> list[Path]:
    """Where to read settings from, best first: this device's, the legacy shared
    file, then other devices' newest first (a new device starts from those)."""
    own = layout.settings
    others: list[tuple[float, str, Path]] = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(layout.home / SETTINGS):
            stem = entry.name.removesuffix(".json")
            if entry.name.endswith(".json") and valid_id(stem) and stem != layout.device:
                with contextlib.suppress(OSError):
                    others.append((-entry.stat().st_mtime, entry.name, Path(entry.path)))
    return [own, layout.home / LEGACY_SETTINGS, *(p for _, _, p in sorted(others))]


# ----- conflict copies -------------------------------------------------------------------

_SYNC_TEMP = re.compile(r"^[.~]|\.(tmp|part|partial)$|~$", re.IGNORECASE)


def is_conflict_copy(name: str) -> bool:
    """A copy a sync tool made when two versions met: Syncthing ``.sync-conflict-``,
    Dropbox ``(conflicted copy)``, Nextcloud/ownCloud ``_conflict-`` or
    ``(conflicted copy …)``, Resilio ``.Conflict``. A sync tool's own temp file
    (hidden, ``.tmp``, ``.part``) is never one: it is still being written."""
    if _SYNC_TEMP.search(name):
        return False
    return "conflict" in name.lower()


_TOP_STEMS = ("reviews", "state", "settings", "dlquiz")


def conflict_copies(home: Path) -> list[Path]:
    """Conflict copies of dlquiz's files: in the folders it owns, and of its files at the
    top (never anything else of the user's, nor inside ``conflicts/`` or ``decks/``)."""
    found: list[Path] = []
    for folder in (home, *(home / name for name in (LOGS, STATES, SETTINGS, LOCKS))):
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                if folder == home and not entry.name.lower().startswith(_TOP_STEMS):
                    continue
                if is_conflict_copy(entry.name) and entry.is_file(follow_symlinks=False):
                    found.append(Path(entry.path))
    return sorted(found)


def is_log_copy(path: Path) -> bool:
    return ".jsonl" in path.name.lower()


def set_aside(home: Path, path: Path) -> Path:
    """Move a conflict copy into ``conflicts/`` (never deleted: the user may want it)."""
    folder = home / CONFLICTS
    folder.mkdir(exist_ok=True)
    rel = path.relative_to(home).as_posix().replace("/", "__")
    target = folder / rel
    n = 1
    while target.exists():
        target = folder / f"{rel}.{n}"
        n += 1
    os.replace(path, target)
    return target
