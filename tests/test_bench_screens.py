"""The screen benchmark runs in its tiny mode and prints its JSON (figures never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCREENS = Path(__file__).parents[1] / "benchmarks" / "screens.py"


def test_screen_benchmark_prints_ratios_as_json() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCREENS), "--quick", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    for folder in data["screens"].values():
        for name in ("home", "help", "browse", "stats", "settings", "cram", "quiz", "skill_map"):
            assert folder[name]["ratio"] > 0, name
            if name != "home":  # home is pushed, not opened with a key
                assert folder[name]["idle_first_ratio"] > 0, name
    sizes = data["settings"]["sizes"]
    for cards in sizes:
        figures = data["keypress"][f"{cards}_cards"]
        # The synthetic folder really holds the deck and the log it was asked for.
        assert figures["cards"] >= cards - 2 and figures["reviews"] == data["settings"]["reviews"]
        assert figures["ratio"] > 0
    assert data["keypress"]["flatness"]["largest_vs_smallest"] > 0
    assert data["stats_fill"]["cold_ms"] > 0 and data["stats_fill"]["warm_ms"] > 0
    # Computed questions came from the real worker process, and were timed.
    assert data["computed"]["worker_ready_s"] > 0 and data["computed"]["shown_ms"]["median_ms"] > 0
