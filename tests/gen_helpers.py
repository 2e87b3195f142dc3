"""Scaffolding shared by the generator tests (tests/test_gen_*.py).

The family-specific reference formulas stay in each test module; what lives here is the same
for every family: the hypothesis settings, the contract every generated question must meet,
running the proof snippets, and checking that registering families stays cheap.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Sequence

from hypothesis import settings
from hypothesis import strategies as st

from dlquiz.questions import families, generate
from dlquiz.questions.base import REGISTRY, Question
from tests.proofs import last_line, run_proofs

families()  # registers every family, whichever test module imports this first

SEEDS = st.integers(0, 2**32 - 1)
# Seeds per family and level for the closed-form checks (hypothesis picks them, so each run
# explores new ones); determinism and the JSON trip are checked once, in test_gen_families.
MANY = settings(max_examples=30, deadline=None)


def cases(fids: Iterable[str]) -> list[tuple[str, int]]:
    """``(family, level)`` for every registered level of each family, in the order given."""
    return [(fid, level) for fid in fids for level in sorted(REGISTRY[fid].levels)]


def topic_cases(topic: str) -> list[tuple[str, int]]:
    """``cases`` for every registered family of ``topic``."""
    return cases(fam.id for fam in families().values() if fam.topic == topic)


def check_question(
    q: Question, fid: str, level: int, seed: int, *, max_lines: int | None = None
) -> None:
    """Contract checks every question must pass, whatever its family.

    ``max_lines`` also bounds the explanation (1 to ``max_lines`` lines).
    """
    assert (q.family, q.level, q.seed) == (fid, level, seed)
    assert q.prompt.strip() and q.explanation.strip() and q.proof.strip()
    if max_lines is not None:
        assert 1 <= len(q.explanation.splitlines()) <= max_lines
    display = q.expected.display()
    assert display and "-0.000" not in display
    assert q.expected.proof_line()
    json.dumps(q.params)
    # Questions cross the worker pipe as JSON and must come back unchanged.
    assert Question.from_json(json.loads(json.dumps(q.to_json()))) == q
    if q.expected.kind == "choice":
        choices = q.expected.choices
        assert 2 <= len(choices) <= 4
        assert len(set(choices)) == len(choices)
        assert 0 <= q.expected.value < len(choices)


def generate_checked(fid: str, level: int, seed: int, *, max_lines: int | None = None) -> Question:
    """Generate a question, hold it to ``check_question``, and return it."""
    q = generate(fid, level, seed)
    check_question(q, fid, level, seed, max_lines=max_lines)
    return q


def assert_int_answer(q: Question, want: object) -> None:
    """The graded answer is plain ints (one int, or a shape of positive sizes) and equals
    ``want``."""
    got = q.expected.value
    if q.expected.kind == "shape":
        assert isinstance(got, tuple) and all(type(v) is int for v in got)
        assert all(v >= 1 for v in got)
    else:
        assert type(got) is int
    assert got == want, (q.family, q.level, q.seed, q.params)


def close(got: float, want: float, tol: float = 1e-6) -> bool:
    # torch works in float32: allow 1e-6, scaled up for magnitudes above 1.
    return abs(got - want) <= tol * max(1.0, abs(want))


def shown(v: float, d: int | None) -> str:
    """The value as displayed; a reference of −1e-9 reads as 0.000, not as a different answer."""
    text = f"{v:.{d}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def assert_proofs_print_answers(questions: Sequence[Question]) -> None:
    """Run every proof in one fresh interpreter; each must end by printing its answer."""
    results = run_proofs([q.proof for q in questions])
    for q, res in zip(questions, results, strict=True):
        where = f"{q.skill} seed {q.seed}"
        assert res["ok"], f"{where}:\n{q.proof}\n{res.get('error')}"
        assert last_line(str(res["stdout"])) == q.expected.proof_line(), where


def assert_import_is_light(*modules: str, then: str = "") -> None:
    """Importing ``modules`` in a fresh interpreter loads neither torch nor numpy; ``then`` is
    more code run in that same interpreter afterwards."""
    code = (
        f"import sys, {', '.join(modules)}\n"
        "assert 'torch' not in sys.modules and 'numpy' not in sys.modules, 'heavy import'\n" + then
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
