"""Run many questions' proof snippets in ONE fresh interpreter (torch imports once).

Each snippet runs with its own globals and its stdout captured separately, in a
subprocess so that nothing from the test process (already-imported modules,
monkeypatches) can make a snippet pass that would fail for a user.
"""

from __future__ import annotations

import json
import subprocess
import sys

_RUNNER = r"""
import contextlib, io, json, sys, traceback
snippets = json.load(sys.stdin)
out = []
for src in snippets:
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            exec(compile(src, "<proof>", "exec"), {"__name__": "__main__"})
        out.append({"ok": True, "stdout": buf.getvalue()})
    except BaseException:
        out.append({"ok": False, "stdout": buf.getvalue(), "error": traceback.format_exc()})
json.dump(out, sys.stdout)
"""


def run_proofs(snippets: list[str], timeout: float = 600) -> list[dict[str, object]]:
    """Outputs of each snippet: ``{"ok": bool, "stdout": str, "error"?: str}``."""
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER],
        input=json.dumps(snippets),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(proc.stdout)


def last_line(stdout: str) -> str:
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
