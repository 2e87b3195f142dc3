"""Shared fixtures: every test gets its own data folder and a fixed clock."""

from __future__ import annotations

import compileall
import gc
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

# As in the question worker: tiny tensors, one thread (before torch is imported).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Question workers do not warm every family level in the background (~1 s of CPU each,
# and most of the suite's workers live a few seconds); test_worker checks the warming.
os.environ["DLQUIZ_WORKER_WARM"] = "0"
# Apps do not prepare screens in idle time (a second on home, then work no test asked
# for); tests/test_prewarm.py turns it on.
os.environ["DLQUIZ_PREPARE_SCREENS"] = "0"

# With PYTHONDONTWRITEBYTECODE set (as on this machine) every xdist worker re-rewrites the
# asserts of every test module, and every child process (CLI runs, question workers)
# recompiles dlquiz, on every run: a fifth of the suite's CPU. The suite writes its
# bytecode to __pycache__ (ignored by git), for itself and its children.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # once, in the main process, before any worker
        # dlquiz compiled once here rather than in each worker and child process.
        compileall.compile_dir(Path(__file__).parents[1] / "dlquiz", quiet=2)  # ~0.2 s
        _rewrite_test_modules(config)


def _rewrite_test_modules(config: pytest.Config) -> None:
    """On a first run (a fresh clone, CI) every xdist worker rewrote the asserts of all the
    test modules (~2.6 s of CPU each) and wrote the same cached files. Done once here,
    before the workers start, they find them. These are pytest's own (private) functions:
    should they move, the workers rewrite as before."""
    try:
        from _pytest.assertion import rewrite

        state = config.stash[rewrite.assertstate_key]
        for fn in sorted(Path(__file__).parent.glob("test_*.py")):
            pyc = rewrite.get_cache_dir(fn) / (fn.name[:-3] + rewrite.PYC_TAIL)
            if rewrite._read_pyc(fn, pyc) is None and rewrite.try_makedirs(pyc.parent):
                source_stat, code = rewrite._rewrite_test(fn, config)
                rewrite._write_pyc(state, code, source_stat, pyc)
    except (ImportError, AttributeError, KeyError, TypeError, OSError):
        return  # assert rewriting off (--assert=plain), or pytest changed: nothing lost


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every test module is imported (torch, Textual, hypothesis, ...): a heap of a million
    objects that lives as long as the run. Python's collector scanned all of it in each
    full collection (~0.2 s, dozens of times per worker: a fifth of the UI tests' CPU).
    Frozen, and with fewer young collections, collecting costs a few percent."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """At exit pytest collects five times over to surface unraisable exceptions: with the
    run's garbage in the old generation, 1 s for the first and ~2 s in all per worker.
    Tests have run (and collected) by now; what is left is the heap at exit."""
    gc.freeze()


def _share_parsed_css() -> None:
    """Every test starts an app (~200 in a run), and each parsed the same Textual CSS
    again: ~15 % of an app's start and ~35 ms the first time a settings form is shown.
    The rules parsed depend only on the CSS text, where it came from and the theme's
    variables (all in the key), so one memo per process serves every app. An app itself
    runs once per process and parses each source once, as before."""
    from textual.css.stylesheet import Stylesheet

    parse_rules = Stylesheet._parse_rules
    memo: dict[tuple[Any, ...], Any] = {}

    def shared(
        self: Stylesheet,
        css: str,
        read_from: Any,
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> Any:
        variables = tuple(sorted(self._variables.items()))
        key = (css, read_from, is_default_rules, tie_breaker, scope, variables)
        rules = memo.get(key)
        if rules is None:  # a parse error raises, and is not kept
            rules = parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
            memo[key] = rules
        return rules

    Stylesheet._parse_rules = shared  # type: ignore[method-assign]


_share_parsed_css()


def _cores() -> int:
    return len(os.sched_getaffinity(0))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: one worker per core and one more. A UI, worker or fit test spends part
    of its time waiting (Textual's event loop, a child process, a deadline): with one per
    core a core sat idle at times; with two per core they slowed each other down (2 cores:
    2 workers 136 s, 3 workers 110 s, 4 workers 115 s). PYTEST_XDIST_AUTO_NUM_WORKERS
    still decides."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    return _cores() + 1


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


# The test device's own files, relative to the data folder (see dlquiz.devices).
DEVICE = "this-device"
LOG_NAME = f"logs/{DEVICE}.jsonl"
STATE_NAME = f"state/{DEVICE}.json"
SETTINGS_NAME = f"settings/{DEVICE}.json"
LOCK_NAME = f"locks/{DEVICE}.lock"


@pytest.fixture(autouse=True, scope="session")
def _device_id(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test is one device (its files are logs/this-device.jsonl, …) unless it says
    otherwise, and nothing reads or writes the real config folder (the device id, the
    cache secret). Session wide, so module fixtures and subprocesses see it too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLQUIZ_DEVICE_ID", DEVICE)
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        yield


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data folder; DLQUIZ_HOME points at it so nothing touches the real one."""
    folder = tmp_path / "data"
    monkeypatch.setenv("DLQUIZ_HOME", str(folder))
    yield folder


class OwnedStore:
    """Factory for store-level tests: a Store with the smallest owner of its state.

    ``Study`` is the real owner; these tests exercise the persistence layer alone,
    so this plays the owner's part: it holds the cards and marks and applies each
    appended record to them.
    """

    def __new__(cls, home: Path, read_only: bool = False) -> Any:
        from dlquiz.history import apply_record
        from dlquiz.store import Store

        class _Owned(Store):
            cards: dict[str, Any]
            marks: dict[str, Any]

            def open(self) -> _Owned:
                super().open()
                self.cards, self.marks = self.take_state(
                    lambda: (dict(self.cards), dict(self.marks))
                )
                return self

            def append(self, record: Any, apply: Any = None) -> None:
                super().append(record, apply=lambda: apply_record(self.cards, self.marks, record))

            def rebuild(self) -> None:
                super().rebuild()
                self.cards, self.marks = self._cards, self._marks

        return _Owned(home, read_only=read_only)


def steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A focused Input's cursor stays shown in snapshots. It blinks every 0.5 s: on a busy
    machine a frame taken after the first blink differed from the stored one."""
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def log_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The byte offset each read of a review log (``merge.read_log``) starts at."""
    from dlquiz import merge

    starts: list[int] = []
    read = merge.read_log

    def counted(path: Path, start: int = 0, stop: int | None = None) -> merge.Scan:
        starts.append(start)
        return read(path, start, stop)

    monkeypatch.setattr(merge, "read_log", counted)
    return starts
