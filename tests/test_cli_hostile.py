"""Hostile input on the command line: names that are not UTF-8 or too long, git output
that is not UTF-8, a header of 100k columns. Each ends as a clear message and an exit
status, never a traceback, and a bug still leaves a complete crash report."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dlquiz import __main__ as cli

TOO_LONG = "n" * 300  # one name over the file system's 255 bytes: ENAMETOOLONG
NOT_UTF8 = os.fsdecode(b"\xff")  # as Python hands over a byte that is not UTF-8
STRICT = {"PYTHONIOENCODING": "utf-8:strict"}  # a locale that refuses surrogate escapes


@pytest.fixture(autouse=True)
def _temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Crash reports (in this process and in children) go under tmp_path, never /tmp."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp


def _run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlquiz", *args],
        capture_output=True,
        text=True,
        errors="backslashreplace",  # whatever bytes the child wrote, the test reads them
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def _crash_reports(root: Path) -> list[Path]:
    return list(root.rglob("crash-*.txt"))


def _clean(text: str) -> None:
    assert "Traceback" not in text and "unexpected error" not in text, text


# ----- 1. the crash reporter and printing ------------------------------------------------


def test_a_crash_report_holds_arguments_and_messages_that_are_not_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(args: object) -> int:
        raise RuntimeError(f"no file {NOT_UTF8}.csv")

    data = tmp_path / "data"
    data.mkdir()
    argv = ["--data-dir", str(data), "export", "log", str(tmp_path / f"{NOT_UTF8}.csv")]
    monkeypatch.setattr(sys, "argv", ["dlquiz", *argv])
    monkeypatch.setattr(cli, "_dispatch", boom)
    assert cli.main(argv) == 70
    err = capsys.readouterr().err.strip().splitlines()
    (report,) = _crash_reports(tmp_path)
    assert len(err) == 1 and "RuntimeError: no file \\udcff.csv" in err[0]
    assert str(report) in err[0]
    text = report.read_text(encoding="utf-8")
    assert "command: --data-dir" in text and "\\udcff.csv" in text
    assert "Traceback" in text and text.rstrip().endswith("RuntimeError: no file \\udcff.csv")


def test_a_crash_report_with_a_data_folder_name_too_long_goes_to_the_temp_folder(
    tmp_path: Path, _temp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(args: object) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "_dispatch", boom)
    assert cli.main(["--data-dir", str(tmp_path / TOO_LONG), "where"]) == 70
    err = capsys.readouterr().err.strip().splitlines()
    (report,) = _crash_reports(tmp_path)
    assert report.parent == _temp and len(err) == 1 and str(report) in err[0]
    assert "ZeroDivisionError: division by zero" in report.read_text()


@pytest.mark.parametrize("command", ["where", "export-log"])
def test_names_that_are_not_utf8_print_under_a_strict_locale(tmp_path: Path, command: str) -> None:
    data = tmp_path / f"data{NOT_UTF8}"
    data.mkdir()
    out = tmp_path / f"{NOT_UTF8}.csv"
    args = ["where"] if command == "where" else ["export", "log", str(out)]
    proc = _run("--data-dir", str(data), *args, env=STRICT)
    _clean(proc.stderr)
    assert proc.returncode == 0, proc.stderr
    assert "\\udcff" in proc.stdout  # the byte that is not UTF-8, shown escaped
    assert command == "where" or out.is_file()  # written, and said so
    assert _crash_reports(tmp_path) == []


def test_a_data_folder_name_too_long_is_one_line(tmp_path: Path) -> None:
    proc = _run("--data-dir", str(tmp_path / TOO_LONG), "sync")
    _clean(proc.stderr)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"dlquiz: cannot use the data folder {tmp_path / TOO_LONG}: File name too long"
    ]
    assert _crash_reports(tmp_path) == []


# ----- 2. git output that is not UTF-8 ---------------------------------------------------


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


@pytest.fixture
def git_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return tmp_path / f"data{NOT_UTF8}"


def test_sync_git_with_a_remote_whose_name_is_not_utf8_says_what_git_said(
    git_home: Path, tmp_path: Path
) -> None:
    git_home.mkdir()
    _git("-C", str(git_home), "init", "-q", "-b", "main")
    _git("-C", str(git_home), "remote", "add", "origin", str(tmp_path / f"gone{NOT_UTF8}.git"))
    proc = _run("--data-dir", str(git_home), "sync", "--git")
    _clean(proc.stderr)
    assert proc.returncode == 1  # git refused; this device's files stay committed
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlquiz: git fetch failed: ")
    assert _crash_reports(tmp_path) == []


def test_sync_git_through_names_that_are_not_utf8_round_trips(
    git_home: Path, tmp_path: Path
) -> None:
    # git prints the data folder and the remote back as bytes: they must still compare
    # equal to the names given, or a second sync took the folder for a foreign repository.
    remote = tmp_path / f"remote{NOT_UTF8}.git"
    _git("init", "-q", "--bare", "-b", "main", str(remote))
    git_home.mkdir()
    for _ in range(2):
        proc = _run("--data-dir", str(git_home), "sync", "--git", str(remote))
        _clean(proc.stderr)
        assert proc.returncode == 0, proc.stderr
        assert "Synced with origin (main)" in proc.stdout


# ----- 3. file names too long ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (["check", f"{TOO_LONG}.toml"], 1, f"{TOO_LONG}.toml: path: File name too long"),
        (["import", "csv", f"{TOO_LONG}.csv"], 2, f"dlquiz: {TOO_LONG}.csv: File name too long"),
        (["export", "log", f"{TOO_LONG}.csv"], 2, f"cannot write {TOO_LONG}.csv: File name"),
        (["export", "csv", f"{TOO_LONG}.csv"], 2, f"cannot write {TOO_LONG}.csv: File name"),
        (["export", "anki", f"{TOO_LONG}.apkg"], 2, f"cannot write {TOO_LONG}.apkg: File name"),
        # A deck given with --content is said as a missing one is: a note, then the stats.
        (
            ["--content", f"{TOO_LONG}.toml", "stats"],
            0,
            f"{TOO_LONG}.toml was not loaded (cannot read: File name too long)",
        ),
    ],
    ids=["check", "import", "export-log", "export-csv", "export-anki", "content-stats"],
)
def test_a_file_name_too_long_is_a_clear_message(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    status: int,
    says: str,
) -> None:
    home.mkdir()
    monkeypatch.chdir(tmp_path)
    assert cli.main(args) == status
    out, err = capsys.readouterr()
    _clean(out + err)
    assert says in err
    assert _crash_reports(tmp_path) == []


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (["check"], 1, "decks: path: File name too long"),
        (["export", "log", "out.csv"], 2, "cannot use the data folder"),
        (["export", "csv", "out.csv"], 0, "decks was not loaded (cannot read: File name too"),
    ],
    ids=["check", "export-log", "export-csv"],
)
def test_a_data_folder_name_too_long_is_a_clear_message(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    status: int,
    says: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--data-dir", str(tmp_path / TOO_LONG), *args]) == status
    out, err = capsys.readouterr()
    _clean(out + err)
    assert says in err
    assert _crash_reports(tmp_path) == []


# ----- 4. a header of 100k columns -------------------------------------------------------


def test_import_of_a_huge_header_is_refused_quickly_in_a_few_short_lines(
    home: Path, tmp_path: Path
) -> None:
    # header.count() per column took minutes here (quadratic); a Counter takes a blink.
    # The generous timeout only tells "linear" from "quadratic", not a speed.
    columns = ["kind", "slug", "term_or_question", "definition_or_answer", "kind"]
    columns += [f"x{i}" for i in range(100_000)]
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(columns) + "\nterm,my-term,My Term,A definition.\n")
    proc = _run("import", "csv", str(wide), timeout=30)
    _clean(proc.stderr)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3 and all(len(line) < 400 for line in lines)
    assert "unknown column(s) 'x0', 'x1', 'x2', 'x3', 'x4' and 99995 more" in lines[1]
    assert lines[2].endswith("column(s) given twice: kind")
    assert not (home / "decks").exists()  # nothing written


def test_import_of_a_file_whose_name_is_not_utf8(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The deck's first line names the CSV it came from: UTF-8 cannot hold that byte.
    source = tmp_path / f"{NOT_UTF8}.csv"
    source.write_text(
        "kind,slug,term_or_question,definition_or_answer\n"
        "term,zq-hostile,Zq Hostile,A made-up word for this test.\n"
    )
    assert cli.main(["import", "csv", str(source), "--name", "hostile"]) == 0
    _clean(capsys.readouterr().err)
    deck = (home / "decks" / "hostile.toml").read_text(encoding="utf-8")
    assert deck.startswith("# Imported by dlquiz from \\udcff.csv.")
    assert 'slug = "zq-hostile"' in deck
