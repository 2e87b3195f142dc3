"""What a card is: stable ids, kinds, and the deck built from content and generators.

Card ids never contain text that a content edit could change, so fixing a typo
in a definition keeps the card's review history.

=========  ======================  =============================================
kind       id                      how it is asked
=========  ======================  =============================================
recall     term/<slug>/recall      term shown; recall the definition; self-graded
name       term/<slug>/name        definition shown; pick the term; auto-graded
concept    concept/<slug>          question; reveal or pick; self/auto-graded
skill      skill/<family>/<level>  fresh generated question each time; auto
=========  ======================  =============================================
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from enum import StrEnum
from itertools import zip_longest

from dlquiz import paths
from dlquiz.content import Content, Term


class Kind(StrEnum):
    RECALL = "recall"
    NAME = "name"
    CONCEPT = "concept"
    SKILL = "skill"


@dataclass(frozen=True)
class CardSpec:
    """A schedulable card: what it is, not how well it is known."""

    id: str
    kind: Kind
    key: str  # term or concept slug, or the generator family
    tags: tuple[str, ...] = ()
    level: int = 0
    # This card is not introduced until ``requires`` has been studied on an earlier
    # day: you meet a definition before being asked to name it, level 1 before 2.
    requires: str | None = None
    deck: str = ""  # the user deck (file stem) it comes from; "" for built-in cards


def term_card_id(slug: str, kind: Kind) -> str:
    return f"term/{slug}/{kind.value}"


def concept_card_id(slug: str) -> str:
    return f"concept/{slug}"


def build_deck(content: Content, skills: list[CardSpec] | None = None) -> dict[str, CardSpec]:
    """Every card, in the order new cards are introduced.

    The kinds are interleaved (a term, a concept, a skill, ...) so that a day's new
    cards are not all of one sort. ``dlquiz.order`` reorders them per the settings.
    """
    builtin = paths.builtin_content_dir()

    def deck_of(slug: str) -> str:
        origin = content.origin.get(slug)
        if origin is None or origin.is_relative_to(builtin):
            return ""
        return origin.stem

    recall = [
        CardSpec(
            term_card_id(t.slug, Kind.RECALL), Kind.RECALL, t.slug, t.tags, deck=deck_of(t.slug)
        )
        for t in content.terms.values()
    ]
    concepts = [
        CardSpec(concept_card_id(c.slug), Kind.CONCEPT, c.slug, c.tags, deck=deck_of(c.slug))
        for c in content.concepts.values()
    ]
    names = [
        CardSpec(
            term_card_id(t.slug, Kind.NAME),
            Kind.NAME,
            t.slug,
            t.tags,
            requires=term_card_id(t.slug, Kind.RECALL),
            deck=deck_of(t.slug),
        )
        for t in content.terms.values()
    ]
    deck: dict[str, CardSpec] = {}
    for group in zip_longest(recall, concepts, skills or [], names):
        for spec in group:
            if spec is not None:
                deck[spec.id] = spec
    return deck


def name_choices(content: Content, slug: str, seed: int, n: int = 4) -> tuple[list[Term], int]:
    """Choices for a name card and the index of the right one.

    Distractors come from terms sharing a tag where possible, and are never the
    answer itself, a ``same_as`` synonym, or a term sharing one of its names.
    Deterministic for a given seed.
    """
    answer = content.terms[slug]
    banned = {slug} | content.synonyms(slug)
    answer_names = {name.casefold() for name in answer.names}
    rng = random.Random(zlib.crc32(f"{slug}:{seed}".encode()))

    def allowed(term: Term) -> bool:
        if term.slug in banned:
            return False
        return not answer_names & {name.casefold() for name in term.names}

    same_tag = [t for t in content.terms.values() if allowed(t) and set(t.tags) & set(answer.tags)]
    others = [t for t in content.terms.values() if allowed(t) and t not in same_tag]
    rng.shuffle(same_tag)
    rng.shuffle(others)
    picked: list[Term] = []
    for term in same_tag + others:
        # Two synonyms among the distractors would make both obviously wrong.
        if any(term.slug in content.synonyms(p.slug) for p in picked):
            continue
        picked.append(term)
        if len(picked) == n - 1:
            break
    choices = [*picked, answer]
    rng.shuffle(choices)
    return choices, choices.index(answer)
