"""A guard for allure-pytest-bdd 2.16: its ``get_title_path`` computes ``Path(feature.filename).relative_to(rootdir)``
and raises ``ValueError`` for every scenario whose feature file lies outside the rootdir, which is exactly the case of
the bundled features when the installed suite runs from another directory. The guarded version falls back to the
feature's path relative to pytest-bdd's features base (``feature.rel_filename``). Tested by
tests/test_bdd_allure_smoke.py; drop it once allure-pytest-bdd handles this itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def install() -> None:
    """Patch allure-pytest-bdd's listener when it is installed (idempotent)."""
    try:
        from allure_pytest_bdd import pytest_bdd_listener
    except ImportError:
        return
    original = getattr(pytest_bdd_listener, "get_title_path", None)
    if original is None or getattr(original, "_pytest_dcc_guarded", False):
        return

    def get_title_path(request: Any, feature: Any) -> list[str]:
        try:
            return list(original(request, feature))
        except ValueError:
            parts = Path(getattr(feature, "rel_filename", None) or Path(feature.filename).name).parts
            return [*parts[:-1], feature.name or parts[-1]]

    get_title_path._pytest_dcc_guarded = True  # type: ignore[attr-defined]
    pytest_bdd_listener.get_title_path = get_title_path


__all__ = ["install"]
