"""What runs inside the user's mitmproxy, on its event loop: the addon, the redacted
exchange it builds, and the thread that hands exchanges to the service.

May import the standard library, mitmproxy, `companion.net`, `companion.wire`,
`companion.config` and `companion.errors`; never the service, the diagnosis, pydantic,
aiohttp or platformdirs (`tests/capture/test_boundary.py` proves it).
"""

from companion.capture.addon import CAPTURED, Companion

__all__ = ["CAPTURED", "Companion"]
