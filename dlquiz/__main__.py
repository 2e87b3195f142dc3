"""Command line: ``dlquiz`` starts the app; subcommands do the rest.

``make_app`` builds the Textual app for the CLI and the tests alike.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from dlquiz import __version__, paths
from dlquiz.content import ContentError
from dlquiz.store import StoreError

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp


def make_app(
    home: Path,
    extra_content: list[Path] | None = None,
    clock: Callable[[], datetime] | None = None,
    **app_options: Any,
) -> DLQuizApp:
    """Open the user's data folder and build the app (raises StoreError/ContentError).

    ``app_options`` go to ``DLQuizApp`` (tests pass ``rng`` and ``generator``).
    """
    from dlquiz.study import Study
    from dlquiz.tui.app import DLQuizApp

    study = Study.open(home, extra_content, now=clock() if clock else None)
    return DLQuizApp(study, clock=clock, **app_options)


def _folder_argument(text: str) -> str:
    if not text.strip():  # '' would quietly mean the default folder: say so instead
        raise argparse.ArgumentTypeError("the folder name is empty")
    return text


def _path_argument(text: str) -> Path:
    if not text:  # Path('') is the working folder: every TOML file under it
        raise argparse.ArgumentTypeError("the path is empty")
    return Path(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlquiz",
        description="Learn deep learning with spaced repetition, in the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"dlquiz {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        type=_folder_argument,
        help=f"where your reviews are kept (default: ${paths.ENV_HOME} or the platform's "
        "user data folder)",
    )
    parser.add_argument(
        "--content",
        metavar="PATH",
        action="append",
        type=Path,
        help="an extra deck (TOML file or folder) to study beside the built-in content",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="validate content files and list every problem")
    check.add_argument(
        "path",
        nargs="?",
        type=_path_argument,
        help="file or folder (default: the built-in content and your decks)",
    )
    sub.add_parser("where", help="print the data folder in use")
    ask = sub.add_parser(
        "ask",
        help="one live-computation question in the shell",
        description="Generate a question (runs torch), optionally check an answer.",
    )
    ask.add_argument("family", nargs="?", help="question family (default: a random one)")
    ask.add_argument("--list", action="store_true", help="list the families and their levels")
    ask.add_argument("--level", type=int, help="difficulty level (default: the first)")
    ask.add_argument("--seed", type=int, help="seed for the numbers (default: random)")
    ask.add_argument("--answer", metavar="TEXT", help="check this answer and explain")
    ask.add_argument("--json", action="store_true", help="print the question as JSON")
    from dlquiz.commands import export, optimize, serve, stats, sync

    stats.add_parser(sub)
    export.add_parser(sub)
    optimize.add_parser(sub)
    sync.add_parser(sub)
    serve.add_parser(sub)
    return parser


NO_TERMINAL = (
    "dlquiz: the app reads its keys from a terminal, and standard input is not one."
    " Start it in a terminal ('dlquiz --help' lists the commands that need none)."
)


def _has_terminal() -> bool:
    """True when the app has keys to read: a terminal on stdin, or a driver of its own
    (``dlquiz serve`` starts each browser tab with textual-serve's web driver, on pipes).
    Without one the app hung with nothing to read, or (stdin closed) ended in Textual's
    traceback."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return True
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (OSError, ValueError):  # closed, or a descriptor that is gone
        return False


def _run_app(args: argparse.Namespace) -> int:
    if not _has_terminal():
        print(NO_TERMINAL, file=sys.stderr)
        return 2
    home = paths.data_dir(args.data_dir)
    try:
        app = make_app(home, args.content)
    except ContentError as exc:
        print("dlquiz: the built-in content has errors (please report this):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"dlquiz: {exc}", file=sys.stderr)
        from dlquiz.tui.refused import show_in_browser

        show_in_browser(str(exc))  # a browser tab shows nothing of stderr
        return 2
    app.run()
    return app.return_code or 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; every failure ends as one line on stderr and an exit status."""
    args = _parser().parse_args(argv)
    if args.command not in (None, "serve"):
        if sys.stdout is None:  # started with stdout closed (``>&-``): nothing could be said
            print("dlquiz: cannot write the output: standard output is closed.", file=sys.stderr)
            return 74  # EX_IOERR, as for a full disk
        _guard_streams()
    try:
        return _dispatch(args)
    except BrokenPipeError:
        # The reader went away (``dlquiz ask --json | head -1``): stop quietly, and point
        # stdout at /dev/null so the interpreter's final flush cannot fail again.
        _silence_stdout()
        print("dlquiz: output closed early (broken pipe).", file=sys.stderr)
        return 141  # what a shell reports for a writer killed by SIGPIPE
    except KeyboardInterrupt:
        print("dlquiz: interrupted.", file=sys.stderr)
        return 130
    except OutputError as exc:  # stdout on a full disk or a dead device: not a bug
        _silence_stdout()
        print(f"dlquiz: cannot write the output: {exc.strerror}.", file=sys.stderr)
        return 74  # EX_IOERR
    except Exception as exc:
        return _unexpected(args, exc)


def _guard_streams() -> None:
    """The commands' stdout and stderr (not the app's: Textual has its own), wrapped once
    however often ``main`` runs in one process (the tests)."""
    if not isinstance(sys.stdout, _GuardedStdout):
        sys.stdout = cast(TextIO, _GuardedStdout(sys.stdout))
    if sys.stderr is not None and not isinstance(sys.stderr, _Tolerant):
        sys.stderr = cast(TextIO, _Tolerant(sys.stderr))


def _unexpected(args: argparse.Namespace, exc: BaseException) -> int:
    """A bug: one line for the user, the details in a file."""
    try:
        report = _crash_report(args, exc)
    except Exception:  # the last line of defence: the user still gets the one line
        report = None
    where = f" Details in {report}; please report it." if report else ""
    print(f"dlquiz: unexpected error: {_one_line(exc)}.{where}", file=sys.stderr)
    return 70  # EX_SOFTWARE


class OutputError(OSError):
    """Standard output refused what a command printed (not a broken pipe)."""


@contextlib.contextmanager
def _as_output_error() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise  # the reader went away: main's own answer
    except OSError as exc:
        raise OutputError(exc.errno, exc.strerror) from exc


class _Tolerant:
    """A text stream that prints any str. Paths from the command line or the disk may
    hold surrogate escapes (bytes that are not UTF-8), which a strict encoding refuses:
    those characters are written as backslash escapes instead of failing the command."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        try:
            return self._out.write(text)
        except UnicodeEncodeError:  # raised before anything was written
            return self._out.write(_encodable(text, self._out))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._out, name)


