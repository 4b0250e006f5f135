"""What this machine last put in the prompt cache, so estimates can say "repeat" honestly.

For each cache breakpoint of a request that started streaming, the hash of the exact prefix up
to it and the time it expires (the TTL, refreshed by every read). A later plan whose prefix
hashes match an unexpired entry is expected to read that far from the cache. This is an
estimate: the API's cache is per workspace of the API key and best-effort.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from bigpicture.core.request.plan import Plan
from bigpicture.store.paths import atomic_write, workspace_dir

TTL_SECONDS = {"5m": 300, "1h": 3600}


def _prefix_hashes(body: dict[str, Any]) -> list[tuple[int, str]]:
    """(block index, hash of everything up to and including it) for each marked block."""
    head = json.dumps(
        [
            body.get("model"),
            body.get("tools"),
            body.get("system"),
            body.get("tool_choice"),
            body.get("thinking"),
        ],
        sort_keys=True,
    ).encode()
    h = hashlib.sha256(head)
    out: list[tuple[int, str]] = []
    for i, block in enumerate(body["messages"][0]["content"]):
        h.update(json.dumps(block, sort_keys=True).encode())
        if "cache_control" in block:
            out.append((i, h.copy().hexdigest()))
    return out


def cacheable_tokens(plan: Plan) -> int:
    run = upto = 0
    for s in plan.segments:
        run += s.tokens
        if s.breakpoint:
            upto = run
    return upto


def _tokens_through_block(plan: Plan, block_index: int) -> int:
    # segments: [instructions] + one per content block (the last one is volatile)
    return sum(s.tokens for s in plan.segments[: block_index + 2])


def _load(root: str) -> dict[str, float]:
    try:
        state: dict[str, float] = json.loads((workspace_dir(root) / "cache_state.json").read_text())
        return state
    except (OSError, ValueError):
        return {}


def record_sent(root: str, plan: Plan, now: float | None = None) -> None:
    now = now or time.time()
    ttl = TTL_SECONDS.get(plan.cache_ttl, 300)
    state = {k: v for k, v in _load(root).items() if v > now}
    for _, digest in _prefix_hashes(plan.body):
        state[digest] = now + ttl
    atomic_write(workspace_dir(root) / "cache_state.json", json.dumps(state).encode())


def expected_read(root: str, plan: Plan, now: float | None = None) -> int:
    """Input tokens a request of ``plan`` is expected to read from the cache now."""
    now = now or time.time()
    state = _load(root)
    best = 0
    for idx, digest in _prefix_hashes(plan.body):
        if state.get(digest, 0) > now:
            best = max(best, _tokens_through_block(plan, idx))
    return best
