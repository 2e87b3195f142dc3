"""Power loss at every acknowledgement: no acknowledged answer may vanish (issue 14).

Answers are recorded through the real workspace and Store while a tracer wraps
the os-level calls. The tracer keeps what the POSIX rules say survives a power
cut, and nothing more:

* a file's bytes survive only as they were at its last fsync;
* a name in a folder (a created file, a made folder, a rename) survives only
  once that folder has been fsynced after it.

At each acknowledgement (``store.append`` returned: the user was told "saved")
two worst-case images are built: every folder as of its last fsync, and every
folder as it is live (metadata written, data not). Each image is written out
and opened with the real Store, and every acknowledged answer must be there.

The model only looks at fsync (data and folder listings are read at that
moment); the other calls are traced to explain a failure.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import T0

Entry = tuple[int, bool]  # (inode, is a folder)


@dataclass
class Image:
    acked: list[str]
    files: dict[str, bytes]  # path relative to the root -> bytes
    folders: list[str]
    how: str


@dataclass
class PowerModel:
    """What survives a power cut, per the rules above, for everything under ``root``."""

    root: Path
    durable_data: dict[int, bytes] = field(default_factory=dict)
    durable_dirs: dict[int, dict[str, Entry]] = field(default_factory=dict)
    held: dict[int, int] = field(default_factory=dict)  # inode -> fd, so no inode is reused
    trace: list[str] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self._real: dict[str, Callable[..., Any]] = {}
        self._snapshot_tree(self.root)  # what exists before the run is on disk

    # ----- bookkeeping -----------------------------------------------------------

    def _open(self, path: str) -> int:
        return self._real.get("open", os.open)(path, os.O_RDONLY | os.O_NONBLOCK)

    def _hold(self, ino: int, path: str) -> None:
        if ino not in self.held:
            with contextlib.suppress(OSError):
                self.held[ino] = self._open(path)

    def _listing(self, folder: str) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        with os.scandir(folder) as entries:
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
                    out[entry.name] = (st.st_ino, stat.S_ISDIR(st.st_mode))
                    self._hold(st.st_ino, entry.path)
        return out

    def _read(self, path: str) -> bytes:
        fd = self._open(path)
        try:
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def _snapshot_tree(self, folder: Path) -> None:
        st = os.stat(folder)
        listing = self._listing(str(folder))
        self.durable_dirs[st.st_ino] = listing
        for name, (ino, is_dir) in listing.items():
            if is_dir:
                self._snapshot_tree(folder / name)
            else:
                self.durable_data[ino] = self._read(str(folder / name))

    def _under_root(self, path: str) -> bool:
        return path == str(self.root) or path.startswith(str(self.root) + os.sep)

    def on_fsync(self, fd: int) -> None:
        """After a successful fsync: the file's bytes, or the folder's names, are durable."""
        try:
            path = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return
        if not self._under_root(path):
            return
        with self.lock:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                self.durable_dirs[st.st_ino] = self._listing(path)
                self.trace.append(f"fsync dir {path}")
            elif stat.S_ISREG(st.st_mode):
                self._hold(st.st_ino, f"/proc/self/fd/{fd}")
                self.durable_data[st.st_ino] = self._read(f"/proc/self/fd/{fd}")
                self.trace.append(f"fsync {path} ({st.st_size} bytes)")

    def note(self, op: str, *args: object) -> None:
        if any(isinstance(a, (str, os.PathLike)) and self._under_root(str(a)) for a in args):
            with self.lock:
                self.trace.append(f"{op} {' '.join(map(str, args))}")

    # ----- images ----------------------------------------------------------------

    def image(self, acked: list[str], live_dirs: bool) -> Image:
        with self.lock:
            files: dict[str, bytes] = {}
            folders: list[str] = []

            def walk(folder: Path, ino: int, rel: str) -> None:
                listing = (
                    self._listing(str(folder)) if live_dirs else self.durable_dirs.get(ino, {})
                )
                for name, (child, is_dir) in listing.items():
                    child_rel = f"{rel}/{name}" if rel else name
                    if is_dir:
                        folders.append(child_rel)
                        walk(folder / name, child, child_rel)
                    else:
                        files[child_rel] = self.durable_data.get(child, b"")

            walk(self.root, os.stat(self.root).st_ino, "")
            how = "live folders, fsynced bytes" if live_dirs else "fsynced folders and bytes"
            return Image(list(acked), files, folders, how)

    def close(self) -> None:
        for fd in self.held.values():
            os.close(fd)
        self.held.clear()

    # ----- the tracer ------------------------------------------------------------

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = self._real
        for name in ("open", "fsync", "fdatasync", "replace", "rename", "mkdir", "ftruncate"):
            real[name] = getattr(os, name)
        real["unlink"] = os.unlink

        def fsync(fd: int) -> None:
            real["fsync"](fd)
            self.on_fsync(fd)

        def fdatasync(fd: int) -> None:
            real["fdatasync"](fd)
            self.on_fsync(fd)

        def traced(name: str) -> Callable[..., Any]:
            def call(*args: Any, **kwargs: Any) -> Any:
                result = real[name](*args, **kwargs)
                self.note(name, *args)
                return result

            return call

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "fdatasync", fdatasync)
        for name in ("open", "replace", "rename", "mkdir", "unlink"):
            monkeypatch.setattr(os, name, traced(name))


def materialise(image: Image, where: Path) -> None:
    where.mkdir(parents=True)
    for folder in sorted(image.folders):
        (where / folder).mkdir(parents=True, exist_ok=True)
    for rel, data in image.files.items():
        (where / rel).write_bytes(data)


# ----- the workload, through the real core (the only place that knows its API) -------------


def _record_ids(store: Any) -> set[str]:
    return {_id_of(record) for record in store.iter_log()}


def _answer_some(home: Path, n: int, on_ack: Callable[[str], None], minutes: int = 0) -> None:
    """Open the study as the app does and answer ``n`` cards, each acknowledged."""
    from dlquiz.study import Study

    now = T0 + timedelta(minutes=minutes)
    study = Study.open(home, with_skills=False, now=now)
    try:
        for _ in range(n):
            spec = study.next_card(now)
            assert spec is not None
            recorded = study.answer(spec.id, study.outcomes(spec.id, now)[3], now, 1500)
            on_ack(_id_of(recorded.record))  # the user has been told: saved
            now += timedelta(seconds=20)
    finally:
        study.close()


def _id_of(record: Any) -> str:
    rid = record.get("id") if isinstance(record, dict) else getattr(record, "id", None)
    assert isinstance(rid, str)
    return rid


def _check_images(images: list[Image], out: Path, trace: list[str]) -> None:
    from dlquiz.store import Store

    lost: list[str] = []
    for k, image in enumerate(images):
        where = out / f"image-{k}"
        materialise(image, where)
        home = where / "data"
        store = Store(home).open()
        try:
            missing = [rid for rid in image.acked if rid not in _record_ids(store)]
        finally:
            store.close()
        if missing:
            lost.append(
                f"image {k} ({image.how}, after {len(image.acked)} acks): "
                f"{len(missing)} acknowledged answer(s) lost; files {sorted(image.files)}"
            )
    assert not lost, "\n".join([*lost, "trace (last 40):", *trace[-40:]])


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int, prepared: bool) -> None:
    world = tmp_path / "world"
    world.mkdir()
    home = world / "data"
    monkeypatch.setenv("DLQUIZ_HOME", str(home))
    if prepared:  # an existing data folder, fully on disk before the power cut can come
        _answer_some(home, 3, lambda _rid: None, minutes=-600)
    model = PowerModel(world)
    acked: list[str] = []
    images: list[Image] = []

    def on_ack(rid: str) -> None:
        acked.append(rid)
        images.append(model.image(acked, live_dirs=False))
        images.append(model.image(acked, live_dirs=True))

    try:
        with monkeypatch.context() as traced:
            model.install(traced)
            _answer_some(home, n, on_ack)
        images.append(model.image(acked, live_dirs=False))  # after a clean close
    finally:
        model.close()
    assert len(acked) == n
    _check_images(images, tmp_path / "images", model.trace)


def test_power_loss_in_an_existing_data_folder_loses_no_acknowledged_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(tmp_path, monkeypatch, n=6, prepared=True)


def test_power_loss_in_a_new_data_folder_loses_no_acknowledged_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(tmp_path, monkeypatch, n=4, prepared=False)


def test_the_model_loses_what_was_never_fsynced(tmp_path: Path) -> None:
    """The harness itself: an unsynced write and an unsynced name do not survive."""
    world = tmp_path / "world"
    world.mkdir()
    model = PowerModel(world)
    mp = pytest.MonkeyPatch()
    try:
        model.install(mp)
        fd = os.open(world / "f", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"one")
        os.fsync(fd)
        os.write(fd, b"two")
        durable_name_missing = model.image([], live_dirs=False)
        live = model.image([], live_dirs=True)
        dfd = os.open(world, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)
        synced = model.image([], live_dirs=False)
        os.close(fd)
    finally:
        mp.undo()
        model.close()
    assert durable_name_missing.files == {}
    assert live.files == {"f": b"one"}
    assert synced.files == {"f": b"one"}
