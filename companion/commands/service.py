"""The `companion` command's way to the running service: its token, its API, and what to say
when no companion answers, or one of another data dir does."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from companion.commands.text import shown
from companion.config import read_token
from companion.errors import CompanionError

__all__ = ["NotRunningError", "RefusedError", "Service", "listening"]

_TIMEOUT_S = 30.0

def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port`."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class NotRunningError(CompanionError):
    """Nothing answers on the API port."""


class RefusedError(CompanionError):
    """The service answered with an error (`status`): the message is its own, escaped."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class Service:
    """The companion on `127.0.0.1:port`, spoken to with the token of `data_dir`."""

    def __init__(self, data_dir: Path, port: int):
        self.data_dir = data_dir
        self.port = port
        # Never through a proxy: HTTP_PROXY may well name the companion's own proxy.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path: str, query: dict[str, Any] | None = None) -> Any:
        return json.loads(self.call("GET", path, query))

    def delete(self, path: str, query: dict[str, Any] | None = None) -> Any:
        return json.loads(self.call("DELETE", path, query))

    def post(self, path: str, query: dict[str, Any] | None = None) -> Any:
        return json.loads(self.call("POST", path, query))

    def call(self, method: str, path: str, query: dict[str, Any] | None = None) -> bytes:
        """The answer's body; a refusal or a failure raised as a sentence that says what to do."""
        token = read_token(self.data_dir)
        if token is None:
            self._no_token()
        url = self._url(path, query)
        request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {token}"})
        try:
            with self._opener.open(request, timeout=_TIMEOUT_S) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise self._refused(exc) from exc
        except (urllib.error.URLError, ConnectionError) as exc:
            raise NotRunningError(self.not_running()) from exc
        except OSError as exc:
            raise CompanionError(f"the companion on port {self.port} did not answer: {exc}") from exc

    def running(self) -> bool:
        """Whether a 401 Companion answers its health check on the port (no token needed)."""
        try:
            with self._opener.open(self._url("/api/health"), timeout=5) as response:
                return json.load(response).get("status") == "ok"
        except (OSError, ValueError, AttributeError):
            return False

    def not_running(self) -> str:
        return (
            f"no companion is running on port {self.port}: start it with `companion run` "
            "(or `companion serve`), or pass the --api-port it listens on"
        )

    def other_data_dir(self) -> str:
        return (
            f"the companion on port {self.port} uses another data dir (not {self.data_dir}); "
            "pass --data-dir with the one it was started with (or set COMPANION_DATA_DIR)"
        )

    def _url(self, path: str, query: dict[str, Any] | None = None) -> str:
        given = {key: value for key, value in (query or {}).items() if value is not None}
        return f"http://127.0.0.1:{self.port}{path}" + (f"?{urllib.parse.urlencode(given)}" if given else "")

    def _no_token(self) -> None:
        if self.running():
            raise CompanionError(self.other_data_dir())
        raise NotRunningError(self.not_running())

    def _refused(self, exc: urllib.error.HTTPError) -> CompanionError:
        """A 401 is a token of another data dir (or no companion at all); anything else is the
        service's own message."""
        if exc.code == 401:
            if "401-companion" in (exc.headers.get("WWW-Authenticate") or ""):
                return CompanionError(self.other_data_dir())
            return CompanionError(f"something on port {self.port} that is not a 401 Companion refused the token; pass --api-port")
        try:
            said = json.load(exc)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            said = exc.reason
        return RefusedError(f"the companion on port {self.port} answered {exc.code}: {shown(str(said))}", exc.code)
