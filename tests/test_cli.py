"""The command line, run as a user runs it (subprocesses, and main() in-process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlquiz import __main__ as cli
from dlquiz import __version__
from dlquiz.questions import generate


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlquiz", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_version() -> None:
    proc = _run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"dlquiz {__version__}"


def test_where_follows_data_dir(tmp_path: Path) -> None:
    proc = _run("--data-dir", str(tmp_path / "x"), "where")
    assert proc.stdout.strip() == str(tmp_path / "x")


def test_ask_list_names_every_family() -> None:
    proc = _run("ask", "--list")
    assert proc.returncode == 0
    assert "conv2d-shape" in proc.stdout and "lstm-params" in proc.stdout
    assert len(proc.stdout.strip().splitlines()) >= 25


def test_ask_json_is_the_generated_question() -> None:
    proc = _run("ask", "conv2d-shape", "--level", "2", "--seed", "7", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    for key in ("family", "skill", "seed", "params", "prompt", "code", "answer", "explanation"):
        assert key in data
    assert data == generate("conv2d-shape", 2, 7).to_json()


def test_ask_checks_an_answer_and_explains(capsys: pytest.CaptureFixture[str]) -> None:
    # In this process (one torch import, not three): main() is the same code the
    # subprocess tests above run, exit status included.
    question = generate("linear-params", 1, 3)
    answer = ["ask", "linear-params", "--seed", "3", "--answer"]
    assert cli.main([*answer, question.expected.proof_line()]) == 0
    out = capsys.readouterr().out
    assert "Correct" in out and question.explanation.splitlines()[0] in out
    assert cli.main([*answer, "1"]) == 1
    assert question.expected.display() in capsys.readouterr().out
    assert cli.main([*answer, "((("]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_ask_unknown_family_suggests_a_name() -> None:
    proc = _run("ask", "conv2d-shap")
    assert proc.returncode == 2 and "conv2d-shape" in proc.stderr
    assert "Traceback" not in proc.stderr
