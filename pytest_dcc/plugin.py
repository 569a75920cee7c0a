"""pytest11 entry point (wiring only)."""

from __future__ import annotations
