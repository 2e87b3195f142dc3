"""Text put into markup is shown as written: every bracket, backslash and dollar sign."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st
from textual.content import Content

from dlquiz.tui.markup import escape
from dlquiz.tui.shown import build
from dlquiz.workspace import load_content

# Characters markup gives a meaning to, and a few others: drawn often, in any order.
# Control characters are left out: Content drops them whatever the markup.
TEXTS = st.text(alphabet=st.sampled_from("[]\\/$@=#\"' abAZ_-.:,1"), max_size=30) | st.text(
    st.characters(blacklist_categories=("Cc", "Cs"))
)


def _shown(markup: str) -> str:
    return Content.from_markup(markup).plain.replace("\u200b", "")


@given(TEXTS)
@example("[MASK]")
@example("[$x]")
@example("a\\[b]")
@example("ends in a backslash \\")
def test_any_text_is_shown_as_written(text: str) -> None:
    assert _shown(escape(text)) == text


@given(TEXTS, TEXTS)
def test_tags_around_and_after_escaped_text_stay_tags(text: str, more: str) -> None:
    content = Content.from_markup(f"[b]{escape(text)}[/] [dim]{escape(more)}[/]")
    plain = content.plain.replace("\u200b", "")
    assert plain == f"{text} {more}"
    # The bold span ends where the text ends: the closing tag was read as a tag.
    bold = [span for span in content.spans if str(span.style) == "b"]
    if text:
        assert len(bold) == 1 and bold[0].start == 0
        assert content.plain[: bold[0].end].replace("\u200b", "") == text


def test_words_in_brackets_that_textual_reads_as_tags_are_kept() -> None:
    # Rich's escape leaves these alone (upper case, a variable, a space), and Textual
    # took each for a tag and dropped it.
    for text in ("the [CLS] token", "80 % become [MASK]", "[$x]", "[ y]", "P[Y=1]"):
        assert _shown(escape(text)) == text


def test_bert_notes_on_its_card_keep_mask(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from dlquiz.cards import build_deck
    from dlquiz.workspace import skill_cards

    content, _ = load_content(tmp_path / "home", write_cache=False)
    deck = build_deck(content, skill_cards())
    spec = deck["term/bert/recall"]

    def outcomes() -> dict[int, object]:
        return {}

    shown = build(spec, content, outcomes, datetime(2026, 1, 1, tzinfo=UTC), 0)  # type: ignore[arg-type]
    assert "become [MASK]" in Content.from_markup(shown.back).plain
