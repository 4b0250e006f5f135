"""Message Batches (anthropic-api.md §5): the batch objects and their life cycle.

A batch is ``in_progress`` when created. Each retrieve counts as a poll; after
``FakeAnthropic.batch_polls_until_done`` polls have reported ``in_progress``, the next retrieve
ends it (or ``finish_batches()`` ends them all at once). Ending computes every result: scripted
per ``custom_id`` in ``batch_script``, otherwise validated like a create and answered from the
same script/default as ``POST /v1/messages`` (non-streaming, ``service_tier: "batch"``).
``request_counts``: ``processing`` = all requests until the end; the terminal counts stay 0
until then. A cancel moves it to ``canceling``; the next retrieve ends it with every request
``canceled``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


def _stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class Batch:
    id: str
    requests: list[dict[str, Any]]  # [{"custom_id", "params"}]
    betas: frozenset[str]
    created_at: datetime
    processing_status: str = "in_progress"
    polls: int = 0
    ended_at: datetime | None = None
    cancel_initiated_at: datetime | None = None
    results: list[dict[str, Any]] | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self, base_url: str) -> dict[str, Any]:
        ended = self.processing_status == "ended"
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            counts.update(self.counts)
        else:
            counts["processing"] = len(self.requests)
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": self.processing_status,
            "request_counts": counts,
            "created_at": _stamp(self.created_at),
            "expires_at": _stamp(self.created_at + timedelta(hours=24)),
            "ended_at": _stamp(self.ended_at),
            "cancel_initiated_at": _stamp(self.cancel_initiated_at),
            "archived_at": None,
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results" if ended else None,
        }


# resolve(custom_id, params, betas) -> the "result" object of one request
Resolver = Callable[[str, dict[str, Any], frozenset[str]], dict[str, Any]]


class BatchStore:
    """Batches by id, newest last. The caller holds the fake's lock around every call."""

    def __init__(self) -> None:
        self.batches: dict[str, Batch] = {}

    def create(self, requests: list[dict[str, Any]], betas: frozenset[str]) -> Batch:
        batch = Batch(
            id="msgbatch_01" + uuid.uuid4().hex[:22],
            requests=requests,
            betas=betas,
            created_at=datetime.now(UTC),
        )
        self.batches[batch.id] = batch
        return batch

    def end(self, batch: Batch, resolve: Resolver) -> None:
        if batch.processing_status == "ended":
            return
        results = []
        for request in batch.requests:
            if batch.processing_status == "canceling":
                result = {"type": "canceled"}
            else:
                result = resolve(request["custom_id"], request["params"], batch.betas)
            results.append({"custom_id": request["custom_id"], "result": result})
        batch.results = results
        batch.counts = {
            kind: sum(1 for r in results if r["result"]["type"] == kind)
            for kind in ("succeeded", "errored", "canceled", "expired")
        }
        batch.processing_status = "ended"
        batch.ended_at = datetime.now(UTC)

    def poll(self, batch: Batch, polls_until_done: int, resolve: Resolver) -> None:
        """One retrieve: counts a poll, ends the batch when its time has come."""
        if batch.processing_status == "canceling" or (
            batch.processing_status == "in_progress" and batch.polls >= polls_until_done
        ):
            self.end(batch, resolve)
        elif batch.processing_status == "in_progress":
            batch.polls += 1

    def cancel(self, batch: Batch) -> None:
        if batch.processing_status == "in_progress":
            batch.processing_status = "canceling"
            batch.cancel_initiated_at = datetime.now(UTC)

    def page(
        self, base_url: str, after_id: str | None, before_id: str | None, limit: int
    ) -> dict[str, Any]:
        """A list page, most recent first (``after_id`` pages towards older batches)."""
        ordered = list(reversed(self.batches.values()))
        ids = [b.id for b in ordered]
        if after_id is not None and after_id in ids:
            ordered = ordered[ids.index(after_id) + 1 :]
        elif before_id is not None and before_id in ids:
            ordered = ordered[: ids.index(before_id)][-limit:]
        page = ordered[:limit]
        return {
            "data": [b.to_json(base_url) for b in page],
            "has_more": len(ordered) > len(page),
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
        }
