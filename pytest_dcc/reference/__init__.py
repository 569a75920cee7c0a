"""The reference DCC: a real implementation of the DCC Data Service Provider behaviour for the clauses in scope.

Imports only :mod:`pytest_dcc.spec`, :mod:`pytest_dcc.duis` and :mod:`pytest_dcc.errors` (tests/test_layers.py).
"""

from __future__ import annotations

from pytest_dcc.reference.dcc import ReferenceDcc, Refusal
from pytest_dcc.reference.inventory import Inventory, InventoryError, User
from pytest_dcc.reference.releases import LATEST, RELEASES, Release, release

__all__ = ["LATEST", "RELEASES", "Inventory", "InventoryError", "ReferenceDcc", "Refusal", "Release", "User", "release"]
