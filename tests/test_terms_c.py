"""content/glossary/terms_c.toml: the form of every term, and every number it states.

Form: a short definition that names no word of the term (stricter than `dlquiz check`:
generic words such as "layer" count too, and a shared word start counts), links that
resolve, no lint warning. The numbers are checked in tests/test_terms_c_numbers.py and
tests/test_terms_c_models.py, which share the helpers below.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import pytest
from torch import nn

from dlquiz import paths
from dlquiz.content import TAGS, Content, load
from dlquiz.content_lint import content_words, lint, stem

FILE = Path(__file__).resolve().parent.parent / "content" / "glossary" / "terms_c.toml"


@cache
def raw_terms() -> dict[str, dict]:
    with FILE.open("rb") as fh:
        return {t["slug"]: t for t in tomllib.load(fh)["term"]}


@cache
def builtin() -> Content:
    return load([paths.builtin_content_dir()])


def text(slug: str) -> str:
    t = raw_terms()[slug]
    return " ".join([t["definition"], t.get("notes", ""), t.get("formula", "")])


def says(slug: str, *snippets: str) -> None:
    """The entry really states these numbers (so the test checks what the card shows)."""
    body = " ".join(text(slug).split())
    for snippet in snippets:
        assert snippet in body, f"{slug}: '{snippet}' not in its text"


def params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------- form


def test_at_least_45_new_terms_none_already_on_main() -> None:
    terms = raw_terms()
    assert len(terms) >= 45
    seed_slugs: set[str] = set()
    for name in ("terms_a.toml", "terms_b.toml"):
        with (FILE.parent / name).open("rb") as fh:
            seed_slugs |= {t["slug"] for t in tomllib.load(fh)["term"]}
    assert not set(terms) & seed_slugs


def test_file_loads_with_no_problem_and_no_warning() -> None:
    content = builtin()
    mine = [p for p in content.problems if Path(p.file).resolve() == FILE]
    assert mine == []
    assert lint(content, set(raw_terms())) == []
    for slug in raw_terms():
        assert slug in content.terms


@pytest.mark.parametrize("slug", sorted(raw_terms()))
def test_definition_is_short_and_has_notes(slug: str) -> None:
    t = raw_terms()[slug]
    assert len(t["definition"].split()) <= 30
    assert len(t.get("notes", "").split()) >= 15


def _echo(word: str, name_stems: set[str]) -> bool:
    s = stem(word)
    return any(
        s == n or (min(len(s), len(n)) >= 4 and (s.startswith(n) or n.startswith(s)))
        for n in name_stems
    )


@pytest.mark.parametrize("slug", sorted(raw_terms()))
def test_definition_gives_no_name_away(slug: str) -> None:
    t = raw_terms()[slug]
    names = [t["term"], *t.get("aliases", [])]
    stems = {stem(w) for n in names for w in content_words(n)}
    leaks = [w for w in content_words(t["definition"]) if _echo(w, stems)]
    assert leaks == []


@pytest.mark.parametrize("slug", sorted(raw_terms()))
def test_links_exist_and_tags_are_known(slug: str) -> None:
    content = builtin()
    t = raw_terms()[slug]
    for target in (*t.get("related", []), *t.get("broader", [])):
        assert target in content.terms, target
        assert target != slug
    assert not set(t.get("related", [])) & set(t.get("broader", []))  # one link, not two
    assert t.get("tags") and set(t["tags"]) <= TAGS


def test_echo_catches_a_stem_and_a_shared_start() -> None:
    stems = {stem(w) for w in content_words("Layer Normalization")}
    assert _echo("normalizes", stems)
    assert _echo("layers", stems)
    assert not _echo("standardizes", stems)
