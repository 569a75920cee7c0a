"""YAML from files a user gives (the implementation statement, the expected-failures file, an inventory file),
loaded with bounded work: the one loader every such file goes through.

A YAML alias is a reference: ``safe_load`` keeps one object, but anything that walks the result (a lint message
that shows a value, a copy, a merge key ``<<``, which copies the pairs it merges) pays for the whole expansion, so
a few hundred bytes of nested aliases (a "billion laughs") cost gigabytes. Here the file is read only up to
:data:`MAX_BYTES`, every node is measured as it is composed (its size and depth with aliases expanded), and the
document is refused, before anything is constructed from it, when

* its aliases are used more than :data:`MAX_ALIASES` times, or expand to more than :data:`MAX_ALIAS_NODES` nodes
  (a long scalar counts one node per 64 characters);
* it nests deeper than :data:`MAX_DEPTH` levels, aliases expanded, or holds an alias inside its own anchor (a cycle).

Every refusal is :class:`DocumentLimitError` and, like a syntax error or a value that cannot be read, a
:class:`ConfigError` of ONE line naming the file, what was exceeded and the limit, never an echo of the document.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml
from yaml.events import AliasEvent

from pytest_dcc.errors import ConfigError, DocumentLimitError

#: Largest YAML file read, in bytes: the bundled statement is 1.4 kB, an inventory of 5,000 devices about 1 MB
#: (the pure-Python parser, which the measuring needs, takes about 4 s per MB).
MAX_BYTES: Final = 2 * 1024 * 1024
#: Most alias uses (``*name``, merge keys included) in one document.
MAX_ALIASES: Final = 100
#: Most nodes all the aliases of one document may stand for, expanded.
MAX_ALIAS_NODES: Final = 10_000
#: Deepest nesting of collections, aliases expanded (a statement nests 4 levels).
MAX_DEPTH: Final = 50
#: A long scalar counts one node per this many characters (an alias of a long string copies it).
_SCALAR_CHARS: Final = 64
#: Longest excerpt of a parser's own message quoted in an error.
_QUOTE: Final = 160


@dataclass(frozen=True)
class YamlLimits:
    """The bounds one load works within."""

    max_bytes: int = MAX_BYTES
    max_aliases: int = MAX_ALIASES
    max_alias_nodes: int = MAX_ALIAS_NODES
    max_depth: int = MAX_DEPTH


DEFAULT_LIMITS: Final = YamlLimits()


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that measures every node while composing: expanded size and depth, alias uses."""

    def __init__(self, stream: str, name: str, limits: YamlLimits) -> None:
        super().__init__(stream)
        self.name = name
        self.limits = limits
        self.depth = 0
        self.aliases = 0
        self.alias_nodes = 0
        #: (expanded size, expanded depth) of each finished anchored node, by id
        self.measured: dict[int, tuple[int, int]] = {}
        #: [size, deepest child] of each collection being composed
        self.frames: list[list[int]] = [[0, 0]]

    def refused(self, why: str, line: int | None) -> DocumentLimitError:
        where = f" (line {line})" if line else ""
        return DocumentLimitError(f"{self.name} is refused: {why}{where}")

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, AliasEvent):
            aliased = super().compose_node(parent, index)
            self._alias(aliased, line)
            return aliased
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise self.refused(f"it nests deeper than {self.limits.max_depth} levels (the nesting limit)", line)
        frame = [1, 0]
        self.frames.append(frame)
        try:
            node = super().compose_node(parent, index)
        finally:
            self.frames.pop()
            self.depth -= 1
        if isinstance(node, yaml.ScalarNode):
            frame[0] += len(node.value) // _SCALAR_CHARS
        if event.anchor is not None:
            self.measured[id(node)] = (frame[0], frame[1] + 1)
        self._count(frame[0], frame[1] + 1, line)
        return node

    def _alias(self, node: yaml.Node | None, line: int | None) -> None:
        measured = self.measured.get(id(node))
        if measured is None:  # its anchor is still open: the alias is inside the node it names
            raise self.refused("an alias refers to a node that contains it (a recursive alias)", line)
        self.aliases += 1
        self.alias_nodes += measured[0]
        if self.aliases > self.limits.max_aliases:
            raise self.refused(f"it uses aliases more than {self.limits.max_aliases} times (the alias limit)", line)
        if self.alias_nodes > self.limits.max_alias_nodes:
            raise self.refused(
                f"its aliases expand to more than {self.limits.max_alias_nodes} nodes (the alias expansion limit)",
                line,
            )
        self._count(*measured, line)

    def _count(self, size: int, depth: int, line: int | None) -> None:
        """Add a finished child of ``size`` nodes and ``depth`` levels to the collection being composed."""
        if self.depth + depth > self.limits.max_depth:
            raise self.refused(
                f"it nests deeper than {self.limits.max_depth} levels with its aliases expanded (the nesting limit)",
                line,
            )
        parent = self.frames[-1]
        parent[0] += size
        parent[1] = max(parent[1], depth)


def _one_line(text: object) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _QUOTE else flat[: _QUOTE - 3] + "..."


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A parser's complaint on one line: its problem and where (never the snippet of the document it quotes)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        said = ", ".join(str(part) for part in (exc.context, exc.problem) if part) or "unreadable"
        return f"{_one_line(said)}{where}"
    return _one_line(exc)


def load_yaml_text(text: str, name: str, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """The one YAML document in ``text`` (``name`` says what and where it is, for the error), loaded within
    ``limits``; :class:`ConfigError`, one line, when it is unreadable (:class:`DocumentLimitError` when over a
    limit)."""
    loader = _BoundedLoader(text, name, limits)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name} is not valid YAML: {_yaml_problem(exc)}") from None
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:  # a scalar the constructor cannot read
        raise ConfigError(f"{name} holds a value that cannot be read: {_one_line(exc)}") from None
    finally:
        loader.dispose()


def read_bounded(path: Path, name: str, max_bytes: int = MAX_BYTES) -> str:
    """The text of ``path`` (UTF-8), refused when over ``max_bytes`` (checked before reading, and read no
    further than the limit whatever the file claims); :class:`ConfigError`, one line, naming ``name``."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = b"" if size > max_bytes else handle.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {name}: {exc.strerror or exc}") from None
    if size > max_bytes or len(data) > max_bytes:
        shown = f"{size} bytes" if size > max_bytes else "larger"
        raise DocumentLimitError(f"{name} is refused: {shown}, over the {max_bytes}-byte limit for a file given")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name} is not UTF-8 text (byte {exc.start})") from None


def load_yaml(path: Path, name: str, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """The YAML document in file ``path``, read and loaded within ``limits``; ``name`` is how the error names it
    (for instance ``"the implementation statement statement.yaml"``)."""
    return load_yaml_text(read_bounded(path, name, limits.max_bytes), name, limits)


__all__ = [
    "DEFAULT_LIMITS",
    "MAX_ALIASES",
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "YamlLimits",
    "load_yaml",
    "load_yaml_text",
    "read_bounded",
]
