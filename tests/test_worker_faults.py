"""The real question worker killed, stopped or orphaned: the app side recovers.

Issue 14 item 10 (and the worker half of item 13): every wait has a deadline, a
dead or stopped worker is killed and reaped, the next question gets a fresh
worker, and a worker never outlives the process that started it.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from dlquiz.questions import generate
from dlquiz.questions.worker import QuestionWorker, WorkerError, WorkerUnavailable

FAMILY, LEVEL, SEED = "conv2d-shape", 1, 3
GENERATE_TIMEOUT = 3.0


def _gone(pid: int, within: float, zombie_ok: bool = False) -> bool:
    """True once ``pid`` no longer exists (for our own children: also reaped).

    ``zombie_ok``: an orphan is reaped by init, which in a container may never
    happen; a zombie has exited all the same.
    """
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = _state(pid)
        except FileNotFoundError:
            return True
        if zombie_ok and state == "Z":
            return True
        time.sleep(0.05)
    return False


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0]


@pytest.fixture(scope="module")
def worker() -> QuestionWorker:
    w = QuestionWorker(generate_timeout=GENERATE_TIMEOUT)
    w.wait_ready()
    yield w  # type: ignore[misc]
    w.close()


def _expected() -> dict[str, object]:
    return generate(FAMILY, LEVEL, SEED).to_json()


def test_sigkilled_worker_is_replaced_on_the_next_question(worker: QuestionWorker) -> None:
    assert worker.generate(FAMILY, LEVEL, SEED).to_json() == _expected()
    old = worker.pid
    assert old is not None
    os.kill(old, signal.SIGKILL)
    start = time.monotonic()
    try:
        question = worker.generate(FAMILY, LEVEL, SEED)
    except WorkerUnavailable as exc:  # the kill landed mid-request: one clear error, then OK
        assert "restarted" in str(exc)
        question = worker.generate(FAMILY, LEVEL, SEED)
    assert question.to_json() == _expected()
    assert worker.pid != old
    assert time.monotonic() - start < worker.ready_timeout + GENERATE_TIMEOUT
    assert _gone(old, 5), "the killed worker was not reaped"


def test_stopped_worker_times_out_is_killed_and_replaced(worker: QuestionWorker) -> None:
    worker.generate(FAMILY, LEVEL, SEED)
    old = worker.pid
    assert old is not None
    os.kill(old, signal.SIGSTOP)
    start = time.monotonic()
    with pytest.raises(WorkerUnavailable, match=r"no answer within 3 s; it will be restarted"):
        worker.generate(FAMILY, LEVEL, SEED)
    waited = time.monotonic() - start
    assert GENERATE_TIMEOUT - 0.1 <= waited < GENERATE_TIMEOUT + 5
    assert _gone(old, 5), "the stopped worker still exists after the timeout"
    assert worker.generate(FAMILY, LEVEL, SEED).to_json() == _expected()
    assert worker.pid != old


def test_a_second_caller_is_not_blocked_forever_by_a_stopped_worker(
    worker: QuestionWorker,
) -> None:
    import threading

    worker.generate(FAMILY, LEVEL, SEED)
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    errors: list[BaseException] = []

    def first() -> None:
        try:
            worker.generate(FAMILY, LEVEL, SEED)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 5
    while not worker._lock.locked() and time.monotonic() < deadline:
        time.sleep(0.01)  # the first request is waiting on the stopped worker
    # The second request waits for the first to time out, then gets a fresh worker.
    assert worker.generate(FAMILY, LEVEL, SEED).to_json() == _expected()
    thread.join(timeout=GENERATE_TIMEOUT + 10)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], WorkerUnavailable)


def test_a_generator_error_is_one_sentence_and_not_retryable(worker: QuestionWorker) -> None:
    with pytest.raises(WorkerError) as info:
        worker.generate("no-such-family", 1, 1)
    assert not info.value.retryable
    assert "\n" not in str(info.value) and "no-such-family" in str(info.value)
    assert "Traceback" in info.value.detail
    assert worker.generate(FAMILY, LEVEL, SEED).to_json() == _expected()


def test_close_kills_a_stopped_worker() -> None:
    w = QuestionWorker()
    pid = w.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    w.close()
    assert _gone(pid, 5)
    with pytest.raises(WorkerError):
        w.generate(FAMILY, LEVEL, SEED)


def test_worker_dying_while_loading_says_so_and_the_next_request_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dlquiz.questions.worker as worker_module

    real_command = worker_module.worker_command
    # A child that dies while importing torch, as a broken install would.
    monkeypatch.setattr(
        worker_module,
        "worker_command",
        lambda: [sys.executable, "-c", "raise ImportError('torch is broken here')"],
    )
    w = QuestionWorker(generate_timeout=GENERATE_TIMEOUT)
    try:
        with pytest.raises(WorkerUnavailable) as info:
            w.generate(FAMILY, LEVEL, SEED)
        message = str(info.value)
        assert "while loading PyTorch" in message and "torch is broken here" in message
        assert "restarted" in message and "\n" not in message
        monkeypatch.setattr(worker_module, "worker_command", real_command)  # fixed
        assert w.generate(FAMILY, LEVEL, SEED).to_json() == _expected()
    finally:
        w.close()


def test_a_worker_that_cannot_start_is_one_retryable_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dlquiz.questions.worker as worker_module

    monkeypatch.setattr(worker_module, "worker_command", lambda: ["/nonexistent/python"])
    w = QuestionWorker(generate_timeout=GENERATE_TIMEOUT)
    try:
        with pytest.raises(WorkerUnavailable, match="could not be started") as info:
            w.generate(FAMILY, LEVEL, SEED)
        assert info.value.retryable and "\n" not in str(info.value)
    finally:
        w.close()
