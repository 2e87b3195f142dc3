"""Hostile files in the data folder, run against the real entry points (issue 14).

One test (at least) per point of the issue; each names its point. Every entry
point (``stats``, ``export``, ``check``, ``optimize`` and the app started
headless) must end with a message, never a traceback, and keep the user's bytes.
Special files are twins in tmp_path; no test touches a real device.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from dlquiz import __main__ as cli
from dlquiz.content import ContentError
from dlquiz.store import Store, StoreError
from tests.conftest import LOCK_NAME, LOG_NAME, STATE_NAME, T0, OwnedStore
from tests.test_power_loss import _answer_some

SIZE = (100, 40)


@dataclass
class Outcome:
    code: int | None
    out: str
    err: str


def run_cli(home: Path, *argv: str) -> Outcome:
    """``dlquiz --data-dir HOME ARGV`` in this process; a traceback fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: int | None = cli.main(["--data-dir", str(home), *argv])
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return Outcome(code, out.getvalue(), err.getvalue())


def _no_generation(family: str, level: int, seed: int) -> object:
    raise RuntimeError("no questions are generated in fault tests")


async def _start_app(home: Path) -> Outcome:
    try:
        app = cli.make_app(home, generator=_no_generation)  # type: ignore[arg-type]
    except (StoreError, ContentError) as exc:  # what the CLI prints as one message
        return Outcome(2, "", str(exc))
    # With its notices drawn, as a user sees them (run_test leaves them out by default):
    # a notice the app cannot draw fails the start here too.
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.pause()
        await pilot.press("q")
    return Outcome(app.return_code, "", "")


def start_app(home: Path) -> Outcome:
    """The app started headless and quit; its exceptions are re-raised by run_test."""
    return asyncio.run(_start_app(home))


def every_entry_point(home: Path, scratch: Path, deck: Path | None = None) -> dict[str, Outcome]:
    """Run each entry point once (read-only ones first); raise on any traceback."""
    scratch.mkdir(parents=True, exist_ok=True)
    results = {
        "stats": run_cli(home, "stats", "--json"),
        "export": run_cli(home, "export", "log", str(scratch / "log.csv")),
        "check": run_cli(home, "check", str(deck or home / "decks")),
        "app": start_app(home),
        "optimize": run_cli(home, "optimize", "--dry-run"),
        "stats-after": run_cli(home, "stats", "--json"),
    }
    for name, outcome in results.items():
        assert "Traceback" not in outcome.err, f"{name}: {outcome.err}"
    return results


_STUDIED: dict[int, tuple[Path, list[str]]] = {}


def studied(home: Path, n: int = 5) -> list[str]:
    """A data folder with ``n`` acknowledged answers; returns their record ids.

    Made once per ``n`` per test process, then copied: answering through the real
    core costs half a second.
    """
    if n not in _STUDIED:
        scratch = Path(tempfile.mkdtemp(prefix="dlquiz-faults-"))
        atexit.register(shutil.rmtree, scratch, True)
        source = scratch / "data"
        ids: list[str] = []
        _answer_some(source, n, ids.append)
        _STUDIED[n] = (source, ids)
    source, ids = _STUDIED[n]
    shutil.copytree(source, home)
    return list(ids)


def log_ids(home: Path) -> set[str]:
    ids = set()
    for line in (home / LOG_NAME).read_bytes().splitlines():
        with contextlib.suppress(ValueError, AttributeError, RecursionError):
            ids.add(json.loads(line).get("id"))
    return ids


def reviews_in_stats(outcome: Outcome) -> int:
    return int(json.loads(outcome.out)["totals"]["reviews"])


# ----- 1. the lock file is a symlink ------------------------------------------------------


def test_1_lock_symlink_never_touches_its_target(home: Path, tmp_path: Path) -> None:
    studied(home, 1)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    (home / LOCK_NAME).unlink()
    (home / LOCK_NAME).symlink_to(victim)
    results = every_entry_point(home, tmp_path / "scratch")
    assert victim.read_bytes() == b"precious"
    assert results["app"].code == 2 and LOCK_NAME in results["app"].err


