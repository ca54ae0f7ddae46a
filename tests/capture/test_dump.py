"""`companion run`'s proxy: mitmdump's own master with the companion's addon in it, reached by
every event as a sub-addon of mitmdump's last addon rather than as one more chain member."""

from __future__ import annotations

from mitmproxy import options
from mitmproxy.http import Response
from mitmproxy.proxy.layers.http import _hooks as http_hooks
from mitmproxy.test import tflow

from companion.capture.addon import Companion
from companion.capture.dump import CompanionDumpMaster
from tests.conftest import free_port


async def test_the_addon_gets_every_flow_event_without_being_a_chain_member(tmp_path):
    """Its options are mitmdump's (`--set companion_api=…`), and a 401 passing through
    mitmproxy's own dispatch is captured, while the dispatch walks no extra chain member
    (which cost every flow of the proxy a context manager, a coroutine and a generator)."""
    (tmp_path / "token").write_text("t\n")
    master = CompanionDumpMaster(options.Options(), with_termlog=False, with_dumper=False)
    addon = master.addons.get("companion")
    assert isinstance(addon, Companion)
    assert addon not in master.addons.chain
    master.options.update(companion_api=f"http://127.0.0.1:{free_port()}", companion_data_dir=str(tmp_path), companion_buffer=5)
    assert addon.sender is not None
    flow = tflow.tflow(resp=True)
    flow.response = Response.make(401, b"", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    for hook in (http_hooks.HttpResponseHeadersHook(flow), http_hooks.HttpResponseHook(flow)):
        await master.addons.handle_lifecycle(hook)
    assert addon.sender.stats.waiting == 1  # captured, waiting for the (absent) service
    ok = tflow.tflow(resp=True)
    await master.addons.handle_lifecycle(http_hooks.HttpResponseHook(ok))
    assert addon.sender.stats.waiting == 1  # a 200 is left alone
    await addon.done()
