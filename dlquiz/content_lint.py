"""Warnings about the form of content (``dlquiz check``): valid, but a weak card.

Errors (content.py) stop a deck from loading; these only make a card worse:
a definition too long to recall, a name card whose definition gives the name
away, a second defensible answer among the choices. Each rule looks at one entry
and a few index lookups, so checking is linear in the size of the content.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dlquiz.content import Concept, Content, Locator, Problem, Term
from dlquiz.content_relations import Relations

MAX_DEFINITION_WORDS = 30
MAX_ANSWER_WORDS = 40
# Two definitions of synonyms sharing this share of their words say the same thing.
MAX_SYNONYM_OVERLAP = 0.6

# Words of a name that give nothing away: they name the category every choice of
# a name card shares ("a layer that ..." does not say which layer).
GENERIC_WORDS = frozenset({"function", "layer", "network", "neural", "model"})
_STOP_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "is", "it", "of", "on"}
    | {"or", "per", "the", "to", "via", "vs", "with"}
)
_SUFFIXES = frozenset(
    {"izations", "ization", "isations", "isation", "ations", "ation", "ings", "ing"}
    | {"ities", "ity", "ments", "ment", "ness", "izes", "ized", "ize", "ises", "ised"}
    | {"ise", "ers", "er", "ed", "ies", "es", "s", "ally", "al", "ly", "ive", "ions"}
    | {"ion", "ors", "or"}
)
# Longest first: the first suffix that leaves a stem of 3 letters or more is stripped.
_SUFFIX_LENGTHS = sorted({len(s) for s in _SUFFIXES}, reverse=True)
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1 << 16)  # content repeats its words: most stems are looked up
def stem(word: str) -> str:
    """A crude stem, enough to see that "pools", "pooled" and "pooling" are one word."""
    word = word.casefold()
    for _ in range(2):  # "filtering" -> "filter" -> "filt", as "filters" and "filter"
        for length in _SUFFIX_LENGTHS:
            if len(word) - length >= 3 and word[-length:] in _SUFFIXES:
                word = word[:-length]
                break
        else:
            break
    if len(word) >= 2 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]  # "stopp(ing)" -> "stop"
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


_GENERIC_STEMS = frozenset(stem(w) for w in GENERIC_WORDS)


def content_words(text: str) -> list[str]:
    """Words that carry meaning: 3 letters or more, not a stop word, not a number."""
    return [
        w
        for w in _WORD.findall(text)
        if len(w) >= 3 and w.casefold() not in _STOP_WORDS and not w.isdigit()
    ]


def giveaway(term: Term) -> tuple[str, str] | None:
    """(word in the definition, name it comes from) when the definition contains a
    content word of the term's name or an alias, or a word with the same stem."""
    stems: dict[str, str] = {}
    for name in term.names:
        for word in content_words(name):
            if stem(word) not in _GENERIC_STEMS:
                stems.setdefault(stem(word), name)
    for word in content_words(term.definition):
        source = stems.get(stem(word))
        if source is not None:
            return word, source
    return None


def _word_count(text: str) -> int:
    return len(text.split())


def _overlap(a: str, b: str) -> float:
    """Share of content-word stems two texts have in common (Jaccard)."""
    sa = {stem(w) for w in content_words(a)}
    sb = {stem(w) for w in content_words(b)}
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def _term_warnings(term: Term, content: Content, relations: Relations) -> list[tuple[str, str]]:
    """(field, message) for each weakness of one term."""
    found: list[tuple[str, str]] = []
    words = _word_count(term.definition)
    if words > MAX_DEFINITION_WORDS:
        found.append(
            (
                "definition",
                f"{words} words (at most {MAX_DEFINITION_WORDS}: keep what the card asks "
                "for, move the rest to notes)",
            )
        )
    leak = giveaway(term)
    if leak:
        word, name = leak
        found.append(("definition", f"gives the name away: '{word}' echoes '{name}'"))
    for wider in term.broader:
        if relations.are_synonyms(term.slug, wider):
            found.append(("broader", f"'{wider}' is also a same_as synonym: choose one link"))
    if relations.in_cycle(term.slug):
        found.append(("broader", "broader links run in a circle back to this term"))
    for other in sorted(relations.sharing_a_name(term)):
        shared = {n.casefold() for n in term.names} & {
            n.casefold() for n in content.terms[other].names
        }
        found.append(
            ("aliases", f"shares the name '{min(shared)}' with term '{other}' (which is meant?)")
        )
    # The synonyms it names itself, not every one reached through them: a chain of n
    # same_as links makes n² synonym pairs (4,000 terms took minutes and printed ten
    # million warnings). Each linked pair once: on the entry that comes second if both
    # name each other, else on the one that names the other.
    for other in sorted(set(term.same_as)):
        linked = content.terms.get(other)
        if linked is None or other == term.slug:
            continue
        if term.slug in linked.same_as and other > term.slug:
            continue  # reported on ``other``
        if _overlap(term.definition, linked.definition) > MAX_SYNONYM_OVERLAP:
            found.append(
                (
                    "definition",
                    f"nearly the same as its synonym '{other}': give each a distinct focus "
                    "or make one an alias of the other",
                )
            )
    return found


def _concept_warnings(concept: Concept, relations: Relations) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    words = _word_count(concept.answer)
    if words > MAX_ANSWER_WORDS:
        found.append(
            (
                "answer",
                f"{words} words (at most {MAX_ANSWER_WORDS}: move the rest to the explanation)",
            )
        )
    folded = [" ".join(c.casefold().split()) for c in concept.choices]
    if len(set(folded)) != len(folded) and len(set(concept.choices)) == len(concept.choices):
        found.append(("choices", "two choices differ only in case or spacing"))
    # A choice naming a synonym, a broader or a narrower term of the answer is a
    # second right answer.
    answer_terms = relations.by_name.get(" ".join(concept.answer.casefold().split()), [])
    for slug in answer_terms:
        for choice, key in zip(concept.choices, folded, strict=True):
            if choice == concept.answer:
                continue
            for other in relations.by_name.get(key, []):
                if other != slug and (
                    relations.are_synonyms(slug, other)
                    or other in relations.broader(slug)
                    or other in relations.narrower(slug)
                ):
                    found.append(
                        (
                            "choices",
                            f"'{choice}' is a synonym, broader or narrower term of the answer: "
                            "a second right answer",
                        )
                    )
    return found


def lint(content: Content, slugs: set[str] | None = None) -> list[Problem]:
    """Warnings (``fatal=False``) for every entry, or only for ``slugs``."""
    relations = content.relations()
    locator = Locator(content)
    warnings: list[Problem] = []
    for slug, term in content.terms.items():
        if slugs is None or slug in slugs:
            for fld, message in _term_warnings(term, content, relations):
                warnings.append(locator.problem(slug, "term", fld, message, fatal=False))
    for slug, concept in content.concepts.items():
        if slugs is None or slug in slugs:
            for fld, message in _concept_warnings(concept, relations):
                warnings.append(locator.problem(slug, "concept", fld, message, fatal=False))
    return warnings
