"""The local result cache: the same request again returns the stored findings, no API call.

Keyed by the hash of the exact request body (model, instructions with their version, and every
byte of content). Only complete reviews are stored. Findings are stored as the model reported
them and anchored again on use, so they land on the current text.
"""

from __future__ import annotations

import hashlib

import msgspec

from bigpicture.core.models import Finding, Usage
from bigpicture.core.request.prompt import INSTRUCTIONS_VERSION
from bigpicture.core.request.verify import Verdict
from bigpicture.store.paths import atomic_write, workspace_dir


class Stored(msgspec.Struct):
    findings: list[Finding]
    summary: str
    usage: Usage
    request_id: str | None = None
    malformed: int = 0


def key(body_bytes: bytes) -> str:
    """The body's hash, with the instructions' version (a reworded rule that leaves the body
    unchanged, such as one applied in code, still misses the cache)."""
    h = hashlib.sha256(INSTRUCTIONS_VERSION.encode() + b"\0")
    h.update(body_bytes)
    return h.hexdigest()


def get(root: str, k: str) -> Stored | None:
    path = workspace_dir(root) / "results" / f"{k}.json"
    try:
        return msgspec.json.decode(path.read_bytes(), type=Stored)
    except (OSError, msgspec.DecodeError):
        return None


def put(root: str, k: str, value: Stored) -> None:
    path = workspace_dir(root) / "results" / f"{k}.json"
    atomic_write(path, msgspec.json.encode(value))


class StoredVerdicts(msgspec.Struct):
    """A complete verification pass: its verdict on each finding, by ref."""

    verdicts: list[Verdict]
    summary: str
    usage: Usage
    request_id: str | None = None


def get_verdicts(root: str, k: str) -> StoredVerdicts | None:
    path = workspace_dir(root) / "results" / f"{k}.verify.json"
    try:
        return msgspec.json.decode(path.read_bytes(), type=StoredVerdicts)
    except (OSError, msgspec.DecodeError):
        return None


def put_verdicts(root: str, k: str, value: StoredVerdicts) -> None:
    atomic_write(workspace_dir(root) / "results" / f"{k}.verify.json", msgspec.json.encode(value))
