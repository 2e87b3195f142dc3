"""Shared fixtures: every test gets its own data folder and a fixed clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
