"""The core never imports textual; the app's start-up path never imports torch.

The import-linter contracts in pyproject.toml check the same statically; these
check what really gets loaded at run time.
"""

from __future__ import annotations

import subprocess
import sys


def _core_modules() -> list[str]:
    """Every module of the package outside the TUI, found on disk (no hand-kept list)."""
    import pkgutil

    import dlquiz

    names = [
        info.name
        for info in pkgutil.walk_packages(dlquiz.__path__, "dlquiz.")
        if not info.name.startswith("dlquiz.tui")
    ]
    assert len(names) > 20
    return names


CORE = _core_modules()


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
        "from dlquiz.study import Study\n"
        f"Study.open(Path({str(tmp_path)!r})).close()\n"
        "import dlquiz.tui.app, dlquiz.tui.screens.home, dlquiz.tui.screens.review"
    )
    _modules_after(code)  # first start: validates the content and fills the cache
    loaded = _modules_after(code)
    assert "dlquiz.workspace" in loaded
    assert "pydantic" not in loaded
    assert "torch" not in loaded
