"""No traceback ever reaches the user of the command line: one line, a non-zero status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlquiz import __main__ as cli


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "dlquiz", *args],
        capture_output="stdout" not in kwargs,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        **kwargs,
    )


def test_negative_seed_is_one_line_not_a_traceback() -> None:
    proc = _run("ask", "conv2d-shape", "--seed", "-1")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"dlquiz: --seed must be a whole number from 0 to {2**63 - 1}, not -1."
    ]


def test_reader_gone_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    # ``dlquiz stats --json | head -1`` with the reader gone before we write. (Any command
    # that prints will do: the pipe is handled once, in ``main``; ``ask`` would first
    # spend seconds importing torch.)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = _run(
            "--data-dir",
            str(tmp_path / "data"),
            "stats",
            "--json",
            stdout=write_end,
            stderr=subprocess.PIPE,
        )
    finally:
        os.close(write_end)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert proc.stderr.strip().splitlines() == ["dlquiz: output closed early (broken pipe)."]


def test_unexpected_error_is_one_line_and_a_crash_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(args: object) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "_dispatch", boom)
    status = cli.main(["--data-dir", str(tmp_path), "where"])
    assert status == 70
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ZeroDivisionError: division by zero" in err[0]
    reports = list(tmp_path.glob("crash-*.txt"))
    assert len(reports) == 1 and str(reports[0]) in err[0]
    assert "Traceback" in reports[0].read_text() and "boom" in reports[0].read_text()
