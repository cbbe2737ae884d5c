"""The process's Prometheus metrics (prometheus-client), counted where things happen and
served by `/metrics` (`shagym.health`). Gauges read from the store (the outbox's backlog) are
set by the server just before each scrape.

Names follow Prometheus conventions: `shagym_` prefix, `_total` counters, seconds as the unit.
Labels carry channels, kinds and results, never anything about a person or a case.
"""

from __future__ import annotations

import datetime as dt

from prometheus_client import Counter, Gauge, Histogram

REPORTS = Counter(
    "shagym_reports_received", "Reports committed (new cases and follow-ups)", ["channel"]
)
CASES = Counter("shagym_cases_opened", "Cases opened", ["channel"])
DELIVERIES = Counter(
    "shagym_deliveries", "Outbox deliveries by result", ["channel", "kind", "result"]
)
ERRORS = Counter("shagym_errors", "Failures caught at a loop's edge", ["loop"])
INGEST_LAG = Histogram(
    "shagym_ingest_lag_seconds",
    "From a report's arrival at its channel to its case committed",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800),
)
OWED = Gauge("shagym_outbox_owed", "Notifications not yet settled", ["channel"])
OLDEST = Gauge("shagym_outbox_oldest_owed_seconds", "Age of the oldest notification owed")
CONNECTED = Gauge("shagym_connection_up", "1 while a loop's connection is up", ["name"])


def report_committed(channel: str, received_at: dt.datetime | None, opened: bool) -> None:
    REPORTS.labels(channel).inc()
    if opened:
        CASES.labels(channel).inc()
    if received_at is not None:
        if received_at.tzinfo is None:  # the store's naive datetimes are UTC
            received_at = received_at.replace(tzinfo=dt.UTC)
        lag = (dt.datetime.now(dt.UTC) - received_at).total_seconds()
        INGEST_LAG.labels(channel).observe(max(0.0, lag))
