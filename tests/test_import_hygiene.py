"""The core never imports textual; the app's start-up path never imports torch."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "dlquiz.content",
    "dlquiz.cards",
    "dlquiz.scheduler",
    "dlquiz.store",
    "dlquiz.session",
    "dlquiz.history",
    "dlquiz.settings",
    "dlquiz.workspace",
    "dlquiz.questions",
    "dlquiz.__main__",
]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return set(out.split())


def test_core_does_not_import_textual() -> None:
    loaded = _modules_after("\n".join(f"import {m}" for m in CORE))
    assert "dlquiz.store" in loaded  # the imports really ran
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


def test_core_and_registry_do_not_import_torch_or_numpy() -> None:
    code = "\n".join(f"import {m}" for m in CORE)
    code += "\nfrom dlquiz.workspace import skill_cards\nskill_cards()"
    loaded = _modules_after(code)
    assert "torch" not in loaded
    assert "numpy" not in loaded


def test_tui_app_does_not_import_torch() -> None:
    loaded = _modules_after(
        "import dlquiz.tui.app, dlquiz.tui.screens.home, dlquiz.tui.screens.review"
    )
    assert "textual.app" in loaded
    assert "torch" not in loaded


def test_start_up_path_does_not_import_pydantic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With the content cache warm, opening the app's workspace needs no pydantic."""
    code = (
        "from pathlib import Path\n"
        "from dlquiz.workspace import open_workspace\n"
        f"open_workspace(Path({str(tmp_path)!r})).close()\n"
        "import dlquiz.tui.app, dlquiz.tui.screens.home, dlquiz.tui.screens.review"
    )
    _modules_after(code)  # first start: validates the content and fills the cache
    loaded = _modules_after(code)
    assert "dlquiz.workspace" in loaded
    assert "pydantic" not in loaded
    assert "torch" not in loaded
