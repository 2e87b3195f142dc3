"""One theme system: any of Textual's themes, by name, as saved in the settings."""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_THEME = "textual-dark"
# Names older versions saved (they offered only these two).
OLD_THEME_NAMES = {"dark": "textual-dark", "light": "textual-light"}


def theme_name(setting: str, available: Iterable[str]) -> str:
    """The Textual theme a saved setting names; the default for an unknown name."""
    name = OLD_THEME_NAMES.get(setting, setting)
    return name if name in set(available) else DEFAULT_THEME
