"""kill -9 in the middle of answering: nothing acknowledged is lost, every file still loads."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dlquiz.store import LOG_NAME, STATE_NAME
from dlquiz.study import Study

WRITER = r"""
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from dlquiz.scheduler import GOOD
from dlquiz.study import Study

t0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
study = Study.open(Path(sys.argv[1]), with_skills=False, now=t0)
for i in range(1_000_000):
    card = f"term/t{i % 50}/recall"
    at = t0 + timedelta(minutes=i)
    study.answer(card, study.outcomes(card, at)[GOOD], at, 900)  # durable before we say so
    print(i, flush=True)  # the background state writer races with the kill
"""


@pytest.mark.parametrize("after_lines", [5, 60, 400])
def test_kill_9_mid_review_loses_nothing_acknowledged(home: Path, after_lines: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    acknowledged = -1
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= after_lines:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()

    with Study.open(home, with_skills=False) as store:
        logged = [
            json.loads(line) for line in (home / LOG_NAME).read_text().splitlines() if line.strip()
        ]
        assert len(logged) >= acknowledged + 1  # every acknowledged answer is on disk
        cards = dict(store.cards)
    # The state derived at start-up equals a full replay of the log.
    replay_home = home.parent / "replay"
    replay_home.mkdir()
    shutil.copy(home / LOG_NAME, replay_home / LOG_NAME)
    with Study.open(replay_home, with_skills=False) as replayed:
        assert replayed.cards == cards
    assert json.loads((home / STATE_NAME).read_text())["schema_version"] == 1
