"""The term detail pane: notes after the definition, and kind-of links both ways."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.widgets import Static

from dlquiz.content import load_builtin
from dlquiz.tui.widgets.term_view import TermView


class _Pane(App[None]):
    def compose(self) -> ComposeResult:
        yield TermView()


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _labels(view: TermView) -> list[str]:
    options = view.links
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_notes_follow_the_definition_and_kinds_are_linked() -> None:
    content = load_builtin()
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    app = _Pane()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(TermView)
        view.show_term(content, "max-pooling", [], now, UTC)
        await pilot.pause()
        body = _flat(str(app.query_one("#term-body", Static).render()))
        term = content.terms["max-pooling"]
        assert _flat(term.definition) in body and _flat(term.notes) in body
        assert body.index(_flat(term.definition)) < body.index(_flat(term.notes))
        labels = _labels(view)
        assert "↑ Kind of: Pooling Layer" in labels

        view.show_term(content, "pooling-layer", [], now, UTC)
        await pilot.pause()
        labels = _labels(view)
        assert "↓ Kind: Max Pooling" in labels and "↓ Kind: Global Average Pooling" in labels
        # A kind is listed once, not again as merely related.
        assert "→ Related: Max Pooling" not in labels
