"""``@release:`` tags: ``from-R`` (the scenario applies from release R) and ``before-R`` (until R, exclusive).

The release a clause binds from or until comes from the clause registry (:meth:`Clause.not_normative`); a tag only
narrows a scenario further."""

from __future__ import annotations

from pytest_dcc.spec.releases import at_least, canonical
from pytest_dcc.spec.releases import index as _index


def release(name: str) -> str:
    return canonical(name)


def check_release_tag(value: str) -> None:
    """Raise ``ValueError`` unless ``value`` is ``from-R`` or ``before-R`` with a known release R."""
    kind, _, name = value.partition("-")
    if kind not in {"from", "before"} or not name:
        raise ValueError(f"@release:{value} must be from-<release> or before-<release>")
    release(name)  # raises ValueError naming the known ones


def release_excludes(value: str, claimed: str) -> str | None:
    """Why a scenario tagged ``@release:value`` does not apply to an endpoint claiming ``claimed`` (else None)."""
    kind, _, name = value.partition("-")
    here, there = _index(claimed), _index(name)
    if kind == "from" and here < there:
        return f"the scenario applies from the {name} release; the endpoint claims {release(claimed)}"
    if kind == "before" and here >= there:
        return f"the scenario applies before the {name} release; the endpoint claims {release(claimed)}"
    return None


def claims_at_least(claimed: str, name: str) -> bool:
    """Whether the claimed release is ``name`` or later."""
    return at_least(claimed, name)


__all__ = ["check_release_tag", "claims_at_least", "release_excludes"]
