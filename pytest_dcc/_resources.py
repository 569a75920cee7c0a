"""Where the bundled data is: the feature files in a checkout or inside the installed wheel."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def features_dir() -> Path:
    """The ``features/`` folder: the checkout's when running from one, else the copy bundled in the wheel."""
    package = Path(str(resources.files("pytest_dcc")))
    checkout = package.parent / "features"
    if checkout.is_dir():
        return checkout
    return package / "_bundled" / "features"


def default_state_dir() -> Path:
    """The per-user state folder (``$PYTEST_DCC_STATE``, else ``~/.cache/pytest-dcc``): originator counters and the
    default test PKI that ``pytest-dcc serve`` and the suite share when neither is given keys."""
    return Path(os.environ.get("PYTEST_DCC_STATE") or "~/.cache/pytest-dcc").expanduser()
