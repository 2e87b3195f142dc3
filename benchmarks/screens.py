"""What a user feels in the app: opening screens and the next card, as JSON ratios.

Every figure is a ratio against a floor measured in the same run, in the same
process, with the same headless pilot (``App.run_test``, 80×24):

screens     open each screen (home, help, browse, stats, settings, cram, quiz, skill
            map) from the home screen, until it is on top, idle and rendered, vs a
            bare Textual app pushing a Screen of Header + Static + Footer (<= 1.5x each);
            on a fresh data folder and on the largest synthetic one. Per screen:
            ``first_ms``/``first_ratio``, its first open right after start (keys pressed
            one after the other: the app never has the idle time it prepares screens
            in); ``idle_first_ms``/``idle_first_ratio``, its first open in another fresh
            app after 2 s on home without a key (a user's real first open: by then the
            app has prepared it); ``median_ms``/``ratio``, reopening it
keypress    a rating key (3) -> the next card on screen, idle and rendered, with
            1k, 10k and 100k cards and 100k reviews in the log, vs a bare app
            swapping one Static's text (target <= 1.5x, and 100k / 1k <= 1.2x); the
            cards served are recall and concept cards, and name_card_build_ms times
            apart what building one name card (its choices) costs on the UI thread.
            ``ratio_same_text``: vs the same bare app swapping in the texts of the
            cards dlquiz showed (the built-in concept cards at 1k run to many lines;
            the synthetic terms at 100k to three): dlquiz's own share
stats_fill  the stats screen at 100k reviews: time until its figures are shown
            (computed in a worker; target <= 1 s), in a newly started process each
            time (a second app in one process would find the first one's figures and
            tally kept): ``first_ms`` with no tally saved by an earlier run (the whole
            log read and tallied), ``cold_ms`` in the next run after a study session
            of 50 answers (the saved tally carried on), ``warm_ms`` reopened in that
            run with nothing new in the log
computed    cram computed questions with the real torch worker, once it is ready and
            each family crammed has been asked once (warm): the rating key -> the next
            computed question on screen (target <= 100 ms)

The synthetic data folders are made through the core: a user deck of generated
terms (validated by the content loader), a review log whose states come from the
real scheduler, and state.json rebuilt from that log by the store.

Run:  python benchmarks/screens.py [--quick] [--only screens,keypress,stats_fill,computed]
      [--sizes 1000,10000,100000] [--reviews 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from synthetic_homes import Homes  # noqa: E402  (benchmarks/, beside this file)

SIZE = (80, 24)
IDLE_S = 2.0  # on home without a key before a screen's "idle" first open
SCREEN_KEYS = {
    "help": "question_mark",
    "browse": "b",
    "stats": "s",
    "settings": "comma",
    "cram": "c",
    "quiz": "t",
    "skill_map": "m",
}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _summary(samples: list[float]) -> dict[str, float]:
    return {
        "first_ms": _ms(samples[0]),
        "median_ms": _ms(statistics.median(samples[1:] or samples)),
    }


# ----- pilots -------------------------------------------------------------------------


# Characters of the keys pressed here (Textual's key names -> what a terminal sends).
CHARS = {"question_mark": "?", "comma": ",", "space": " ", "enter": "\r"}


def _press(app: Any, key: str) -> None:
    """Send a key as the terminal driver would, without the pilot's idle waits.

    ``Pilot.press`` waits for the process to look idle (20 ms sleeps, twice per key):
    that would be most of what is measured. Here the clock stops as soon as the
    screen has handled everything and drawn its lines.
    """
    from textual import events

    event = events.Key(key, CHARS.get(key, key if len(key) == 1 else None))
    event.set_sender(app)
    app._driver.send_message(event)


async def _settle(pilot: Any, ready: Callable[[], bool], timeout: float = 60) -> None:
    """Wait until ``ready()``, then until the screen has handled it and drawn its lines."""
    app = pilot.app
    deadline = time.perf_counter() + timeout
    while not ready():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen never became ready")
        await pilot._wait_for_screen()  # every message queued so far is handled
        if not ready():
            await asyncio.sleep(0.0005)  # e.g. a thread worker is still computing
    # Twice: mounting and the first layout post messages of their own.
    for _ in range(2):
        await pilot._wait_for_screen()
        app.screen._on_timer_update()  # layout, then every dirty line rendered


async def _time(
    pilot: Any, key: str, ready: Callable[[], bool], computed_in_thread: bool = False
) -> float:
    start = time.perf_counter()
    _press(pilot.app, key)
    if computed_in_thread:
        # The pilot's wait posts a message to every widget on screen: asked every half
        # millisecond while a thread computes, it took a quarter of the GIL from that
        # thread. The app itself waits idle in select meanwhile; so does this loop.
        deadline = start + 60
        while not ready() and time.perf_counter() < deadline:
            await asyncio.sleep(0.002)
    await _settle(pilot, ready)
    return time.perf_counter() - start


def _bare_push_app() -> Any:
    from textual.app import App, ComposeResult
    from textual.screen import Screen
    from textual.widgets import Footer, Header, Static

    class Pushed(Screen[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("a screen with one piece of text on it")
            yield Footer()

    class Bare(App[None]):
        BINDINGS = [("x", "open", "Open")]  # noqa: RUF012

        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("home")
            yield Footer()

        def action_open(self) -> None:
            self.push_screen(Pushed())

    return Bare(), Pushed


async def bare_push(repeats: int) -> list[float]:
    app, pushed = _bare_push_app()
    samples = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(repeats):
            samples.append(await _time(pilot, "x", lambda: isinstance(app.screen, pushed)))
            app.pop_screen()
            await _settle(pilot, lambda: not isinstance(app.screen, pushed))
    return samples


async def bare_swap(repeats: int, texts: list[str] | None = None) -> list[float]:
    """A bare app swapping one Static's text: a one-line text, or ``texts`` in turn (the
    very text of the cards dlquiz showed, drawn in the same place, width and height)."""
    from textual.app import App, ComposeResult
    from textual.content import Content
    from textual.widgets import Footer, Header, Static

    class Swap(App[None]):
        BINDINGS = [("3", "next", "Next")]  # noqa: RUF012
        CSS = "#card { padding: 1 4; }"  # the card's text: its padding and the card's
        shown = 0

        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("card 0", id="card")
            yield Footer()

        def action_next(self) -> None:
            self.shown += 1
            card = self.query_one("#card", Static)
            if texts:
                card.update(Content(texts[(self.shown - 1) % len(texts)]))
            else:
                card.update(f"card {self.shown}: a definition to recall")

    app = Swap()
    samples = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for i in range(repeats):
            samples.append(await _time(pilot, "3", lambda i=i: app.shown == i + 1))
    return samples


def _make_app(home: Path) -> Any:
    from dlquiz.__main__ import make_app

    def no_torch(family: str, level: int, seed: int) -> Any:
        raise RuntimeError("the benchmark keeps question families out of rotation")

    app = make_app(home, generator=no_torch)
    # As DLQuizApp.run does before the first frame (run_test does not call run): what
    # start-up made lives as long as the app, and the collector no longer scans it.
    gc.freeze()
    return app


async def dlquiz_screens(home: Path, repeats: int) -> dict[str, list[float]]:
    """Open each screen from home ``repeats`` times; the first open is the cold one."""
    from dlquiz.tui.screens.home import HomeScreen

    app = _make_app(home)
    # A user who keeps pressing keys: the app never finds the idle time it prepares
    # screens in (the home screens below are pushed without a key).
    app.PREPARE_IDLE_S = float("inf")
    out: dict[str, list[float]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot, lambda: isinstance(app.screen, HomeScreen))

        async def back_home() -> None:
            while not isinstance(app.screen, HomeScreen) or len(app.screen_stack) > 2:
                app.pop_screen()
                await pilot.pause()
            await pilot.pause()

        home_screens: list[float] = []
        for _ in range(repeats):
            before = app.screen
            start = time.perf_counter()
            app.push_screen(HomeScreen())
            await _settle(pilot, lambda b=before: app.screen is not b)  # type: ignore[misc]
            home_screens.append(time.perf_counter() - start)
            await back_home()
        out["home"] = home_screens
        for name, key in SCREEN_KEYS.items():
            samples = []
            for _ in range(repeats):
                before = app.screen
                samples.append(
                    await _time(pilot, key, lambda b=before: app.screen is not b)  # type: ignore[misc]
                )
                await back_home()
            out[name] = samples
    return out


async def dlquiz_screens_idle(home: Path, idle_s: float = IDLE_S) -> dict[str, float]:
    """Each screen's first open after ``idle_s`` seconds on home without a key (a user's
    real first open: the app prepares screens in that time), in one fresh app."""
    from dlquiz.tui.screens.home import HomeScreen

    app = _make_app(home)
    out: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot, lambda: isinstance(app.screen, HomeScreen))
        for name, key in SCREEN_KEYS.items():
            await asyncio.sleep(idle_s)
            before = app.screen
            out[name] = await _time(pilot, key, lambda b=before: app.screen is not b)  # type: ignore[misc]
            while not isinstance(app.screen, HomeScreen) or len(app.screen_stack) > 2:
                app.pop_screen()
                await pilot.pause()
    return out


async def stats_fill(home: Path) -> tuple[float, float]:
    """Press s on home -> the figures are on screen (computed in the screen's worker):
    in a fresh app (cold), then again with nothing new in the log (warm)."""
    from dlquiz.tui.screens.home import HomeScreen
    from dlquiz.tui.screens.stats import StatsScreen

    app = _make_app(home)
    samples = []
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot, lambda: isinstance(app.screen, HomeScreen))

        def filled() -> bool:
            screen = app.screen
            return isinstance(screen, StatsScreen) and screen.stats is not None

        for _ in range(2):
            samples.append(await _time(pilot, "s", filled, computed_in_thread=True))
            app.pop_screen()
            await _settle(pilot, lambda: isinstance(app.screen, HomeScreen))
    return samples[0], samples[1]


async def dlquiz_keypress(home: Path, repeats: int) -> tuple[list[float], list[str]]:
    """Reveal (untimed), then time the rating key until the next card is shown; and the
    text of each card shown (its kind and front)."""
    from dlquiz.tui.screens.home import HomeScreen
    from dlquiz.tui.screens.review import ReviewScreen
    from dlquiz.tui.widgets.card_parts import CardHead

    app = _make_app(home)
    samples = []
    texts: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("enter")

        def screen() -> ReviewScreen:
            assert isinstance(app.screen, ReviewScreen)
            return app.screen

        await _settle(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await _settle(pilot, lambda: screen().mode in ("question", "done"))
        for _ in range(repeats):
            review = screen()
            if review.mode == "done":
                raise RuntimeError("ran out of cards: give the benchmark more to study")
            cur = review.current
            assert cur is not None
            # Bring the card to where a rating is taken, whatever its kind.
            key = "1" if cur.is_choice else "ctrl+r" if cur.is_typed else "space"
            await pilot.press(key)
            await _settle(pilot, lambda r=review: r.mode in ("revealed", "feedback"))

            def next_shown(old: object = cur, r: ReviewScreen = review) -> bool:
                return r.current is not old and r.mode in ("question", "done")

            samples.append(await _time(pilot, "3", next_shown))
            head = review.query_one(CardHead)._shown
            texts.append(head.plain if head is not None else "")
    return samples, texts


async def dlquiz_computed(home: Path, repeats: int) -> tuple[float, list[float]]:
    """(seconds until the worker was ready, rating key -> next computed question shown)."""
    from dlquiz.__main__ import make_app
    from dlquiz.cards import Kind
    from dlquiz.tui.review_session import cram
    from dlquiz.tui.screens.home import HomeScreen
    from dlquiz.tui.screens.review import ReviewScreen

    app = make_app(home)  # the real worker process: torch is imported there
    async with app.run_test(size=SIZE) as pilot:
        start = time.perf_counter()
        await _settle(pilot, lambda: isinstance(app.screen, HomeScreen))
        await _settle(pilot, lambda: app.questions_ready, timeout=300)
        ready_s = time.perf_counter() - start
        specs = [s for s in app.study.deck.values() if s.kind is Kind.SKILL]
        random.Random(3).shuffle(specs)
        specs = specs[: repeats + 1]
        for spec in specs:  # warm: each family and level asked once, as in a session
            await asyncio.to_thread(app.generate_question, spec.key, spec.level, 1)
        app.start_practice(cram("benchmark", specs, datetime.now(UTC)))
        await _settle(pilot, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        assert isinstance(review, ReviewScreen)
        await _settle(pilot, lambda: review.mode in ("question", "done"))
        samples = []
        for _ in range(repeats):
            cur = review.current
            if review.mode == "done" or cur is None:
                raise RuntimeError("ran out of computed cards")
            await pilot.press("1" if cur.is_choice else "ctrl+r" if cur.is_typed else "space")
            await _settle(pilot, lambda: review.mode in ("revealed", "feedback"))

            def next_shown(old: object = cur) -> bool:
                return review.current is not old and review.mode in ("question", "done")

            samples.append(await _time(pilot, "3", next_shown))
            if review.mode == "question" and review.current is not None:
                assert review.current.question is not None, "a computed card without numbers"
    return ready_s, samples


def _name_card_ms(home: Path) -> float:
    """What showing one name card costs on the UI thread (building its choices)."""
    from dlquiz.cards import Kind, build_deck
    from dlquiz.scheduler import Scheduler
    from dlquiz.tui import shown
    from dlquiz.workspace import load_content

    content, _ = load_content(home)
    deck = build_deck(content)
    names = [spec for spec in deck.values() if spec.kind is Kind.NAME]
    now = datetime.now(UTC)
    outcomes = Scheduler().outcomes(None, now)
    spec = names[len(names) // 2]
    content.relations()  # as the app does in a thread at start (DLQuizApp._warm_relations)
    start = time.perf_counter()
    shown.build(spec, content, outcomes, now, 0)
    return _ms(time.perf_counter() - start)


def _fsync_ms(repeats: int) -> float:
    """A raw append + fsync in the same folder: the disk's share of a rating."""
    with tempfile.TemporaryDirectory() as tmp:
        fd = os.open(Path(tmp) / "raw.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        samples = []
        try:
            for _ in range(repeats):
                start = time.perf_counter()
                os.write(fd, b'{"type":"review","rating":3}\n')
                os.fsync(fd)
                samples.append(time.perf_counter() - start)
        finally:
            os.close(fd)
    return _ms(statistics.median(samples))


# ----- the benchmarks -----------------------------------------------------------------


def _installed_like() -> None:
    """Bytecode compiled and used, as pip leaves an installed dlquiz.

    Some shells set PYTHONDONTWRITEBYTECODE: from a source checkout each screen's first
    open (its module imported then) would compile it from source again, ~100 ms that no
    installed user pays. Set for the processes started here too (stats_fill).
    """
    import compileall

    compileall.compile_dir(HERE.parent / "dlquiz", quiet=1)
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def _floor(repeats: int, measure: Callable[[int], Awaitable[list[float]]]) -> list[float]:
    return asyncio.run(measure(repeats))


def bench_screens(homes: Homes, sizes: list[int], repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    folders = {"fresh": homes.fresh(), f"{max(sizes)}_cards": homes.get(max(sizes))}
    if homes.quick:  # a smoke run: the synthetic folder only
        del folders["fresh"]
    for label, home in folders.items():
        floor = _floor(repeats, bare_push)
        ours = asyncio.run(dlquiz_screens(home, repeats))
        idle = asyncio.run(dlquiz_screens_idle(home, 0.1 if homes.quick else IDLE_S))
        if repeats > 1:  # before and after: load on the machine drifts
            floor += _floor(repeats, bare_push)
        bare = statistics.median(floor)
        result: dict[str, Any] = {"bare_push_ms": _ms(bare)}
        for name, samples in ours.items():
            result[name] = {
                **_summary(samples),
                "ratio": round(statistics.median(samples[1:] or samples) / bare, 2),
                "first_ratio": round(samples[0] / bare, 2),
            }
            if name in idle:
                result[name]["idle_first_ms"] = _ms(idle[name])
                result[name]["idle_first_ratio"] = round(idle[name] / bare, 2)
        result["target"] = 1.5
        out[label] = result
    return out


def bench_keypress(homes: Homes, sizes: list[int], repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {"fsync_ms": _fsync_ms(max(5, repeats))}
    medians: dict[int, float] = {}
    for cards in sizes:
        home = homes.get(cards)
        floor = _floor(repeats, bare_swap)
        ours, texts = asyncio.run(dlquiz_keypress(home, repeats))
        same_text = asyncio.run(bare_swap(repeats, texts))
        if repeats > 1:
            floor += _floor(repeats, bare_swap)
        bare = statistics.median(floor)
        medians[cards] = statistics.median(ours)
        out[f"{cards}_cards"] = {
            **homes.facts[cards],
            "bare_swap_ms": _ms(bare),
            "next_card_ms": _ms(medians[cards]),
            "p90_ms": _ms(sorted(ours)[int(0.9 * (len(ours) - 1))]),
            "ratio": round(medians[cards] / bare, 2),
            "target": 1.5,
            # The same floor showing the same card texts: what drawing them costs
            # any Textual app, apart from what dlquiz does around them.
            "card_lines_mean": round(statistics.mean(t.count("\n") + 1 for t in texts), 1),
            "bare_swap_same_text_ms": _ms(statistics.median(same_text)),
            "ratio_same_text": round(medians[cards] / statistics.median(same_text), 2),
            "name_card_build_ms": _name_card_ms(home),
        }
    if len(sizes) > 1:
        out["flatness"] = {
            "largest_vs_smallest": round(medians[max(sizes)] / medians[min(sizes)], 2),
            "target": 1.2,
        }
    return out


def _stats_fill_in_new_process(home: Path) -> tuple[float, float]:
    """``stats_fill`` in a process of its own: nothing kept from an earlier app."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--stats-fill-sample", str(home)],
        stdout=subprocess.PIPE,  # stderr passes through: a failed sample shows why
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    cold, warm = json.loads(proc.stdout)
    return float(cold), float(warm)


SESSION_ANSWERS = 50  # a study session's answers between two runs (stats_fill)


def _study_session(home: Path, answers: int) -> None:
    """``answers`` ratings through the core, appended to the log as a session would."""
    from dlquiz.study import Study

    now = datetime.now(UTC)
    with Study.open(home, with_skills=False) as study:
        for _ in range(answers):
            spec = study.next_card(now)
            if spec is None:
                raise RuntimeError("ran out of cards: give the benchmark more to study")
            study.answer(spec.id, study.outcomes(spec.id, now)[3], now, duration_ms=2000)


def bench_stats_fill(homes: Homes, sizes: list[int], repeats: int) -> dict[str, Any]:
    home = homes.get(max(sizes))
    # The synthetic log is a pre-device reviews.jsonl: a first session adds this
    # device's log beside it, as in any folder after its first run of this release.
    _study_session(home, SESSION_ANSWERS)
    first, cold, warm = [], [], []
    for _ in range(max(1, repeats // 3)):
        # No tally saved by an earlier run (the first statistics ever in this folder,
        # or after the log was rewritten): the whole log is read and tallied.
        for saved in (home / "cache").glob("stats-*.json"):
            saved.unlink()
        first.append(_stats_fill_in_new_process(home)[0])
        # A later run, after a study session: the saved tally, carried on.
        _study_session(home, SESSION_ANSWERS)
        after_session, again = _stats_fill_in_new_process(home)
        cold.append(after_session)
        warm.append(again)
    return {
        **homes.facts[max(sizes)],
        "first_ms": _ms(statistics.median(first)),
        "first_each_ms": [_ms(c) for c in first],
        "cold_ms": _ms(statistics.median(cold)),
        "cold_each_ms": [_ms(c) for c in cold],
        "session_answers": SESSION_ANSWERS,
        "warm_ms": _ms(statistics.median(warm)),
        "samples": len(cold),
        "target_ms": 1000,
    }


def bench_computed(homes: Homes, sizes: list[int], repeats: int) -> dict[str, Any]:
    ready_s, samples = asyncio.run(dlquiz_computed(homes.fresh(), repeats))
    return {
        "worker_ready_s": round(ready_s, 2),
        "shown_ms": _summary(samples),
        "p90_ms": _ms(sorted(samples)[int(0.9 * (len(samples) - 1))]),
        "target_ms": 100,
    }


BENCHES = {
    "screens": bench_screens,
    "keypress": bench_keypress,
    "stats_fill": bench_stats_fill,
    "computed": bench_computed,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny data, few repeats, the synthetic folder only (smoke)",
    )
    parser.add_argument("--only", default="", help="comma-separated subset of " + ",".join(BENCHES))
    parser.add_argument(
        "--sizes", default="", help="deck sizes in cards (default 1000,10000,100000)"
    )
    parser.add_argument(
        "--reviews", type=int, default=0, help="reviews in the log (default 100000)"
    )
    parser.add_argument("--repeats", type=int, default=0, help="samples per figure")
    parser.add_argument("--stats-fill-sample", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    _installed_like()
    if args.stats_fill_sample:  # one stats_fill sample, for bench_stats_fill
        print(json.dumps(asyncio.run(stats_fill(Path(args.stats_fill_sample)))))
        return 0
    chosen = [b for b in args.only.split(",") if b] or list(BENCHES)
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    default_sizes = "200,400" if args.quick else "1000,10000,100000"
    sizes = sorted(int(s) for s in (args.sizes or default_sizes).split(","))
    reviews = args.reviews or (200 if args.quick else 100_000)
    repeats = args.repeats or (2 if args.quick else 9)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    results: dict[str, Any] = {
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count()},
        "settings": {"sizes": sizes, "reviews": reviews, "repeats": repeats, "terminal": SIZE},
    }
    with tempfile.TemporaryDirectory() as tmp:
        homes = Homes(Path(tmp), reviews, quick=args.quick)
        for name in chosen:
            results[name] = BENCHES[name](homes, sizes, repeats)
    json.dump(results, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
