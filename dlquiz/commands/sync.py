"""``dlquiz sync``: the devices that share this data folder; ``--git`` syncs it through git.

``dlquiz sync`` lists every device's log (read-only, safe beside a running app).

``dlquiz sync --git [REMOTE]`` is for users whose sync engine is git. It commits
this device's own files (its log and settings, plus the layout marker and the
``.gitignore`` that dlquiz writes), fetches, merges and pushes. A merge conflict
cannot happen in dlquiz's files: every device commits only files that no other
device writes, and the shared ones (marker, ``.gitignore``) have the same bytes
everywhere. Derived and per-device files are ignored.

Exit status: 0 when done, 1 when git refused (the message says why; nothing of
this device is lost: it stays committed locally), 2 when the folder or git cannot
be used.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from dlquiz import devices
from dlquiz.safe_io import atomic_write

__all__ = ["GITIGNORE", "add_parser", "run"]

GITIGNORE = """\
# Written by dlquiz: what each device derives or keeps for itself, never shared.
state/
locks/
cache/
conflicts/
dlquiz.lock
*.tmp
*.partial-*
*.damaged-*
*.stale-*
"""
PUSH_TRIES = 3
NO_REMOTE = "no git remote yet: run `dlquiz sync --git URL` once"


class GitFailed(Exception):
    pass


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``sync`` on the CLI's subparsers."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "sync",
        help="list the devices sharing this data folder; --git syncs it through git",
        description=(
            "Every device writes only its own review log (logs/DEVICE.jsonl), so any sync "
            "tool (Syncthing, Dropbox, Nextcloud, git) can carry the folder without losing "
            "a review. Without options, list the devices' logs. With --git, commit this "
            "device's files, pull the others' and push."
        ),
    )
    parser.add_argument(
        "--git",
        nargs="?",
        const="",
        default=None,
        metavar="REMOTE",
        help="sync through git with REMOTE (a remote name or URL; default: origin)",
    )
    return parser


def _error(message: str) -> None:
    print(f"dlquiz: {message}", file=sys.stderr)


def run(home: Path, git_remote: str | None) -> int:
    try:
        found = home.is_dir()
    except OSError as exc:  # e.g. a --data-dir name too long
        _error(f"cannot use the data folder {home}: {exc.strerror or exc}")
        return 2
    if not found:
        _error(f"no data folder at {home}: study once first")
        return 2
    try:
        device = devices.device_id()
    except devices.DeviceError as exc:
        _error(str(exc))
        return 2
    if git_remote is None:
        return _status(home, device)
    import shutil  # here, not at the top: every start of dlquiz builds this parser

    if shutil.which("git") is None:
        _error("git is not installed (or not on PATH)")
        return 2
    try:
        return _sync_git(home, device, git_remote)
    except GitFailed as exc:
        _error(str(exc))
        return 1


def _status(home: Path, device: str) -> int:
    from dlquiz import merge

    sources = devices.log_sources(home)
    print(f"This device: {device}")
    if not sources:
        print("No review log yet.")
    for name, path in sources.items():
        scan = merge.read_log(path)
        who = devices.device_of(name)
        mine = " (this device)" if who == device else ""
        last = max((r.time for r in scan.records), default=None)
        when = f", last {last:%Y-%m-%d %H:%M} UTC" if last else ""
        damaged = f", {len(scan.bad_lines)} damaged line(s) skipped" if scan.bad_lines else ""
        print(f"  {name}: {len(scan.records)} record(s){when}{damaged}{mine}")
        for note in merge.log_notices(name, scan):  # why some or all of it was not read
            print(f"    {note}")
    pending = devices.conflict_copies(home)
    if pending:
        print(f"{len(pending)} conflict copy(ies) from a sync tool; merged at the next start.")
    return 0


def _git(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_MERGE_AUTOEDIT": "no"}
    result = subprocess.run(
        ["git", "-C", str(home), *args],
        capture_output=True,
        text=True,
        # git prints paths and URLs as the bytes they are, which need not be UTF-8 (a
        # remote at remote\xff.git). Decoded as Python decodes paths and arguments, they
        # still compare equal to those (--data-dir, REMOTE) and print escaped.
        errors="surrogateescape",
        env=env,
        check=False,
    )
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise GitFailed(f"git {args[0]} failed: {detail[-1] if detail else result.returncode}")
    return result


def _ensure_repo(home: Path, wanted: str) -> None:
    top = _git(home, "rev-parse", "--show-toplevel", check=False)
    if top.returncode == 0:
        if Path(top.stdout.strip()).resolve() != home.resolve():
            raise GitFailed(
                f"{home} is inside the git repository {top.stdout.strip()}; the data folder "
                "needs a repository of its own"
            )
        return
    if not wanted:  # said before making a repository that nothing would push from
        raise GitFailed(NO_REMOTE)
    _git(home, "init", "-q", "-b", "main")
    print(f"Made {home} a git repository.")


def _remote(home: Path, wanted: str) -> str:
    names = _git(home, "remote").stdout.split()
    if wanted in names:
        return wanted
    if not wanted:
        if "origin" in names:
            return "origin"
        raise GitFailed(NO_REMOTE)
    if "origin" not in names:
        _git(home, "remote", "add", "origin", wanted)
        return "origin"
    url = _git(home, "remote", "get-url", "origin").stdout.strip()
    if url != wanted:
        raise GitFailed(f"origin is {url}; use `dlquiz sync --git origin` or a remote's name")
    return "origin"


def _identity(home: Path, device: str) -> list[str]:
    """Commit as the user if git knows them, else as this device."""
    if _git(home, "config", "user.email", check=False).stdout.strip():
        return []
    return ["-c", f"user.name=dlquiz {device}", "-c", f"user.email={device}@dlquiz.invalid"]


def _commit_own_files(home: Path, device: str) -> bool:
    ignore = home / ".gitignore"
    if not ignore.exists() and not ignore.is_symlink():  # never written through a link
        atomic_write(ignore, GITIGNORE.encode("utf-8"))
    layout = devices.Layout(home, device)
    own = [ignore, layout.marker, layout.own_log, layout.settings, layout.legacy_log]
    paths = [p.relative_to(home).as_posix() for p in own if p.is_file()]
    _git(home, "add", "--", *paths)
    if _git(home, "diff", "--cached", "--quiet", check=False).returncode == 0:
        return False
    _git(home, *_identity(home, device), "commit", "-q", "-m", f"dlquiz: reviews of {device}")
    return True


def _branch(home: Path) -> str:
    name = _git(home, "symbolic-ref", "--short", "HEAD", check=False).stdout.strip()
    return name or "main"


def _merge_remote(home: Path, device: str, remote: str, branch: str) -> None:
    _git(home, "fetch", "-q", remote)
    ref = f"{remote}/{branch}"
    if _git(home, "rev-parse", "--verify", "-q", ref, check=False).returncode != 0:
        return  # the remote has nothing yet: the push starts it
    merged = _git(
        home,
        *_identity(home, device),
        "merge",
        "-q",
        "--ff",  # whatever merge.ff the user set: divergent devices need a merge commit
        "--no-edit",
        "--allow-unrelated-histories",
        ref,
        check=False,
    )
    if merged.returncode != 0:
        conflicted = _git(home, "diff", "--name-only", "--diff-filter=U", check=False).stdout
        _git(home, "merge", "--abort", check=False)
        files = ", ".join(conflicted.split()) or "unknown files"
        raise GitFailed(
            f"git could not merge {ref} ({files}): these are not files dlquiz writes per "
            "device. Your reviews are committed locally; resolve the files by hand and run "
            "this again."
        )


def _sync_git(home: Path, device: str, wanted: str) -> int:
    _ensure_repo(home, wanted)
    remote = _remote(home, wanted)
    committed = _commit_own_files(home, device)
    branch = _branch(home)
    before = _log_sizes(home)
    for attempt in range(PUSH_TRIES):
        _merge_remote(home, device, remote, branch)
        pushed = _git(home, "push", "-q", remote, f"HEAD:refs/heads/{branch}", check=False)
        if pushed.returncode == 0:
            break
        if attempt == PUSH_TRIES - 1:  # another device kept pushing first
            detail = (pushed.stderr or pushed.stdout).strip().splitlines()
            raise GitFailed(f"git push failed: {detail[-1] if detail else pushed.returncode}")
    grown = [n for n, size in _log_sizes(home).items() if size != before.get(n)]
    print(
        f"Synced with {remote} ({branch}): "
        f"{'committed this device’s reviews' if committed else 'nothing new here'}; "
        f"{'new reviews from ' + ', '.join(grown) if grown else 'nothing new from others'}."
    )
    return 0


def _log_sizes(home: Path) -> dict[str, int]:
    return {name: path.stat().st_size for name, path in devices.log_sources(home).items()}
