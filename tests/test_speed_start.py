"""Start-up does only what the first card needs, and stays as strict as before.

What is loaded is checked in a fresh interpreter (what really gets imported); no
test here times anything. The settings reader used at start-up is checked against
pydantic, which stays the authority on every file the fast reader does not take.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dlquiz import settings as settings_mod
from dlquiz.settings import Settings
from dlquiz.study import Study
from dlquiz.workspace import QUESTIONS_DIR, _skill_cards, skill_cards

OPEN_APP = (
    "import sys\n"
    "from pathlib import Path\n"
    "from dlquiz.__main__ import make_app\n"
    "app = make_app(Path(sys.argv[1]))\n"
    "from dlquiz import skillgraph\n"
    "assert skillgraph.prerequisite_map()\n"  # as Home's counts need it
    "app.study.close()\n"
    "print('\\n'.join(sys.modules))\n"
)


def _modules_after_open(home: Path) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", OPEN_APP, str(home)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return set(out.split())


@pytest.fixture(scope="module")
def returning_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder of a returning user: settings saved, caches filled by a first start."""
    home = tmp_path_factory.mktemp("returning") / "data"
    with Study.open(home) as study:
        study.change_settings(study.settings.replace(theme="nord", new_per_day=12))
    _modules_after_open(home)  # the first start fills the caches
    return home


def test_a_warm_start_imports_no_generator_pydantic_toml_or_constraints(
    returning_home: Path,
) -> None:
    loaded = _modules_after_open(returning_home)
    assert "dlquiz.tui.app" in loaded and "dlquiz.study" in loaded  # it really ran
    family_modules = {m for m in loaded if m.startswith("dlquiz.questions.")} - {
        "dlquiz.questions.base",
        "dlquiz.questions.graph",  # the skill graph's edges: data, no generator
    }
    assert not family_modules
    for heavy in ("pydantic", "tomllib", "annotated_types", "torch", "numpy"):
        assert heavy not in loaded, heavy


def test_the_skill_graph_is_built_from_the_skill_cards_levels(tmp_path: Path) -> None:
    from dlquiz import skillgraph
    from dlquiz.questions import families
    from dlquiz.questions.graph import prerequisite_map as build

    with Study.open(tmp_path / "data"):
        assert skillgraph._levels is not None  # known from the cards, not the registry
        registry = build({fam.id: fam.levels for fam in families().values()})
        assert skillgraph.prerequisite_map() == registry


def test_the_saved_settings_are_read_at_a_warm_start(returning_home: Path) -> None:
    with Study.open(returning_home, read_only=True) as study:
        assert study.settings.theme == "nord" and study.settings.new_per_day == 12


# ----- the skill cards' cache -------------------------------------------------------------


