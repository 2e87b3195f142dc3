"""The app in a browser tab: textual-serve runs ``command`` once per tab.

Kept beside the TUI it serves (the CLI's ``dlquiz serve`` checks the host and the
data folder, then calls this).
"""

from __future__ import annotations


def serve_in_browser(command: str, host: str, port: int, public_url: str) -> None:
    """Serve until interrupted; OSError if the address cannot be used."""
    from textual_serve.server import Server

    Server(command, host=host, port=port, title="dlquiz", public_url=public_url).serve()
