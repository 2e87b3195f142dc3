"""Live-computation question generators.

Importing this package registers every family (cheap: no numpy, no torch at
module level). ``generate`` runs one, and is where torch first gets imported.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace

from dlquiz.questions.base import REGISTRY, Expected, Family, Question, keep_mistakes, skill_id

# Modules that hold no families (importing them registers nothing; the worker is a process).
NOT_FAMILIES = frozenset({"base", "common", "floats", "graph", "layers", "resnet_src", "worker"})


def family_modules() -> list[str]:
    """Every generator module in this package, found on disk: a new module's families are
    registered (and tested) without being listed anywhere."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_FAMILIES)


_loaded = False


def families() -> dict[str, Family]:
    """Every registered family, by id (modules imported on first call)."""
    global _loaded
    if not _loaded:
        for name in family_modules():
            importlib.import_module(f"dlquiz.questions.{name}")
        _loaded = True
    return REGISTRY


def family_title(family_id: str) -> str:
    """What people read for a family ("nn.Linear parameter count"); its id if no family
    has it (one a log from another version names)."""
    fam = families().get(family_id)
    return fam.title if fam is not None else family_id


def parse_skill(card_id: str) -> tuple[str, int]:
    """``skill/conv2d-shape/2`` -> ``("conv2d-shape", 2)``; ValueError if malformed."""
    prefix, fam, level = card_id.split("/")
    if prefix != "skill":
        raise ValueError(f"not a skill card id: {card_id!r}")
    return fam, int(level)


def generate(family_id: str, level: int, seed: int) -> Question:
    """Make one question of ``family_id`` at ``level`` from ``seed`` (runs torch)."""
    import numpy as np

    fam = families()[family_id]
    if level not in fam.levels:
        raise KeyError(f"{family_id} has no level {level} (levels: {sorted(fam.levels)})")
    question = fam.make(np.random.default_rng(seed), level)
    # Every family's slips go through one filter: none equal to the answer drawn, no
    # two alike (a slip that gives the right number here teaches nothing).
    mistakes = keep_mistakes(question.expected, question.mistakes)
    return replace(question, family=fam.id, seed=seed, mistakes=mistakes)


__all__ = [
    "Expected",
    "Family",
    "Question",
    "families",
    "family_title",
    "generate",
    "parse_skill",
    "skill_id",
]
