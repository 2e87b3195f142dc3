"""Hostile targets and hostile text for ``dlquiz export`` (issue 14 items 2, 8, 12).

Every special file here is a twin made in tmp_path (a FIFO from os.mkfifo, links
we create); no test touches a real device.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlquiz import __main__ as cli
from dlquiz.content import Content, Term
from dlquiz.content_cache import cached, fingerprint
from dlquiz.exports import export_csv, export_log, neutralise_cell, unquote_cell
from dlquiz.history import review_record
from dlquiz.safe_io import OutputRefused, write_output
from dlquiz.scheduler import Scheduler
from dlquiz.store import Store
from tests.conftest import T0


def _records(answers: list[str]) -> list[dict[str, object]]:
    sched = Scheduler()
    out = []
    for i, answer in enumerate(answers):
        after = sched.outcomes(None, T0)[3].state
        out.append(review_record(f"skill/x/{i}", 3, T0, None, after, extra={"answer": answer}))
    return out


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


# ----- item 2: never replace a device, a FIFO or a link ------------------------------


def test_export_through_a_symlink_writes_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    synced = tmp_path / "sync"
    synced.mkdir()
    target = synced / "log.csv"
    target.write_text("old")
    link = tmp_path / "log.csv"
    link.symlink_to(target)
    n, _ = export_log(_records(["a"]), link)
    assert n == 1
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert _rows(target.read_bytes())[1][6] == "a"


def test_export_through_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    target = tmp_path / "made.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    export_log(_records(["a"]), link)
    assert link.is_symlink() and target.is_file()


def test_export_to_a_link_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "nowhere" / "x.csv")
    with pytest.raises(OutputRefused, match="does not exist"):
        export_log(_records(["a"]), link)
    assert link.is_symlink()


def test_export_to_a_fifo_writes_into_it_and_keeps_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as handle:
            got.append(handle.read())

    thread = threading.Thread(target=reader)
    thread.start()
    # The reader opens the FIFO in its own time: retry until it is there.
    for _ in range(200):
        try:
            export_log(_records(["a", "b"]), fifo)
            break
        except OutputRefused:
            threading.Event().wait(0.01)
    thread.join(timeout=10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [row[6] for row in _rows(got[0])[1:]] == ["a", "b"]


def test_export_through_a_link_to_a_pipe_writes_into_the_pipe(tmp_path: Path) -> None:
    # As `export log /dev/stdout` with stdout a pipe: a link whose target only the
    # kernel can follow (a /proc fd link to our own pipe), not a path to replace.
    read_end, write_end = os.pipe()
    link = tmp_path / "out"
    link.symlink_to(f"/proc/self/fd/{write_end}")
    try:
        write_output(link, b"through the pipe")
        os.close(write_end)
        assert os.read(read_end, 100) == b"through the pipe"
    finally:
        os.close(read_end)
        with contextlib.suppress(OSError):
            os.close(write_end)
    assert link.is_symlink()


def test_export_to_a_fifo_without_a_reader_is_refused_not_hung(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputRefused, match="no reader"):
        write_output(fifo, b"x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_export_to_a_character_device_twin_writes_into_it(tmp_path: Path) -> None:
    # A twin of /dev/null (same major/minor) made in tmp_path; root may mknod.
    twin = tmp_path / "null"
    try:
        os.mknod(twin, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod of a character device needs root")
    try:
        export_log(_records(["a"]), twin)
    except PermissionError:
        pytest.skip("the filesystem refuses device nodes (nodev)")
    assert stat.S_ISCHR(os.lstat(twin).st_mode)
    assert not list(tmp_path.glob(".dlq-*"))


def test_export_to_a_socket_or_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputRefused, match="folder"):
        write_output(tmp_path, b"x")


def test_export_to_stdout_with_a_dash(
    home: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    with Store(home) as store:
        for record in _records(["=1+1", "fine"]):
            store.append(record)
    assert cli.main(["export", "log", "-"]) == 0
    out = capsysbinary.readouterr()
    assert [row[6] for row in _rows(out.out)[1:]] == ["'=1+1", "fine"]
    assert b"Wrote 2 reviews" in out.err
    assert not (Path.cwd() / "-").exists()


def test_cli_refuses_a_pipe_without_reader_in_one_line(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(home) as store:
        store.append(_records(["x"])[0])
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert cli.main(["export", "log", str(fifo)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no reader" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# ----- item 12: formula injection -------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("text", HOSTILE)
def test_export_log_neutralises_typed_formulas(tmp_path: Path, text: str) -> None:
    out = tmp_path / "log.csv"
    export_log(_records([text]), out)
    cell = _rows(out.read_bytes())[1][6]
    assert cell == "'" + text


@pytest.mark.parametrize("text", HOSTILE)
def test_export_csv_neutralises_every_text_cell(tmp_path: Path, text: str) -> None:
    term = Term(slug="zz-hostile", term=text, definition=text + " is hostile", aliases=[text])
    content = Content(terms={term.slug: term}, concepts={})
    out = tmp_path / "content.csv"
    export_csv(content, out)
    row = _rows(out.read_bytes())[1]
    for cell in row:
        assert not cell or cell[0] not in "=+-@\t\r", row


@given(st.text(max_size=20))
@settings(max_examples=200)
def test_neutralised_cells_round_trip(text: str) -> None:
    safe = neutralise_cell(text)
    assert isinstance(safe, str)
    assert not safe or safe[0] not in "=+-@\t\r"
    assert unquote_cell(safe) == text


def test_numbers_are_left_alone() -> None:
    assert neutralise_cell(-5) == -5


# ----- item 8 (second half): a data folder whose name is not UTF-8 ------------------------


def test_content_cache_survives_a_non_utf8_folder_name(tmp_path: Path) -> None:
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9-\xff"))
    odd.mkdir()
    (odd / "deck.toml").write_text("")
    key = fingerprint([odd])
    assert key == fingerprint([odd])
    built = cached(odd / "cache" / "c.pickle", [odd], lambda: {"v": 1})
    assert built == {"v": 1}
    assert cached(odd / "cache" / "c.pickle", [odd], lambda: {"v": 2}) == {"v": 1}


def test_stats_with_a_non_utf8_data_folder(tmp_path: Path) -> None:
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/d\xe9ta"))
    assert cli.main(["--data-dir", str(odd), "stats"]) == 0