@pytest.mark.parametrize("how", ["hard link", "foreign content"])
def test_1_lock_never_truncates_a_file_it_did_not_make(
    home: Path, tmp_path: Path, how: str
) -> None:
    studied(home, 1)
    lock = home / LOCK_NAME
    lock.unlink()
    if how == "hard link":
        victim = tmp_path / "victim.txt"
        victim.write_bytes(b"12345")  # looks like a pid, but has a second name
        os.link(victim, lock)
    else:
        victim = lock
        victim.write_bytes(b"notes the user keeps here\n")
    before = victim.read_bytes()
    with Store(home):
        pass
    assert victim.read_bytes() == before


def test_1_lock_fifo_twin_is_refused_without_hanging(home: Path, tmp_path: Path) -> None:
    studied(home, 1)
    (home / LOCK_NAME).unlink()
    os.mkfifo(home / LOCK_NAME)
    with pytest.raises(StoreError, match=LOCK_NAME):
        Store(home).open()
    assert stat.S_ISFIFO(os.lstat(home / LOCK_NAME).st_mode)


# ----- 3. an emptied or truncated log next to a state that knows more -----------------------


@pytest.mark.parametrize("keep", [0, 100])
def test_3_emptied_log_keeps_the_state_and_says_so(home: Path, tmp_path: Path, keep: int) -> None:
    studied(home, 5)
    state_before = (home / STATE_NAME).read_bytes()
    with open(home / LOG_NAME, "rb+") as handle:
        handle.truncate(keep)
    with OwnedStore(home) as store:  # the first start after the damage
        assert len(store.cards) == 5, "the schedules state.json knew were thrown away"
        assert any(LOG_NAME in notice for notice in store.notices)
    every_entry_point(home, tmp_path / "scratch")
    with OwnedStore(home, read_only=True) as store:
        assert len(store.cards) == 5
    assert any(p.is_file() and p.read_bytes() == state_before for p in home.rglob("*")), (
        "the state that knew more is not kept anywhere"
    )


# ----- 4. temp files dlquiz did not create --------------------------------------------------


def test_4_only_dlquizs_own_temp_files_are_deleted(home: Path) -> None:
    from dlquiz.safe_io import TEMP_PREFIX

    studied(home, 1)
    mine = home / ".notes.tmp"
    mine.write_text("the user's own")
    alive = home / f"{TEMP_PREFIX}export.csv.{os.getpid()}.0123456789abcdef.tmp"
    alive.write_text("being written by a live dlquiz")
    dead = home / f"{TEMP_PREFIX}state.json.999999999.0123456789abcdef.tmp"
    dead.write_text("left by a crash")
    Store(home).open().close()
    assert mine.read_text() == "the user's own"
    assert alive.exists()
    assert not dead.exists()


# ----- 5. values from disk are trusted -------------------------------------------------------

BAD_VALUES: list[tuple[str, Callable[[dict[str, object]], None]]] = [
    ("state 7", lambda r: r["after"].__setitem__(2, 7)),  # type: ignore[attr-defined]
    ("string stability", lambda r: r["after"].__setitem__(3, "soon")),  # type: ignore[attr-defined]
    ("NaN difficulty", lambda r: r["after"].__setitem__(4, float("nan"))),  # type: ignore[attr-defined]
    ("1e308 stability", lambda r: r["after"].__setitem__(3, 1e308)),  # type: ignore[attr-defined]
    ("rating 1e400", lambda r: r.__setitem__("rating", float("inf"))),
]


@pytest.mark.parametrize(("label", "damage"), BAD_VALUES, ids=[b[0] for b in BAD_VALUES])
def test_5_bad_values_in_the_log_never_crash(
    home: Path, tmp_path: Path, label: str, damage: Callable[[dict[str, object]], None]
) -> None:
    ids = studied(home, 3)
    lines = (home / LOG_NAME).read_bytes().splitlines()
    record = json.loads(lines[1])
    damage(record)
    lines[1] = json.dumps(record).encode()
    (home / LOG_NAME).write_bytes(b"\n".join(lines) + b"\n")
    (home / STATE_NAME).unlink()  # rebuilt from the log, through the bad record
    every_entry_point(home, tmp_path / "scratch")
    assert {ids[0], ids[2]} <= log_ids(home)


# ----- 6. deep nesting ----------------------------------------------------------------------

