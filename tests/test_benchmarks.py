"""The benchmark script runs and prints its JSON (figures are read, never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "benchmarks" / "bench.py"


def test_bench_prints_ratios_as_json() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--only", "record,state_load,answers"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    data = json.loads(proc.stdout)
    assert data["record"]["ratio"] > 0 and data["record"]["log_records"] == 100_000
    assert data["answers"]["worst_ms"] > 0 and "characters" in data["answers"]["worst_input"]
    for size in ("10000_cards", "100000_cards"):
        assert data["state_load"][size]["ratio"] > 0
