"""The settings form's fields: labels, help from the docstrings, parsers, error mapping.

No widgets here: the screen (``dlquiz.tui.screens.settings``) lays these out.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any

from dlquiz import settings as settings_module

FIT_LABEL = "Fit my parameters"

# Field name -> label. The help text comes from the field's docstring instead.
LABELS: dict[str, str] = {
    "desired_retention": "Desired retention",
    "new_per_day": "New cards per day",
    "unlock_after_days": "Days to unlock a skill",
    "max_reviews_per_day": "Maximum reviews per day",
    "learning_steps_minutes": "Learning steps (minutes)",
    "relearning_steps_minutes": "Relearning steps (minutes)",
    "day_starts_at_hour": "Day starts at",
    "theme": "Theme",
    "new_card_order": "New card order",
    "bury_siblings": "Bury siblings",
    "excluded_tags": "Tags in rotation",
    "excluded_skills": "Skills in rotation",
    "fsrs_parameters": "Scheduler parameters",
}

# Fields edited in a text Input, and how each is parsed (ValueError -> the hint).
TEXT_FIELDS = (
    "desired_retention",
    "new_per_day",
    "unlock_after_days",
    "max_reviews_per_day",
    "learning_steps_minutes",
    "relearning_steps_minutes",
)
SELECT_FIELDS = ("day_starts_at_hour", "theme", "new_card_order", "bury_siblings")
LIST_FIELDS = ("excluded_tags", "excluded_skills")


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


@functools.cache
def field_help() -> dict[str, str]:
    """Each Settings field's docstring, read from the source with ``ast``."""
    try:
        tree = ast.parse(inspect.getsource(settings_module))
    except (OSError, TypeError, SyntaxError):  # no source shipped: no help, still usable
        return {}
    docs: dict[str, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ClassDef) and node.name == "Settings"):
            continue
        for field, doc in itertools.pairwise(node.body):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)
            ):
                docs[field.target.id] = inspect.cleandoc(doc.value.value)
    return docs


def _number(text: str) -> float:
    text = text.strip()
    if text.endswith("%"):  # "85%" means 0.85
        return float(text[:-1]) / 100
    return float(text)


def _whole(text: str) -> int:
    return int(text.strip().replace("_", ""))


def _steps(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in re.split(r"[\s,;]+", text.strip()) if part)


def _format_steps(steps: Iterable[float]) -> str:
    return " ".join(f"{m:g}" for m in steps)


# name -> (parse, hint shown when parsing fails, format for display)
PARSERS: dict[str, tuple[Callable[[str], Any], str, Callable[[Any], str]]] = {
    "desired_retention": (_number, "Enter a number from 0.70 to 0.99, e.g. 0.9.", "{:g}".format),
    "new_per_day": (_whole, "Enter a whole number, e.g. 20.", str),
    "unlock_after_days": (_whole, "Enter a whole number of days from 1 to 10, e.g. 2.", str),
    "max_reviews_per_day": (_whole, "Enter a whole number, e.g. 500.", str),
    "learning_steps_minutes": (
        _steps,
        "Enter minutes separated by spaces, e.g. 1 10.",
        _format_steps,
    ),
    "relearning_steps_minutes": (
        _steps,
        "Enter minutes separated by spaces, e.g. 10.",
        _format_steps,
    ),
}


def _pydantic_message(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "invalid value")).replace("Input should be", "Must be")
    loc = err.get("loc", ())
    if len(loc) > 1 and isinstance(loc[1], int):  # one entry of a tuple, e.g. a step
        return f"Entry {loc[1] + 1}: {msg}"
    return msg


def _field_errors(exc: ValueError) -> dict[str, str]:
    """A pydantic ValidationError's messages by Settings field (first one per field)."""
    errors: dict[str, str] = {}
    details = getattr(exc, "errors", None)
    if callable(details):
        for err in details():
            loc = err.get("loc") or ("",)
            if str(loc[0]) in LABELS:
                errors.setdefault(str(loc[0]), _pydantic_message(err))
    return errors
