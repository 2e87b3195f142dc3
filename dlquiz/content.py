"""Load and validate the TOML content (glossary terms and concept cards).

Content is data, never code. Each file under a content folder may hold
``[[term]]`` and ``[[concept]]`` tables; every entry is validated by pydantic and
every problem is reported with its file, entry and field so that a person can
fix it without reading a traceback.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from annotated_types import MaxLen, MinLen, Predicate

from dlquiz import paths

if TYPE_CHECKING:
    from pydantic import TypeAdapter

# The entry types are plain frozen dataclasses whose constraints pydantic reads
# when it validates a file. Start-up (served from the content cache) therefore
# never imports pydantic: that import alone costs ~100 ms here.

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def lowercase_words_joined_by_hyphens(value: str) -> bool:
    return _SLUG.fullmatch(value) is not None


Slug = Annotated[str, Predicate(lowercase_words_joined_by_hyphens), MaxLen(80)]
Text = Annotated[str, MinLen(1)]
_CONFIG: dict[str, object] = {"extra": "forbid", "str_strip_whitespace": True}

TAGS = frozenset(
    {
        "optimization",
        "regularization",
        "architecture",
        "cnn",
        "rnn",
        "nlp",
        "generative",
        "losses",
        "metrics",
        "training",
        "data",
        "math",
        "tensors",
        "resnet",
        "attention",
        "transformers",
        "normalization",
        "history",
    }
)

# Bumped whenever Term, Concept or Content change shape: a content cache pickled by
# another schema then fails to load (see Content.__setstate__) and is rebuilt.
SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Term:
    """A glossary term: recalled from its name, and named from its definition."""

    __pydantic_config__: ClassVar[dict[str, object]] = _CONFIG

    slug: Slug
    term: Text
    definition: Text
    aliases: tuple[Text, ...] = ()
    formula: str = ""
    tags: tuple[str, ...] = ()
    same_as: tuple[Slug, ...] = ()
    related: tuple[Slug, ...] = ()
    # Longer text shown after the answer is revealed; the definition stays short.
    notes: str = ""
    # Terms this one is a kind of (max-pooling -> pooling-layer): never a distractor.
    broader: tuple[Slug, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a person may type for this term."""
        return (self.term, *self.aliases)


@dataclass(frozen=True)
class Concept:
    """A question about an idea, with its answer and a longer explanation."""

    __pydantic_config__: ClassVar[dict[str, object]] = _CONFIG

    slug: Slug
    question: Text
    answer: Text
    explanation: Text
    choices: tuple[Text, ...] = ()
    tags: tuple[str, ...] = ()
    related: tuple[Slug, ...] = ()


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(model: type) -> TypeAdapter[Any]:
    if model not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[model] = TypeAdapter(model)
    return _ADAPTERS[model]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, located as precisely as we can."""

    file: Path
    entry: str
    field: str
    message: str
    line: int | None = None
    fatal: bool = True

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        what = f"{self.entry}" + (f", field '{self.field}'" if self.field else "")
        return f"{where}: {what}: {self.message}"


@dataclass
class Content:
    """Everything loaded from one or more content folders."""

    terms: dict[str, Term] = field(default_factory=dict)
    concepts: dict[str, Concept] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # slug -> file it came from, to report duplicates and to locate entries
    origin: dict[str, Path] = field(default_factory=dict)
    schema: int = SCHEMA_VERSION

    def __setstate__(self, state: dict[str, Any]) -> None:
        # An old pickle (content cache) must not pass for current content.
        if state.get("schema") != SCHEMA_VERSION:
            raise ValueError("content pickled by another schema version")
        self.__dict__.update(state)

    @property
    def ok(self) -> bool:
        return not any(p.fatal for p in self.problems)

    def synonyms(self, slug: str) -> set[str]:
        """Slugs that mean the same as ``slug`` (``same_as`` in either direction, transitively)."""
        seen = {slug}
        todo = [slug]
        while todo:
            cur = todo.pop()
            linked = set(self.terms[cur].same_as) if cur in self.terms else set()
            linked |= {s for s, t in self.terms.items() if cur in t.same_as}
            for s in linked - seen:
                seen.add(s)
                todo.append(s)
        seen.discard(slug)
        return seen


class ContentError(Exception):
    """Built-in content failed to load; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _line_of(text: str, key: str, value: str) -> int | None:
    """Best-effort line number of ``key = "value"`` in a TOML source."""
    pattern = re.compile(rf'^\s*{re.escape(key)}\s*=\s*["\']{re.escape(value)}["\']', re.M)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _plain_message(err: Any, kind: str) -> str:
    """pydantic's message, reworded where it would puzzle a content author."""
    if err["type"] == "unexpected_keyword_argument":
        return f"unknown field (a {kind} has no such field)"
    if err["type"] == "predicate_failed":
        return "must be lowercase words joined by hyphens, like 'batch-normalization'"
    if err["type"] in ("missing", "missing_argument"):
        return "required field is missing"
    return str(err["msg"])


def _entry_label(kind: str, index: int, raw: dict[str, object]) -> str:
    slug = raw.get("slug")
    return f"{kind} '{slug}'" if isinstance(slug, str) and slug else f"{kind} #{index + 1}"


