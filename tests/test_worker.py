"""The torch worker process gives the same questions as generating in-process."""

from __future__ import annotations

import pytest

from dlquiz.questions import families, generate
from dlquiz.questions.base import Question
from dlquiz.questions.worker import QuestionWorker, WorkerError


@pytest.fixture(scope="module")
def worker() -> QuestionWorker:
    w = QuestionWorker()
    yield w  # type: ignore[misc]
    w.close()


@pytest.mark.parametrize(
    ("family", "level", "seed"),
    [("conv2d-shape", 2, 11), ("lstm-params", 3, 5), ("activation", 2, 9), ("does-it-run", 2, 4)],
)
def test_worker_matches_in_process_generation(
    worker: QuestionWorker, family: str, level: int, seed: int
) -> None:
    remote = worker.generate(family, level, seed)
    local = generate(family, level, seed)
    assert remote.to_json() == local.to_json()
    assert Question.from_json(local.to_json()) == local


def test_worker_reports_errors_and_keeps_serving(worker: QuestionWorker) -> None:
    with pytest.raises(WorkerError, match="no-such-family"):
        worker.generate("no-such-family", 1, 1)
    assert worker.generate("linear-params", 1, 3).family == "linear-params"


def test_dead_worker_gives_a_clear_error() -> None:
    w = QuestionWorker()
    w.close()
    assert not w.alive
    with pytest.raises(WorkerError):
        w.generate("conv2d-shape", 1, 1)


def test_the_worker_runs_at_a_lower_priority(worker: QuestionWorker) -> None:
    import os

    from dlquiz.questions.worker import WORKER_NICENESS

    worker.generate("linear-params", 1, 3)  # started and ready
    assert worker.pid is not None
    ours = os.getpriority(os.PRIO_PROCESS, 0)  # never raised back if we already run lower
    assert os.getpriority(os.PRIO_PROCESS, worker.pid) == max(ours, WORKER_NICENESS)


def test_an_idle_worker_warms_every_family_level_and_still_answers() -> None:
    import json
    import os
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items() if k != "DLQUIZ_WORKER_WARM"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlquiz.questions.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def ask(request: dict[str, object]) -> dict[str, object]:
        proc.stdin.write(json.dumps(request) + "\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        reply: dict[str, object] = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
        return reply

    try:
        assert json.loads(proc.stdout.readline()) == {"ready": True}
        levels = sum(len(fam.levels) for fam in families().values())
        first = ask({"id": 1, "status": True})
        assert first["id"] == 1 and 0 <= first["cold"] <= levels  # type: ignore[operator]
        deadline = time.monotonic() + 120
        cold = first["cold"]
        while cold and time.monotonic() < deadline:
            time.sleep(0.1)
            cold = ask({"id": 2, "status": True})["cold"]
        done = ask({"id": 2, "status": True})
        assert cold == 0 and done["warmed"] == levels, "the idle worker did not warm them all"
        reply = ask({"id": 3, "family": "conv2d-shape", "level": 2, "seed": 11})
        assert reply["question"] == generate("conv2d-shape", 2, 11).to_json()
        assert "Traceback" in str(ask({"id": 4, "family": [1]})["error"])
    finally:
        proc.kill()
        proc.wait()
