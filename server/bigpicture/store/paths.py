"""BigPicture's files outside the workspace: the user's data directory.

``$BIGPICTURE_DATA_DIR`` or the platform's user data directory (``~/.local/share/bigpicture``
on Linux) holds, per workspace, the delimiter nonce, the result cache and written plans, and
the usage ledger. Nothing here is ever sent. A data directory that cannot be created or
written is a configuration error naming it, never a traceback.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from bigpicture.core.errors import ConfigError
from bigpicture.core.request.prompt import new_nonce, nonce_is_safe

_USABLE: set[Path] = set()  # data directories found writable by this process


def data_dir() -> Path:
    """The data directory, created if needed; a ``ConfigError`` naming it (and the variable
    that chose it) when it cannot be created or written, checked once per process."""
    env = os.environ.get("BIGPICTURE_DATA_DIR")
    if env:
        path = Path(env).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("bigpicture", appauthor=False))
    if path in _USABLE:
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        where = f"BIGPICTURE_DATA_DIR={env}" if env else f"the data directory {path}"
        fix = (
            "point BIGPICTURE_DATA_DIR at a folder you can write"
            if env
            else "make it writable, or set BIGPICTURE_DATA_DIR to a folder you can write"
        )
        if path.exists() and not path.is_dir():
            why = "it is a file, not a folder"
        else:
            why = f"{e.strerror or type(e).__name__}: {e.filename or path}"
        raise ConfigError(f"{where}: cannot create or write it ({why}); {fix}") from e
    _USABLE.add(path)
    return path


def workspace_dir(root: Path | str) -> Path:
    root = Path(root).resolve()
    key = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    path = data_dir() / "workspaces" / f"{root.name or 'root'}-{key}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def nonce_for(root: Path | str, texts: list[str]) -> str:
    """The workspace's delimiter nonce; a new one when the content contains the current one."""
    path = workspace_dir(root) / "nonce"
    try:
        nonce = path.read_text().strip()
    except OSError:
        nonce = ""
    if len(nonce) != 16 or not nonce_is_safe(nonce, texts):
        nonce = new_nonce()
        while not nonce_is_safe(nonce, texts):  # pragma: no cover - 2**-64 odds
            nonce = new_nonce()
        atomic_write(path, nonce.encode())
    return nonce
