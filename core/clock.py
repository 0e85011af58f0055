"""The only place that reads the time. Everything else takes `now` as a parameter."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
