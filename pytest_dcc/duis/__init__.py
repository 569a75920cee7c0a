"""The DUIS message library: hardened XML, identifiers, builders, schemas, semantics, signatures, response parsing.

Neutral ground: used by the suite and by the reference DCC; imports neither pytest nor either side.
"""

from __future__ import annotations
