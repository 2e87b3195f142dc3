"""No traceback ever reaches the user of the command line: one line, a non-zero status."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from datetime import datetime
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


def test_reader_gone_from_the_printed_stats_is_the_same_one_line(tmp_path: Path) -> None:
    # The table goes through rich, whose own broken-pipe handling exits with status 1 and
    # no word: the CLI's handler must be the one that answers.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = _run(
            "--data-dir", str(tmp_path / "data"), "stats", stdout=write_end, stderr=subprocess.PIPE
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr.strip().splitlines() == ["dlquiz: output closed early (broken pipe)."]


@pytest.mark.parametrize("command", [["stats"], ["stats", "--json"], ["where"]])
def test_output_on_a_full_disk_is_one_line_not_a_bug(tmp_path: Path, command: list[str]) -> None:
    # A twin of /dev/full made here: every write to it fails with ENOSPC.
    full = tmp_path / "full"
    os.mknod(full, 0o600 | stat.S_IFCHR, os.makedev(1, 7))
    data = tmp_path / "data"
    data.mkdir()
    with open(full, "w") as out:
        proc = _run("--data-dir", str(data), *command, stdout=out, stderr=subprocess.PIPE)
    assert proc.returncode == 74
    assert proc.stderr.strip().splitlines() == [
        "dlquiz: cannot write the output: No space left on device."
    ]
    assert not list(data.glob("crash-*"))  # the user's disk, not a bug to report


def test_an_empty_data_folder_name_is_refused_not_the_default(tmp_path: Path) -> None:
    proc = _run("--data-dir", "", "where", env={**os.environ, "HOME": str(tmp_path)})
    assert proc.returncode == 2
    assert "--data-dir: the folder name is empty" in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--seed", "-1", f"--seed must be a whole number from 0 to {2**63 - 1}, not -1"),
        ("--samples", "1000000000", "--samples must be a whole number from 0 to 100"),
    ],
)
def test_anki_export_bounds_are_one_line(
    tmp_path: Path, option: str, value: str, says: str
) -> None:
    out = tmp_path / "deck.apkg"
    proc = _run("--data-dir", str(tmp_path / "data"), "export", "anki", option, value, str(out))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "unexpected error" not in proc.stderr
    assert says in proc.stderr and len(proc.stderr.strip().splitlines()) <= 2
    assert not out.exists()


def test_a_crash_report_never_creates_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(args: object) -> int:
        raise ZeroDivisionError("division by zero")

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(cli, "_dispatch", boom)
    never_used = tmp_path / "data"
    assert cli.main(["--data-dir", str(never_used), "ask", "--list"]) == 70
    assert not never_used.exists()
    reports = list(temp.glob("crash-*.txt"))
    assert len(reports) == 1 and str(reports[0]) in capsys.readouterr().err


def test_a_crash_report_never_writes_through_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(args: object) -> int:
        raise ZeroDivisionError("division by zero")

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> Frozen:  # type: ignore[override]
            return cls(2026, 12, 3, 5, 0, 0)

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    data = tmp_path / "data"
    data.mkdir()
    (data / "crash-20261203-050000.txt").symlink_to(victim)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(cli, "datetime", Frozen)
    monkeypatch.setattr(cli, "_dispatch", boom)
    assert cli.main(["--data-dir", str(data), "where"]) == 70
    assert victim.read_text() == "keep me"
    assert (temp / "crash-20261203-050000.txt").is_file()


@pytest.mark.parametrize("stdin", ["not a terminal", "closed"])
def test_the_app_without_a_terminal_to_read_keys_says_so(tmp_path: Path, stdin: str) -> None:
    # The app reads its keys from stdin. Not a terminal, it hung with nothing to read;
    # closed, Textual's driver ended in a traceback.
    home = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_DRIVER"}
    command = [sys.executable, "-m", "dlquiz", "--data-dir", str(home)]
    if stdin == "closed":
        proc = subprocess.run(
            ["sh", "-c", 'exec "$@" 0<&-', "sh", *command],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    else:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "dlquiz: the app reads its keys from a terminal, and standard input is not one."
        " Start it in a terminal ('dlquiz --help' lists the commands that need none)."
    ]
    assert not home.exists()  # nothing was opened, so nothing was made


@pytest.mark.parametrize("command", [["export", "csv", ""], ["import", "csv", ""]])
def test_an_empty_file_name_is_refused_as_such(tmp_path: Path, command: list[str]) -> None:
    # export csv '' said ". is a folder; give a file name".
    proc = _run("--data-dir", str(tmp_path / "data"), *command)
    assert proc.returncode == 2
    assert "the file name is empty" in proc.stderr and "Traceback" not in proc.stderr


def test_a_closed_stdout_is_said_not_silent(tmp_path: Path) -> None:
    # ``dlquiz stats >&-`` printed nothing and exited 0.
    home = tmp_path / "data"
    command = [sys.executable, "-m", "dlquiz", "--data-dir", str(home), "stats"]
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *command],
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 74
    assert proc.stderr.strip().splitlines() == [
        "dlquiz: cannot write the output: standard output is closed."
    ]
