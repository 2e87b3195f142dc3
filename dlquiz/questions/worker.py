"""A persistent torch process that generates questions on request.

Importing torch takes ~1.2 s and, in a thread, holds the GIL long enough to
freeze the UI for 170–250 ms. A child process imports it instead: the parent
only pays for starting the process and for reading short JSON lines.

Protocol (one JSON object per line):

    parent -> child   {"id": 7, "family": "conv2d-shape", "level": 2, "seed": 123}
    child -> parent   {"ready": true}                          once torch is loaded
                      {"id": 7, "question": {...Question.to_json()...}}
                      {"id": 7, "error": "Traceback ..."}
    parent -> child   {"id": 8, "status": true}
    child -> parent   {"id": 8, "cold": 40, "warmed": 82}   family levels to warm, warmed

Run directly (``python -m dlquiz.questions.worker``) it serves stdin/stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO, Any

from dlquiz.questions.base import Question

# Seconds a question may take once the worker is ready (they take milliseconds, a
# family's first call up to a few hundred; this only catches a hung or stopped
# worker). Getting ready means importing torch: seconds, more on a busy machine.
GENERATE_TIMEOUT = 10.0
READY_TIMEOUT = 90.0


class WorkerError(RuntimeError):
    """A question could not be generated; ``str()`` is one sentence for the user.

    ``retryable`` is True when the worker itself failed (died, hung, stopped):
    it has been killed and the next request starts a fresh one. False when the
    question's generator raised (``detail`` holds the traceback).
    """

    retryable = False

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class WorkerUnavailable(WorkerError):
    """The worker died, hung or was stopped; it was killed and will be restarted."""

    retryable = True


def worker_command() -> list[str]:
    """How the child is started (a function, so tests can start a broken one)."""
    return [sys.executable, "-m", "dlquiz.questions.worker"]


class _Child:
    """One worker process and a thread that reads its replies into a queue, so a
    wait for a reply always has a deadline and nobody blocks on a pipe forever."""

    def __init__(self) -> None:
        env = dict(os.environ)
        # One thread each for torch's pools: this machine class has 2 cores and the
        # UI needs one; tiny tensors gain nothing from more.
        env.setdefault("OMP_NUM_THREADS", "1")
        env.setdefault("MKL_NUM_THREADS", "1")
        env["DLQUIZ_WORKER_PARENT"] = str(os.getpid())
        # stderr goes to a temporary file, not a pipe: nobody reads it while the
        # worker runs, and a full pipe (warnings) would block the child for good.
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in kill()
        self.proc = subprocess.Popen(
            worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            bufsize=1,
            env=env,
            # Its own process group in our session: if we die while it is stopped
            # (SIGSTOP), the kernel sends the orphaned group SIGHUP + SIGCONT.
            process_group=0,
        )
        self.replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.ready = False
        self._reader = threading.Thread(target=self._read_loop, name="dlquiz-worker-reader")
        self._reader.daemon = True
        self._reader.start()

    def _read_loop(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            for line in stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue  # something in the child printed to stdout: not a reply
                if isinstance(message, dict):
                    self.replies.put(message)
        except (OSError, ValueError):
            pass  # the pipe was closed under us: the child is being killed
        self.replies.put(None)  # end of output: the child is gone

    def send(self, request: dict[str, Any]) -> None:
        if self.proc.stdin is None:
            raise WorkerUnavailable("the question worker has no input pipe")
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()

    def receive(self, deadline: float) -> dict[str, Any] | None:
        """The next reply; None when the child closed its output; TimeoutError at the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        try:
            return self.replies.get(timeout=left)
        except queue.Empty:
            raise TimeoutError from None

    def last_error_line(self) -> str:
        """The last line the child wrote to stderr (why it died), or ''."""
        try:
            self.stderr.seek(0)
            lines = self.stderr.read()[-4000:].strip().splitlines()
        except (OSError, ValueError):
            return ""
        return lines[-1].strip() if lines else ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL (works on a stopped process too), reap, close the pipes."""
        with contextlib.suppress(OSError):
            self.proc.send_signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.close()
        self._reader.join(timeout=1)
        with contextlib.suppress(OSError, ValueError):
            self.stderr.close()


class QuestionWorker:
    """Client side: a child process that generates questions (thread-safe).

    Every wait has a deadline. A worker that dies, hangs or is stopped is
    killed and reaped, the request fails with ``WorkerUnavailable``, and the
    next request starts a fresh worker. The child exits by itself when this
    process goes away; ``close()`` kills it.
    """

    def __init__(
        self,
        generate_timeout: float = GENERATE_TIMEOUT,
        ready_timeout: float = READY_TIMEOUT,
    ) -> None:
        self.generate_timeout = generate_timeout
        self.ready_timeout = ready_timeout
        self._lock = threading.Lock()
        self._next_id = 0
        self._closed = False
        self._child: _Child | None = None
        # Started now so torch loads while the UI draws; a failure to start (no
        # processes left, ...) is reported by the first request instead.
        with contextlib.suppress(OSError):
            self._child = _Child()

    @property
    def pid(self) -> int | None:
        """The current child's pid (None before a restart)."""
        child = self._child
        return child.proc.pid if child is not None else None

    def _acquire(self, timeout: float) -> None:
        # Another request holds the worker at most its own deadline; wait a little longer.
        if not self._lock.acquire(timeout=timeout + 5):
            raise WorkerUnavailable("the question worker is busy with another question")

    def _fail(self, child: _Child, message: str) -> WorkerUnavailable:
        """Kill ``child`` and forget it: the next request starts a fresh one."""
        why = child.last_error_line()
        child.kill()
        if self._child is child:
            self._child = None
        detail = f" ({why})" if why and "Error" in why else ""
        return WorkerUnavailable(f"{message}{detail}; it will be restarted for the next question")

    def _ready_child(self) -> _Child:
        """The running, ready child, started if needed (call with the lock held)."""
        if self._closed:
            raise WorkerError("the question worker was closed")
        child = self._child
        if child is not None and not child.alive():
            self._fail(child, "the question worker stopped")
            child = None
        if child is None:
            try:
                child = self._child = _Child()
            except OSError as exc:
                raise WorkerUnavailable(
                    f"the question worker could not be started ({exc.strerror or exc}); "
                    "it will be tried again for the next question"
                ) from None
        if child.ready:
            return child
        deadline = time.monotonic() + self.ready_timeout
        try:
            message = child.receive(deadline)
        except TimeoutError:
            raise self._fail(
                child, f"the question worker did not load PyTorch within {self.ready_timeout:g} s"
            ) from None
        if message is None:
            raise self._fail(child, "the question worker stopped while loading PyTorch")
        if not message.get("ready"):
            raise self._fail(child, "the question worker sent an unexpected first message")
        child.ready = True
        return child

    def wait_ready(self) -> None:
        """Block until torch is loaded in the child (call from a thread, not the UI)."""
        self._acquire(self.ready_timeout)
        try:
            self._ready_child()
        finally:
            self._lock.release()

    def generate(self, family: str, level: int, seed: int) -> Question:
        """One question, generated in the child (blocks; call from a thread).

        Raises ``WorkerUnavailable`` (retry later) or ``WorkerError`` (this
        question's generator failed); never waits past the timeouts.
        """
        reply = self._request({"family": family, "level": level, "seed": seed})
        if "error" in reply:
            detail = str(reply["error"])
            lines = detail.strip().splitlines()
            last = lines[-1] if lines else "unknown error"
            raise WorkerError(f"the question could not be generated: {last}", detail)
        try:
            return Question.from_json(reply["question"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WorkerError(f"the question worker sent a malformed question ({exc})") from None

    def _request(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send ``request`` to the ready child and return its reply (every wait bounded)."""
        self._acquire(self.ready_timeout + self.generate_timeout)
        try:
            child = self._ready_child()
            self._next_id += 1
            request_id = self._next_id
            try:
                child.send({"id": request_id, **request})
            except (OSError, ValueError):
                raise self._fail(child, "the question worker stopped") from None
            deadline = time.monotonic() + self.generate_timeout
            while True:
                try:
                    reply = child.receive(deadline)
                except TimeoutError:
                    raise self._fail(
                        child,
                        f"the question worker gave no answer within {self.generate_timeout:g} s",
                    ) from None
                if reply is None:
                    raise self._fail(child, "the question worker stopped")
                if reply.get("id") == request_id:
                    return reply  # anything else is a stray or late line: not ours
        finally:
            self._lock.release()

    def status(self) -> dict[str, int]:
        """How warm the worker is: ``{"cold": levels not generated yet, "warmed": done}``
        (blocks; call from a thread). Raises as ``generate`` does."""
        reply = self._request({"status": True})
        try:
            return {key: int(reply[key]) for key in ("cold", "warmed")}
        except (KeyError, TypeError, ValueError):
            raise WorkerError("the question worker sent a malformed status") from None

    @property
    def alive(self) -> bool:
        """False once closed; a dead child is replaced on the next request."""
        return not self._closed

    def close(self) -> None:
        """Kill the child (stopped or not) without waiting for torch's slow teardown."""
        self._closed = True
        child, self._child = self._child, None
        if child is not None:
            child.kill()


# The worker's niceness. Importing torch takes a core for a second or more (several on a
# busy machine) just as the first screens are drawn: at a lower priority it takes only
# what the UI leaves, and when a core is free it loses nothing. Set by the worker
# itself, so a restarted one is lowered too.
WORKER_NICENESS = 10


def _lower_priority() -> None:
    """Child side: run at WORKER_NICENESS (never raised back if already lower)."""
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, 0) < WORKER_NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, WORKER_NICENESS)


def _exit_with_parent() -> None:
    """Child side: exit when the parent is gone (we are then re-parented)."""
    parent = int(os.environ.get("DLQUIZ_WORKER_PARENT", "0") or 0)

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(0.5)

    if parent:
        threading.Thread(target=watch, name="dlquiz-parent-watch", daemon=True).start()


def serve(inp: IO[str], out: IO[str]) -> None:
    """Child side: import torch, say ready, then answer requests.

    While no request waits, each family level is generated once (a first call imports
    sympy, loads kernels: milliseconds to a few hundred). Warming all 122 levels before
    saying ready made every start, and every restart after a crash, cost seconds of CPU
    before the first question; now a question asked before its family is warm pays only
    its own first call.
    """
    import select
    from collections import deque

    import torch  # the slow import, paid once here

    from dlquiz.questions import families, generate

    # Questions use tiny tensors: extra threads only add scheduling jitter (and
    # compete with the UI for this machine's two cores).
    torch.set_num_threads(1)
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    cold = deque((fam.id, level) for fam in families().values() for level in sorted(fam.levels))
    if os.environ.get("DLQUIZ_WORKER_WARM") == "0":
        cold.clear()  # the test suite: most workers live seconds; one test checks warming
    warmed = 0
    fd = inp.fileno()  # read unbuffered: select() must see every byte not yet handled
    pending = b""
    while True:
        if cold and not select.select([fd], [], [], 0)[0]:
            family, level = cold.popleft()
            with contextlib.suppress(Exception):  # a broken family is reported when asked for
                generate(family, level, 0)
            warmed += 1
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return  # the parent closed the pipe
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                status = {"cold": len(cold), "warmed": warmed}
                out.write(json.dumps(_answer(line, status)) + "\n")
                out.flush()


def _answer(line: bytes, status: dict[str, int] | None = None) -> dict[str, Any]:
    """One request line's reply: the question, or the traceback the parent shows (or,
    for a status request, ``status``: family levels not warmed yet, and warmed)."""
    import traceback

    from dlquiz.questions import generate

    request: dict[str, Any] = {}
    try:
        request = json.loads(line)
        if request.get("status") is True:
            return {"id": request.get("id"), **(status or {})}
        question = generate(request["family"], int(request["level"]), int(request["seed"]))
        return {"id": request["id"], "question": question.to_json()}
    except Exception:
        request_id = request.get("id") if isinstance(request, dict) else None
        return {"id": request_id, "error": traceback.format_exc()}


if __name__ == "__main__":
    # Exit straight away when the parent closes the pipe: skipping torch's
    # interpreter teardown saves ~0.5 s of CPU.
    _exit_with_parent()  # also while torch loads, when nobody reads stdin yet
    _lower_priority()
    serve(sys.stdin, sys.stdout)
    sys.stdout.flush()
    os._exit(0)
