"""A question worker never outlives the process that started it (issue 14 item 10).

The parent dies without closing its worker: while torch loads, once it is ready,
and while the worker is stopped (SIGSTOP), when it cannot notice anything itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tests.test_worker_faults import _gone

_ORPHAN_PARENT = textwrap.dedent(
    """
    import os, signal, sys, time
    from dlquiz.questions.worker import QuestionWorker
    w = QuestionWorker()
    if sys.argv[1] == "ready":
        w.wait_ready()
    if sys.argv[1] == "stopped":
        os.kill(w.pid, signal.SIGSTOP)
        # A signal lands asynchronously: exit only once the worker is really stopped.
        for _ in range(500):
            with open(f"/proc/{w.pid}/stat") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "T":
                    break
            time.sleep(0.01)
    print(w.pid, flush=True)
    os._exit(0)  # the app dies without closing its worker
    """
)


@pytest.mark.parametrize("how", ["loading", "ready", "stopped"])
def test_worker_never_outlives_its_parent(how: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _ORPHAN_PARENT, how],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=True,
    )
    pid = int(out.stdout.split()[0])
    try:
        assert _gone(pid, 10, zombie_ok=True), f"worker {pid} outlived its parent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
