"""A persistent torch process that generates questions on request.

Importing torch takes ~1.2 s and, in a thread, holds the GIL long enough to
freeze the UI for 170–250 ms. A child process imports it instead: the parent
only pays for starting the process and for reading short JSON lines.

Protocol (one JSON object per line):

    parent -> child   {"id": 7, "family": "conv2d-shape", "level": 2, "seed": 123}
    child -> parent   {"ready": true}                          once torch is loaded
                      {"id": 7, "question": {...Question.to_json()...}}
                      {"id": 7, "error": "Traceback ..."}

Run directly (``python -m dlquiz.questions.worker``) it serves stdin/stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from typing import IO, Any

from dlquiz.questions.base import Question


class WorkerError(RuntimeError):
    """The worker failed or died; the message says why."""


class QuestionWorker:
    """Client side: start the child, send requests, read answers (thread-safe)."""

    def __init__(self) -> None:
        env = dict(os.environ)
        # One thread each for torch's pools: this machine class has 2 cores and the
        # UI needs one; tiny tensors gain nothing from more.
        env.setdefault("OMP_NUM_THREADS", "1")
        env.setdefault("MKL_NUM_THREADS", "1")
        # stderr goes to a temporary file, not a pipe: nobody reads it while the
        # worker runs, and a full pipe (warnings) would block the child for good.
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in close()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "dlquiz.questions.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
            env=env,
        )
        self._lock = threading.Lock()
        self._next_id = 0
        self._ready = False
        self._closed = False

    def _read(self) -> dict[str, Any]:
        if self._closed or self._proc.stdout is None:
            raise WorkerError("the question worker was closed")
        while True:
            line = self._proc.stdout.readline()
            if not line:
                self._proc.wait(timeout=5)
                self._stderr.seek(0)
                err = self._stderr.read().strip()[-2000:]
                raise WorkerError(f"the question worker stopped: {err or 'no output'}")
            try:
                message = json.loads(line)
            except ValueError:
                continue  # something in the child printed to stdout: not a reply
            if isinstance(message, dict):
                return message

    def wait_ready(self) -> None:
        """Block until torch is loaded in the child (call from a thread, not the UI)."""
        with self._lock:
            if not self._ready:
                message = self._read()
                if not message.get("ready"):
                    raise WorkerError(f"unexpected first message from the worker: {message}")
                self._ready = True

    def generate(self, family: str, level: int, seed: int) -> Question:
        """One question, generated in the child (blocks; call from a thread)."""
        self.wait_ready()
        with self._lock:
            self._next_id += 1
            request = {"id": self._next_id, "family": family, "level": level, "seed": seed}
            if self._closed or self._proc.stdin is None:
                raise WorkerError("the question worker was closed")
            try:
                self._proc.stdin.write(json.dumps(request) + "\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                raise WorkerError(f"the question worker is gone ({exc})") from exc
            reply = self._read()
            while reply.get("id") != self._next_id:  # a stray or late line: not ours
                reply = self._read()
        if "error" in reply:
            raise WorkerError(reply["error"])
        return Question.from_json(reply["question"])

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        """Stop the child without waiting for torch's slow interpreter teardown."""
        self._closed = True
        if self._proc.poll() is None:
            try:
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
            except OSError:
                pass
            self._proc.kill()
        self._proc.wait(timeout=5)
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._stderr.close()


def serve(inp: IO[str], out: IO[str]) -> None:
    """Child side: import torch, warm every family once, then answer requests."""
    import contextlib
    import traceback

    import torch  # the slow import, paid once here

    from dlquiz.questions import families, generate

    # Questions use tiny tensors: extra threads only add scheduling jitter (and
    # compete with the UI for this machine's two cores).
    torch.set_num_threads(1)

    for fam in families().values():  # warm-up: first calls load kernels, sympy, ...
        for level in fam.levels:
            # A broken family is reported when it is asked for, not here.
            with contextlib.suppress(Exception):
                generate(fam.id, level, 0)
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in inp:
        if not line.strip():
            continue
        request: dict[str, Any] = {}
        try:
            request = json.loads(line)
            question = generate(request["family"], int(request["level"]), int(request["seed"]))
            reply: dict[str, Any] = {"id": request["id"], "question": question.to_json()}
        except Exception:
            reply = {"id": request.get("id"), "error": traceback.format_exc()}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    # Exit straight away when the parent closes the pipe: skipping torch's
    # interpreter teardown saves ~0.5 s of CPU.
    serve(sys.stdin, sys.stdout)
    sys.stdout.flush()
    os._exit(0)
