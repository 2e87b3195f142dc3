"""What a live-computation question is, and how generator families register.

A *family* (say ``conv2d-shape``) makes questions at one of several *levels*;
each (family, level) pair is one schedulable skill with the card id
``skill/<family>/<level>``. A generator draws its parameters from the
``numpy.random.Generator`` it is given, computes the answer by running torch,
and returns a plain-data ``Question`` (picklable, JSON-friendly) so that it can
cross a process boundary.

This module imports neither numpy nor torch: the registry must be cheap to
load on the start-up path. Generators import torch inside their functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

AnswerKind = Literal["shape", "int", "float", "floats", "choice", "text"]


@dataclass(frozen=True)
class Expected:
    """The answer a question is graded against, as torch computed it.

    kind      value                      notes
    shape     tuple[int, ...]            "(2, 3)", "2x3", "torch.Size([2, 3])" all accepted
    int       int                        "1,024" and "1_024" accepted
    float     float                      compared at ``decimals`` places (stated in the prompt)
    floats    tuple[float, ...]          a short vector, each at ``decimals`` places
    choice    int (index into choices)   typed as number (1-based) or letter
    text      str                        a term; aliases and small typos accepted
    """

    kind: AnswerKind
    value: Any
    decimals: int | None = None
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def display(self) -> str:
        """The answer as a person would write it (thousands separated, choices lettered)."""
        if self.kind == "int":
            return f"{self.value:,}"
        if self.kind == "choice":
            return f"{'abcdefgh'[self.value]}) {self.choices[self.value]}"
        return self.proof_line()

    def proof_line(self) -> str:
        """The exact last line a question's ``proof`` snippet must print."""
        if self.kind == "shape":
            return str(tuple(int(v) for v in self.value))
        if self.kind == "int":
            return str(int(self.value))
        if self.kind == "float":
            return f"{self.value:.{self.decimals or 0}f}"
        if self.kind == "floats":
            return "[" + ", ".join(f"{v:.{self.decimals or 0}f}" for v in self.value) + "]"
        if self.kind == "choice":
            return self.choices[self.value]
        return str(self.value)


@dataclass(frozen=True)
class Mistake:
    """A common slip, computed like the answer but with the slip made.

    ``value`` has the same kind as ``Expected.value`` (a shape tuple, an int, a float, an
    option index, ...); ``feedback`` explains the slip with this question's numbers.
    """

    id: str  # stable slug, e.g. "kept-in-channels" (logged with the review)
    name: str  # short label, e.g. "kept in_channels"
    value: Any
    feedback: str

    def to_json(self) -> dict[str, Any]:
        value = self.value
        return {
            "id": self.id,
            "name": self.name,
            "value": list(value) if isinstance(value, tuple) else value,
            "feedback": self.feedback,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], kind: AnswerKind) -> Mistake:
        value = data["value"]
        if kind in ("shape", "floats"):
            value = tuple(value)
        return cls(data["id"], data["name"], value, data["feedback"])


def _same_answer(expected: Expected, value: Any) -> bool:
    """Whether ``value`` would be shown exactly like the answer (so it is not a slip)."""
    try:
        return replace(expected, value=value).proof_line() == expected.proof_line()
    except (TypeError, ValueError, IndexError):
        return False


def keep_mistakes(expected: Expected, mistakes: Iterable[Mistake]) -> tuple[Mistake, ...]:
    """The mistakes worth naming: none equal to the answer, no two with the same value or id.

    A slip that happens to give the right number for these parameters teaches nothing, and two
    slips with one value cannot be told apart (the first listed wins).
    """
    kept: list[Mistake] = []
    for m in mistakes:
        if expected.kind == "shape" and any(int(v) < 1 for v in m.value):
            continue  # no tensor has that shape: not a slip anyone would type
        if expected.kind == "floats" and len(m.value) != len(expected.value):
            continue  # the grader reports a wrong count before any value
        if _same_answer(expected, m.value):
            continue
        if any(
            k.id == m.id or _same_answer(replace(expected, value=k.value), m.value) for k in kept
        ):
            continue
        kept.append(m)
    return tuple(kept)


@dataclass(frozen=True, kw_only=True)
class Question:
    """One generated question with everything needed to ask, grade and explain it.

    ``family`` and ``seed`` are filled in by ``dlquiz.questions.generate`` (the family id is
    written once, in ``@family``); generators leave both alone.
    """

    family: str = ""
    level: int
    params: dict[str, Any]
    prompt: str
    code: str  # shown with the question; may be ""
    expected: Expected
    explanation: str  # worked, with the numbers filled in
    proof: str  # self-contained Python that, run with torch, prints the answer
    seed: int = 0
    mistakes: tuple[Mistake, ...] = ()  # named slips (see ``keep_mistakes``)
    hints: tuple[str, ...] = ()  # 1: the rule or formula; 2: the formula with these numbers

    @property
    def skill(self) -> str:
        return skill_id(self.family, self.level)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        """Inverse of ``to_json`` (questions cross the worker-process pipe as JSON)."""
        kind = data["answer_kind"]
        value = data["answer"]
        if kind in ("shape", "floats"):
            value = tuple(value)
        expected = Expected(
            kind,
            value,
            data.get("decimals"),
            tuple(data.get("choices") or ()),
            tuple(data.get("aliases") or ()),
        )
        return cls(
            family=data["family"],
            level=data["level"],
            params=data["params"],
            prompt=data["prompt"],
            code=data["code"],
            expected=expected,
            explanation=data["explanation"],
            proof=data["proof"],
            seed=data["seed"],
            mistakes=tuple(Mistake.from_json(m, kind) for m in data.get("mistakes") or ()),
            hints=tuple(data.get("hints") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        exp = asdict(self.expected)
        value = exp["value"]
        return {
            "family": self.family,
            "skill": self.skill,
            "level": self.level,
            "seed": self.seed,
            "params": self.params,
            "prompt": self.prompt,
            "code": self.code,
            "answer": list(value) if isinstance(value, tuple) else value,
            "answer_display": self.expected.display(),
            "answer_kind": exp["kind"],
            "choices": list(self.expected.choices),
            "aliases": list(self.expected.aliases),
            "decimals": self.expected.decimals,
            "explanation": self.explanation,
            "proof": self.proof,
            "mistakes": [m.to_json() for m in self.mistakes],
            "hints": list(self.hints),
        }


Maker = Callable[["np.random.Generator", int], Question]


@dataclass(frozen=True)
class Family:
    """A generator family: metadata (cheap) plus the function that makes questions."""

    id: str
    title: str
    topic: str
    terms: tuple[str, ...]  # glossary slugs this family exercises
    levels: dict[int, str]  # level -> what that level adds, e.g. {1: "stride 1, 'same'"}
    make: Maker = field(repr=False)


def skill_id(family: str, level: int) -> str:
    return f"skill/{family}/{level}"


REGISTRY: dict[str, Family] = {}


def family(
    id: str, *, title: str, topic: str, terms: tuple[str, ...], levels: dict[int, str]
) -> Callable[[Maker], Maker]:
    """Register a generator function as a family (used as a decorator)."""

    def register(make: Maker) -> Maker:
        if id in REGISTRY:
            raise ValueError(f"generator family {id!r} registered twice")
        REGISTRY[id] = Family(id, title, topic, terms, dict(levels), make)
        return make

    return register
