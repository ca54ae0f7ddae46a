"""401 Companion: why did that request get 401 Unauthorized, and how to fix it."""

__version__ = "0.1.0"

__all__ = ["__version__"]
