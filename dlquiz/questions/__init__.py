"""Live-computation question generators.

Importing this package registers every family (cheap: no numpy, no torch at
module level). ``generate`` runs one, and is where torch first gets imported.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace

from dlquiz.questions.base import REGISTRY, Expected, Family, Question, skill_id

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
    return replace(fam.make(np.random.default_rng(seed), level), family=fam.id, seed=seed)


__all__ = ["Expected", "Family", "Question", "families", "generate", "parse_skill", "skill_id"]
