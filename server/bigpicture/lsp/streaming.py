"""Streamed findings to the editor, coalesced: each new finding is kept with the file it is on
(``State.streamed``, on the text it was anchored on), and the files with new findings are
published together in a flush — at once when the last flush is at least ``INTERVAL`` old,
else when it is (a timer on the event loop) — and once at the end of the review. So a file
is published at most once per flush, and a reply's last finding reaches the editor at the
end of the review at the latest, however fast the reply streams.

``publish`` shows the stored findings and the streamed ones together; if the review does not
succeed, ``take_back`` publishes the streamed files again without them.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from bigpicture.core.models import Finding
from bigpicture.core.reply.follow import follow
from bigpicture.lsp.messages import log_msg
from bigpicture.lsp.publish import publish
from bigpicture.lsp.state import BigPictureServer, FileFindings

INTERVAL = 0.1  # seconds between flushes, at least


class Flusher:
    """The streamed findings of one review, published per file at most once per flush."""

    def __init__(
        self,
        ls: BigPictureServer,
        sent_texts: dict[str, str],
        on_flush: Callable[[int], None] | None = None,
    ) -> None:
        self.ls = ls
        self.on_flush = on_flush  # called after each flush with the findings streamed so far
        self.sent = sent_texts
        self.streamed: dict[str, FileFindings] = {}
        ls.state.streamed = self.streamed
        self.pending: set[str] = set()  # files with findings not yet published
        self.touched: set[str] = set()  # files published with streamed findings
        self.flushes = 0
        self.count = 0  # findings streamed
        self._last = -math.inf
        self._timer: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()

    def add(self, findings: list[Finding]) -> None:
        """New findings (anchored on the sent texts): published in the next flush."""
        for f in findings:
            sent = self.sent.get(f.path)
            if sent is None:
                continue
            sf = self.streamed.get(f.path)
            if sf is None:
                sf = self.streamed[f.path] = FileFindings(sent, [])
            if sf.text != sent:  # the file was edited since: the finding follows the edit
                moved = follow(f, sent, sf.text)
                if moved is None:
                    continue
                f = moved
            sf.findings.append(f)
            self.pending.add(f.path)
            self.count += 1
        if not self.pending or self._timer is not None:
            return
        wait = self._last + INTERVAL - self._loop.time()
        if wait <= 0:
            self.flush()
        else:
            self._timer = self._loop.call_later(wait, self.flush)

    def flush(self) -> None:
        """Publish every file with new findings, once."""
        self._timer = None
        if not self.pending:
            return
        self._last = self._loop.time()
        self.flushes += 1
        files = sorted(self.pending)
        self.pending.clear()
        for path in files:
            publish(self.ls, path)
        self.touched.update(files)
        log_msg(
            self.ls,
            f"streamed findings: flush {self.flushes}, {len(files)} files, "
            f"{self.count} findings so far",
        )
        if self.on_flush is not None:
            self.on_flush(self.count)

    def close(self) -> set[str]:
        """Stop: no more flushes, the streamed findings no longer shown by ``publish``; the
        files that showed them or were about to (to publish again)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.ls.state.streamed is self.streamed:
            self.ls.state.streamed = None
        files = self.touched | self.pending
        self.pending.clear()
        return files

    def take_back(self) -> None:
        """The review did not succeed: its streamed findings come off the editor."""
        for path in sorted(self.close()):
            publish(self.ls, path)
