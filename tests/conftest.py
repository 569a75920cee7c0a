from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
XSD_VERSIONS = ("5.0", "5.1", "5.3a", "5.4")


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"the shared reference data is expected beside the checkout at {SHARED}")
    return SHARED
