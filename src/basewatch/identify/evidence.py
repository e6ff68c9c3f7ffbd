"""The evidence query: one SELECT per rule kind, joined with the rule tables, as one UNION ALL.

Every SELECT yields rows ``(icao24, rule, says, weight, detail, source)``; nothing is decided
here (see classify.py for how votes become an answer). Inputs, prepared by the classifier:
``_bw_addr(icao24, addr)``, ``_bw_ac`` (aircraft rows of those addresses), ``_bw_calls(icao24,
callsign)`` and the rule tables ``_bw_r_<name>`` (RuleSet.tables()).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

#: name of the rule table holding a pattern section → (values table, value expression)
_PATTERN_INPUTS = {
    "callsigns": ("_bw_calls", "callsign"),
    "registrations": ("_bw_ac", "upper(trim(registration))"),
    "operators": ("_bw_names", "name"),
}


def sql_literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def match_patterns(con: duckdb.DuckDBPyConnection, section: str, rules: pa.Table) -> None:
    """Create ``_bw_hits_<section>(value, rule_id)``: every distinct value each pattern matches.

    Rules with a three-character literal prefix are hash-joined on it before the regex runs, so
    millions of values cost one pass; the others run as constant-pattern filters (compiled once).
    Operator and owner names match case-insensitively.
    """
    source, expr = _PATTERN_INPUTS[section]
    values = f"_bw_values_{section}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {values} AS "
        f"SELECT DISTINCT {expr} AS value FROM {source} WHERE {expr} IS NOT NULL"
    )
    keyed = section != "operators"
    flags = "" if keyed else "(?i)"
    parts = [
        f"SELECT v.value, r.rule_id FROM {values} v JOIN _bw_r_{section} r "
        f"ON {'r.key IS NOT NULL' if keyed else 'FALSE'} AND left(v.value, 3) = r.key "
        f"AND regexp_matches(v.value, r.pattern)"
    ]
    for rule in rules.to_pylist():
        if rule["key"] is None or not keyed:
            parts.append(
                f"SELECT value, {int(rule['rule_id'])} FROM {values} "
                f"WHERE regexp_matches(value, {sql_literal(flags + rule['pattern'])})"
            )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _bw_hits_{section} AS " + "\nUNION ALL\n".join(parts)
    )


_DATABASE_FLAG = """
SELECT a.icao24, 'database.military_flag' AS rule, d.says, d.weight,
       CASE WHEN a.military THEN 'flagged military' ELSE 'not flagged military' END AS detail,
       coalesce(a.field_sources['military'], 'aircraft') AS source
FROM _bw_ac a JOIN _bw_r_database d
  ON d.name = CASE WHEN a.military THEN 'military_flag' ELSE 'not_military' END
WHERE a.military IS NOT NULL
"""

_PLANE_ALERT = """
SELECT a.icao24, 'plane_alert.{field}', r.says, r.weight, '{label} ' || a.{field},
       coalesce(a.field_sources['{field}'], 'aircraft')
FROM _bw_ac a JOIN _bw_r_{table} r ON lower(trim(a.{field})) = lower(r.value)
"""

_TYPE = """
SELECT a.icao24, 'type', r.says, r.weight,
       'type ' || r.designator || ' (' || r.name || coalesce(', ' || r.role, '') || ')', r.source
FROM _bw_ac a JOIN _bw_r_types r ON upper(trim(a.type_code)) = r.designator
"""

_CIVIL_OPERATOR = """
SELECT icao24, 'type.civil_operator', says, weight, detail, source FROM (
  SELECT DISTINCT ON (a.icao24) a.icao24, d.says, d.weight,
         'operator ' || a.operator || ' is a civil user of ' || t.designator
           || ' (listed: ' || t.civil || ')' AS detail,
         t.source
  FROM _bw_ac a
  JOIN (SELECT designator, unnest(civil_operators) AS civil, source FROM _bw_r_types) t
    ON upper(trim(a.type_code)) = t.designator
  JOIN _bw_r_database d ON d.name = 'civil_operator_of_type'
  WHERE contains(lower(a.operator), lower(t.civil))
  ORDER BY a.icao24, t.civil
)
"""

_OPERATOR = """
SELECT n.icao24, 'operator', r.says, r.weight,
       arg_min(n.field || ' "' || n.name || '" matches /' || r.pattern || '/', n.field),
       r.source
FROM (SELECT icao24, 'operator' AS field, operator AS name FROM _bw_ac WHERE operator IS NOT NULL
      UNION ALL
      SELECT icao24, 'owner', owner FROM _bw_ac WHERE owner IS NOT NULL) n
JOIN _bw_hits_operators h ON h.value = n.name
JOIN _bw_r_operators r ON r.rule_id = h.rule_id
GROUP BY n.icao24, r.rule_id, r.says, r.weight, r.pattern, r.source
"""

_CALLSIGN = """
SELECT c.icao24, 'callsign', r.says, r.weight,
       CASE WHEN count(*) = 1 THEN 'callsign ' ELSE 'callsigns ' END
         || array_to_string(list(c.callsign ORDER BY c.callsign)[1:3], ', ')
         || CASE WHEN count(*) > 3 THEN ' (+' || (count(*) - 3) || ' more)' ELSE '' END
         || ' /' || r.pattern || '/' || coalesce(': ' || r.operator, '')
         || coalesce(', ' || r.country, ''),
       r.source
FROM _bw_calls c
JOIN _bw_hits_callsigns h ON h.value = c.callsign
JOIN _bw_r_callsigns r ON r.rule_id = h.rule_id
GROUP BY c.icao24, r.rule_id, r.says, r.weight, r.pattern, r.operator, r.country, r.source
"""

_REGISTRATION = """
SELECT a.icao24, 'registration', r.says, r.weight,
       'registration ' || a.registration || ' /' || r.pattern || '/'
         || coalesce(': ' || r.note, coalesce(', ' || r.country, '')),
       r.source
FROM _bw_ac a
JOIN _bw_hits_registrations h ON h.value = upper(trim(a.registration))
JOIN _bw_r_registrations r ON r.rule_id = h.rule_id
"""

_ADDRESS_RANGE = """
SELECT x.icao24, 'address_range', r.says, r.weight,
       'address in military range ' || r.first || '-' || r.last
         || coalesce(' (' || r.country || ')', ''),
       r.source
FROM _bw_addr x ASOF JOIN _bw_r_ranges r ON x.addr >= r.lo   -- ranges are disjoint (rules.py)
WHERE x.addr <= r.hi
"""


def evidence_sql() -> str:
    """The UNION ALL of every rule kind's evidence."""
    parts = [
        _DATABASE_FLAG,
        _PLANE_ALERT.format(field="cmpg", table="cmpg", label="plane-alert #CMPG"),
        _PLANE_ALERT.format(field="category", table="categories", label="plane-alert category"),
        _TYPE,
        _CIVIL_OPERATOR,
        _OPERATOR,
        _CALLSIGN,
        _REGISTRATION,
        _ADDRESS_RANGE,
    ]
    return "\nUNION ALL\n".join(p.strip() for p in parts)


def prepare_names(con: duckdb.DuckDBPyConnection) -> None:
    """``_bw_names(name)``: operator and owner names, the input of the operator patterns."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _bw_names AS "
        "SELECT operator AS name FROM _bw_ac WHERE operator IS NOT NULL "
        "UNION SELECT owner FROM _bw_ac WHERE owner IS NOT NULL"
    )
