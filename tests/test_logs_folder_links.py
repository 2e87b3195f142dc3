"""A link in logs/ that cannot be followed is no log, and hides no other log."""

from __future__ import annotations

import os
from pathlib import Path

from dlquiz import devices
from dlquiz.study import Study
from tests.conftest import LOG_NAME, T0
from tests.test_store import _fill


def test_a_link_loop_in_logs_hides_no_log(home: Path) -> None:
    cards = _fill(home, 5)
    logs = home / "logs"
    # Both sort before this device's log: a link to itself, and two links to each other.
    os.symlink("phone-1234abcd.jsonl", logs / "phone-1234abcd.jsonl")
    os.symlink("pad-2.jsonl", logs / "pad-1.jsonl")
    os.symlink("pad-1.jsonl", logs / "pad-2.jsonl")
    assert list(devices.log_sources(home)) == [LOG_NAME]
    for read_only in (True, False):  # `dlquiz stats`, and the app
        with Study.open(home, with_skills=False, now=T0, read_only=read_only) as study:
            assert set(study.cards) == set(cards)
