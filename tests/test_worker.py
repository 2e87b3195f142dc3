"""The torch worker process gives the same questions as generating in-process."""

from __future__ import annotations

import os
import time

import pytest

from dlquiz.questions import families, generate
from dlquiz.questions.base import Question
from dlquiz.questions.worker import WORKER_NICENESS, QuestionWorker, WorkerError, _answer


@pytest.fixture(scope="module")
def worker() -> QuestionWorker:
    # This worker warms every family level in the background, as a user's does (the
    # rest of the suite turns that off: see conftest).
    saved = os.environ.pop("DLQUIZ_WORKER_WARM", None)
    try:
        w = QuestionWorker()
    finally:
        if saved is not None:
            os.environ["DLQUIZ_WORKER_WARM"] = saved
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
    worker.generate("linear-params", 1, 3)  # started and ready
    assert worker.pid is not None
    ours = os.getpriority(os.PRIO_PROCESS, 0)  # never raised back if we already run lower
    assert os.getpriority(os.PRIO_PROCESS, worker.pid) == max(ours, WORKER_NICENESS)


def test_an_idle_worker_warms_every_family_level_and_still_answers(
    worker: QuestionWorker,
) -> None:
    levels = sum(len(fam.levels) for fam in families().values())
    deadline = time.monotonic() + 120
    status = worker.status()
    # Until every level is warm: a worker restarted by an earlier test (its answer late
    # on a loaded machine) reports nothing cold for a moment, having listed nothing yet.
    while status["warmed"] < levels and time.monotonic() < deadline:
        time.sleep(0.1)
        status = worker.status()
    assert status == {"cold": 0, "warmed": levels}, "the idle worker did not warm them all"
    question = worker.generate("conv2d-shape", 2, 11)
    assert question.to_json() == generate("conv2d-shape", 2, 11).to_json()


def test_a_malformed_request_gets_an_error_reply() -> None:
    assert "Traceback" in _answer(b'{"id": 4, "family": [1]}')["error"]
    reply = _answer(b"[1, 2]")  # not an object: no id to answer to
    assert reply["id"] is None and "Traceback" in reply["error"]
    assert _answer(b'{"id": 5, "status": true}', {"cold": 3, "warmed": 1}) == {
        "id": 5,
        "cold": 3,
        "warmed": 1,
    }
