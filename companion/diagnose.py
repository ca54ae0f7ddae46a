"""`from companion.diagnose import diagnose`: the diagnosis lives in `companion.diagnosis`."""

from companion.diagnosis import Finding, diagnose, findings

__all__ = ["Finding", "diagnose", "findings"]
