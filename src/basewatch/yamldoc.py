"""YAML documents that remember where each key was written, so errors name file, key and line.

``parse_yaml`` keeps the line of every key path (from ``yaml.compose`` node marks); ``Node`` walks
the parsed data with typed getters that raise ``ConfigError`` at the right place.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import yaml

from basewatch.errors import ConfigError

Key = str | int
Path_ = tuple[Key, ...]


@dataclass(frozen=True)
class Doc:
    """A parsed YAML document: its origin (file name), data and the line of each key path."""

    origin: str
    data: Any
    lines: Mapping[Path_, int] = field(default_factory=dict, compare=False)

    def line(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None

    def error(self, path: Path_, message: str) -> ConfigError:
        """A ConfigError naming the file, the line and the key path."""
        line = self.line(path)
        where = f"{self.origin}, line {line}" if line else self.origin
        return ConfigError(f"{where}: {dotted(path) or '(top level)'}: {message}")

    def root(self) -> Node:
        return Node(self, (), self.data)


def dotted(path: Path_) -> str:
    """``bases.hmeimim.radius_km``, ``feeds[0].kind``; odd keys are quoted."""
    out = ""
    for key in path:
        if isinstance(key, int):
            out += f"[{key}]"
        elif re.fullmatch(r"[A-Za-z0-9_\-]+", key):
            out += f".{key}" if out else key
        else:
            out += f"[{key!r}]"
    return out


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false; ``on:``, ``no`` and ``NO`` (Norway) stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(text: str, origin: str) -> Doc:
    """Parse one YAML document; syntax errors and duplicate keys become ConfigError."""
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # e.g. a control character the reader refuses
        raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{origin}{line}: not valid YAML: {exc.problem or exc}") from exc
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:  # 2024-13-01
        raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    if node is not None:
        _mark_lines(node, (), lines, origin, [0])
    return Doc(origin, data, lines)


_MAX_NODES = 200_000  # a config is small; more means an alias bomb


def _mark_lines(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], origin: str, walk: list[int]
) -> None:
    """Record the line of every key path. ``walk`` holds the ancestors' ids (a node inside
    itself is a recursive alias) and, first, a count of nodes visited (alias bombs)."""
    lines.setdefault(path, node.start_mark.line + 1)
    walk[0] += 1
    if walk[0] > _MAX_NODES or id(node) in walk[1:]:
        raise ConfigError(
            f"{origin}, line {node.start_mark.line + 1}: {dotted(path) or '(top level)'}: "
            "aliases (*name) expand too far or into themselves; write the values out"
        )
    walk.append(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise ConfigError(
                    f"{origin}, line {key_node.start_mark.line + 1}: "
                    f"{dotted((*path, key))}: key given twice; keep one"
                )
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _mark_lines(value_node, (*path, key), lines, origin, walk)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _mark_lines(item, (*path, i), lines, origin, walk)
    walk.pop()


@dataclass(frozen=True)
class Node:
    """One value of a Doc at a key path, with typed getters that fail with file/key/line."""

    doc: Doc
    path: Path_
    value: Any

    def error(self, message: str) -> ConfigError:
        return self.doc.error(self.path, message)

    def child(self, key: Key, value: Any) -> Node:
        return Node(self.doc, (*self.path, key), value)

    def mapping(
        self, allowed: Iterable[str] | None = None, required: Iterable[str] = ()
    ) -> dict[str, Node]:
        """The entries of a mapping (null counts as empty); unknown or missing keys fail."""
        if self.value is None:
            self_value: dict[Any, Any] = {}
        elif isinstance(self.value, dict):
            self_value = self.value
        else:
            raise self.error(f"expected a mapping (key: value), got {_kind(self.value)}")
        out = {str(k): self.child(str(k), v) for k, v in self_value.items()}
        if allowed is not None:
            known = sorted(allowed)
            for key, node in out.items():
                if key not in known:
                    raise node.error(f"unknown key; expected one of: {', '.join(known)}")
        for key in required:
            if key not in out:
                raise self.error(f"missing key {key!r}")
        return out

    def sequence(self) -> list[Node]:
        """The items of a list (null counts as empty)."""
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {_kind(self.value)}")
        return [self.child(i, v) for i, v in enumerate(self.value)]

    def string(self, pattern: str | None = None, choices: Iterable[str] | None = None) -> str:
        """A string (numbers are not silently accepted), optionally matching a pattern/choice."""
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.error(f"expected a non-empty string, got {_kind(self.value)}")
        text = self.value.strip()
        if choices is not None and text not in (options := sorted(choices)):
            raise self.error(f"{text!r} is not one of: {', '.join(options)}")
        if pattern is not None and not re.fullmatch(pattern, text):
            raise self.error(f"{text!r} does not look right (expected {pattern})")
        return text

    def strings(self, pattern: str | None = None) -> tuple[str, ...]:
        """A list of strings (a single string counts as a list of one)."""
        if isinstance(self.value, str):
            return (self.string(pattern),)
        return tuple(item.string(pattern) for item in self.sequence())

    def number(self, low: float | None = None, high: float | None = None) -> float:
        """A number within [low, high]; ``low`` is exclusive when it is 0 (a positive number)."""
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise self.error(f"expected a number, got {_kind(self.value)}")
        value = float(self.value)
        if low == 0 and value <= 0:
            raise self.error(f"expected a positive number, got {self.value}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.error(f"{self.value} is out of range [{low}, {high}]")
        return value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {_kind(self.value)}")
        return self.value

    def regex(self) -> str:
        """A regular expression that both Python and DuckDB (RE2) accept."""
        text = self.string()
        problem = regex_problem(text)
        if problem:
            raise self.error(f"bad regular expression {text!r}: {problem}")
        return text

    def regexes(self) -> tuple[str, ...]:
        if isinstance(self.value, str):
            return (self.regex(),)
        return tuple(item.regex() for item in self.sequence())

    def plain(self) -> Any:
        """The value as plain data, refusing anything but scalars, lists and mappings."""
        if isinstance(self.value, dict):
            return {k: n.plain() for k, n in self.mapping().items()}
        if isinstance(self.value, list):
            return [n.plain() for n in self.sequence()]
        if self.value is None or isinstance(self.value, str | int | float | bool):
            return self.value
        return str(self.value)


@functools.lru_cache(maxsize=4096)
def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable regex in both Python and RE2, or None when it is."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    try:
        _re2().execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return None


@functools.lru_cache(maxsize=1)
def _re2() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB used only to ask RE2 whether a pattern compiles."""
    return duckdb.connect()


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
