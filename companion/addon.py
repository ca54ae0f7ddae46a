"""The mitmproxy addon of 401 Companion: `mitmdump -s companion/addon.py`.

Loaded by `companion run`, or by your own mitmproxy pointed at a running `companion serve`:

    mitmdump -s companion/addon.py --set companion_api=http://127.0.0.1:8401

The addon itself is `companion.capture`; this file is the path the contract names.
"""

import sys
from pathlib import Path

try:
    import companion  # noqa: F401
except ImportError:  # loaded as a script from a checkout by a mitmproxy that lacks the package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from companion.capture import Companion

addons = [Companion()]
