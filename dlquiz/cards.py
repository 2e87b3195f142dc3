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
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain, zip_longest
from pathlib import Path

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
    # Per file, not per card: many cards share a file, and a path test is slow.
    decks: dict[Path, str] = {}

    def deck_of(slug: str) -> str:
        origin = content.origin.get(slug)
        if origin is None:
            return ""
        deck = decks.get(origin)
        if deck is None:
            deck = decks[origin] = "" if origin.is_relative_to(builtin) else origin.stem
        return deck

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


@dataclass(frozen=True)
class DeckTags:
    """What Settings offers to leave out of a deck: its tags (with their card counts) and
    its skills. Shared by every caller: do not change it."""

    # Tag -> cards carrying it. Only the tags of non-skill cards are keys (skill cards
    # carry their topic as a tag, offered as skills instead) but skill cards count too,
    # since leaving a tag out drops them as well.
    counts: dict[str, int]
    skills: frozenset[str]  # the keys (question families) of the skill cards


# The last deck summarised, by identity (and size): a study keeps one deck while it runs.
_tags_of: tuple[Mapping[str, CardSpec], int, DeckTags] | None = None
# Held while summarising: the app does it ahead in a thread, and a caller that comes
# meanwhile waits for that result instead of counting the deck a second time.
_tags_lock = threading.Lock()


def deck_tags(deck: Mapping[str, CardSpec]) -> DeckTags:
    """The deck's tags and skills, memoised for the last deck seen (by identity and size)."""
    with _tags_lock:
        return _deck_tags(deck)


def _deck_tags(deck: Mapping[str, CardSpec]) -> DeckTags:
    global _tags_of
    last = _tags_of
    if last is not None and last[0] is deck and last[1] == len(deck):
        return last[2]
    specs = deck.values()
    # Counted in C (Counter over one chain); a card naming a tag twice counts once.
    seen = Counter(chain.from_iterable(s.tags if len(s.tags) < 2 else set(s.tags) for s in specs))
    offered = {t for s in specs if s.kind is not Kind.SKILL for t in s.tags}
    skills = {s.key for s in specs if s.kind is Kind.SKILL}
    result = DeckTags({tag: seen[tag] for tag in sorted(offered)}, frozenset(skills))
    _tags_of = (deck, len(deck), result)
    return result


def name_choices(content: Content, slug: str, seed: int, n: int = 4) -> tuple[list[Term], int]:
    """Choices for a name card and the index of the right one.

    Distractors come from terms sharing a tag where possible. None of them could
    also be called right: never the answer, a ``same_as`` synonym, a broader or
    narrower term (transitively), or a term sharing one of its names; and no two
    distractors are confusable with each other either. Deterministic for a seed.
    """
    answer = content.terms[slug]
    relations = content.relations()
    banned = relations.confusable(answer) | {slug}
    rng = random.Random(zlib.crc32(f"{slug}:{seed}".encode()))
    pools = [relations.by_tag[tag] for tag in dict.fromkeys(answer.tags) if tag in relations.by_tag]
    picked: list[Term] = []
    taken: set[str] = set()  # slugs a further distractor must not be

    def take(candidates: Iterable[str]) -> bool:
        for other in candidates:
            if other in banned or other in taken:
                continue
            term = content.terms[other]
            picked.append(term)
            # Two synonyms (or a term and its kind) among the distractors would give
            # both away as wrong.
            taken.update(relations.confusable(term), (other,))
            if len(picked) == n - 1:
                return True
        return False

    if not take(_sampled(pools, rng)):
        tagged = dict.fromkeys(s for pool in pools for s in pool)
        same_tag = list(tagged)
        rng.shuffle(same_tag)
        if not take(same_tag):
            # Only now look through every term: most answers have enough of their own tag.
            others = [s for s in content.terms if s not in banned and s not in tagged]
            rng.shuffle(others)
            take(others)
    choices = [*picked, answer]
    rng.shuffle(choices)
    return choices, choices.index(answer)


def _sampled(pools: list[list[str]], rng: random.Random, draws: int = 64) -> list[str]:
    """Up to ``draws`` random picks from the union of ``pools`` (repeats possible).

    Drawing a few beats shuffling whole tag lists: a name card then costs the same
    with 100 terms or 100k.
    """
    sizes = [len(pool) for pool in pools]
    total = sum(sizes)
    if total <= draws:
        return []  # small enough: the caller shuffles the whole list
    picks: list[str] = []
    for _ in range(draws):
        index = rng.randrange(total)
        for pool, size in zip(pools, sizes, strict=True):
            if index < size:
                picks.append(pool[index])
                break
            index -= size
    return picks
