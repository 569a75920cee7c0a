"""pytest-dcc: the open conformance suite for DUIS and CHISM (GB Smart Energy Code)."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
