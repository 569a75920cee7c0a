"""``@release:`` tags: ``from-R`` (the behaviour holds from release R) and ``before-R`` (until R, exclusive)."""

from __future__ import annotations

from pytest_dcc.reference.releases import RELEASES, release


def _index(name: str) -> int:
    return list(RELEASES).index(release(name).name)


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
        return f"the behaviour holds from the {name} release; the endpoint claims {release(claimed).name}"
    if kind == "before" and here >= there:
        return f"the behaviour holds before the {name} release; the endpoint claims {release(claimed).name}"
    return None


def claims_at_least(claimed: str, name: str) -> bool:
    """Whether the claimed release is ``name`` or later."""
    return _index(claimed) >= _index(name)


__all__ = ["check_release_tag", "claims_at_least", "release_excludes"]
