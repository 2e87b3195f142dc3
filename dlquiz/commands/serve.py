"""``dlquiz serve``: the same app in a browser tab, through textual-serve.

textual-serve starts one ``python -m dlquiz --data-dir HOME`` per browser
connection, so each tab is an ordinary dlquiz process: the data-folder lock
still allows one writer, and a second tab shows the same "already running"
message as a second terminal would (``dlquiz.tui.refused``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``serve`` on the CLI's subparsers (``sub`` from ``add_subparsers``)."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="study in a web browser (served on this machine only, by default)",
        description="Serve dlquiz to a web browser. Each browser tab runs its own dlquiz "
        "with your data folder; as in the terminal, only one can be open at a time.",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}, this machine only); any "
        "other address also needs --public",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="allow a host that other machines can reach: anyone who can open the page "
        "sees and changes your whole study history and settings (no password)",
    )
    parser.add_argument(
        "--url",
        metavar="URL",
        help="the address browsers use to reach the server, if not http://HOST:PORT "
        "(e.g. behind a proxy, or with --host 0.0.0.0)",
    )
    return parser


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.x, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    import ipaddress  # only here: it would add to every start of dlquiz

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def served_command(home: Path, extra_content: list[Path] | None = None) -> str:
    """The shell command textual-serve runs per tab: this Python, this data folder."""
    argv = [sys.executable, "-m", "dlquiz", "--data-dir", str(home.resolve())]
    for path in extra_content or []:
        argv += ["--content", str(path.resolve())]
    return shlex.join(argv)


def run(
    home: Path,
    host: str,
    port: int,
    public: bool,
    url: str | None = None,
    extra_content: list[Path] | None = None,
) -> int:
    """Serve until Ctrl+C; exit status 2 if the options are refused."""
    if not 0 <= port <= 65535:
        print(f"dlquiz: --port {port} is not a port number (0-65535).", file=sys.stderr)
        return 2
    if not is_loopback(host):
        if not public:
            print(
                f"dlquiz: {host} may be reachable from other machines, and the page shows "
                "and changes your whole study history. Add --public if that is what you "
                f"want, or leave --host out to serve on {DEFAULT_HOST} only.",
                file=sys.stderr,
            )
            return 2
        print(
            f"dlquiz: warning: serving on {host}: anyone who can reach this address can "
            "read and change your study history and settings. There is no password.",
            file=sys.stderr,
        )
    if url is None and host in ("0.0.0.0", "::"):
        print(
            "dlquiz: with a wildcard host, pass --url with the address browsers will use "
            "(e.g. --url http://my-laptop.local:8000).",
            file=sys.stderr,
        )
        return 2
    try:
        from dlquiz.tui.serve import serve_in_browser
    except ImportError:
        print("dlquiz: textual-serve is not installed: pip install textual-serve", file=sys.stderr)
        return 2
    shown_host = f"[{host}]" if ":" in host else host
    print(f"dlquiz: data folder {home}", file=sys.stderr)
    try:
        serve_in_browser(
            served_command(home, extra_content),
            host,
            port,
            (url or f"http://{shown_host}:{port}").rstrip("/"),
        )
    except OSError as exc:  # e.g. the port is taken
        print(f"dlquiz: cannot serve on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
