"""An Anki package (.apkg) of the glossary (both directions), the concept cards and a
few sample questions per skill, computed by torch.

genanki and torch are imported inside the functions that need them.
"""

from __future__ import annotations

import io
import itertools
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from dlquiz.content import Content
from dlquiz.safe_io import write_output

# Anki identifies note types and decks by these numbers. They are fixed, never
# regenerated, so importing a newer export updates the same deck and note types
# instead of creating copies. Never change them.
ANKI_DECK_ID = 1_873_402_561
ANKI_TERM_MODEL_ID = 1_873_402_562
ANKI_CONCEPT_MODEL_ID = 1_873_402_563
ANKI_SKILL_MODEL_ID = 1_873_402_564
ANKI_DECK_NAME = "dlquiz"

_ANKI_CSS = """\
.card { font-family: sans-serif; font-size: 18px; text-align: left; line-height: 1.4; }
.heading { font-size: 24px; font-weight: bold; }
.muted { color: #888; font-size: 15px; }
.formula { font-family: monospace; margin-top: 0.8em; }
.explanation { margin-top: 0.8em; }
pre { background: rgba(127, 127, 127, 0.12); padding: 0.5em; overflow-x: auto; }
"""


class AnkiCounts(NamedTuple):
    terms: int
    concepts: int
    samples: int


def _html(text: str) -> str:
    """Plain text as HTML: escaped, line breaks kept."""
    import html

    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")


def _html_code(code: str) -> str:
    import html

    return f"<pre><code>{html.escape(code, quote=False)}</code></pre>" if code else ""


def _html_choices(choices: Sequence[str]) -> str:
    if not choices:
        return ""
    items = "".join(f"<li>{_html(c)}</li>" for c in choices)
    return f'<ol type="a">{items}</ol>'


def anki_tag(tag: str) -> str:
    """A tag Anki accepts: no whitespace inside."""
    return re.sub(r"\s+", "_", tag.strip())


def _models() -> tuple[Any, Any, Any]:
    import genanki

    term = genanki.Model(
        ANKI_TERM_MODEL_ID,
        "dlquiz term",
        fields=[{"name": "Term"}, {"name": "Aliases"}, {"name": "Definition"}, {"name": "Formula"}],
        templates=[
            {
                "name": "Term → definition",
                "qfmt": '<div class="heading">{{Term}}</div>'
                '{{#Aliases}}<div class="muted">also: {{Aliases}}</div>{{/Aliases}}',
                "afmt": '{{FrontSide}}<hr id="answer">{{Definition}}'
                '{{#Formula}}<div class="formula">{{Formula}}</div>{{/Formula}}',
            },
            {
                "name": "Definition → term",
                "qfmt": '<div class="muted">Which term is this?</div>{{Definition}}',
                "afmt": '{{FrontSide}}<hr id="answer"><div class="heading">{{Term}}</div>'
                '{{#Aliases}}<div class="muted">also: {{Aliases}}</div>{{/Aliases}}'
                '{{#Formula}}<div class="formula">{{Formula}}</div>{{/Formula}}',
            },
        ],
        css=_ANKI_CSS,
    )
    concept = genanki.Model(
        ANKI_CONCEPT_MODEL_ID,
        "dlquiz concept",
        fields=[
            {"name": "Question"},
            {"name": "Choices"},
            {"name": "Answer"},
            {"name": "Explanation"},
        ],
        templates=[
            {
                "name": "Question → answer",
                "qfmt": '<div class="heading">{{Question}}</div>{{Choices}}',
                "afmt": '{{FrontSide}}<hr id="answer"><b>{{Answer}}</b>'
                '<div class="explanation">{{Explanation}}</div>',
            }
        ],
        css=_ANKI_CSS,
    )
    skill = genanki.Model(
        ANKI_SKILL_MODEL_ID,
        "dlquiz skill sample",
        fields=[
            {"name": "Skill"},
            {"name": "Prompt"},
            {"name": "Code"},
            {"name": "Answer"},
            {"name": "Explanation"},
            {"name": "Proof"},
        ],
        templates=[
            {
                "name": "Question → computed answer",
                "qfmt": '<div class="muted">{{Skill}}</div>{{Prompt}}{{Code}}',
                "afmt": '{{FrontSide}}<hr id="answer"><b>{{Answer}}</b>'
                '<div class="explanation">{{Explanation}}</div>'
                '{{#Proof}}<div class="muted">Check it with PyTorch:</div>{{Proof}}{{/Proof}}',
            }
        ],
        css=_ANKI_CSS,
    )
    return term, concept, skill


