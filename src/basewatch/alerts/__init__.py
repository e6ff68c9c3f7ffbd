"""Alerts: events at watched bases turned into messages, raised once, delivered everywhere.

Rules come from ``alerts: rules``, sinks from ``alerts: sinks``; the state lives in the store.
"""

from basewatch.alerts.dispatch import Dispatcher
from basewatch.alerts.factory import build_sinks
from basewatch.alerts.model import ALERT_KINDS, Alert, alert_id
from basewatch.alerts.sinks import JsonlSink, MemorySink, Sink, StdoutSink

__all__ = [
    "ALERT_KINDS",
    "Alert",
    "Dispatcher",
    "JsonlSink",
    "MemorySink",
    "Sink",
    "StdoutSink",
    "alert_id",
    "build_sinks",
]
