"""The version of pytest-dcc, in a module of its own so a layer can name it without importing the package root."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
