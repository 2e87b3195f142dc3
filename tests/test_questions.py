"""The generator registry as a whole: enough families, real glossary terms, cheap to list."""

from __future__ import annotations

from dlquiz.content import load_builtin
from dlquiz.questions import families, parse_skill, skill_id
from dlquiz.workspace import skill_cards


def test_at_least_25_families_exercising_30_glossary_terms() -> None:
    fams = families()
    assert len(fams) >= 25
    glossary = load_builtin().terms
    used = {term for fam in fams.values() for term in fam.terms}
    unknown = sorted(used - set(glossary))
    assert unknown == []
    assert len(used) >= 30


def test_every_level_is_a_skill_card_and_levels_unlock_in_order() -> None:
    specs = {spec.id: spec for spec in skill_cards()}
    for fam in families().values():
        levels = sorted(fam.levels)
        assert levels == list(range(1, len(levels) + 1))
        for level in levels:
            card = specs[skill_id(fam.id, level)]
            assert parse_skill(card.id) == (fam.id, level)
            want = None if level == 1 else skill_id(fam.id, level - 1)
            assert card.requires == want


def test_families_are_shown_by_distinct_titles_and_an_unknown_one_by_its_id() -> None:
    from dlquiz.questions import family_title

    titles = [family_title(fid) for fid in families()]
    # Distinct: the statistics' mastery table has a row per title.
    assert len(set(titles)) == len(titles) and all(titles)
    assert family_title("conv2d-shape") == families()["conv2d-shape"].title != "conv2d-shape"
    assert family_title("a-family-from-another-version") == "a-family-from-another-version"
