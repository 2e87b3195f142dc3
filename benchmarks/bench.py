"""Repeatable performance figures for dlquiz, printed as JSON.

Every figure is a ratio against a floor measured in the same run on the same
machine, so the numbers mean something on any computer:

startup        process start -> first card on screen (headless, Enter pressed on the home
               screen by a pilot), vs a bare Textual app doing the same (two screens); for
               a fresh data folder and for a returning user's (settings, history, cards due)
record         one answer recorded durably with 100k log entries and 10k cards,
               vs a raw append + fsync of the same bytes
state_load     loading the state file with 10k and 100k cards, vs json.loads of the file
generation     warm p50/p99 of every question family and level (target p99 <= 5 ms), with
               a closed-form formula and a real-tensor Conv2d as floors in the same run
stall          largest event-loop stall while torch loads in the app's worker process,
               vs importing torch in a thread of the app (target <= 50 ms)
answers        grading the longest answers accepted (1,000 characters of digits, commas,
               brackets, letters...) and a 1 MB one, for every kind of expected answer:
               the slowest, vs one pass of str.split over the same text (target <= 50 ms)

Run:  python benchmarks/bench.py [--quick] [--only startup,record,state_load,answers]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def _child_time(script: str, env: dict[str, str]) -> tuple[float, int]:
    """Seconds from process start until the child prints READY, and its peak RSS (KiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("READY"):
            elapsed = time.perf_counter() - start
            peak_kib = int(line.split()[1])
            break
    else:
        raise RuntimeError("child never reported READY")
    proc.wait(timeout=60)
    return elapsed, peak_kib


# The floor does what the dlquiz run does, with nothing of dlquiz: start, show a
# first screen, take Enter, show a second screen with one piece of text on it.
BARE_APP = """
import sys
from textual.app import App
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

class Card(Screen):
    def compose(self):
        yield Header()
        yield Static("a card", id="card")
        yield Footer()

class Bare(App):
    BINDINGS = [("enter", "study", "Study")]
    def compose(self):
        yield Header()
        yield Static("home")
        yield Footer()
    def action_study(self):
        self.push_screen(Card())

app = Bare()

async def pilot(p):
    await p.press("enter")
    while not isinstance(app.screen, Card):
        await p.pause(0.001)
    await p.pause()
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
    sys.__stdout__.write("READY " + str(peak) + "\\n"); sys.__stdout__.flush()
    app.exit()

app.run(headless=True, auto_pilot=pilot)
"""

DLQUIZ_APP = """
import sys
from pathlib import Path
from dlquiz.__main__ import make_app

app = make_app(Path(sys.argv[1]) if len(sys.argv) > 1 else Path({home!r}))

async def pilot(p):
    await p.press("enter")
    from dlquiz.tui.screens.review import ReviewScreen
    while not (isinstance(app.screen, ReviewScreen) and app.screen.current is not None):
        await p.pause(0.001)
    await p.pause()  # let the card render
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
    sys.__stdout__.write("READY " + str(peak) + "\\n"); sys.__stdout__.flush()
    app.exit()

app.run(headless=True, auto_pilot=pilot)
"""


def _installed_like_env() -> dict[str, str]:
    """The environment of an installed dlquiz: bytecode compiled, as pip does at install.

    Some shells set PYTHONDONTWRITEBYTECODE; from a source checkout every start
    would then recompile dlquiz (~15k lines), which no installed user pays.
    """
    import compileall

    import dlquiz

    compileall.compile_dir(Path(dlquiz.__file__).parent, quiet=1)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _returning_user(home: Path, reviews: int = 2_000) -> None:
    """A data folder as a returning user has it: settings saved once, a review history,
    and cards due (the first card is a due review, not a new one)."""
    from dlquiz import records
    from dlquiz.history import review_record
    from dlquiz.scheduler import CardState
    from dlquiz.store import LOG_NAME
    from dlquiz.study import Study

    with Study.open(home, with_skills=False, now=T0) as study:
        study.change_settings(study.settings.replace(theme="nord"))
        cards = [c for c in study.deck if c.endswith("/recall")]
    state = CardState(2, None, 12.5, 5.2, T0.timestamp(), T0.timestamp() - 86400 * 9, 3, 0)
    with (home / LOG_NAME).open("w") as handle:
        for i in range(reviews):
            at = T0 - timedelta(minutes=reviews - i)
            rec = review_record(cards[i % len(cards)], 3, at, state, state, 1500)
            handle.write(records.encode(rec).decode())


def bench_startup(repeats: int) -> dict[str, object]:
    env = _installed_like_env()
    bare, ours, back, bare_mem, our_mem = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        script = DLQUIZ_APP.format(home=str(Path(tmp) / "data"))
        # The first start of a fresh folder above; a returning user's start here (settings
        # read and validated, a state and a log): what most starts are.
        _returning_user(Path(tmp) / "returning")
        returning = DLQUIZ_APP.format(home=str(Path(tmp) / "returning"))
        _child_time(BARE_APP, env)  # warm the OS file cache (and dlquiz's content cache)
        _child_time(script, env)
        _child_time(returning, env)
        for _ in range(repeats):
            seconds, kib = _child_time(BARE_APP, env)
            bare.append(seconds)
            bare_mem.append(kib)
            seconds, kib = _child_time(script, env)
            ours.append(seconds)
            our_mem.append(kib)
            back.append(_child_time(returning, env)[0])
    return {
        "bare_textual_ms": _median_ms(bare),
        "first_card_ms": _median_ms(ours),
        "ratio": round(statistics.median(ours) / statistics.median(bare), 3),
        "returning_user_first_card_ms": _median_ms(back),
        "returning_user_ratio": round(statistics.median(back) / statistics.median(bare), 3),
        "target": 1.25,
        # Peak resident memory of the app process at its first card; torch lives in
        # the separate worker process and is not counted here.
        "peak_rss_bare_mib": round(statistics.median(bare_mem) / 1024, 1),
        "peak_rss_first_card_mib": round(statistics.median(our_mem) / 1024, 1),
        "rss_ratio": round(statistics.median(our_mem) / statistics.median(bare_mem), 3),
    }


def _synthetic_log(path: Path, n_records: int, n_cards: int) -> None:
    from dlquiz import records
    from dlquiz.history import review_record
    from dlquiz.scheduler import CardState

    state = CardState(2, None, 12.5, 5.2, T0.timestamp() + 86400, T0.timestamp(), 3, 0)
    with path.open("w") as handle:
        for i in range(n_records):
            at = T0 - timedelta(minutes=n_records - i)
            rec = review_record(f"term/card{i % n_cards}/recall", 3, at, state, state, 1500)
            handle.write(records.encode(rec).decode())


def bench_record(repeats: int) -> dict[str, object]:
    from dlquiz import records
    from dlquiz.scheduler import GOOD
    from dlquiz.store import LOG_NAME
    from dlquiz.study import Study

    n_records, n_cards = 100_000, 10_000
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "data"
        home.mkdir()
        _synthetic_log(home / LOG_NAME, n_records, n_cards)
        study = Study.open(home, with_skills=False, now=T0)
        ours: list[float] = []
        raw: list[float] = []
        fd = os.open(Path(tmp) / "raw.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for i in range(repeats):
                card = f"term/card{i % n_cards}/recall"
                outcome = study.outcomes(card, T0)[GOOD]
                start = time.perf_counter()
                # What the UI waits for: the record made, appended durably, applied,
                # and a snapshot handed to the background writer.
                result = study.answer(card, outcome, T0, 1200)
                ours.append(time.perf_counter() - start)
                line = records.encode(result.record)
                # The floor, interleaved so that both see the same disk and cache state.
                start = time.perf_counter()
                os.write(fd, line)
                os.fsync(fd)
                raw.append(time.perf_counter() - start)
        finally:
            os.close(fd)
            study.close()
    return {
        "log_records": n_records,
        "cards": n_cards,
        "raw_append_fsync_ms": _median_ms(raw),
        "record_answer_ms": _median_ms(ours),
        "ratio": round(statistics.median(ours) / statistics.median(raw), 3),
        "target": 1.5,
    }


def _time(fn: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_state_load(repeats: int) -> dict[str, object]:
    from dlquiz.merge import STATE_VERSION
    from dlquiz.scheduler import CardState
    from dlquiz.store import Store

    out: dict[str, object] = {}
    for n in (10_000, 100_000):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            state = CardState(2, None, 12.5, 5.2, T0.timestamp() + 86400, T0.timestamp(), 3, 0)
            ids = [f"term/card{i}/recall" for i in range(n)]
            payload = {
                "schema_version": STATE_VERSION,
                "sources": {"logs/bench.jsonl": [0, ""]},
                "card_fields": list(CardState._fields),
                "cards": dict.fromkeys(ids, state),
                "last": dict.fromkeys(ids, 1_772_452_800_000_000),
            }
            store = Store(home, device="bench")
            path = store.state_path  # this device's state file (dlquiz.devices)
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(payload, separators=(",", ":")))
            raw = path.read_bytes()
            floor = _time(lambda raw=raw: json.loads(raw), repeats)  # type: ignore[misc]
            ours = _time(store._read_state_file, repeats)
            out[f"{n}_cards"] = {
                "json_loads_ms": round(floor * 1000, 3),
                "load_ms": round(ours * 1000, 3),
                "ratio": round(ours / floor, 3),
                "target": 2.0,
            }
    return out


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_generation(repeats: int) -> dict[str, object]:
    """Warm generation time per family and level, as the worker process runs it."""
    import numpy as np
    import torch
    from torch import nn

    from dlquiz.questions import families, generate

    torch.set_num_threads(1)  # as in the worker process

    def floor_formula(seed: int) -> int:
        rng = np.random.default_rng(seed)
        k, s, p = (int(v) for v in rng.integers(1, 9, size=3))
        return (64 + 2 * p - k) // s + 1

    conv, x = nn.Conv2d(3, 16, 3, stride=2, padding=1), torch.randn(8, 3, 64, 64)

    def floor_tensor(_: int) -> object:
        with torch.no_grad():
            return conv(x).shape

    def timed(fn: Callable[[int], object]) -> list[float]:
        for seed in range(5):
            fn(seed)  # warm-up
        samples = []
        for seed in range(repeats):
            start = time.perf_counter()
            fn(seed + 1000)
            samples.append(time.perf_counter() - start)
        return samples

    floors = {"closed_form": timed(floor_formula), "real_tensor_conv2d": timed(floor_tensor)}
    tensor_p50 = statistics.median(floors["real_tensor_conv2d"])
    per_skill: dict[str, object] = {}
    worst = 0.0
    for fam in families().values():
        for level in sorted(fam.levels):
            samples = timed(lambda seed, f=fam.id, lv=level: generate(f, lv, seed))
            p99 = _percentile(samples, 0.99)
            worst = max(worst, p99)
            per_skill[f"{fam.id}/{level}"] = {
                "p50_ms": round(statistics.median(samples) * 1000, 3),
                "p99_ms": round(p99 * 1000, 3),
                "p50_vs_real_tensor": round(statistics.median(samples) / tensor_p50, 3),
            }
    return {
        "samples_per_skill": repeats,
        "floors": {
            name: {
                "p50_ms": round(statistics.median(v) * 1000, 4),
                "p99_ms": round(_percentile(v, 0.99) * 1000, 4),
            }
            for name, v in floors.items()
        },
        "skills": per_skill,
        "worst_p99_ms": round(worst * 1000, 3),
        "target_p99_ms": 5.0,
    }


STALL_APP = """
import sys, time, threading
from pathlib import Path
from dlquiz.__main__ import make_app

mode = sys.argv[1]
gaps = []
state = {"last": None, "done": False}

def tick():
    now = time.perf_counter()
    if state["last"] is not None:
        gaps.append(now - state["last"])
    state["last"] = now

kwargs = {}
if mode == "thread-import":
    kwargs["generator"] = lambda *a: None  # no worker process: we import torch ourselves

app = make_app(Path(sys.argv[2]), **kwargs)

async def pilot(p):
    app.set_interval(0.005, tick)
    await p.pause(0.2)
    gaps.clear()
    start = time.perf_counter()
    if mode == "worker-process":
        app._warm_worker()
        while not app.questions_ready:
            await p.pause(0.005)
    else:
        done = threading.Event()
        def load():
            import torch  # noqa: F401
            done.set()
        threading.Thread(target=load).start()
        while not done.is_set():
            await p.pause(0.005)
    elapsed = time.perf_counter() - start
    await p.pause(0.05)
    sys.__stdout__.write(f"{max(gaps) * 1000:.3f} {elapsed:.3f}\\n")
    sys.__stdout__.flush()
    app.exit()

app.run(headless=True, auto_pilot=pilot)
"""


def bench_stall(repeats: int) -> dict[str, object]:
    """Largest event-loop stall while torch loads: worker process vs importing in a thread."""
    results: dict[str, list[float]] = {"worker-process": [], "thread-import": []}
    ready: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            for mode in results:
                proc = subprocess.run(
                    [sys.executable, "-c", STALL_APP, mode, str(Path(tmp) / f"d{i}{mode}")],
                    capture_output=True,
                    text=True,
                    timeout=300,
                    stdin=subprocess.DEVNULL,
                )
                line = [ln for ln in proc.stdout.splitlines() if ln.strip()]
                if not line:
                    raise RuntimeError(f"stall run failed: {proc.stderr[-2000:]}")
                stall, elapsed = (float(v) for v in line[-1].split())
                results[mode].append(stall)
                if mode == "worker-process":
                    ready.append(elapsed)
    worker = statistics.median(results["worker-process"])
    thread = statistics.median(results["thread-import"])
    return {
        "max_stall_worker_process_ms": round(worker, 1),
        "max_stall_thread_import_ms": round(thread, 1),
        "ratio_worker_vs_thread": round(worker / thread, 3),
        "worker_ready_s": round(statistics.median(ready), 2),
        "target_ms": 50,
    }


def _hostile_answers() -> list[str]:
    from dlquiz.answers import MAX_CHARS

    n = MAX_CHARS
    return [
        "1" * n,
        "1," * (n // 2),
        "1,234" * (n // 5),
        "1_" * (n // 2),
        "1 " * (n // 2),
        "(" * n,
        "x1" * (n // 2),
        "9" * (n - 6) + "e-9999",
        "a" * n,
        "ab " * (n // 3),
        "1," * 500_000,  # 1 MB: refused by its length
    ]


def bench_answers(repeats: int) -> dict[str, object]:
    """Each hostile answer graded against every kind of expected answer: a regular
    expression that backtracks would show here as seconds."""
    from dlquiz.answers import check
    from dlquiz.questions.base import Expected

    expected = [
        Expected("shape", (8, 16, 32, 32)),
        Expected("int", 1024),
        Expected("float", 0.7314, decimals=3),
        Expected("floats", (0.1, 0.2, 0.7), decimals=2),
        Expected("choice", 1, choices=("SGD", "Adam", "AdamW", "RMSprop")),
        Expected("text", "batch normalization", aliases=("BatchNorm", "BN")),
    ]
    worst, worst_floor, worst_input = 0.0, 0.0, ""
    for typed in _hostile_answers():
        ours, floor = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            for exp in expected:
                check(exp, typed)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            for _exp in expected:
                typed.split(",")
            floor.append(time.perf_counter() - start)
        if statistics.median(ours) > worst:
            worst, worst_floor = statistics.median(ours), statistics.median(floor)
            worst_input = f"{typed[:12]}… ({len(typed):,} characters)"
    return {
        "worst_ms": round(worst * 1000, 3),
        "worst_input": worst_input,
        "split_floor_ms": round(worst_floor * 1000, 3),
        "ratio": round(worst / worst_floor, 1) if worst_floor else None,
        "target_ms": 50,
    }


BENCHES: dict[str, Callable[[int], dict[str, object]]] = {
    "startup": bench_startup,
    "record": bench_record,
    "state_load": bench_state_load,
    "generation": bench_generation,
    "stall": bench_stall,
    "answers": bench_answers,
}
REPEATS = {
    "startup": (15, 3),  # starts vary by +-15% on a busy machine: a steadier median
    "record": (300, 50),
    "state_load": (7, 3),
    "generation": (200, 30),
    "stall": (3, 1),
    "answers": (20, 3),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    parser.add_argument("--only", default="", help="comma-separated subset of " + ",".join(BENCHES))
    args = parser.parse_args(argv)
    chosen = [b for b in args.only.split(",") if b] or list(BENCHES)
    results: dict[str, object] = {
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count()},
    }
    for name in chosen:
        repeats = REPEATS[name][1 if args.quick else 0]
        results[name] = BENCHES[name](repeats)
    json.dump(results, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