def test_cached_skill_cards_equal_the_registry_and_follow_a_changed_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "skills.pickle"
    fresh = _skill_cards()
    assert skill_cards(cache) == fresh and cache.exists()
    assert skill_cards(cache) == fresh  # read back from the file
    # A question module changed (here: a copy of the folder, one file edited): rebuilt.
    calls: list[int] = []

    def counted() -> list[Any]:
        calls.append(1)
        return fresh[:1]

    monkeypatch.setattr("dlquiz.workspace._skill_cards", counted)
    assert skill_cards(cache) == fresh and not calls  # unchanged modules: the cache
    copy = tmp_path / "questions"
    copy.mkdir()
    for path in QUESTIONS_DIR.glob("*.py"):
        (copy / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr("dlquiz.workspace.QUESTIONS_DIR", copy)
    assert skill_cards(cache) == fresh[:1] and calls == [1]  # another folder: rebuilt
    (copy / "values.py").write_text((copy / "values.py").read_text() + "\n# edited\n")
    assert skill_cards(cache) == fresh[:1] and calls == [1, 1]  # an edit: rebuilt


def test_a_damaged_skill_cache_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "skills.pickle"
    cache.write_bytes(b"\x80\x05not a pickle")
    assert skill_cards(cache) == _skill_cards()


def test_read_only_study_writes_no_skill_cache(tmp_path: Path) -> None:
    home = tmp_path / "data"
    Study.open(home, with_skills=False).close()  # the folder exists, without a skill cache
    with Study.open(home, read_only=True) as study:
        assert any(spec.id.startswith("skill/") for spec in study.deck.values())
    assert not list((home / "cache").glob("skills-*"))


# ----- the settings reader ----------------------------------------------------------------


def _pydantic(raw: bytes) -> Settings | None:
    try:
        return settings_mod._adapter().validate_json(raw)
    except ValidationError:
        return None


def test_every_setting_has_a_check_in_the_fast_reader() -> None:
    # A field added without one is left to pydantic (never dropped), but would bring
    # pydantic back to every start that has it in the file.
    assert set(settings_mod._CHECKS) == settings_mod._field_names()


def test_the_fast_reader_takes_what_dlquiz_writes() -> None:
    for value in (
        Settings(),
        Settings(theme="nord", excluded_tags=("cnn",), fsrs_parameters=tuple(range(21))),
        Settings(learning_steps_minutes=(), relearning_steps_minutes=(0.5, 1440.0)),
    ):
        raw = value.to_json()
        assert settings_mod._read_exact(raw) == value == _pydantic(raw)


@pytest.mark.parametrize(
    "data",
    [
        {"new_per_day": 20.0},  # an int written as a float: pydantic converts it
        {"desired_retention": "0.9"},  # a number in a string: pydantic's call
        {"bury_siblings": 1},
        {"theme": ""},
        {"desired_retention": 0.5},
        {"learning_steps_minutes": [0]},
        {"learning_steps_minutes": list(range(1, 12))},
        {"new_card_order": "sideways"},
        {"excluded_tags": ["a", 1]},
        {"desired_retention": 10**400},  # an int no float can hold
        {"fsrs_parameters": [1.0, 10**400]},
        {"theme": "\ud800"},  # a lone surrogate
        [],
    ],
)
def test_anything_unusual_is_left_to_pydantic(data: object) -> None:
    raw = json.dumps(data).encode()
    assert settings_mod._read_exact(raw) is None
    try:
        expected: Settings | ValidationError = settings_mod.from_json(raw)
    except ValidationError as exc:
        expected = exc
    assert isinstance(expected, ValidationError) == (_pydantic(raw) is None)


def test_unreadable_json_and_unknown_keys() -> None:
    assert settings_mod._read_exact(b"{not json") is None
    assert settings_mod._read_exact(b'{"desired_retention": NaN}') is None
    assert settings_mod._read_exact(b'{"from_a_newer_dlquiz": 1}') == Settings()
    with pytest.raises(ValidationError):
        settings_mod.from_json(b"{not json")


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200_000),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=2000),
    st.text(max_size=70),
    st.lists(st.one_of(st.integers(-2, 2000), st.floats(-1, 1500), st.text(max_size=4))),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*settings_mod._CHECKS, "other"]), _VALUES))
def test_the_fast_reader_never_disagrees_with_pydantic(data: dict[str, object]) -> None:
    raw = json.dumps(data).encode()
    fast = settings_mod._read_exact(raw)
    if fast is not None:  # taken: exactly what pydantic makes of it
        assert fast == _pydantic(raw)
        assert [type(getattr(fast, f)) for f in data if f != "other"] == [
            type(getattr(_pydantic(raw), f)) for f in data if f != "other"
        ]


# ----- the app ------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "expected"), [(60, "-narrow"), (100, "-normal")])
async def test_screens_have_their_width_class_before_their_widgets(
    home: Path, clock: Any, width: int, expected: str
) -> None:
    """Set before compose, the class is already right when the widgets are first styled
    (the first resize then changes nothing), and it is the class Textual would give."""
    import random

    from textual.screen import Screen

    from dlquiz.__main__ import make_app
    from dlquiz.tui.screens.review import ReviewScreen

    seen: list[tuple[str, set[str]]] = []
    original = Screen._compose

    async def spy(self: Screen[Any]) -> None:
        seen.append((type(self).__name__, set(self.classes)))
        await original(self)

    app = make_app(home, clock=clock, generator=lambda *a: None, rng=random.Random(0))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Screen, "_compose", spy)
        async with app.run_test(size=(width, 24)) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ReviewScreen)
            other = {"-narrow", "-normal"} - {expected}
            assert expected in app.screen.classes and not other & app.screen.classes
    composed = {name: classes for name, classes in seen}
    for name in ("HomeScreen", "ReviewScreen"):
        assert expected in composed[name] and not other & composed[name], name
