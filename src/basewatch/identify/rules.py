"""State/military rules as data: the packaged catalogue plus the user's ``identify:`` extensions.

``load_rules`` returns a ``RuleSet`` of Arrow tables that the classifier registers in DuckDB.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from basewatch.config import Config
from basewatch.errors import ConfigError
from basewatch.yamldoc import Node, parse_yaml

RULES_ORIGIN = "rules.yaml"
KINDS = ("civil", "military", "state")
DATABASE_RULES = ("civil_operator_of_type", "military_flag", "not_military")
_SECTIONS = (
    "address_ranges",
    "callsigns",
    "database",
    "operators",
    "plane_alert",
    "registrations",
    "types",
    "version",
)
_PATTERN_RULE = ("country", "kind", "note", "operator", "pattern", "ref", "weight")


@dataclass(frozen=True)
class RuleSet:
    """Every rule, one Arrow table per kind; ``digest`` changes whenever any rule does."""

    database: pa.Table  # name, says, weight, source
    cmpg: pa.Table  # value, says, weight, source
    categories: pa.Table  # value, says, weight, source
    types: pa.Table  # designator, name, role, says, weight, civil_operators, source
    callsigns: pa.Table  # rule_id, pattern, key, operator, country, says, weight, source
    registrations: pa.Table  # rule_id, pattern, key, operator, country, says, weight, source
    operators: pa.Table  # rule_id, pattern, key, operator, country, says, weight, source
    ranges: pa.Table  # lo, hi, first, last, country, says, weight, source
    digest: str

    def tables(self) -> dict[str, pa.Table]:
        return {
            name: getattr(self, name)
            for name in (
                "database",
                "cmpg",
                "categories",
                "types",
                "callsigns",
                "registrations",
                "operators",
                "ranges",
            )
        }


def load_rules(config: Config | None = None) -> RuleSet:
    """The packaged rules, extended (and overridden) by ``config.identify`` when given."""
    packaged = _packaged()
    if config is None or not config.identify or config.doc is None:
        return _to_tables(packaged)
    node = config.doc.root().child("identify", config.doc.data["identify"])
    user = parse_rule_data(node, source=config.origin)
    return _to_tables(_merge(packaged, user))


@functools.cache
def _packaged() -> dict[str, dict[Any, dict[str, Any]]]:
    """The packaged rules file, parsed once per process (callers never mutate it)."""
    path = importlib.resources.files("basewatch") / "data" / "identify" / RULES_ORIGIN
    return parse_rule_data(parse_yaml(path.read_text("utf-8"), RULES_ORIGIN).root(), RULES_ORIGIN)


def parse_rule_data(node: Node, source: str) -> dict[str, dict[Any, dict[str, Any]]]:
    """Validate one rules document (packaged file or ``identify:``) into keyed rule records.

    Each section maps the rule's identity (designator, pattern, value, range) to its record, so
    that a later document can replace a rule by giving the same identity.
    """
    top = node.mapping(allowed=_SECTIONS)
    out: dict[str, dict[Any, dict[str, Any]]] = {s: {} for s in _SECTIONS if s != "version"}
    out["cmpg"], out["categories"] = {}, {}
    if "version" in top and top["version"].number(1, 1) != 1:
        raise top["version"].error("only version 1 is understood")
    for name, entry in top.get("database", node.child("database", None)).mapping().items():
        if name not in DATABASE_RULES:
            raise entry.error(f"unknown database rule; expected one of {', '.join(DATABASE_RULES)}")
        out["database"][name] = _vote(entry, ()) | {"name": name, "source": source}
    plane_alert = {}
    if "plane_alert" in top:
        plane_alert = top["plane_alert"].mapping(allowed=("categories", "cmpg"))
    for section in ("cmpg", "categories"):
        if section in plane_alert:
            for value, entry in plane_alert[section].mapping().items():
                out[section][value.lower()] = _vote(entry, ()) | {"value": value, "source": source}
    if "types" in top:
        for designator, entry in top["types"].mapping().items():
            out["types"][designator.upper()] = _type(entry, designator, source)
    for section in ("callsigns", "registrations", "operators"):
        for entry in top[section].sequence() if section in top else []:
            rule = _pattern_rule(entry, source)
            out[section][rule["pattern"]] = rule
    for entry in top["address_ranges"].sequence() if "address_ranges" in top else []:
        rule = _range(entry, source)
        out["address_ranges"][(rule["lo"], rule["hi"])] = rule
    return out


def _vote(node: Node, extra: Iterable[str]) -> dict[str, Any]:
    fields = node.mapping(allowed=("kind", "weight", "ref", *extra), required=("kind", "weight"))
    return {
        "says": fields["kind"].string(choices=KINDS),
        "weight": fields["weight"].number(0, 1),
    }


def _type(node: Node, designator: str, source: str) -> dict[str, Any]:
    if not designator.isalnum() or not 2 <= len(designator) <= 4:
        raise node.error("an ICAO type designator has 2 to 4 letters or digits")
    extra = ("name", "role", "civil_operators")
    fields = node.mapping(allowed=("kind", "weight", "ref", *extra), required=("name",))
    civil = fields["civil_operators"].strings() if "civil_operators" in fields else ()
    return _vote(node, extra) | {
        "designator": designator.upper(),
        "name": fields["name"].string(),
        "role": fields["role"].string() if "role" in fields else None,
        "civil_operators": list(civil),
        "source": source,
    }


def _pattern_rule(node: Node, source: str) -> dict[str, Any]:
    fields = node.mapping(allowed=_PATTERN_RULE, required=("pattern",))
    pattern = fields["pattern"].regex()
    country = fields.get("country")
    return _vote(node, ("pattern", "operator", "country", "note")) | {
        "pattern": pattern,
        "key": _join_key(pattern),
        "operator": fields["operator"].string() if "operator" in fields else None,
        "country": country.string(r"[A-Z]{2}") if country and country.value is not None else None,
        "note": fields["note"].string() if "note" in fields else None,
        "source": source,
    }


def _range(node: Node, source: str) -> dict[str, Any]:
    allowed = ("first", "last", "country", "kind", "weight", "ref", "note")
    fields = node.mapping(allowed=allowed, required=("first", "last"))
    lo, hi = _hex(fields["first"]), _hex(fields["last"])
    if hi < lo:
        raise node.error("last is before first")
    country = fields.get("country")
    return _vote(node, ("first", "last", "country", "note")) | {
        "lo": lo,
        "hi": hi,
        "first": f"{lo:06x}",
        "last": f"{hi:06x}",
        "country": country.string(r"[A-Z]{2}") if country and country.value is not None else None,
        "source": source,
    }


def _hex(node: Node) -> int:
    if not isinstance(node.value, str):
        raise node.error('expected six hex digits in quotes, e.g. "400000"')
    return int(node.string(r"[0-9a-fA-F]{6}"), 16)


def literal_prefix(pattern: str) -> str:
    """The literal text every match of an anchored pattern starts with ('' when there is none).

    ``^RFF\\d`` gives ``RFF``; ``^RF-\\d{5}$`` gives ``RF-``; alternations and flags give ''.
    """
    if not pattern.startswith("^") or "|" in pattern:
        return ""
    out, i = "", 1
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "+-.#/":
            char, step = pattern[i + 1], 2
        elif char.isalnum() or char in "-_ #/":
            step = 1
        else:
            break
        following = pattern[i + step] if i + step < len(pattern) else ""
        if following in "?*{":
            break
        out += char
        if following == "+":
            break
        i += step
    return out


def _merge(base: dict[str, dict[Any, Any]], extra: dict[str, dict[Any, Any]]) -> dict[str, Any]:
    return {section: {**base[section], **extra.get(section, {})} for section in base}


_VOTE = [("says", pa.string()), ("weight", pa.float64())]
_NAMED = pa.schema([("name", pa.string()), *_VOTE, ("source", pa.string())])
_VALUED = pa.schema([("value", pa.string()), *_VOTE, ("source", pa.string())])
_TYPES = pa.schema(
    [
        ("designator", pa.string()),
        ("name", pa.string()),
        ("role", pa.string()),
        *_VOTE,
        ("civil_operators", pa.list_(pa.string())),
        ("source", pa.string()),
    ]
)
_PATTERNS = pa.schema(
    [
        ("rule_id", pa.int32()),
        ("pattern", pa.string()),
        ("key", pa.string()),
        ("operator", pa.string()),
        ("country", pa.string()),
        *_VOTE,
        ("note", pa.string()),
        ("source", pa.string()),
    ]
)
_RANGES = pa.schema(
    [
        ("lo", pa.int32()),
        ("hi", pa.int32()),
        ("first", pa.string()),
        ("last", pa.string()),
        ("country", pa.string()),
        *_VOTE,
        ("source", pa.string()),
    ]
)


def _table(rows: Iterable[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist([{f: r.get(f) for f in schema.names} for r in rows], schema=schema)


def _numbered(rules: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    return [r | {"rule_id": i} for i, r in enumerate(rules.values())]


def _to_tables(data: dict[str, dict[Any, dict[str, Any]]]) -> RuleSet:
    _check_disjoint(list(data["address_ranges"].values()))
    digest = hashlib.sha256(json.dumps(_jsonable(data), sort_keys=True).encode()).hexdigest()
    return RuleSet(
        database=_table(data["database"].values(), _NAMED),
        cmpg=_table(data["cmpg"].values(), _VALUED),
        categories=_table(data["categories"].values(), _VALUED),
        types=_table(data["types"].values(), _TYPES),
        callsigns=_table(_numbered(data["callsigns"]), _PATTERNS),
        registrations=_table(_numbered(data["registrations"]), _PATTERNS),
        operators=_table(_numbered(data["operators"]), _PATTERNS),
        ranges=_table(data["address_ranges"].values(), _RANGES),
        digest=digest,
    )


def _check_disjoint(ranges: list[dict[str, Any]]) -> None:
    """Address ranges may not overlap (the classifier looks each address up in one range)."""
    ordered = sorted(ranges, key=lambda r: (r["lo"], r["hi"]))
    for before, after in itertools.pairwise(ordered):
        if after["lo"] <= before["hi"]:
            raise ConfigError(
                f"{after['source']}: address_ranges: {after['first']}-{after['last']} overlaps "
                f"{before['first']}-{before['last']} ({before['source']}); ranges must not "
                "overlap — give the same first and last to replace a range"
            )


def _jsonable(data: dict[str, dict[Any, dict[str, Any]]]) -> dict[str, list[Any]]:
    return {
        k: [v for _, v in sorted(d.items(), key=lambda kv: str(kv[0]))] for k, d in data.items()
    }


def _join_key(pattern: str) -> str | None:
    """The first three literal characters, used to hash-join candidates before the regex."""
    prefix = literal_prefix(pattern)
    return prefix[:3] if len(prefix) >= 3 else None
