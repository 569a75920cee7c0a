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
    """The per-user state folder (``$PYTEST_DCC_STATE``, else ``~/.cache/pytest-dcc``): originator counters, the
    test-control token and the default test PKI that ``pytest-dcc serve`` and the suite share when neither is given
    keys. Whoever writes there first creates it 0700 (missing parents too) and holds it to 0700, whatever the umask,
    and a symbolic link in its place is refused (``pytest_dcc.duis.private_files.private_dir``, which this module,
    importing only the errors, leaves to its callers)."""
    return Path(os.environ.get("PYTEST_DCC_STATE") or "~/.cache/pytest-dcc").expanduser()