class _GuardedStdout(_Tolerant):
    """sys.stdout for the commands: a failed write is told apart from any other
    OSError, so that a full disk under ``> file`` is reported as such, not as a bug."""

    def write(self, text: str) -> int:
        with _as_output_error():
            return super().write(text)

    def flush(self) -> None:
        with _as_output_error():
            self._out.flush()


def _encodable(text: str, stream: TextIO) -> str:
    """``text`` with what ``stream``'s encoding cannot hold written as backslash escapes."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:  # an encoding Python does not know: ASCII is in every one
        return text.encode("ascii", "backslashreplace").decode("ascii")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _crash_report(args: argparse.Namespace, exc: BaseException) -> Path | None:
    """Write the traceback to a file (data folder, else the temp folder); None if neither."""
    import os
    import tempfile
    import traceback
    from datetime import UTC

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    text = (
        f"dlquiz {__version__} on Python {sys.version.split()[0]}\n"
        f"command: {' '.join(sys.argv[1:]) or '(none)'}\n\n"
        + "".join(traceback.format_exception(exc))
    )
    folders: list[Path] = []
    # The report must not fail in its turn: the data folder's name may be what failed
    # (too long, say), and there may be no usable temp folder either.
    with contextlib.suppress(Exception):
        folders.append(paths.data_dir(getattr(args, "data_dir", None)))
    with contextlib.suppress(Exception):
        folders.append(Path(tempfile.gettempdir()))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for folder in folders:
        path = folder / f"crash-{stamp}.txt"
        try:
            if not folder.is_dir():
                continue  # a command that never used the data folder must not create it
            fd = os.open(path, flags, 0o600)  # new only: never through a link left there
        except OSError:
            continue
        try:
            # An argument or message that is not UTF-8 (surrogate escapes) is escaped.
            with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as out:
                out.write(text)
            return path
        except OSError:  # a full disk: no half report left behind
            with contextlib.suppress(OSError):
                path.unlink()
    return None


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check":
        from dlquiz.commands.check import run as run_check

        return run_check(args.path, paths.data_dir(args.data_dir), args.content)
    if args.command == "ask":
        from dlquiz.commands import ask

        if args.list:
            return ask.list_families()
        return ask.run(args.family, args.level, args.seed, args.answer, args.json)
    if args.command == "stats":
        from dlquiz.commands import stats

        return stats.run(paths.data_dir(args.data_dir), args.json, extra_content=args.content)
    if args.command in ("export", "import", "optimize"):
        from dlquiz.commands import export, optimize

        home = paths.data_dir(args.data_dir)
        if args.command == "export":
            return export.run_export(args, home)
        if args.command == "import":
            return export.run_import(args, home)
        return optimize.run(home, args.dry_run)
    if args.command == "sync":
        from dlquiz.commands import sync

        return sync.run(paths.data_dir(args.data_dir), args.git)
    if args.command == "serve":
        from dlquiz.commands import serve

        home = paths.data_dir(args.data_dir)
        return serve.run(home, args.host, args.port, args.public, args.url, args.content)
    if args.command == "where":
        print(paths.data_dir(args.data_dir))
        return 0
    return _run_app(args)


if __name__ == "__main__":
    sys.exit(main())
