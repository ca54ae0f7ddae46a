"""The package's one exception family; third-party errors are translated at the boundary."""

__all__ = ["CompanionError", "ConfigError", "IngestError", "StoreError"]


class CompanionError(Exception):
    """Base of every error the companion raises on purpose."""


class ConfigError(CompanionError):
    """A bad option, port, data dir or token file: the message says what to change."""


class StoreError(CompanionError):
    """The SQLite store could not be opened, read or written."""


class IngestError(CompanionError):
    """An exchange sent to the service could not be accepted."""
