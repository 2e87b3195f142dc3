"""``dlquiz serve``: options checked without a browser, then a real browser studies a card.

The browser test drives Debian's /usr/bin/chromium through Playwright for Python
(``.ci/install-browser`` installs both); it reads the screen from the bytes the
page receives over its websocket, since the terminal is drawn on a canvas.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dlquiz.commands.serve import is_loopback, served_command
from tests.conftest import LOG_NAME

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Terminal control sequences (CSI and OSC) between the words on screen.
_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=!$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlquiz", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_loopback_addresses() -> None:
    for host in ("127.0.0.1", "127.8.0.1", "localhost", "::1", "[::1]"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "192.168.1.20", "::", "my-laptop.local"):
        assert not is_loopback(host), host


def test_another_host_needs_public(tmp_path: Path) -> None:
    proc = _cli("--data-dir", str(tmp_path), "serve", "--host", "192.168.1.20")
    assert proc.returncode == 2
    assert "--public" in proc.stderr and "study history" in proc.stderr
    assert "Traceback" not in proc.stderr
    wildcard = _cli("--data-dir", str(tmp_path), "serve", "--host", "0.0.0.0", "--public")
    assert wildcard.returncode == 2
    assert "warning" in wildcard.stderr and "--url" in wildcard.stderr


def test_served_command_is_dlquiz_with_the_same_data_folder(tmp_path: Path) -> None:
    command = served_command(tmp_path / "my data", [tmp_path / "deck.toml"])
    assert command.split()[:3] == [sys.executable, "-m", "dlquiz"]
    assert f"--data-dir '{(tmp_path / 'my data').resolve()}'" in command
    assert f"--content {(tmp_path / 'deck.toml').resolve()}" in command


# ----- in a real browser -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``dlquiz serve`` on a free loopback port over a data folder of recall cards first."""
    from dlquiz.questions import families

    home = tmp_path / "data"
    home.mkdir()
    # No question families: the first new card is then a glossary recall card.
    (home / "settings.json").write_text(json.dumps({"excluded_skills": sorted(families())}))
    port = _free_port()
    out = (tmp_path / "serve.out").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlquiz", "--data-dir", str(home), "serve", "--port", str(port)],
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own group: the tabs' processes end with it
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"dlquiz serve did not start: {(tmp_path / 'serve.out').read_text()}"
                    )
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/", home
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()


class Tab:
    """One browser page on the served app, with the text it has been sent."""

    def __init__(self, browser: object, url: str) -> None:
        self.page = browser.new_page()  # type: ignore[attr-defined]
        self.received = bytearray()
        # Nothing leaves the machine (the page links a web font).
        self.page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
        self.page.on("websocket", self._watch)
        self.page.goto(url)

    def _watch(self, ws: object) -> None:
        def got(payload: bytes | str) -> None:
            if isinstance(payload, bytes):
                self.received += payload

        ws.on("framereceived", got)  # type: ignore[attr-defined]

    @property
    def text(self) -> str:
        return _ESCAPES.sub(b"", bytes(self.received)).decode("utf-8", "replace")

    def wait_for(self, what: Callable[[], bool], label: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not what():
            if time.monotonic() > deadline:
                pytest.fail(
                    f"waited {timeout:.0f} s for {label}; the screen said: {self.text[-1500:]}"
                )
            self.page.wait_for_timeout(100)  # lets Playwright deliver the frames

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)


def _reviews(home: Path) -> list[dict[str, object]]:
    log = home / LOG_NAME
    if not log.exists():
        return []
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [r for r in records if r.get("type") == "review"]


def test_study_one_card_in_a_browser(server: tuple[str, Path]) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run .ci/install-browser to install it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: run .ci/install-browser to install it")
    url, home = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = Tab(browser, url)
            tab.wait_for(lambda: "Study now" in tab.text, "the home screen")
            tab.page.click("#terminal")  # keyboard focus to the terminal
            tab.press("Enter")
            tab.wait_for(lambda: "Show answer" in tab.text, "the first card")
            tab.press("Space")
            tab.wait_for(lambda: "3 Good" in tab.text, "the answer and the rating hint")
            tab.press("3")
            tab.wait_for(lambda: len(_reviews(home)) == 1, "the review in the log")
            review = _reviews(home)[0]
            assert review["rating"] == 3
            assert str(review["card"]).endswith("/recall")

            # A second tab is a second dlquiz on the same folder: the lock refuses it,
            # with the same words as in a terminal, shown in the page.
            second = Tab(browser, url)
            second.wait_for(
                lambda: "already running with this data folder" in second.text,
                "the second tab's message",
            )
            assert "Traceback" not in second.text
            assert len(_reviews(home)) == 1

            # Closing the first tab ends its dlquiz and frees the folder for a new tab.
            tab.page.close()
            second.page.close()
            third = Tab(browser, url)
            # The page may paint "Study now" a frame before the counts: wait for both.
            third.wait_for(
                lambda: "Study now" in third.text and "reviewed today" in third.text,
                "a new tab's home screen with its counts",
            )
            assert "1 reviewed today" in third.text  # the review from the first tab
        finally:
            browser.close()
