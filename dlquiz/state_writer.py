"""The background thread that writes the derived state file off the UI thread."""

from __future__ import annotations

import threading
import time
from typing import Any


class StateWriter:
    """One background thread that writes the state file when it is out of date.

    The UI thread only marks the state dirty (microseconds); this thread takes
    the snapshot and serialises it. Writes are spaced at least ``min_interval``
    apart: serialising 10k cards holds the GIL ~12 ms, and the log already has
    every answer (a stale state file is caught up from it on the next start).
    """

    def __init__(self, save: Any, min_interval: float = 2.0) -> None:
        self._save = save
        self._min_interval = min_interval
        self._cond = threading.Condition()
        self._dirty = False
        self._busy = False
        self._urgent = False
        self._closed = False
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dlquiz-state-writer", daemon=True)
        self._thread.start()

    def mark_dirty(self) -> None:
        with self._cond:
            self._dirty = True
            self._cond.notify_all()

    def flush(self, timeout: float = 30.0) -> None:
        """Write now if anything is pending, and wait until it is on disk."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._urgent = True
            self._cond.notify_all()
            while self._dirty or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)

    def close(self) -> None:
        self.flush()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _wait_for_work(self, last_write: float) -> bool:
        """Block until a write is due; False when closed with nothing left to write."""
        with self._cond:
            while True:
                if not self._dirty:
                    if self._closed:
                        return False
                    self._cond.wait()
                    continue
                wait = last_write + self._min_interval - time.monotonic()
                if wait <= 0 or self._urgent or self._closed:
                    break
                self._cond.wait(wait)
            self._dirty = False
            self._busy = True
            self._urgent = False
            return True

    def _run(self) -> None:
        last_write = -float("inf")
        while self._wait_for_work(last_write):
            try:
                self._save()
                self.error = None
            except BaseException as exc:  # reported to the UI; the log still has everything
                self.error = exc
            finally:
                last_write = time.monotonic()
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
