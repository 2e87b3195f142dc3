"""``dlquiz sync --git`` against a local bare repository: two devices, no merge conflict."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dlquiz.__main__ import main
from tests.test_sync import study_at, view


@pytest.fixture(autouse=True)
def _no_user_git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def sync(home: Path, device: str, remote: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("DLQUIZ_DEVICE_ID", device)
    return main(["--data-dir", str(home), "sync", "--git", remote])


def test_two_devices_sync_through_git_without_conflicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "remote.git"
    git("init", "-q", "--bare", "-b", "main", str(bare))
    a, b = tmp_path / "a", tmp_path / "b"
    study_at(a, "dev-a", [0, 2, 4])
    study_at(b, "dev-b", [1, 3])  # the same cards, offline
    for _ in range(2):  # a second round: both study again offline, then sync
        assert sync(a, "dev-a", str(bare), monkeypatch) == 0
        assert sync(b, "dev-b", str(bare), monkeypatch) == 0  # merges A's history
        assert sync(a, "dev-a", "", monkeypatch) == 0  # origin from now on
        assert view(a, "dev-a") == view(b, "dev-b")
        _, _, ids = view(a, "dev-a")
        assert len(ids) == len(set(ids))
        study_at(a, "dev-a", [10, 12])
        study_at(b, "dev-b", [11])
    assert len(ids) == 8
    out = capsys.readouterr().out
    assert "new reviews from logs/dev-b.jsonl" in out
    shared = set(git("--git-dir", str(bare), "ls-tree", "-r", "--name-only", "main").split())
    assert shared == {".gitignore", "state.json", "logs/dev-a.jsonl", "logs/dev-b.jsonl"}
    for home in (a, b):  # nothing left half-merged, nothing of dlquiz's left out
        status = git("-C", str(home), "status", "--porcelain").split("\n")
        assert [line for line in status if line and "logs/" not in line] == []


def test_no_remote_and_a_foreign_repository_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "a"
    study_at(home, "dev-a", [0])
    assert sync(home, "dev-a", "", monkeypatch) == 1
    assert "no git remote yet" in capsys.readouterr().err
    assert not (home / ".git").exists()  # no repository made for nothing to push to
    outer = tmp_path / "outer"
    git("init", "-q", str(outer))
    inner = outer / "data"
    study_at(inner, "dev-a", [0])
    assert sync(inner, "dev-a", str(tmp_path / "x.git"), monkeypatch) == 1
    assert "inside the git repository" in capsys.readouterr().err


def test_a_gitignore_that_is_a_link_is_never_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A dangling .gitignore link was followed: dlquiz created the file it pointed at,
    # wherever that was (as root, anywhere).
    bare = tmp_path / "remote.git"
    git("init", "-q", "--bare", "-b", "main", str(bare))
    home = tmp_path / "a"
    study_at(home, "dev-a", [0])
    elsewhere = tmp_path / "elsewhere" / "planted"
    elsewhere.parent.mkdir()
    (home / ".gitignore").symlink_to(elsewhere)
    sync(home, "dev-a", str(bare), monkeypatch)
    assert not elsewhere.exists()
    assert (home / ".gitignore").is_symlink()
