"""Two devices, a simulated sync tool, kill -9: no review lost or doubled, states equal.

Two data folders A and B (two device ids) study the same few cards in turns, each
offline from the other. A sync tool is simulated by copying the other device's
logs across at random moments (seeded), sometimes while a writer is running (so a
half-written last line travels too), once as a Syncthing conflict copy instead of
a replacement. Some writers are killed with SIGKILL at a random acknowledged
answer. At the end both folders get every log and must show the same history (each
acknowledged record exactly once) and the same card states as a device that
rebuilds everything from the logs alone.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dlquiz import merge
from dlquiz.records import Review
from tests.test_sync import copy_logs, view

WRITER = r"""
import random, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from dlquiz.study import Study

home, start, count, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0 = datetime(2026, 3, 2, 12, tzinfo=UTC) + timedelta(seconds=start)
study = Study.open(home, with_skills=False, now=t0)
print("replayed", study._store.replayed, flush=True)  # cards rebuilt at this open
cards = sorted(study.deck)[:5]  # the same five cards on every device
rng = random.Random(seed)
for i in range(count):
    at = t0 + timedelta(seconds=7 * i)
    card = rng.choice(cards)
    roll = rng.random()
    if roll < 0.1 and study.can_undo:
        done = study.undo(at)
    elif roll < 0.18:
        done = study.mark("flag", card, at, on=rng.random() < 0.5)
    else:
        rating = rng.choice([1, 1, 2, 3, 3, 4])
        done = study.answer(card, study.outcomes(card, at)[rating], at, 900)
    print(done.record.id, flush=True)  # durable before it is acknowledged
study.close()
"""

DEVICES = {"a": "dev-a", "b": "dev-b"}


def _sync_one_way(src: Path, dst: Path, dst_device: str, conflict: bool = False) -> None:
    """A sync tool delivering ``src``'s logs to ``dst`` (never ``dst``'s own log:
    only its writer changes it). Delivery is atomic (temp file + rename), as real
    tools do; a conflict delivers the new version beside the old one."""
    (dst / "logs").mkdir(parents=True, exist_ok=True)
    for log in sorted((src / "logs").glob("*.jsonl")):
        if log.stem == dst_device:
            continue
        data = log.read_bytes()  # may end in half a line if its writer is running
        target = dst / "logs" / log.name
        if conflict and target.exists():
            target = target.with_name(f"{log.stem}.sync-conflict-20260302-120000-SIM.jsonl")
        tmp = target.with_name(f".syncsim.{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)


def _writer(home: Path, device: str, start: int, count: int, seed: int) -> subprocess.Popen[str]:
    env = {**os.environ, "DLQUIZ_DEVICE_ID": device}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), str(start), str(count), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_devices_sync_tool_and_kill_9_lose_and_double_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(20260302)
    homes = {key: tmp_path / key for key in DEVICES}
    acknowledged: list[str] = []
    kills = mid_run_syncs = runs = replayed = 0
    conflict_left = 1
    clock = 0  # seconds since the start, shared: runs on A and B interleave in time
    for run in range(12):
        key = "ab"[run % 2] if run < 4 else rng.choice("ab")
        other = "b" if key == "a" else "a"
        count = rng.randint(6, 14)
        kill_at = rng.randint(1, count - 1) if run in (3, 6, 9) else None
        sync_at = rng.randint(1, count - 1) if rng.random() < 0.4 else None
        proc = _writer(homes[key], DEVICES[key], clock, count, rng.randrange(2**31))
        runs += 1
        assert proc.stdout is not None
        head = proc.stdout.readline().split()
        assert head[0] == "replayed"
        replayed += int(head[1])
        for seen, line in enumerate(proc.stdout, start=1):
            acknowledged.append(line.strip())
            if seen == sync_at:  # the sync tool runs beside the writer
                _sync_one_way(homes[key], homes[other], DEVICES[other])
                mid_run_syncs += 1
            if seen == kill_at:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
                break
        proc.wait(timeout=60)
        proc.stdout.close()
        assert kill_at is not None or proc.returncode == 0
        clock += 7 * count + rng.randint(-120, 60)  # some runs start before the last ended
        for src, dst in (("a", "b"), ("b", "a")):
            if rng.random() < 0.5:
                conflict = conflict_left > 0 and run >= 5
                _sync_one_way(homes[src], homes[dst], DEVICES[dst], conflict)
                conflict_left -= conflict
    assert kills == 3 and conflict_left == 0

    # Everything arrives everywhere; both devices open their folder.
    _sync_one_way(homes["a"], homes["b"], DEVICES["b"])
    _sync_one_way(homes["b"], homes["a"], DEVICES["a"])
    cards_a, marks_a, ids_a = view(homes["a"], DEVICES["a"])
    cards_b, marks_b, ids_b = view(homes["b"], DEVICES["b"])
    fresh = tmp_path / "c"
    copy_logs(homes["a"], fresh)
    cards_c, marks_c, ids_c = view(fresh, "dev-c")

    lost = len(set(acknowledged) - set(ids_a)) + len(set(acknowledged) - set(ids_b))
    duplicated = (len(ids_a) - len(set(ids_a))) + (len(ids_b) - len(set(ids_b)))
    raw = [
        merge.record_id(r)
        for home in homes.values()
        for log in (home / "logs").glob("*.jsonl")
        for r in merge.read_log(log).records
    ]
    states_equal = (cards_a, marks_a) == (cards_b, marks_b) == (cards_c, marks_c)
    figures = {
        "devices": len(DEVICES),
        "writer runs": runs,
        "records acknowledged": len(acknowledged),
        "records in the history": len(ids_a),
        "of which reviews": sum(isinstance(r, Review) for r in merge.history(homes["a"])),
        "kills (SIGKILL)": kills,
        "syncs beside a running writer": mid_run_syncs,
        "cards replayed at opens": replayed,
        "conflict copies set aside": len(list((homes["a"] / "conflicts").glob("*")))
        + len(list((homes["b"] / "conflicts").glob("*"))),
        "lost": lost,
        "duplicated": duplicated,
        "same history on A and B": ids_a == ids_b == ids_c,
        "states equal": states_equal,
    }
    with capsys.disabled():
        print("\nsync simulation:", json.dumps(figures))
    assert lost == 0 and duplicated == 0
    assert len(acknowledged) == len(set(acknowledged))
    assert set(ids_a) == set(raw)  # every record in any log is in the history, once
    assert ids_a == ids_b == ids_c
    assert states_equal
    assert figures["conflict copies set aside"] >= 1
    assert replayed > 0  # older records did arrive late, and were merged in order
