"""The proxy `companion run` starts: mitmdump with the companion's addon added to its master
directly, not loaded as a script. A `-s` script is walked through mitmproxy's script loader on
every hook of every flow; added directly, the addon's hooks are called as any built-in
addon's. Everything else is mitmdump's own: its options, its arguments, its output.

    python -m companion.capture.dump --listen-port 8080 --set companion_api=http://127.0.0.1:8401

Your own `mitmdump -s companion/addon.py` keeps working as before.
"""

from __future__ import annotations

import sys
from typing import Any

from mitmproxy.tools import cmdline, main
from mitmproxy.tools.dump import DumpMaster

from companion.capture.addon import Companion

__all__ = ["CompanionDumpMaster", "run"]


class CompanionDumpMaster(DumpMaster):
    """mitmdump's master with the companion's addon among its own (its options registered
    before the command line is read, so `--set companion_api=…` works as with `-s`).

    The addon rides as a sub-addon (mitmproxy's own `addons` attribute) of mitmdump's last
    built-in one, not as one more member of the chain: mitmproxy dispatches every event of
    every flow to each chain member in turn (a context manager, a coroutine and a generator
    each time, whatever hooks the member has), which cost the proxy about 2 % of its CPU for
    an addon that only looks at responses. A sub-addon gets every event all the same, in the
    same order (last), through its parent's dispatch."""

    def __init__(self, options: Any, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        companion = Companion()
        parent = self.addons.chain[-1]
        if getattr(parent, "addons", None) is None:
            self.addons.register(companion)  # options, commands and the load event, as `add` does
            parent.addons = [companion]
        else:  # a mitmproxy whose last addon has children of its own: one more chain member
            self.addons.add(companion)


def run(arguments: list[str]) -> None:
    main.run(CompanionDumpMaster, cmdline.mitmdump, arguments)


if __name__ == "__main__":
    run(sys.argv[1:])