def _load_file(path: Path, content: Content) -> None:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        content.problems.append(Problem(path, "file", "", f"not UTF-8 text ({exc.reason})"))
        return
    except tomllib.TOMLDecodeError as exc:
        content.problems.append(Problem(path, "file", "", f"not valid TOML: {exc}"))
        return
    except OSError as exc:
        content.problems.append(Problem(path, "file", "", f"cannot read: {exc.strerror}"))
        return
    from pydantic import ValidationError

    unknown = sorted(set(data) - {"term", "concept"})
    for key in unknown:
        content.problems.append(
            Problem(path, "file", key, "unknown table (expected [[term]] or [[concept]])")
        )
    tables: dict[str, list[Any]] = {}
    for key in ("term", "concept"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            content.problems.append(
                Problem(path, "file", key, f"write entries as [[{key}]] tables")
            )
            value = []
        tables[key] = value

    def line_of(raw: dict[str, object]) -> int | None:
        # Only computed for entries with a problem: a regex over the file per entry
        # would cost more than the parse itself.
        slug = raw.get("slug")
        return _line_of(text, "slug", slug) if isinstance(slug, str) and slug else None

    for kind, model, target in (
        ("term", Term, content.terms),
        ("concept", Concept, content.concepts),
    ):
        for index, raw in enumerate(tables[kind]):
            label = _entry_label(kind, index, raw)
            try:
                entry = _adapter(model).validate_python(raw)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = ".".join(str(part) for part in err["loc"])
                    content.problems.append(
                        Problem(path, label, loc, _plain_message(err, kind), line_of(raw))
                    )
                continue
            if entry.slug in content.origin:
                first = content.origin[entry.slug]
                content.problems.append(
                    Problem(
                        path,
                        label,
                        "slug",
                        f"duplicate slug (first defined in {first})",
                        line_of(raw),
                    )
                )
                continue
            content.origin[entry.slug] = path
            target[entry.slug] = entry  # type: ignore[index]


def _toml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.toml") if p.is_file())


def _check_links(content: Content) -> None:
    """Cross-entry rules that a single entry cannot check on its own."""

    def problem(slug: str, kind: str, fld: str, message: str) -> None:
        path = content.origin[slug]
        try:
            line = _line_of(path.read_text(encoding="utf-8"), "slug", slug)
        except OSError:
            line = None
        content.problems.append(Problem(path, f"{kind} '{slug}'", fld, message, line))

    for slug, term in content.terms.items():
        for fld in ("same_as", "related", "broader"):
            for target in getattr(term, fld):
                if target == slug:
                    problem(slug, "term", fld, "links to itself")
                elif target in content.terms:
                    continue
                elif fld == "related" and target in content.concepts:
                    continue  # a term may point at a concept card about it
                else:
                    problem(slug, "term", fld, f"unknown term '{target}'")
        for tag in term.tags:
            if tag not in TAGS:
                problem(
                    slug, "term", "tags", f"unknown tag '{tag}' (known: {', '.join(sorted(TAGS))})"
                )
        leak = _leaked_name(term)
        if leak:
            problem(slug, "term", "definition", f"gives away the name: contains '{leak}'")
    for slug, concept in content.concepts.items():
        for target in concept.related:
            if target not in content.terms and target not in content.concepts:
                problem(slug, "concept", "related", f"unknown slug '{target}'")
        for tag in concept.tags:
            if tag not in TAGS:
                problem(slug, "concept", "tags", f"unknown tag '{tag}'")
        if concept.choices and concept.answer not in concept.choices:
            problem(slug, "concept", "choices", "the answer is not one of the choices")
        if len(set(concept.choices)) != len(concept.choices):
            problem(slug, "concept", "choices", "two choices are the same")


def _leaked_name(term: Term) -> str | None:
    """A name of the term that appears, as a whole word, in its own definition."""
    for name in term.names:
        if len(name) < 3:  # too short to be a give-away ("L1" etc. would be noise)
            continue
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", term.definition, re.I):
            return name
    return None


def load(folders: Iterable[Path]) -> Content:
    """Load every TOML file in ``folders`` (folders or single files) into one ``Content``."""
    content = Content()
    for folder in folders:
        if folder.is_file():
            _load_file(folder, content)
        elif folder.is_dir():
            for path in _toml_files(folder):
                _load_file(path, content)
        else:
            content.problems.append(Problem(folder, "path", "", "no such file or folder"))
    _check_links(content)
    return content


def with_file(base: Content, path: Path) -> Content:
    """``base`` plus the entries of one more file, the whole re-validated.

    Used for user decks: the caller keeps ``base`` if the result has problems.
    """
    merged = Content(terms=dict(base.terms), concepts=dict(base.concepts), origin=dict(base.origin))
    _load_file(path, merged)
    _check_links(merged)
    return merged


def load_builtin() -> Content:
    """The content shipped with dlquiz; raises ``ContentError`` if it is broken."""
    content = load([paths.builtin_content_dir()])
    if not content.ok:
        raise ContentError(content.problems)
    return content
