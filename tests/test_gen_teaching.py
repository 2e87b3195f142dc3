"""Teaching parts of every registered family: two hints that use the question's numbers, and
the misconception coverage figure (issue 11: >= 2 named mistakes for >= 32 of 37 families).
"""

from __future__ import annotations

import json
import re

import pytest

from dlquiz.questions import families, generate

FAMILIES = families()
CASES = [(fid, level) for fid, fam in sorted(FAMILIES.items()) for level in sorted(fam.levels)]
COVERAGE_GOAL = 32 / 37


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


@pytest.mark.parametrize(("fid", "level"), CASES)
def test_two_hints_the_second_with_this_questions_numbers(fid: str, level: int) -> None:
    for seed in range(8):
        q = generate(fid, level, seed)
        assert len(q.hints) == 2 and all(h.strip() for h in q.hints), (q.skill, seed)
        shown = q.prompt + q.code + json.dumps(q.params)
        assert _numbers(q.hints[1]) & _numbers(shown), (q.skill, seed, q.hints[1])


def test_misconception_coverage() -> None:
    """Families whose questions name at least two mistakes (on most seeds of some level)."""
    covered = []
    for fid, fam in FAMILIES.items():
        counts = [
            len(generate(fid, level, seed).mistakes) for level in fam.levels for seed in range(10)
        ]
        if sum(c >= 2 for c in counts) >= len(counts) // 2:
            covered.append(fid)
    ratio = len(covered) / len(FAMILIES)
    print(f"misconception coverage: {len(covered)}/{len(FAMILIES)} families with >= 2 mistakes")
    missing = sorted(set(FAMILIES) - set(covered))
    assert ratio >= COVERAGE_GOAL, missing