DEEP = 100_000


def test_6_deep_state_json(home: Path, tmp_path: Path) -> None:
    ids = studied(home, 3)
    deep = b"[" * DEEP + b"]" * DEEP
    (home / STATE_NAME).write_bytes(deep)
    every_entry_point(home, tmp_path / "scratch")
    assert set(ids) <= log_ids(home)
    assert any(p.read_bytes() == deep for p in home.rglob("*") if p.is_file())


def test_6_deep_log_line(home: Path, tmp_path: Path) -> None:
    ids = studied(home, 3)
    with open(home / LOG_NAME, "ab") as handle:
        handle.write(b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"\n")
    (home / STATE_NAME).unlink()
    results = every_entry_point(home, tmp_path / "scratch")
    assert reviews_in_stats(results["stats"]) == 3
    assert set(ids) <= log_ids(home)


def test_6_deep_toml_deck(home: Path, tmp_path: Path) -> None:
    studied(home, 1)
    deck = home / "decks" / "deep.toml"
    deck.parent.mkdir()
    deck.write_text("x = " + "[" * DEEP + "]" * DEEP + "\n")
    every_entry_point(home, tmp_path / "scratch", deck=deck)


# ----- 7. an absurd log_size ---------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [
        -5,
        10**30,
        "12",
        1.5,
    ],
)
def test_7_absurd_log_size_means_a_rebuild(home: Path, tmp_path: Path, size: object) -> None:
    studied(home, 3)
    state = json.loads((home / STATE_NAME).read_bytes())
    state["log_size"] = size
    (home / STATE_NAME).write_text(json.dumps(state))
    results = every_entry_point(home, tmp_path / "scratch")
    assert results["app"].code == 0
    with OwnedStore(home, read_only=True) as store:
        assert len(store.cards) == 3


# ----- 8. a full disk while creating the data folder ----------------------------------------