def sample_seed(seed: int, index: int) -> int:
    """The seed of the ``index``-th sample of every skill (stable: same export, same notes)."""
    return seed + index


def export_anki(
    content: Content,
    families: Iterable[str],
    path: Path,
    samples_per_skill: int = 3,
    seed: int = 0,
    timestamp: float | None = None,
) -> AnkiCounts:
    """Write an Anki package of ``content`` and sample questions of ``families``.

    Every term is one note with two cards (term → definition, definition →
    term); every concept one note; every skill (family, level) gets
    ``samples_per_skill`` notes generated from the seeds ``sample_seed(seed, i)``
    (this runs torch). Note GUIDs come from slugs and (family, level, i), so
    importing a newer export into Anki updates notes instead of duplicating them.
    """
    import genanki

    from dlquiz.questions import families as all_families
    from dlquiz.questions import generate

    term_model, concept_model, skill_model = _models()
    deck = genanki.Deck(ANKI_DECK_ID, ANKI_DECK_NAME)

    for term in content.terms.values():
        deck.add_note(
            genanki.Note(
                model=term_model,
                fields=[
                    _html(term.term),
                    _html(", ".join(term.aliases)),
                    _html(term.definition),
                    _html(term.formula),
                ],
                tags=["dlquiz::term", *(anki_tag(t) for t in term.tags)],
                guid=genanki.guid_for("dlquiz", "term", term.slug),
            )
        )
    for concept in content.concepts.values():
        deck.add_note(
            genanki.Note(
                model=concept_model,
                fields=[
                    _html(concept.question),
                    _html_choices(concept.choices),
                    _html(concept.answer),
                    _html(concept.explanation),
                ],
                tags=["dlquiz::concept", *(anki_tag(t) for t in concept.tags)],
                guid=genanki.guid_for("dlquiz", "concept", concept.slug),
            )
        )
    registry = all_families()
    n_samples = 0
    for family_id in families:
        fam = registry[family_id]
        for level in sorted(fam.levels):
            for index in range(samples_per_skill):
                q = generate(family_id, level, sample_seed(seed, index))
                prompt = _html(q.prompt)
                if q.expected.kind == "choice":
                    prompt += _html_choices(q.expected.choices)
                deck.add_note(
                    genanki.Note(
                        model=skill_model,
                        fields=[
                            _html(f"{fam.title} · level {level}: {fam.levels[level]}"),
                            prompt,
                            _html_code(q.code),
                            _html(q.expected.display()),
                            _html(q.explanation),
                            _html_code(q.proof),
                        ],
                        tags=[
                            "dlquiz::skill",
                            anki_tag(fam.topic),
                            anki_tag(f"dlquiz::skill::{family_id}"),
                        ],
                        guid=genanki.guid_for("dlquiz", "skill", family_id, level, index),
                    )
                )
                n_samples += 1
    _write_package(genanki.Package(deck), path, timestamp)
    return AnkiCounts(len(content.terms), len(content.concepts), n_samples)


def _write_package(package: Any, path: Path, timestamp: float | None) -> None:
    """genanki's own writer leaves its SQLite file in /tmp and writes in place;
    this one cleans up and replaces ``path`` atomically."""
    import sqlite3
    import time
    import zipfile

    stamp = time.time() if timestamp is None else timestamp
    with tempfile.TemporaryDirectory(prefix="dlquiz-apkg-") as tmp:
        db_path = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(db_path)
        try:
            package.write_to_db(conn.cursor(), stamp, itertools.count(int(stamp * 1000)))
            conn.commit()
        finally:
            conn.close()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
            out.write(db_path, "collection.anki2")
            out.writestr("media", "{}")
    write_output(path, buffer.getvalue())
