"""Diagnose a redacted 401/407 exchange: one small rule per cause, one root cause chosen.

`rules_*` hold the rules by subject; `engine` runs them and builds the `Diagnosis`. The
catalogue text (titles, fixes, developer notes) lives in `companion.diagnosis.catalogue`.
"""

from .engine import PRECEDENCE, SYMPTOMS, diagnose, findings
from .facts import Finding

__all__ = ["PRECEDENCE", "SYMPTOMS", "Finding", "diagnose", "findings"]