_FULL_DISK = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))  # every write past 1 byte fails
    import dlquiz.tui.app as app_module
    app_module.DLQuizApp.run = lambda self, *a, **k: None  # no terminal here
    from dlquiz.__main__ import main
    sys.exit(main(["--data-dir", sys.argv[1]]))
    """
)


def test_8_full_disk_on_a_new_data_folder_is_one_message(tmp_path: Path) -> None:
    home = tmp_path / "new"
    proc = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2
    assert proc.stderr.startswith("dlquiz: ") and proc.stderr.count("\n") == 1


# ----- 9. state.json that is a device, a FIFO or huge -----------------------------------------

_STATS = "import sys; from dlquiz.__main__ import main; sys.exit(main(sys.argv[1:]))"


def _stats_subprocess(home: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _STATS, "--data-dir", str(home), "stats"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def _stats_with_fifo(home: Path, path: Path, what: str) -> subprocess.CompletedProcess[str]:
    """``dlquiz stats`` on ``home`` with a FIFO at ``path``; failing if it blocks."""
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    try:
        return _stats_subprocess(home, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"stats blocked on a FIFO {what}")


def test_9_fifo_state_json_does_not_block(home: Path) -> None:
    studied(home, 2)
    proc = _stats_with_fifo(home, home / STATE_NAME, "state.json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr


def test_9_fifo_review_log_is_refused_with_a_message(home: Path) -> None:
    studied(home, 2)
    proc = _stats_with_fifo(home, home / LOG_NAME, "review log")
    assert proc.returncode == 2 and "not a regular file" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert stat.S_ISFIFO(os.lstat(home / LOG_NAME).st_mode)


def test_9_fifo_layout_marker_does_not_block(home: Path) -> None:
    studied(home, 2)
    # The layout's version, read before anything else.
    proc = _stats_with_fifo(home, home / "state.json", "state.json marker")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr


def test_9_fifo_deck_is_reported_not_waited_on(home: Path) -> None:
    studied(home, 2)
    proc = _stats_with_fifo(home, home / "decks" / "a.toml", "deck")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "a.toml was not loaded (cannot read: is not a regular file)" in proc.stderr


def test_9_endless_device_state_json_is_refused(home: Path, tmp_path: Path) -> None:
    studied(home, 2)
    zero = tmp_path / "zero"
    try:
        os.mknod(zero, 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # a twin of /dev/zero
        os.close(os.open(zero, os.O_RDONLY))
    except (PermissionError, OSError):
        pytest.skip("device nodes cannot be made or opened here")
    (home / STATE_NAME).unlink()
    (home / STATE_NAME).symlink_to(zero)
    try:
        proc = _stats_subprocess(home, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("stats read an endless state.json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert (home / STATE_NAME).is_symlink() or any(p.is_symlink() for p in home.iterdir())


def test_9_huge_state_json_is_refused_by_size(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dlquiz.store as store_module

    studied(home, 2)
    if not hasattr(store_module, "MAX_STATE_BYTES"):
        pytest.fail("no size cap on state.json")
    monkeypatch.setattr(store_module, "MAX_STATE_BYTES", 1000)
    with open(home / STATE_NAME, "ab") as handle:
        handle.write(b" " * 2000)
    results = every_entry_point(home, tmp_path / "scratch")
    assert reviews_in_stats(results["stats"]) == 2


# ----- 11. the clock set back -----------------------------------------------------------------


def test_11_clock_set_back_keeps_todays_count(home: Path) -> None:
    from dlquiz.study import Study

    studied(home, 2)  # at T0
    _answer_some(home, 1, lambda _rid: None, minutes=-3 * 24 * 60)  # clock set back 3 days
    _answer_some(home, 1, lambda _rid: None, minutes=5)  # and right again
    now = T0 + timedelta(minutes=10)
    with Study.open(home, with_skills=False, read_only=True, now=now) as study:
        assert study.counts(now).reviewed_today == 3


# ----- 13. the smaller ones ------------------------------------------------------------------


def test_13_duplicated_log_line_counted_once(home: Path, tmp_path: Path) -> None:
    studied(home, 3)
    lines = (home / LOG_NAME).read_bytes().splitlines(keepends=True)
    (home / LOG_NAME).write_bytes(b"".join([*lines, lines[1]]))
    (home / STATE_NAME).unlink()
    results = every_entry_point(home, tmp_path / "scratch")
    assert reviews_in_stats(results["stats"]) == 3
    assert reviews_in_stats(results["stats-after"]) == 3


def test_13_last_record_without_newline_is_read(home: Path) -> None:
    studied(home, 3)
    data = (home / LOG_NAME).read_bytes()
    (home / LOG_NAME).write_bytes(data.rstrip(b"\n"))
    outcome = run_cli(home, "stats", "--json")
    assert reviews_in_stats(outcome) == 3
    assert outcome.err == "", "a misleading notice for a record that is all there"


def test_13_refused_second_instance_leaves_the_content_cache(home: Path) -> None:
    from dlquiz.store import AlreadyRunning
    from dlquiz.study import Study

    studied(home, 1)
    cache = home / "cache" / "content-this-device.pickle"
    cache.unlink()
    with Store(home), pytest.raises(AlreadyRunning):
        Study.open(home, with_skills=False)
    assert not cache.exists()


def test_13_state_writer_error_is_the_same_each_time(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    studied(home, 1)
    real_replace = os.replace

    def full(src: object, dst: object) -> None:
        if str(dst).endswith(STATE_NAME):
            raise OSError(errno.ENOSPC, "No space left on device", str(src))
        real_replace(src, dst)  # type: ignore[arg-type]

    from dlquiz.history import review_record
    from dlquiz.scheduler import Scheduler

    store = OwnedStore(home).open()
    try:
        monkeypatch.setattr(os, "replace", full)
        messages = []
        for i in range(2):
            after = Scheduler().outcomes(None, T0)[3].state
            store.append(review_record(f"term/x{i}/recall", 3, T0, None, after))
            store.save_state_async()
            store.flush()
            messages.append(str(store.writer_error))
    finally:
        monkeypatch.setattr(os, "replace", real_replace)
        store.close()
    assert messages[0] == messages[1] and ".tmp" not in messages[0]


def test_13_deck_with_a_byte_order_mark_loads(home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "bom.toml"
    text = '[[term]]\nslug = "zz-bom"\nterm = "Bom Term"\ndefinition = "A deck saved with a BOM."\n'
    deck.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert run_cli(home, "check", str(deck)).code == 0
