"""Shared fixtures: every test gets its own data folder and a fixed clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

# As in the question worker: tiny tensors, one thread (before torch is imported).
os.environ.setdefault("OMP_NUM_THREADS", "1")

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


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
