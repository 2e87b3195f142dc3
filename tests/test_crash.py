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

from dlquiz.store import LOG_NAME, STATE_NAME, Store

WRITER = r"""
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from dlquiz.history import review_record
from dlquiz.scheduler import GOOD, Scheduler, shifted
from dlquiz.store import Store

store = Store(Path(sys.argv[1])).open()
sched = Scheduler()
t0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
for i in range(1_000_000):
    card = f"term/t{i % 50}/recall"
    at = t0 + timedelta(minutes=i)
    before = store.cards.get(card)
    outcome = sched.outcomes(before, at)[GOOD]
    record = review_record(card, GOOD, at, before, shifted(outcome, at), 900)
    store.append(record)          # durable before we say so
    store.cards[card] = shifted(outcome, at)
    store.save_state_async()      # the background writer races with the kill
    print(i, flush=True)
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

    with Store(home) as store:
        logged = [
            json.loads(line) for line in (home / LOG_NAME).read_text().splitlines() if line.strip()
        ]
        assert len(logged) >= acknowledged + 1  # every acknowledged answer is on disk
        cards = dict(store.cards)
    # The state derived at start-up equals a full replay of the log.
    replay_home = home.parent / "replay"
    replay_home.mkdir()
    shutil.copy(home / LOG_NAME, replay_home / LOG_NAME)
    with Store(replay_home) as replayed:
        assert replayed.cards == cards
    assert json.loads((home / STATE_NAME).read_text())["schema_version"] == 1
