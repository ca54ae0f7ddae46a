"""Where a companion keeps its things, and its API token.

Several companions can run side by side: each has its own data dir (`--data-dir`, or
`COMPANION_DATA_DIR`, else the platform's user data dir) holding its store and its token.
The standard library only: the addon reads the token from inside any mitmproxy.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path

from companion.errors import ConfigError

__all__ = [
    "DEFAULT_API_PORT",
    "DEFAULT_PROXY_PORT",
    "TOKEN_FILE",
    "default_data_dir",
    "ensure_data_dir",
    "load_or_create_token",
    "read_token",
]

DEFAULT_PROXY_PORT = 8080
DEFAULT_API_PORT = 8401
TOKEN_FILE = "token"
APP_NAME = "401-companion"


def _user_data_root() -> Path:
    """The platform's per-user data folder, as desktop conventions name it: XDG on Linux and
    the BSDs, Application Support on macOS, the local AppData on Windows."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Application Support"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    return Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"


def default_data_dir() -> Path:
    env = os.environ.get("COMPANION_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return _user_data_root() / APP_NAME


def ensure_data_dir(path: Path) -> Path:
    """Create the data dir (private to the user) or say clearly why it cannot be used."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"cannot create the data dir {path}: {exc.strerror or exc}") from exc
    with contextlib.suppress(OSError):
        info = path.stat()
        if os.name == "posix" and info.st_uid == os.getuid() and info.st_mode & 0o077:
            path.chmod(0o700)  # a dir that existed before: made the user's alone, as if new
    if not os.access(path, os.W_OK):
        raise ConfigError(f"the data dir {path} is not writable; choose another with --data-dir")
    return path


def read_token(data_dir: Path) -> str | None:
    """The API token of the companion using this data dir, or None if it has none yet. A
    token file others could read is made the user's alone first (it may have been copied)."""
    path = data_dir / TOKEN_FILE
    try:
        if path.stat().st_mode & 0o077:
            with contextlib.suppress(OSError):
                path.chmod(0o600)
        token = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return token or None


def load_or_create_token(data_dir: Path) -> str:
    """The API token, created on first use in a file only the user can read."""
    ensure_data_dir(data_dir)
    existing = read_token(data_dir)
    if existing:
        return existing
    token = secrets.token_urlsafe(32)
    path = data_dir / TOKEN_FILE
    # Written whole to a private temporary file, then linked into place: another process
    # never reads a half-written token, and of two racing processes exactly one link wins.
    draft = data_dir / f".{TOKEN_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(token + "\n")
        os.link(draft, path)
    except FileExistsError:
        # Another process linked its token first: theirs wins.
        again = read_token(data_dir)
        if again:
            return again
        raise ConfigError(f"the token file {path} exists but is empty or unreadable") from None
    except OSError as exc:
        raise ConfigError(f"cannot write the token file {path}: {exc.strerror or exc}") from exc
    finally:
        draft.unlink(missing_ok=True)
    return token
